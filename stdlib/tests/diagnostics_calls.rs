//! Diagnostics of the output, string, stack, symbol and system builtins:
//! wrong argument counts, types and literals. (The string helpers' own
//! are in `diagnostics.rs`, ntop/macaddr's in `net.rs`, override's in
//! `override.rs`.) Each line is one diagnostic: program, message, caret
//! text, help.

mod common;

use common::{expect_all, unsafe_config, Case};
use rtrace_lang::config::Config;

#[rustfmt::skip]
const PRINTF: &[Case] = &[
    ("BEGIN { printf(); }", "printf() takes 1 to 64 arguments, 0 given", "printf()", ""),
    ("BEGIN { $f = \"%d\"; printf($f, 1); }", "printf() needs a string literal as its format", "$f", ""),
    ("BEGIN { printf(\"%d %d\\n\", 1); }", "printf() format has 2 conversion(s) but 1 argument(s) follow", "printf(\"%d %d\\n\", 1)", ""),
    ("BEGIN { printf(\"%d\\n\", 1, 2); }", "printf() format has 1 conversion(s) but 2 argument(s) follow", "printf(\"%d\\n\", 1, 2)", ""),
    ("BEGIN { printf(\"%d\\n\", comm); }", "printf() conversion 1 of the format expects an integer, found string[16]", "comm", ""),
    ("BEGIN { printf(\"%s %s\\n\", comm, 1); }", "printf() conversion 2 of the format expects a string, found int64", "1", ""),
    ("BEGIN { printf(\"%s\\n\", curtask); }", "printf() conversion 1 of the format expects a string, found struct task_struct *", "curtask", "read the string it points to with str(...)"),
    ("BEGIN { printf(\"%y\\n\", 1); }", "bad printf format: unknown conversion `%y` (write %% for a literal %)", "%y", ""),
    ("BEGIN { cat(\"%s\"); }", "cat() format has 1 conversion(s) but 0 argument(s) follow", "cat(\"%s\")", ""),
];

#[rustfmt::skip]
const CALLS: &[Case] = &[
    ("BEGIN { exit(1); }", "exit() takes 0 arguments, 1 given", "exit(1)", "usage: exit()"),
    ("BEGIN { @ = str(); }", "str() takes 1 to 2 arguments, 0 given", "str()", "usage: str(pointer [, length])"),
    ("BEGIN { @ = str(kstack); }", "str() reads from a pointer, found kstack", "kstack", ""),
    ("BEGIN { @ = buf(kstack, 2); }", "buf() reads from a pointer, found kstack", "kstack", ""),
    ("BEGIN { @ = str(0, comm); }", "str() expects an integer here, found string[16]", "comm", ""),
    ("BEGIN { @ = buf(0, -1); }", "buf() length must not be negative", "-1", ""),
    ("BEGIN { @ = kstack(1, 2, 3); }", "kstack() takes 0 to 2 arguments, 3 given", "kstack(1, 2, 3)", ""),
    ("BEGIN { @ = kstack(5, 5); }", "expected a stack mode", "5", "usage: kstack"),
    ("BEGIN { @ = ustack(perf, pid); }", "ustack() takes a stack mode and a limit literal", "pid", ""),
    ("BEGIN { @ = kstack(0); }", "kstack([int limit]): limit must be between 1 and 1024, 0 given", "0", ""),
    ("BEGIN { @ = ksym(comm); }", "ksym() expects an integer or pointer argument, found string[16]", "comm", ""),
    ("BEGIN { @ = kptr(comm); }", "kptr() only supports integer or pointer arguments (string[16] provided)", "comm", ""),
    ("BEGIN { @ = kaddr(\"rtrace_no_such_symbol\"); }", "Failed to resolve kernel symbol: rtrace_no_such_symbol", "\"rtrace_no_such_symbol\"", ""),
    ("BEGIN { $p = \"/\"; @ = cgroupid($p); }", "cgroupid() needs a string literal path", "$p", ""),
    ("BEGIN { $f = \"%H\"; @ = strftime($f, nsecs); }", "strftime() needs a string literal as its format", "$f", ""),
    ("BEGIN { system(\"ls\"); }", "system() is an unsafe function being used in safe mode", "system(\"ls\")", "--unsafe"),
    ("BEGIN { @ = strncmp(\"a\", \"b\"); }", "strncmp() takes 3 arguments, 2 given", "strncmp(\"a\", \"b\")", ""),
];

/// Checked with --unsafe.
#[rustfmt::skip]
const UNSAFE: &[Case] = &[
    ("BEGIN { $c = \"ls\"; system($c); }", "system() needs a string literal as its format", "$c", ""),
    ("kprobe:vfs_read { signal(); }", "signal() takes 1 argument, 0 given", "signal()", ""),
    ("kprobe:vfs_read { signal(65); }", "65 is not a valid signal, allowed range: [1,64]", "signal(65)", ""),
    ("kprobe:vfs_read { signal(\"NOPE\"); }", "NOPE is not a valid signal", "signal(\"NOPE\")", "kill -l"),
    ("kprobe:vfs_read { signal(comm); }", "signal only accepts string literals or integers", "signal(comm)", ""),
    ("END { signal(9); }", "signal can not be used with \"END\" probes", "signal(9)", ""),
];

#[test]
fn printf_and_the_format_functions() {
    expect_all(PRINTF, &Config::default());
}

#[test]
fn builtin_calls() {
    expect_all(CALLS, &Config::default());
}

#[test]
fn unsafe_functions() {
    expect_all(UNSAFE, &unsafe_config());
}
