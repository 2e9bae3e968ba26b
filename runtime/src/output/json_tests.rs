//! JSON records against bpftrace 0.17. Every expected line was printed by
//! `bpftrace -f json` for the program quoted above the assertion, unless a
//! comment says where and why rtrace differs. Every line is also parsed
//! back, so a record that is not valid JSON fails whatever it looks like.

use super::*;
use crate::output::test_maps::*;
use crate::output::{Format, Output};
use rtrace_stdlib::value::{AggValue, MapSnapshot};

/// Checks that `text` is lines of one JSON object each, and returns them.
fn json_lines(text: &str) -> Vec<&str> {
    assert!(text.ends_with('\n'), "records end with a newline: {text:?}");
    let lines: Vec<&str> = text.lines().collect();
    for line in &lines {
        let parsed: serde_json::Value =
            serde_json::from_str(line).unwrap_or_else(|e| panic!("not JSON ({e}): {line}"));
        assert!(parsed.is_object(), "not an object: {line}");
    }
    lines
}

fn output(emit: impl FnOnce(&mut Output)) -> String {
    let mut buffer = Vec::new();
    let mut out = Output::new(Format::Json, &mut buffer, false);
    emit(&mut out);
    out.finish().expect("writes to memory");
    String::from_utf8(buffer).expect("UTF-8")
}

/// The line of `print(@m, top, div)`.
fn print_map(map: &MapSnapshot, top: usize, div: u64) -> String {
    let text = output(|out| out.map(map, top, div));
    let lines = json_lines(&text);
    assert_eq!(lines.len(), 1, "one record per map: {text}");
    lines[0].to_string()
}

/// The line at exit (no `top`, no `div`).
fn map_line(map: &MapSnapshot) -> String {
    print_map(map, 0, 1)
}

fn value_line(value: &Value) -> String {
    let text = output(|out| out.value(value));
    json_lines(&text)[0].to_string()
}

/// `BEGIN { printf("hello %d \"q\" \\ tab\t nl\n", 42); printf("a"); exit(); }`
#[test]
fn attached_probes_and_printf() {
    let text = output(|out| {
        out.attached_probes(1);
        out.printf("hello 42 \"q\" \\ tab\t nl\n");
        out.printf("a");
    });
    assert_eq!(
        json_lines(&text),
        [
            r#"{"type": "attached_probes", "data": {"probes": 1}}"#,
            r#"{"type": "printf", "data": "hello 42 \"q\" \\ tab\t nl\n"}"#,
            r#"{"type": "printf", "data": "a"}"#,
        ]
    );
}

/// `BEGIN { printf("a\x01b c/d é\n"); }`: bpftrace escapes control
/// characters as `\u00XX`, as rtrace does. It writes every byte above 0x7f
/// as `\uffffffXX` (é became `\uffffffc3\uffffffa9`), which decodes to
/// U+FFFF and stray hex digits; rtrace writes the characters as UTF-8.
#[test]
fn printf_control_and_non_ascii_characters() {
    let text = output(|out| out.printf("a\x01b c/d é\n"));
    assert_eq!(
        json_lines(&text),
        ["{\"type\": \"printf\", \"data\": \"a\\u0001b c/d é\\n\"}"]
    );
}

/// `-q`: bpftrace leaves out the attached_probes record too.
#[test]
fn quiet_has_no_attached_probes_record() {
    let mut buffer = Vec::new();
    let mut out = Output::new(Format::Json, &mut buffer, true);
    out.attached_probes(3);
    out.finish().expect("writes to memory");
    assert!(buffer.is_empty());
}

