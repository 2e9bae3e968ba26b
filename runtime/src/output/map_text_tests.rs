//! Map rendering against bpftrace 0.17. Every expected string was printed
//! by bpftrace for the program quoted above the assertion.

use super::*;
use crate::output::test_maps::*;
use rtrace_stdlib::value::AggValue;

const FULL: &str = "@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@";

/// `BEGIN { @h = hist(5); @h = hist(0); @h = hist(-1); @h=hist(1000);
/// @l = lhist(15, 0, 100, 10); @s = stats(10); @a = avg(7); @c[1] = count();
/// @c[2] = count(); @c[2]=count(); @m = min(-3); @x["a","b"] = count();
/// exit(); }`, the maps bpftrace dumps at exit, one by one.
#[test]
fn one_of_each_kind() {
    assert_eq!(render_map(&scalar("@a", avg(&[7])), 0, 1), "@a: 7\n\n");
    let c = map("@c", true, vec![(int(2), count(2)), (int(1), count(1))]);
    assert_eq!(render_map(&c, 0, 1), "@c[1]: 1\n@c[2]: 2\n");
    let h = scalar("@h", hist(&[5, 0, -1, 1000]));
    let expected = format!(
        "@h: \n\
(..., 0)               1 |{FULL}|
[0]                    1 |{FULL}|
[1]                    0 |                                                    |
[2, 4)                 0 |                                                    |
[4, 8)                 1 |{FULL}|
[8, 16)                0 |                                                    |
[16, 32)               0 |                                                    |
[32, 64)               0 |                                                    |
[64, 128)              0 |                                                    |
[128, 256)             0 |                                                    |
[256, 512)             0 |                                                    |
[512, 1K)              1 |{FULL}|

"
    );
    assert_eq!(render_map(&h, 0, 1), expected);
    let l = scalar("@l", lhist(&[15], 0, 100, 10));
    assert_eq!(
        render_map(&l, 0, 1),
        format!("@l: \n[10, 20)               1 |{FULL}|\n\n")
    );
    let m = scalar("@m", agg(AggValue::Min(Some(-3))));
    assert_eq!(render_map(&m, 0, 1), "@m: -3\n");
    let st = scalar("@s", stats(&[10]));
    assert_eq!(
        render_map(&st, 0, 1),
        "@s: count 1, average 10, total 10\n\n"
    );
    let x = map("@x", true, vec![(tuple(vec![s("a"), s("b")]), count(1))]);
    assert_eq!(render_map(&x, 0, 1), "@x[a, b]: 1\n");
}

/// `@x = 5; print(@x); @y = "str"; print(@y); @t = (1, "a"); print(@t);
/// @ = count(); print(@);`
#[test]
fn scalar_plain_values() {
    assert_eq!(render_map(&scalar("@x", plain(int(5))), 0, 1), "@x: 5\n");
    assert_eq!(
        render_map(&scalar("@y", plain(s("str"))), 0, 1),
        "@y: str\n"
    );
    let t = scalar("@t", plain(tuple(vec![int(1), s("a")])));
    assert_eq!(render_map(&t, 0, 1), "@t: (1, a)\n");
    assert_eq!(render_map(&scalar("@", count(1)), 0, 1), "@: 1\n");
    let keyed = map("@", true, vec![(int(1), count(1))]);
    assert_eq!(render_map(&keyed, 0, 1), "@[1]: 1\n");
}

/// A cleared map still prints its terminating newline.
#[test]
fn empty_map() {
    assert_eq!(render_map(&map("@c", true, vec![]), 0, 1), "\n");
}

