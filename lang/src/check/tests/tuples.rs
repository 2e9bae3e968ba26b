//! Tuples, and the value forms around them (booleans, `?:`, scoping of
//! scratch variables), checked from source text. Diagnostics are asserted
//! as the user sees them, rendered.

use super::{run, Checked, Diagnostics, MapValueType, Type};
use crate::diagnostic::render;

fn check_src(src: &str) -> Result<Checked, Diagnostics> {
    let program = crate::parse(src).unwrap_or_else(|d| panic!("{src:?}: {d:?}"));
    run(&program)
}

fn ok(src: &str) -> Checked {
    check_src(src).unwrap_or_else(|d| panic!("{}", render(&d, "-e", src, false)))
}

/// The rendered diagnostics of a program that must not check.
fn errors(src: &str) -> String {
    match check_src(src) {
        Ok(_) => panic!("{src:?} should not check"),
        Err(d) => render(&d, "-e", src, false),
    }
}

fn var(checked: &Checked, probe: usize, name: &str) -> Type {
    checked.probes[probe].vars[name]
}

#[test]
fn tuple_literals_have_the_types_of_their_elements() {
    let c = ok(r#"BEGIN { $t = (1, "ab", (2, "c")); $s = $t.1; $n = $t.2.0; }"#);
    let inner = Type::tuple(&[Type::I64, Type::Str(2)]);
    assert_eq!(
        var(&c, 0, "t"),
        Type::tuple(&[Type::I64, Type::Str(3), inner])
    );
    assert_eq!(
        var(&c, 0, "t").to_string(),
        "(int64,string[3],(int64,string[2]))"
    );
    assert_eq!(var(&c, 0, "s"), Type::Str(3));
    assert_eq!(var(&c, 0, "n"), Type::I64);
}

#[test]
fn tuple_strings_widen_element_by_element() {
    let c = ok(r#"BEGIN { $t = (1, "ab"); $t = (2, "abcd"); @m = (1, "a"); @m = (2, "abc"); }"#);
    let wide = Type::tuple(&[Type::I64, Type::Str(5)]);
    assert_eq!(var(&c, 0, "t"), wide);
    assert_eq!(
        c.maps["m"].value,
        MapValueType::Plain(Type::tuple(&[Type::I64, Type::Str(4)]))
    );
}

#[test]
fn a_tuple_key_is_a_multi_part_key() {
    let c = ok(r#"BEGIN { @[(1, "a")] = 1; @[2, "b"] = 2; $k = (3, "cd"); @[$k] = 3; }"#);
    assert_eq!(c.maps[""].keys, Some(vec![Type::I64, Type::Str(3)]));
}

#[test]
fn tuples_in_arithmetic_are_errors() {
    let rendered = errors("BEGIN { $t = (1, 2); $x = $t + 1; }");
    assert_eq!(
        rendered,
        "\
error: operator '+' cannot be applied to (int64,int64) and int64
  ┌─ -e:1:27
  │
1 │ BEGIN { $t = (1, 2); $x = $t + 1; }
  │                           ^^ a tuple: tuples support no operators
  │
  = help: read one element of the tuple with .N, for example `$t.0`

"
    );
    let rendered = errors("BEGIN { $t = (1, 2); $x = -$t; }");
    assert!(
        rendered.contains("error: operator '-' needs an integer, found (int64,int64)"),
        "{rendered}"
    );
    assert!(rendered.contains("for example `$t.0`"), "{rendered}");
    let rendered = errors("BEGIN { $x = (1, 2) == (1, 2); }");
    assert!(
        rendered.contains("operator '==' cannot be applied"),
        "{rendered}"
    );
}

#[test]
fn out_of_range_index_points_at_the_index() {
    let rendered = errors("BEGIN { $t = (1, 2); $x = $t.2; }");
    assert_eq!(
        rendered,
        "\
error: tuple index 2 is out of range
  ┌─ -e:1:30
  │
1 │ BEGIN { $t = (1, 2); $x = $t.2; }
  │                           -- ^ (int64,int64) has 2 elements
  │                           │   
  │                           this is (int64,int64)
  │
  = help: elements are numbered from 0: .0 to .1

"
    );
}

#[test]
fn index_of_a_non_tuple() {
    let rendered = errors("BEGIN { $x = 1; $y = $x.0; }");
    assert!(
        rendered.contains("error: `.0` reads an element of a tuple, but this is int64"),
        "{rendered}"
    );
    assert!(rendered.contains("-e:1:22"), "{rendered}");
}

#[test]
fn tuple_type_mismatch_on_reassignment() {
    let rendered = errors(r#"BEGIN { @t = (1, 2); @t = (1, "a"); }"#);
    assert_eq!(
        rendered,
        "\
error: @t is a (int64,string[2]) map here but a (int64,int64) map elsewhere
  ┌─ -e:1:22
  │
1 │ BEGIN { @t = (1, 2); @t = (1, \"a\"); }
  │         --           ^^ conflicting assignment
  │         │             
  │         first assigned here
  │
  = help: the tuples differ at element .1: int64 and string[2]

"
    );
    let rendered = errors("BEGIN { $t = (1, 2); $t = (1, 2, 3); }");
    assert!(
        rendered.contains("$t holds (int64,int64); it cannot be assigned (int64,int64,int64)"),
        "{rendered}"
    );
    assert!(
        rendered.contains("help: the tuples differ in length: 2 and 3 elements"),
        "{rendered}"
    );
    let rendered = errors("BEGIN { @t = (1, 2); @t = 3; }");
    assert!(rendered.contains("-e:1:22"), "{rendered}");
}

#[test]
fn tuple_elements_cannot_be_assigned() {
    let rendered = errors("BEGIN { $t = (1, 2); $t.0 = 5; }");
    assert!(
        rendered.contains("error: the elements of a tuple cannot be assigned"),
        "{rendered}"
    );
    assert!(rendered.contains("-e:1:22"), "{rendered}");
    assert!(rendered.contains("`$t = (..., ...)`"), "{rendered}");
}

#[test]
fn tuple_keys_must_be_flat_and_alone() {
    let rendered = errors("BEGIN { @a[(1, 2), 3] = 1; @b[(1, (2, 3))] = 1; }");
    assert!(
        rendered.contains("error: a tuple key must be the map's only key"),
        "{rendered}"
    );
    assert!(rendered.contains("-e:1:12"), "{rendered}");
    assert!(
        rendered.contains("error: a map key cannot hold a nested tuple"),
        "{rendered}"
    );
    // A tuple key is checked against the map's other keys part by part.
    let rendered = errors(r#"BEGIN { @[(1, 2)] = 1; @[1, "a"] = 2; }"#);
    assert!(
        rendered.contains("@ is keyed by int64 here, but this key is string[2]"),
        "{rendered}"
    );
}

#[test]
fn tuple_branches_of_a_ternary_must_unify() {
    let c = ok(r#"BEGIN { $t = 1 > 0 ? (1, "a") : (2, "bcd"); }"#);
    assert_eq!(var(&c, 0, "t"), Type::tuple(&[Type::I64, Type::Str(4)]));
    let rendered = errors(r#"BEGIN { $t = 1 ? (1, 2) : (1, "a"); }"#);
    assert!(
        rendered.contains("the branches of '?:' differ: (int64,int64) and (int64,string[2])"),
        "{rendered}"
    );
    assert!(rendered.contains("differ at element .1"), "{rendered}");
}

#[test]
fn booleans_and_ternaries_are_values() {
    let c = ok(
        r#"BEGIN { $b = 2 > 1; $n = !$b; $s = $b ? "yes" : "no"; $i = $b ? 1 : -1; @b = 1 == 1; }"#,
    );
    assert!(var(&c, 0, "b").is_int());
    assert!(var(&c, 0, "n").is_int());
    // The longer branch decides the buffer.
    assert_eq!(var(&c, 0, "s"), Type::Str(4));
    assert_eq!(var(&c, 0, "i"), Type::I64);
    let rendered = errors(r#"BEGIN { $x = 1 ? 2 : "two"; }"#);
    assert!(
        rendered.contains("the branches of '?:' differ: int64 and string[4]"),
        "{rendered}"
    );
}

#[test]
fn scratch_variables_belong_to_their_probe() {
    // The same name, of different types, in two probes.
    let c = ok(r#"BEGIN { $x = 1; } END { $x = "one"; }"#);
    assert_eq!(var(&c, 0, "x"), Type::I64);
    assert_eq!(var(&c, 1, "x"), Type::Str(4));
    // Assigned in one probe, read in another: an error at the read.
    let rendered = errors("BEGIN { $x = 1; } END { $y = $x; }");
    assert_eq!(
        rendered,
        "\
error: variable $x is used before it is assigned
  ┌─ -e:1:30
  │
1 │ BEGIN { $x = 1; } END { $y = $x; }
  │                              ^^ not assigned yet
  │
  = help: scratch variables are local to one probe; assign it earlier in this probe

"
    );
    let rendered = errors("BEGIN { $y = $x + 1; $x = 1; }");
    assert!(rendered.contains("-e:1:14"), "{rendered}");
}
