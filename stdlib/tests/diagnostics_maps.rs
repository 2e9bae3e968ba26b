//! Diagnostics of maps and aggregations: misused aggregations, map type
//! conflicts, and the arguments of the aggregation and map functions.
//! Each line is one diagnostic: program, message, caret text, help.

mod common;

use common::{expect_all, expect_ok, Case};
use rtrace_lang::config::Config;

#[rustfmt::skip]
const AGGREGATION_MISUSE: &[Case] = &[
    ("BEGIN { @x = count(); @x = 1; }", "@x is an int64 map here but count() map elsewhere", "@x", "can only be updated by the same aggregation"),
    ("BEGIN { @x = 1; @x = count(); }", "@x is count() map here but an int64 map elsewhere", "@x", ""),
    ("BEGIN { @x = count(); @x = sum(1); }", "@x is sum() map here but count() map elsewhere", "@x", ""),
    ("BEGIN { count(); }", "count() must be assigned to a map", "count()", "write `@m[k] = count()`"),
    ("BEGIN { $x = sum(1); }", "sum() can only be assigned to a map", "sum(1)", "write `@x = sum(...)`"),
    ("BEGIN { @x = count(); @y = @x + 1; }", "count() values cannot be used in expressions", "@x", "print(@map)"),
    ("BEGIN { @x += count(); }", "count() cannot be used with a compound assignment", "count()", ""),
    ("BEGIN { @[count()] = 1; }", "count() must be assigned to a map", "count()", ""),
    ("BEGIN { @x = count(); @[@x] = 1; }", "count() values cannot be used in expressions", "@x", ""),
];

#[rustfmt::skip]
const MAP_TYPES: &[Case] = &[
    ("BEGIN { @x = 1; @x = \"s\"; }", "@x is a string[2] map here but an int64 map elsewhere", "@x", ""),
    ("BEGIN { @x[1] = 1; @x[\"k\"] = 2; }", "@x is keyed by int64 here, but this key is string[2]", "\"k\"", ""),
    ("BEGIN { @x[1] = 1; @x[1, 2] = 2; }", "@x is used with 2 keys here but 1 key elsewhere", "@x[1, 2]", ""),
    ("BEGIN { @x = 1; @x[1] = 2; }", "@x is used with 1 key here but no key elsewhere", "@x[1]", ""),
    ("BEGIN { @x += \"s\"; }", "compound assignment needs an integer value", "\"s\"", ""),
    ("BEGIN { print(@nope); }", "map @nope is read but never assigned", "@nope", ""),
    ("BEGIN { $t = (struct task_struct *)curtask; @y = *$t; }", "struct task_struct cannot be stored whole", "*$t", "store one of its members"),
];

#[rustfmt::skip]
const AGGREGATION_ARGUMENTS: &[Case] = &[
    ("BEGIN { @ = count(1); }", "count() takes 0 arguments, 1 given", "count(1)", "usage: @m[k] = count()"),
    ("BEGIN { @ = sum(); }", "sum() takes 1 argument, 0 given", "sum()", "usage: @m[k] = sum(int)"),
    ("BEGIN { @ = sum(1, 2); }", "sum() takes 1 argument, 2 given", "sum(1, 2)", ""),
    ("BEGIN { @ = sum(comm); }", "sum() expects an integer here, found string[16]", "comm", ""),
    ("BEGIN { @ = avg(\"a\"); }", "avg() expects an integer here, found string[2]", "\"a\"", ""),
    ("BEGIN { @ = hist(); }", "hist() takes 1 argument, 0 given", "hist()", "usage: @m[k] = hist(int)"),
    ("BEGIN { @ = hist(comm); }", "hist() expects an integer here, found string[16]", "comm", ""),
    ("BEGIN { @ = lhist(1, 0, 10); }", "lhist() takes 4 arguments, 3 given", "lhist(1, 0, 10)", "usage: @m[k] = lhist(int, min, max, step)"),
    ("BEGIN { @ = lhist(comm, 0, 10, 1); }", "lhist() expects an integer here, found string[16]", "comm", ""),
    ("BEGIN { $m = 0; @ = lhist(1, $m, 10, 1); }", "lhist() min must be an integer literal", "$m", ""),
    ("BEGIN { @ = lhist(1, 0, pid, 1); }", "lhist() max must be an integer literal", "pid", ""),
    ("BEGIN { @ = lhist(1, 0, 10, pid); }", "lhist() step must be an integer literal", "pid", ""),
    ("BEGIN { @ = lhist(1, -1, 10, 1); }", "lhist() needs 0 <= min < max", "lhist(1, -1, 10, 1)", ""),
    ("BEGIN { @ = lhist(1, 10, 10, 1); }", "lhist() needs 0 <= min < max", "lhist(1, 10, 10, 1)", ""),
    ("BEGIN { @ = lhist(1, 0, 10, 0); }", "lhist() step must be positive", "0", ""),
    ("BEGIN { @ = lhist(1, 0, 10000, 1); }", "lhist() would have more than 1000 buckets", "lhist(1, 0, 10000, 1)", "use a larger step"),
];