/// `@h[1] = hist(1); @h[256] = hist(1); @h[2] = hist(1); @h[2] = hist(100);
/// @h[-1] = hist(5);`: hist maps sort by total count, ties in the byte
/// order of the little-endian keys (256 before 1 before -1).
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
    let expected = format!(
        "@h[256]: \n\
[1]                    1 |{FULL}|

@h[1]: \n\
[1]                    1 |{FULL}|

@h[-1]: \n\
[4, 8)                 1 |{FULL}|

@h[2]: \n\
[1]                    1 |{FULL}|
[2, 4)                 0 |                                                    |
[4, 8)                 0 |                                                    |
[8, 16)                0 |                                                    |
[16, 32)               0 |                                                    |
[32, 64)               0 |                                                    |
[64, 128)              1 |{FULL}|

"
    );
    assert_eq!(render_map(&h, 0, 1), expected);
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
    let one = format!("[1]                    1 |{FULL}|\n");
    let expected = format!(
        "@h[a]: \n{one}\n@h[ab]: \n{one}\n@h[b]: \n{one}\n@h[c]: \n[1]                    2 |{FULL}|\n\n"
    );
    assert_eq!(render_map(&h, 0, 1), expected);
}

/// Twenty keys, `@h[i]` getting `(i*7)%3+1` samples of `hist(i)`. With more
/// than 16 entries libstdc++'s sort is no longer stable, and bpftrace
/// printed the ties in this order at exit:
/// 3 6 18 9 12 15 | 4 19 7 10 1 13 16 | 11 20 17 14 8 5 2.
/// `print(@h, 5, 2)` printed the last five with halved counts.
#[test]
fn many_hist_keys_tie_order_and_top_div() {
    let mut entries = Vec::new();
    // Any snapshot order: bpftrace orders by key bytes before sorting.
    for i in [
        7, 20, 1, 13, 4, 16, 10, 19, 2, 11, 5, 17, 14, 8, 3, 6, 9, 12, 15, 18,
    ] {
        let samples = vec![i; ((i * 7) % 3 + 1) as usize];
        entries.push((int(i), hist(&samples)));
    }
    let h = map("@h", true, entries);
    let all = render_map(&h, 0, 1);
    let order: Vec<&str> = all.lines().filter(|l| l.starts_with('@')).collect();
    let expected: Vec<String> = [
        3, 6, 18, 9, 12, 15, 4, 19, 7, 10, 1, 13, 16, 11, 20, 17, 14, 8, 5, 2,
    ]
    .iter()
    .map(|i| format!("@h[{i}]: "))
    .collect();
    assert_eq!(order, expected);

    let expected = format!(
        "@h[17]: \n\
[16, 32)               1 |{FULL}|

@h[14]: \n\
[8, 16)                1 |{FULL}|

@h[8]: \n\
[8, 16)                1 |{FULL}|

@h[5]: \n\
[4, 8)                 1 |{FULL}|

@h[2]: \n\
[2, 4)                 1 |{FULL}|

"
    );
    assert_eq!(render_map(&h, 5, 2), expected);
}

/// `@l = lhist(-5|150|100|55, 0, 100, 10); print(@l, 0, 2);`: lhist ignores
/// the divisor.
#[test]
fn lhist_map_ignores_div() {
    let l = scalar("@l", lhist(&[-5, 150, 100, 55], 0, 100, 10));
    let expected = "@l: \n\
(..., 0)               1 |@@@@@@@@@@@@@@@@@@@@@@@@@@                          |
[0, 10)                0 |                                                    |
[10, 20)               0 |                                                    |
[20, 30)               0 |                                                    |
[30, 40)               0 |                                                    |
[40, 50)               0 |                                                    |
[50, 60)               1 |@@@@@@@@@@@@@@@@@@@@@@@@@@                          |
[60, 70)               0 |                                                    |
[70, 80)               0 |                                                    |
[80, 90)               0 |                                                    |
[90, 100)              0 |                                                    |
[100, ...)             2 |@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@|

";
    assert_eq!(render_map(&l, 0, 1), expected);
    assert_eq!(render_map(&l, 0, 2), expected);
}

