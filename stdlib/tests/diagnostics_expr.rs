//! Diagnostics of statements and expressions: assignments, variables,
//! unknown names, operators, conditions, loops and tuples. Each line is
//! one diagnostic: program, message, caret text, help.

mod common;

use common::{expect_all, Case};
use rtrace_lang::config::Config;

#[rustfmt::skip]
const ASSIGNMENTS: &[Case] = &[
    ("BEGIN { pid = 1; }", "can only assign to a map (`@x`, `@x[k]`) or a variable (`$x`)", "pid", ""),
    ("BEGIN { str(0) = 1; }", "can only assign to a map (`@x`, `@x[k]`) or a variable (`$x`)", "str(0)", ""),
    ("BEGIN { $t = (1, 2); $t.0 = 3; }", "the elements of a tuple cannot be assigned", "$t.0", "`$t = (..., ...)`"),
    ("BEGIN { @x = exit(); }", "exit() returns no value", "exit()", "call it as a statement of its own"),
    ("BEGIN { $x = 1; $x = \"s\"; }", "$x holds int64; it cannot be assigned string[2]", "$x", "use another variable"),
    ("BEGIN { $x = \"s\"; $x += 1; }", "compound assignment needs integers", "$x", ""),
    ("BEGIN { $x += 1; }", "variable $x is used before it is assigned", "$x", ""),
    ("BEGIN { $s = \"a\"; $s++; }", "++ and -- need an integer", "$s", ""),
    ("BEGIN { pid++; }", "++ and -- apply to a map or a variable", "pid", ""),
];

#[rustfmt::skip]
const NAMES: &[Case] = &[
    ("BEGIN { print($v); }", "variable $v is used before it is assigned", "$v", "scratch variables are local to one probe"),
    ("BEGIN { $v = 1; } END { print($v); }", "variable $v is used before it is assigned", "$v", ""),
    ("BEGIN { @count = 1; print(@cuont); }", "map @cuont is read but never assigned", "@cuont", "did you mean '@count'?"),
    ("BEGIN { cuont(); }", "unknown function 'cuont'", "cuont", "did you mean 'count()'?"),
    ("BEGIN { xyzzy(); }", "unknown function 'xyzzy'", "xyzzy", ""),
    ("BEGIN { @ = pdi; }", "unknown identifier 'pdi'", "pdi", "did you mean 'pid'?"),
    ("BEGIN { @ = total; }", "unknown identifier 'total'", "total", "scratch variables start with '$' ($total), maps with '@' (@total)"),
    ("tracepoint:sched:sched_switch { @ = args; }", "`args` needs a field: args.NAME", "args", "lists the fields"),
    ("BEGIN { @ = pid(); }", "pid is not a function", "pid()", "write it without parentheses: pid"),
    ("BEGIN { @ = count; }", "count must be called: @m[k] = count()", "count", ""),
];

#[rustfmt::skip]
const OPERATORS: &[Case] = &[
    ("BEGIN { @ = -comm; }", "operator '-' needs an integer, found string[16]", "-comm", ""),
    ("BEGIN { @ = !(1, 2); }", "operator '!' needs an integer, found (int64,int64)", "!(1, 2)", ""),
    ("BEGIN { @ = comm + 1; }", "operator '+' cannot be applied to string[16] and int64", "comm + 1", ""),
    ("BEGIN { @ = comm < \"a\"; }", "operator '<' cannot be applied to string[16] and string[2]", "comm < \"a\"", ""),
    ("BEGIN { @ = comm == 1; }", "operator '==' cannot be applied to string[16] and int64", "comm == 1", ""),
    ("BEGIN { $t = (1, 2); @ = $t + 1; }", "operator '+' cannot be applied to (int64,int64) and int64", "$t", "`$t.0`"),
    ("BEGIN { @ = ntop(1) + 1; }", "operator '+' cannot be applied to inet", "ntop(1)", "print it with printf"),
    ("BEGIN { @ = kstack + 1; }", "operator '+' cannot be applied to kstack and int64", "kstack + 1", ""),
    ("BEGIN { @ = 1 ? 2 : \"s\"; }", "the branches of '?:' differ: int64 and string[2]", "1 ? 2 : \"s\"", ""),
    ("BEGIN { @ = comm ? 1 : 2; }", "a condition must be an integer, found string[16]", "comm", ""),
    ("BEGIN { $t = (struct task_struct *)curtask; @ = *$t + 1; }", "operator '+' cannot be applied to struct task_struct", "*$t", "use one of its members"),
];

#[rustfmt::skip]
const CONTROL_FLOW: &[Case] = &[
    ("BEGIN / comm / { exit(); }", "a predicate must be an integer, found string[16]", "comm", "compare explicitly"),
    ("BEGIN { if (comm) { exit(); } }", "a condition must be an integer, found string[16]", "comm", ""),
    ("BEGIN { while (comm) { exit(); } }", "a condition must be an integer, found string[16]", "comm", ""),
    ("BEGIN { unroll(0) { exit(); } }", "unroll count 0 is out of range", "0", "while (cond)"),
    ("BEGIN { unroll(101) { exit(); } }", "unroll count 101 is out of range", "101", ""),
    ("BEGIN { break; }", "`break` outside a loop", "break", "use `exit()` to stop tracing"),
    ("BEGIN { continue; }", "`continue` outside a loop", "continue", ""),
];

#[rustfmt::skip]
const TUPLES: &[Case] = &[
    ("BEGIN { $t = (1, exit()); }", "a tuple element must be a value", "exit()", ""),
    ("BEGIN { $x = 1; @ = $x.0; }", "`.0` reads an element of a tuple, but this is int64", "$x", ""),
    ("BEGIN { $t = (1, 2); @ = $t.2; }", "tuple index 2 is out of range", "2", ""),
    ("BEGIN { @[(1, 2), 3] = 1; }", "a tuple key must be the map's only key", "(1, 2)", ""),
    ("BEGIN { @[(1, (2, 3))] = 1; }", "a map key cannot hold a nested tuple", "(1, (2, 3))", ""),
];

#[test]
fn assignments() {
    expect_all(ASSIGNMENTS, &Config::default());
}

#[test]
fn names() {
    expect_all(NAMES, &Config::default());
}

#[test]
fn operators() {
    expect_all(OPERATORS, &Config::default());
}

#[test]
fn control_flow() {
    expect_all(CONTROL_FLOW, &Config::default());
}

#[test]
fn tuples() {
    expect_all(TUPLES, &Config::default());
}