#[rustfmt::skip]
const MAP_FUNCTIONS: &[Case] = &[
    ("BEGIN { delete(); }", "delete() takes 1 argument, 0 given", "delete()", "usage: delete(@map[key])"),
    ("BEGIN { delete(1); }", "delete() expects a map argument", "1", "usage: delete(@map[key])"),
    ("BEGIN { $x = 1; delete($x); }", "delete() expects a map argument", "$x", ""),
    ("BEGIN { @x = 1; clear(@x, @x); }", "clear() takes 1 argument, 2 given", "clear(@x, @x)", ""),
    ("BEGIN { clear(pid); }", "clear() expects a map argument", "pid", "usage: clear(@map)"),
    ("BEGIN { @x[1] = 1; clear(@x[1]); }", "clear() takes a whole map, without a key", "@x[1]", "use delete(@map[key])"),
    ("BEGIN { zero(); }", "zero() takes 1 argument, 0 given", "zero()", ""),
    ("BEGIN { zero(\"m\"); }", "zero() expects a map argument", "\"m\"", "usage: zero(@map)"),
    ("BEGIN { @x[1] = count(); zero(@x[1]); }", "zero() takes a whole map, without a key", "@x[1]", ""),
    ("BEGIN { print(); }", "print() takes 1 to 3 arguments, 0 given", "print()", ""),
    ("BEGIN { @x = count(); print(@x, -1); }", "print() top and div must be non-negative integer literals", "-1", ""),
    ("BEGIN { @x = count(); print(@x, 1, pid); }", "print() top and div must be non-negative integer literals", "pid", ""),
    ("BEGIN { print(1, 2); }", "print() takes 1 argument, 2 given", "print(1, 2)", "usage: print(value)"),
    ("BEGIN { print(exit()); }", "print() cannot print this value", "exit()", ""),
];

#[test]
fn aggregations_are_misused() {
    expect_all(AGGREGATION_MISUSE, &Config::default());
}

#[test]
fn maps_change_type() {
    expect_all(MAP_TYPES, &Config::default());
}

#[test]
fn aggregations_get_wrong_arguments() {
    expect_all(AGGREGATION_ARGUMENTS, &Config::default());
}

#[test]
fn map_functions_get_wrong_arguments() {
    expect_all(MAP_FUNCTIONS, &Config::default());
}

#[test]
fn the_same_functions_used_right_check() {
    expect_ok(
        &[
            "BEGIN { @c = count(); @s[1] = sum(2); @h = hist(3); @l = lhist(4, 0, 10, 1); }",
            "BEGIN { @x[1] = 1; delete(@x[1]); clear(@x); zero(@x); print(@x, 1, 2); print(1); }",
        ],
        &Config::default(),
    );
}