/// `@a[1] = avg(10); @a[2] = avg(5); @a[3] = avg(-4); @a[4]=avg(5);
/// @a[4]=avg(6); @s[1] = stats(10); @s[2] = stats(5); @s[3]=stats(-7);
/// @s[3]=stats(0);`: sorted by average (truncated), ties by key.
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
        render_map(&a, 0, 1),
        "@a[3]: -4\n@a[2]: 5\n@a[4]: 5\n@a[1]: 10\n\n"
    );
    let st = map(
        "@s",
        true,
        vec![
            (int(1), stats(&[10])),
            (int(2), stats(&[5])),
            (int(3), stats(&[-7, 0])),
        ],
    );
    assert_eq!(
        render_map(&st, 0, 1),
        "@s[3]: count 2, average -3, total -7\n\
         @s[2]: count 1, average 5, total 5\n\
         @s[1]: count 1, average 10, total 10\n\n"
    );
}

/// `@a[1] = avg(10); @a[2] = avg(21); @a[3]=avg(-7); print(@a, 2);
/// print(@a, 0, 2); @s[1] = stats(10); @s[2]=stats(20); @s[3] = stats(-5);
/// print(@s, 1); print(@s, 0, 2);`: stats ignores top and div (bpftrace
/// warns about it).
#[test]
fn avg_top_div_and_stats_ignoring_them() {
    let a = map(
        "@a",
        true,
        vec![
            (int(1), avg(&[10])),
            (int(2), avg(&[21])),
            (int(3), avg(&[-7])),
        ],
    );
    assert_eq!(render_map(&a, 2, 1), "@a[1]: 10\n@a[2]: 21\n\n");
    assert_eq!(render_map(&a, 0, 2), "@a[3]: -3\n@a[1]: 5\n@a[2]: 10\n\n");
    let st = map(
        "@s",
        true,
        vec![
            (int(1), stats(&[10])),
            (int(2), stats(&[20])),
            (int(3), stats(&[-5])),
        ],
    );
    let expected = "@s[3]: count 1, average -5, total -5\n\
                    @s[1]: count 1, average 10, total 10\n\
                    @s[2]: count 1, average 20, total 20\n\n";
    assert_eq!(render_map(&st, 1, 1), expected);
    assert_eq!(render_map(&st, 0, 2), expected);
}

/// `@a = avg(-7); @a = avg(0); print(@a, 0, 2); print(@a);`: the average
/// truncates towards zero, then the divisor does again.
#[test]
fn avg_negative_division() {
    let a = scalar("@a", avg(&[-7, 0]));
    assert_eq!(render_map(&a, 0, 2), "@a: -1\n\n");
    assert_eq!(render_map(&a, 0, 1), "@a: -3\n\n");
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
    assert_eq!(render_map(&c, 0, 1), "@c[1]: 1\n@c[2]: 2\n@c[3]: 3\n");
    assert_eq!(render_map(&c, 2, 1), "@c[2]: 2\n@c[3]: 3\n");
    assert_eq!(render_map(&c, 0, 2), "@c[1]: 0\n@c[2]: 1\n@c[3]: 1\n");
    assert_eq!(render_map(&c, 1, 2), "@c[3]: 1\n");
    // Larger than the map: everything.
    assert_eq!(render_map(&c, 10, 1), "@c[1]: 1\n@c[2]: 2\n@c[3]: 3\n");
}

/// Equal counts keep the kernel's iteration order (bpftrace printed
/// `@c[1..5]` in a different order on every run, following the hash).
#[test]
fn count_ties_keep_snapshot_order() {
    let c = map(
        "@c",
        true,
        [3, 1, 5, 2, 4]
            .iter()
            .map(|&i| (int(i), count(1)))
            .collect(),
    );
    assert_eq!(
        render_map(&c, 0, 1),
        "@c[3]: 1\n@c[1]: 1\n@c[5]: 1\n@c[2]: 1\n@c[4]: 1\n"
    );
}