/// A flood of printf() piped into a reader that sleeps: bpftrace printed
/// `{"type": "lost_events", "data": {"events": 36253}}`.
#[test]
fn lost_events() {
    let text = output(|out| out.lost_events(36253));
    assert_eq!(
        json_lines(&text),
        [r#"{"type": "lost_events", "data": {"events": 36253}}"#]
    );
}

/// bpftrace prints two empty lines before the maps at exit, in JSON mode
/// too; rtrace prints only JSON objects.
#[test]
fn end_of_run_prints_nothing() {
    assert_eq!(output(|out| out.end_of_run()), "");
}

/// `print(5); print(-5); print("str"); print((1, "a", -2));
/// print((1, (2, "x")));`: tuples without spaces.
#[test]
fn values() {
    assert_eq!(value_line(&int(5)), r#"{"type": "value", "data": 5}"#);
    assert_eq!(value_line(&int(-5)), r#"{"type": "value", "data": -5}"#);
    assert_eq!(value_line(&s("str")), r#"{"type": "value", "data": "str"}"#);
    assert_eq!(
        value_line(&tuple(vec![int(1), s("a"), int(-2)])),
        r#"{"type": "value", "data": [1,"a",-2]}"#
    );
    assert_eq!(
        value_line(&tuple(vec![int(1), tuple(vec![int(2), s("x")])])),
        r#"{"type": "value", "data": [1,[2,"x"]]}"#
    );
    assert_eq!(
        value_line(&Value::UInt(u64::MAX)),
        r#"{"type": "value", "data": 18446744073709551615}"#
    );
}

/// `BEGIN { @a = avg(7); @c[1] = count(); @c[2] = count(); @c[2] = count();
/// @h = hist(5); @h = hist(0); @h = hist(-1); @h = hist(1000); exit(); }`
#[test]
fn one_of_each_kind() {
    assert_eq!(
        map_line(&scalar("@a", avg(&[7]))),
        r#"{"type": "stats", "data": {"@a": 7}}"#
    );
    let c = map("@c", true, vec![(int(2), count(2)), (int(1), count(1))]);
    assert_eq!(
        map_line(&c),
        r#"{"type": "map", "data": {"@c": {"1": 1, "2": 2}}}"#
    );
    let h = scalar("@h", hist(&[5, 0, -1, 1000]));
    assert_eq!(
        map_line(&h),
        r#"{"type": "hist", "data": {"@h": [{"max": -1, "count": 1}, {"min": 0, "max": 0, "count": 1}, {"min": 1, "max": 1, "count": 0}, {"min": 2, "max": 3, "count": 0}, {"min": 4, "max": 7, "count": 1}, {"min": 8, "max": 15, "count": 0}, {"min": 16, "max": 31, "count": 0}, {"min": 32, "max": 63, "count": 0}, {"min": 64, "max": 127, "count": 0}, {"min": 128, "max": 255, "count": 0}, {"min": 256, "max": 511, "count": 0}, {"min": 512, "max": 1023, "count": 1}]}}"#
    );
}

/// `@c = count(); @mi = min(-3); @ma = max(7); @su = sum(-5);`
#[test]
fn scalar_maps() {
    assert_eq!(
        map_line(&scalar("@c", count(1))),
        r#"{"type": "map", "data": {"@c": 1}}"#
    );
    assert_eq!(
        map_line(&scalar("@mi", agg(AggValue::Min(Some(-3))))),
        r#"{"type": "map", "data": {"@mi": -3}}"#
    );
    assert_eq!(
        map_line(&scalar("@ma", agg(AggValue::Max(Some(7))))),
        r#"{"type": "map", "data": {"@ma": 7}}"#
    );
    assert_eq!(
        map_line(&scalar("@su", agg(AggValue::Sum(-5)))),
        r#"{"type": "map", "data": {"@su": -5}}"#
    );
}

/// `@s = "hello"; @t[1] = "x"; @u = (1, "a"); @v[1] = (1, "a");
/// @v[2] = (-2, "b");`
#[test]
fn string_and_tuple_values() {
    assert_eq!(
        map_line(&scalar("@s", plain(s("hello")))),
        r#"{"type": "map", "data": {"@s": "hello"}}"#
    );
    assert_eq!(
        map_line(&map("@t", true, vec![(int(1), plain(s("x")))])),
        r#"{"type": "map", "data": {"@t": {"1": "x"}}}"#
    );
    assert_eq!(
        map_line(&scalar("@u", plain(tuple(vec![int(1), s("a")])))),
        r#"{"type": "map", "data": {"@u": [1,"a"]}}"#
    );
    let v = map(
        "@v",
        true,
        vec![
            (int(2), plain(tuple(vec![int(-2), s("b")]))),
            (int(1), plain(tuple(vec![int(1), s("a")]))),
        ],
    );
    assert_eq!(
        map_line(&v),
        r#"{"type": "map", "data": {"@v": {"1": [1,"a"], "2": [-2,"b"]}}}"#
    );
}

/// `@m[1, "a"] = 5; @m[2, "b"] = 3; @n["a,b", 2] = 3; @k["a\x01b"] = 1;
/// @neg[-1] = 2; @[5] = 2;`: the parts of a key are joined by commas.
#[test]
fn keys() {
    let m = map(
        "@m",
        true,
        vec![
            (tuple(vec![int(1), s("a")]), plain(int(5))),
            (tuple(vec![int(2), s("b")]), plain(int(3))),
        ],
    );
    assert_eq!(
        map_line(&m),
        r#"{"type": "map", "data": {"@m": {"2,b": 3, "1,a": 5}}}"#
    );
    let n = map(
        "@n",
        true,
        vec![(tuple(vec![s("a,b"), int(2)]), plain(int(3)))],
    );
    assert_eq!(
        map_line(&n),
        r#"{"type": "map", "data": {"@n": {"a,b,2": 3}}}"#
    );
    let k = map("@k", true, vec![(s("a\x01b"), plain(int(1)))]);
    assert_eq!(
        map_line(&k),
        r#"{"type": "map", "data": {"@k": {"a\u0001b": 1}}}"#
    );
    let neg = map("@neg", true, vec![(int(-1), plain(int(2)))]);
    assert_eq!(
        map_line(&neg),
        r#"{"type": "map", "data": {"@neg": {"-1": 2}}}"#
    );
    let anonymous = map("@", true, vec![(int(5), plain(int(2)))]);
    assert_eq!(
        map_line(&anonymous),
        r#"{"type": "map", "data": {"@": {"5": 2}}}"#
    );
}

/// `@z["a b"] = 1; @z[""] = 2; print(@z);`
#[test]
fn string_keys() {
    let z = map("@z", true, vec![(s(""), count(2)), (s("a b"), count(1))]);
    assert_eq!(
        map_line(&z),
        r#"{"type": "map", "data": {"@z": {"a b": 1, "": 2}}}"#
    );
}

/// `@h[1] = hist(5); @h[2] = hist(100);`
#[test]
fn keyed_hist() {
    let h = map(
        "@h",
        true,
        vec![(int(2), hist(&[100])), (int(1), hist(&[5]))],
    );
    assert_eq!(
        map_line(&h),
        r#"{"type": "hist", "data": {"@h": {"1": [{"min": 4, "max": 7, "count": 1}], "2": [{"min": 64, "max": 127, "count": 1}]}}}"#
    );
}

/// `@h[1] = hist(1); @h[256] = hist(1); @h[2] = hist(1); @h[2] = hist(100);
/// @h[-1] = hist(5);`: sorted by total count, ties in key byte order.
#[test]
fn hist_keys_ordered_by_total_then_key_bytes() {
    let h = map(
        "@h",
        true,
        vec![
            (int(-1), hist(&[5])),
            (int(2), hist(&[1, 100])),
            (int(1), hist(&[1])),
            (int(256), hist(&[1])),
        ],
    );
    assert_eq!(
        map_line(&h),
        r#"{"type": "hist", "data": {"@h": {"256": [{"min": 1, "max": 1, "count": 1}], "1": [{"min": 1, "max": 1, "count": 1}], "-1": [{"min": 4, "max": 7, "count": 1}], "2": [{"min": 1, "max": 1, "count": 1}, {"min": 2, "max": 3, "count": 0}, {"min": 4, "max": 7, "count": 0}, {"min": 8, "max": 15, "count": 0}, {"min": 16, "max": 31, "count": 0}, {"min": 32, "max": 63, "count": 0}, {"min": 64, "max": 127, "count": 1}]}}}"#
    );
}

/// `@h["b"] = hist(1); @h["a"] = hist(1); @h["ab"] = hist(1);
/// @h["c"] = hist(1); @h["c"] = hist(1);`
#[test]
fn hist_string_keys() {
    let h = map(
        "@h",
        true,
        vec![
            (s("c"), hist(&[1, 1])),
            (s("b"), hist(&[1])),
            (s("ab"), hist(&[1])),
            (s("a"), hist(&[1])),
        ],
    );
    assert_eq!(
        map_line(&h),
        r#"{"type": "hist", "data": {"@h": {"a": [{"min": 1, "max": 1, "count": 1}], "ab": [{"min": 1, "max": 1, "count": 1}], "b": [{"min": 1, "max": 1, "count": 1}], "c": [{"min": 1, "max": 1, "count": 2}]}}}"#
    );
}

/// `@h[1] = hist(1); @h[2] = hist(2); @h[2] = hist(2); print(@h, 1);`
#[test]
fn hist_top() {
    let h = map(
        "@h",
        true,
        vec![(int(1), hist(&[1])), (int(2), hist(&[2, 2]))],
    );
    assert_eq!(
        print_map(&h, 1, 1),
        r#"{"type": "hist", "data": {"@h": {"2": [{"min": 2, "max": 3, "count": 2}]}}}"#
    );
}

/// `@h = hist(1024); @h = hist(1500); @h = hist(3145728); @h = hist(3) x3;
/// print(@h, 0, 2);`: the divisor applies to the counts.
#[test]
fn hist_div() {
    let h = scalar("@h", hist(&[1024, 1500, 3145728, 3, 3, 3]));
    assert_eq!(
        print_map(&h, 0, 2),
        r#"{"type": "hist", "data": {"@h": [{"min": 2, "max": 3, "count": 1}, {"min": 4, "max": 7, "count": 0}, {"min": 8, "max": 15, "count": 0}, {"min": 16, "max": 31, "count": 0}, {"min": 32, "max": 63, "count": 0}, {"min": 64, "max": 127, "count": 0}, {"min": 128, "max": 255, "count": 0}, {"min": 256, "max": 511, "count": 0}, {"min": 512, "max": 1023, "count": 0}, {"min": 1024, "max": 2047, "count": 1}, {"min": 2048, "max": 4095, "count": 0}, {"min": 4096, "max": 8191, "count": 0}, {"min": 8192, "max": 16383, "count": 0}, {"min": 16384, "max": 32767, "count": 0}, {"min": 32768, "max": 65535, "count": 0}, {"min": 65536, "max": 131071, "count": 0}, {"min": 131072, "max": 262143, "count": 0}, {"min": 262144, "max": 524287, "count": 0}, {"min": 524288, "max": 1048575, "count": 0}, {"min": 1048576, "max": 2097151, "count": 0}, {"min": 2097152, "max": 4194303, "count": 0}]}}"#
    );
}

/// `@g = hist(2147483648); @g = hist(1073741824);`: bpftrace printed
/// `[{"min": 1073741824, "max": 2147483647, "count": 1}, {"min": -2147483648,
/// "max": 0, "count": 1}]`, its bounds overflowing 32 bits from 2^31 on;
/// rtrace's are exact.
#[test]
fn hist_bounds_beyond_32_bits() {
    let g = scalar("@g", hist(&[2147483648, 1073741824]));
    assert_eq!(
        map_line(&g),
        r#"{"type": "hist", "data": {"@g": [{"min": 1073741824, "max": 2147483647, "count": 1}, {"min": 2147483648, "max": 4294967295, "count": 1}]}}"#
    );
}

/// `@h = hist(3); @c = count(); zero(@h); zero(@c);`: a zeroed hist has no
/// buckets left to show.
#[test]
fn zeroed_maps() {
    let h = scalar("@h", agg(AggValue::Hist(vec![0; 65])));
    assert_eq!(map_line(&h), r#"{"type": "hist", "data": {"@h": []}}"#);
    assert_eq!(
        map_line(&scalar("@c", count(0))),
        r#"{"type": "map", "data": {"@c": 0}}"#
    );
}

/// `@l = lhist(-5, 0, 100, 10); @l = lhist(150, 0, 100, 10);
/// @l = lhist(55, 0, 100, 10);`, also with `print(@l, 0, 2)`: lhist
/// ignores the divisor.
#[test]
fn lhist_records() {
    let l = scalar("@l", lhist(&[-5, 150, 55], 0, 100, 10));
    let expected = r#"{"type": "hist", "data": {"@l": [{"max": -1, "count": 1}, {"min": 0, "max": 9, "count": 0}, {"min": 10, "max": 19, "count": 0}, {"min": 20, "max": 29, "count": 0}, {"min": 30, "max": 39, "count": 0}, {"min": 40, "max": 49, "count": 0}, {"min": 50, "max": 59, "count": 1}, {"min": 60, "max": 69, "count": 0}, {"min": 70, "max": 79, "count": 0}, {"min": 80, "max": 89, "count": 0}, {"min": 90, "max": 99, "count": 0}, {"min": 100, "count": 1}]}}"#;
    assert_eq!(map_line(&l), expected);
    assert_eq!(print_map(&l, 0, 2), expected);
}

/// `@l = lhist(1, 0, 10, 1); @l = lhist(9, 0, 10, 1); print(@l, 0, 2);`:
/// one-value buckets.
#[test]
fn lhist_step_one() {
    let l = scalar("@l", lhist(&[1, 9], 0, 10, 1));
    assert_eq!(
        print_map(&l, 0, 2),
        r#"{"type": "hist", "data": {"@l": [{"min": 1, "max": 1, "count": 1}, {"min": 2, "max": 2, "count": 0}, {"min": 3, "max": 3, "count": 0}, {"min": 4, "max": 4, "count": 0}, {"min": 5, "max": 5, "count": 0}, {"min": 6, "max": 6, "count": 0}, {"min": 7, "max": 7, "count": 0}, {"min": 8, "max": 8, "count": 0}, {"min": 9, "max": 9, "count": 1}]}}"#
    );
}

/// `@l["a"] = lhist(5, 0, 100, 10);`
#[test]
fn keyed_lhist() {
    let l = map("@l", true, vec![(s("a"), lhist(&[5], 0, 100, 10))]);
    assert_eq!(
        map_line(&l),
        r#"{"type": "hist", "data": {"@l": {"a": [{"min": 0, "max": 9, "count": 1}]}}}"#
    );
}

/// `@l = lhist(3, 1, 10, 4); @l = lhist(10, 1, 10, 4); @l = lhist(9, 1, 10, 4);`
/// and `@l = lhist(2048|5000|-1, 0, 4096, 1024);`
#[test]
fn lhist_uneven_range_and_large_steps() {
    let mut buckets = vec![0u64; 5];
    buckets[1] = 1; // 3
    buckets[3] = 1; // 9: counted in [9, 13), shown as the overflow bucket
    buckets[4] = 1; // 10
    let uneven = scalar(
        "@l",
        agg(AggValue::Lhist {
            min: 1,
            max: 10,
            step: 4,
            buckets,
        }),
    );
    assert_eq!(
        map_line(&uneven),
        r#"{"type": "hist", "data": {"@l": [{"min": 1, "max": 4, "count": 1}, {"min": 5, "max": 8, "count": 0}, {"min": 10, "count": 1}]}}"#
    );
    let large = scalar("@l", lhist(&[2048, 5000, -1], 0, 4096, 1024));
    assert_eq!(
        map_line(&large),
        r#"{"type": "hist", "data": {"@l": [{"max": -1, "count": 1}, {"min": 0, "max": 1023, "count": 0}, {"min": 1024, "max": 2047, "count": 0}, {"min": 2048, "max": 3071, "count": 1}, {"min": 3072, "max": 4095, "count": 0}, {"min": 4096, "count": 1}]}}"#
    );
}

/// `@s = stats(10); @s = stats(20); @t[1] = stats(10); @t[2] = stats(20);`
#[test]
fn stats_records() {
    assert_eq!(
        map_line(&scalar("@s", stats(&[10, 20]))),
        r#"{"type": "stats", "data": {"@s": {"count": 2, "average": 15, "total": 30}}}"#
    );
    let t = map(
        "@t",
        true,
        vec![(int(2), stats(&[20])), (int(1), stats(&[10]))],
    );
    assert_eq!(
        map_line(&t),
        r#"{"type": "stats", "data": {"@t": {"1": {"count": 1, "average": 10, "total": 10}, "2": {"count": 1, "average": 20, "total": 20}}}}"#
    );
}

/// `@a[1] = avg(10); @a[2] = avg(5); @a[3] = avg(-4); @a[4] = avg(5);
/// @a[4] = avg(6); @s[1] = stats(10); @s[2] = stats(5); @s[3] = stats(-7);
/// @s[3] = stats(0);`: sorted by average, ties by key.
#[test]
fn avg_and_stats_sorted_by_average() {
    let a = map(
        "@a",
        true,
        vec![
            (int(4), avg(&[5, 6])),
            (int(3), avg(&[-4])),
            (int(2), avg(&[5])),
            (int(1), avg(&[10])),
        ],
    );
    assert_eq!(
        map_line(&a),
        r#"{"type": "stats", "data": {"@a": {"3": -4, "2": 5, "4": 5, "1": 10}}}"#
    );
    let st = map(
        "@s",
        true,
        vec![
            (int(3), stats(&[-7, 0])),
            (int(1), stats(&[10])),
            (int(2), stats(&[5])),
        ],
    );
    assert_eq!(
        map_line(&st),
        r#"{"type": "stats", "data": {"@s": {"3": {"count": 2, "average": -3, "total": -7}, "2": {"count": 1, "average": 5, "total": 5}, "1": {"count": 1, "average": 10, "total": 10}}}}"#
    );
}

/// `@s[1] = stats(1); @s[2] = stats(5); print(@s, 1, 2); @a[1] = avg(1);
/// @a[2] = avg(5); print(@a, 1, 2);`: stats ignores top and div, avg does
/// not.
#[test]
fn avg_and_stats_top_div() {
    let st = map(
        "@s",
        true,
        vec![(int(1), stats(&[1])), (int(2), stats(&[5]))],
    );
    assert_eq!(
        print_map(&st, 1, 2),
        r#"{"type": "stats", "data": {"@s": {"1": {"count": 1, "average": 1, "total": 1}, "2": {"count": 1, "average": 5, "total": 5}}}}"#
    );
    let a = map("@a", true, vec![(int(1), avg(&[1])), (int(2), avg(&[5]))]);
    assert_eq!(
        print_map(&a, 1, 2),
        r#"{"type": "stats", "data": {"@a": {"2": 2}}}"#
    );
}

/// `@a = avg(-7); @a = avg(0); print(@a, 0, 2); print(@a);`
#[test]
fn avg_negative_division() {
    let a = scalar("@a", avg(&[-7, 0]));
    assert_eq!(
        print_map(&a, 0, 2),
        r#"{"type": "stats", "data": {"@a": -1}}"#
    );
    assert_eq!(map_line(&a), r#"{"type": "stats", "data": {"@a": -3}}"#);
}

/// `@c[1] = count(); @c[2] = count() x2; @c[3] = count() x3; print(@c, 2);
/// print(@c, 0, 2); print(@c, 1, 2);`
#[test]
fn count_top_and_div() {
    let c = map(
        "@c",
        true,
        vec![(int(3), count(3)), (int(1), count(1)), (int(2), count(2))],
    );
    assert_eq!(
        print_map(&c, 2, 1),
        r#"{"type": "map", "data": {"@c": {"2": 2, "3": 3}}}"#
    );
    assert_eq!(
        print_map(&c, 0, 2),
        r#"{"type": "map", "data": {"@c": {"1": 0, "2": 1, "3": 1}}}"#
    );
    assert_eq!(
        print_map(&c, 1, 2),
        r#"{"type": "map", "data": {"@c": {"3": 1}}}"#
    );
}

/// `@mn[1] = min(-5); @mn[2] = min(3); @mn[3] = min(0); @mx[2] = max(3);
/// @mx[3] = max(0); @sm[1] = sum(-5); @sm[2] = sum(3); @sm[3] = sum(0);`
#[test]
fn min_max_sum_signed_order() {
    let mn = map(
        "@mn",
        true,
        vec![
            (int(2), agg(AggValue::Min(Some(3)))),
            (int(1), agg(AggValue::Min(Some(-5)))),
            (int(3), agg(AggValue::Min(Some(0)))),
        ],
    );
    assert_eq!(
        map_line(&mn),
        r#"{"type": "map", "data": {"@mn": {"1": -5, "3": 0, "2": 3}}}"#
    );
    let mx = map(
        "@mx",
        true,
        vec![
            (int(2), agg(AggValue::Max(Some(3)))),
            (int(3), agg(AggValue::Max(Some(0)))),
        ],
    );
    assert_eq!(
        map_line(&mx),
        r#"{"type": "map", "data": {"@mx": {"3": 0, "2": 3}}}"#
    );
    let sm = map(
        "@sm",
        true,
        vec![
            (int(2), agg(AggValue::Sum(3))),
            (int(3), agg(AggValue::Sum(0))),
            (int(1), agg(AggValue::Sum(-5))),
        ],
    );
    assert_eq!(
        map_line(&sm),
        r#"{"type": "map", "data": {"@sm": {"1": -5, "3": 0, "2": 3}}}"#
    );
}

/// `@x[1] = 5; @x[2] = -3; @x[3] = 0; print(@x); print(@x, 2, 2);
/// @y[1] = (uint64)5; @y[2] = (uint64)-1; print(@y);`
#[test]
fn plain_integer_values() {
    let x = map(
        "@x",
        true,
        vec![
            (int(1), plain(int(5))),
            (int(2), plain(int(-3))),
            (int(3), plain(int(0))),
        ],
    );
    assert_eq!(
        map_line(&x),
        r#"{"type": "map", "data": {"@x": {"2": -3, "3": 0, "1": 5}}}"#
    );
    assert_eq!(
        print_map(&x, 2, 2),
        r#"{"type": "map", "data": {"@x": {"3": 0, "1": 2}}}"#
    );
    let y = map(
        "@y",
        true,
        vec![
            (int(2), plain(Value::UInt(u64::MAX))),
            (int(1), plain(Value::UInt(5))),
        ],
    );
    assert_eq!(
        map_line(&y),
        r#"{"type": "map", "data": {"@y": {"1": 5, "2": 18446744073709551615}}}"#
    );
}

/// `@s[1] = "x"; @s[-1] = "y"; @s[256] = "z"; @s[2] = "w"; @t["b"] = "1";
/// @t["a"] = "2"; @t["ab"] = "3"; @u[2, "a"] = "p"; @u[1, "b"] = "q";
/// @u[1, "a"] = "r"; @u[2, "b"] = "s";`: string values sort by key.
#[test]
fn string_values_sorted_by_key() {
    let sm = map(
        "@s",
        true,
        vec![
            (int(-1), plain(s("y"))),
            (int(256), plain(s("z"))),
            (int(2), plain(s("w"))),
            (int(1), plain(s("x"))),
        ],
    );
    assert_eq!(
        map_line(&sm),
        r#"{"type": "map", "data": {"@s": {"1": "x", "2": "w", "256": "z", "-1": "y"}}}"#
    );
    let t = map(
        "@t",
        true,
        vec![
            (s("ab"), plain(s("3"))),
            (s("b"), plain(s("1"))),
            (s("a"), plain(s("2"))),
        ],
    );
    assert_eq!(
        map_line(&t),
        r#"{"type": "map", "data": {"@t": {"a": "2", "ab": "3", "b": "1"}}}"#
    );
    let key = |i: i64, t: &str| tuple(vec![int(i), s(t)]);
    let u = map(
        "@u",
        true,
        vec![
            (key(2, "b"), plain(s("s"))),
            (key(1, "a"), plain(s("r"))),
            (key(2, "a"), plain(s("p"))),
            (key(1, "b"), plain(s("q"))),
        ],
    );
    assert_eq!(
        map_line(&u),
        r#"{"type": "map", "data": {"@u": {"1,a": "r", "1,b": "q", "2,a": "p", "2,b": "s"}}}"#
    );
}

/// `@s[1] = "a"; @s[2] = "b"; @s[3] = "c"; print(@s, 2, 2); @t[1] = (1, "a");
/// @t[2] = (-3, "b"); print(@t, 1, 2); @u[1] = (2, "b"); @u[0] = (3, "c");
/// print(@u);`: the divisor reaches into tuples.
#[test]
fn string_and_tuple_values_top_div() {
    let sm = map(
        "@s",
        true,
        vec![
            (int(3), plain(s("c"))),
            (int(1), plain(s("a"))),
            (int(2), plain(s("b"))),
        ],
    );
    assert_eq!(
        print_map(&sm, 2, 2),
        r#"{"type": "map", "data": {"@s": {"2": "b", "3": "c"}}}"#
    );
    let t = map(
        "@t",
        true,
        vec![
            (int(2), plain(tuple(vec![int(-3), s("b")]))),
            (int(1), plain(tuple(vec![int(1), s("a")]))),
        ],
    );
    assert_eq!(
        print_map(&t, 1, 2),
        r#"{"type": "map", "data": {"@t": {"2": [-1,"b"]}}}"#
    );
    let u = map(
        "@u",
        true,
        vec![
            (int(1), plain(tuple(vec![int(2), s("b")]))),
            (int(0), plain(tuple(vec![int(3), s("c")]))),
        ],
    );
    assert_eq!(
        map_line(&u),
        r#"{"type": "map", "data": {"@u": {"0": [3,"c"], "1": [2,"b"]}}}"#
    );
}

/// `@m[1] = 5; delete(@m[1]); print(@m);`: an empty map prints nothing.
#[test]
fn empty_map_prints_nothing() {
    assert_eq!(output(|out| out.map(&map("@m", true, vec![]), 0, 1)), "");
}