/// `@mn[1] = min(-5); @mn[2] = min(3); @mn[3]=min(0); @mx[2] = max(3);
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
    assert_eq!(render_map(&mn, 0, 1), "@mn[1]: -5\n@mn[3]: 0\n@mn[2]: 3\n");
    let mx = map(
        "@mx",
        true,
        vec![
            (int(2), agg(AggValue::Max(Some(3)))),
            (int(3), agg(AggValue::Max(Some(0)))),
        ],
    );
    assert_eq!(render_map(&mx, 0, 1), "@mx[3]: 0\n@mx[2]: 3\n");
    let sm = map(
        "@sm",
        true,
        vec![
            (int(1), agg(AggValue::Sum(-5))),
            (int(2), agg(AggValue::Sum(3))),
            (int(3), agg(AggValue::Sum(0))),
        ],
    );
    assert_eq!(render_map(&sm, 0, 1), "@sm[1]: -5\n@sm[3]: 0\n@sm[2]: 3\n");
}

/// `@m[1] = min(-7); @m[2] = min(9); print(@m, 1, 2); print(@m, 0, 2);
/// @x[1] = max(7); @x[2] = max(9); print(@x, 0, 2); @u[1] = sum(-7);
/// @u[2] = sum(9); print(@u, 0, 2);`
#[test]
fn min_max_sum_div() {
    let m = map(
        "@m",
        true,
        vec![
            (int(1), agg(AggValue::Min(Some(-7)))),
            (int(2), agg(AggValue::Min(Some(9)))),
        ],
    );
    assert_eq!(render_map(&m, 1, 2), "@m[2]: 4\n");
    assert_eq!(render_map(&m, 0, 2), "@m[1]: -3\n@m[2]: 4\n");
    let x = map(
        "@x",
        true,
        vec![
            (int(1), agg(AggValue::Max(Some(7)))),
            (int(2), agg(AggValue::Max(Some(9)))),
        ],
    );
    assert_eq!(render_map(&x, 0, 2), "@x[1]: 3\n@x[2]: 4\n");
    let u = map(
        "@u",
        true,
        vec![
            (int(1), agg(AggValue::Sum(-7))),
            (int(2), agg(AggValue::Sum(9))),
        ],
    );
    assert_eq!(render_map(&u, 0, 2), "@u[1]: -3\n@u[2]: 4\n");
}

/// `@x[1] = 5; @x[2] = -3; @x[3] = 0; print(@x); print(@x, 2, 2);
/// @y[1] = (uint64)5; @y[2]=(uint64)-1; print(@y);`
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
    assert_eq!(render_map(&x, 0, 1), "@x[2]: -3\n@x[3]: 0\n@x[1]: 5\n");
    assert_eq!(render_map(&x, 2, 2), "@x[3]: 0\n@x[1]: 2\n");
    let y = map(
        "@y",
        true,
        vec![
            (int(2), plain(Value::UInt(u64::MAX))),
            (int(1), plain(Value::UInt(5))),
        ],
    );
    assert_eq!(
        render_map(&y, 0, 1),
        "@y[1]: 5\n@y[2]: 18446744073709551615\n"
    );
}

/// `@z["a b"] = 1; @z[""] = 2; print(@z);`: string keys are not quoted.
#[test]
fn string_keys_unquoted() {
    let z = map("@z", true, vec![(s(""), count(2)), (s("a b"), count(1))]);
    assert_eq!(render_map(&z, 0, 1), "@z[a b]: 1\n@z[]: 2\n");
}

/// `@s[1] = "x"; @s[-1] = "y"; @s[256] = "z"; @s[2] = "w"; @t["b"] = "1";
/// @t["a"] = "2"; @t["ab"] = "3"; @u[2, "a"] = "p"; @u[1, "b"] = "q";
/// @u[1, "a"] = "r"; @u[2, "b"] = "s";`: string values sort by key, with
/// integer keys compared as unsigned.
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
        render_map(&sm, 0, 1),
        "@s[1]: x\n@s[2]: w\n@s[256]: z\n@s[-1]: y\n"
    );
    let t = map(
        "@t",
        true,
        vec![
            (s("b"), plain(s("1"))),
            (s("ab"), plain(s("3"))),
            (s("a"), plain(s("2"))),
        ],
    );
    assert_eq!(render_map(&t, 0, 1), "@t[a]: 2\n@t[ab]: 3\n@t[b]: 1\n");
    let key = |i: i64, k: &str| tuple(vec![int(i), s(k)]);
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
        render_map(&u, 0, 1),
        "@u[1, a]: r\n@u[1, b]: q\n@u[2, a]: p\n@u[2, b]: s\n"
    );
}

/// `@s[1] = "a"; @s[2] = "b"; @s[3] = "c"; print(@s, 2, 2); @t[1] = (1,"a");
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
    assert_eq!(render_map(&sm, 2, 2), "@s[2]: b\n@s[3]: c\n");
    let t = map(
        "@t",
        true,
        vec![
            (int(2), plain(tuple(vec![int(-3), s("b")]))),
            (int(1), plain(tuple(vec![int(1), s("a")]))),
        ],
    );
    assert_eq!(render_map(&t, 1, 2), "@t[2]: (-1, b)\n");
    let u = map(
        "@u",
        true,
        vec![
            (int(1), plain(tuple(vec![int(2), s("b")]))),
            (int(0), plain(tuple(vec![int(3), s("c")]))),
        ],
    );
    assert_eq!(render_map(&u, 0, 1), "@u[0]: (3, c)\n@u[1]: (2, b)\n");
}

/// `print(5); print(-5); print("str"); print((1, "a", -2));
/// print((1, (2, "x")));` (each line without its newline).
#[test]
fn values() {
    assert_eq!(render_value(&int(5)), "5");
    assert_eq!(render_value(&int(-5)), "-5");
    assert_eq!(render_value(&Value::UInt(u64::MAX)), "18446744073709551615");
    assert_eq!(render_value(&s("str")), "str");
    assert_eq!(
        render_value(&tuple(vec![int(1), s("a"), int(-2)])),
        "(1, a, -2)"
    );
    assert_eq!(
        render_value(&tuple(vec![int(1), tuple(vec![int(2), s("x")])])),
        "(1, (2, x))"
    );
}

fn one_frame_stack(key: u64, function: &str) -> Value {
    Value::Stack(rtrace_stdlib::value::Stack {
        key,
        user: false,
        mode: rtrace_lang::types::StackMode::Bpftrace,
        found: true,
        frames: vec![rtrace_stdlib::value::Frame {
            address: 0xffff_ffff_8100_0010,
            function: Some(function.into()),
            offset: 16,
            module: None,
        }],
    })
}

/// Stack keys are indented by 4, stack values by 8; stack and symbol
/// values are not followed by a newline of their own (bpftrace joins them
/// with nothing and ends the map with one newline).
#[test]
fn stacks_and_symbols() {
    let keyed = map(
        "@",
        true,
        vec![(
            tuple(vec![one_frame_stack(1, "do_sys"), s("bash")]),
            count(2),
        )],
    );
    assert_eq!(render_map(&keyed, 0, 1), "@[\n    do_sys+16\n, bash]: 2\n");
    let values = map(
        "@v",
        true,
        vec![
            (int(1), plain(one_frame_stack(1, "f"))),
            (int(2), plain(one_frame_stack(2, "g"))),
        ],
    );
    assert_eq!(
        render_map(&values, 0, 1),
        "@v[1]: \n        f+16\n@v[2]: \n        g+16\n\n"
    );
    let symbols = scalar(
        "@s",
        plain(Value::Sym(rtrace_stdlib::value::Symbol {
            address: 1,
            text: "vfs_read".into(),
        })),
    );
    assert_eq!(render_map(&symbols, 0, 1), "@s: vfs_read\n");
}
