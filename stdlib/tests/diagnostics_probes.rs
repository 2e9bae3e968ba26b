//! Diagnostics of attach points and of what a probe's kind allows:
//! tracepoints and their fields, kernel functions, timers, user probes,
//! and the builtins that only some probes have. Each line is one
//! diagnostic: program, message, caret text, help.

mod common;

use common::{expect_all, expect_all_on, Case, FakeKernel};
use rtrace_lang::config::Config;

#[rustfmt::skip]
const ATTACH_POINTS: &[Case] = &[
    ("kprobez:vfs_read { }", "unknown probe type 'kprobez'", "kprobez", "did you mean 'kprobe'?"),
    ("BEGIN:x { }", "BEGIN takes no arguments", "BEGIN:x", "BEGIN probes are written BEGIN"),
    ("tracepoint:sched { }", "malformed tracepoint 'tracepoint:sched'", "tracepoint:sched", "tracepoint:CATEGORY:EVENT"),
    ("interval:xs:1 { }", "malformed interval probe 'interval:xs:1'", "interval:xs:1", "interval:s|ms|us|hz:N"),
    ("profile:hz:x { }", "malformed profile probe 'profile:hz:x'", "profile:hz:x", ""),
    ("kprobe:vfs_read+1x { }", "malformed offset '1x' in 'kprobe:vfs_read+1x'", "kprobe:vfs_read+1x", ""),
    ("kretprobe:vfs_read+1 { }", "only kprobes take an offset (FUNCTION+OFFSET) in 'kretprobe:vfs_read+1'", "kretprobe:vfs_read+1", ""),
    ("kprobe:vfs_*+1 { }", "an offset cannot follow a wildcard in 'kprobe:vfs_*+1'", "kprobe:vfs_*+1", ""),
    ("uprobe:/bin/sh { }", "malformed uprobe '/bin/sh': expected PATH:FUNCTION", "uprobe:/bin/sh", ""),
    ("uretprobe:/bin/sh:main+4 { }", "a uretprobe fires on return: it takes no offset", "uretprobe:/bin/sh:main+4", ""),
    ("uprobe:/bin/sh:ma*+4 { }", "a function glob cannot take an offset", "uprobe:/bin/sh:ma*+4", ""),
    ("rawtracepoint:a:b { }", "malformed raw tracepoint 'rawtracepoint:a:b'", "rawtracepoint:a:b", ""),
    ("software:nope { }", "unknown software event 'nope'", "software:nope", "lists the events"),
    ("software:cpu-clock:0 { }", "the period of software:cpu-clock must be a positive count, not '0'", "software:cpu-clock:0", ""),
];

#[rustfmt::skip]
const TRACEPOINTS: &[Case] = &[
    ("tracepoint:sched:sched_swich { }", "no tracepoint matches 'sched:sched_swich'", "tracepoint:sched:sched_swich", "did you mean 'tracepoint:sched:sched_switch'?"),
    ("tracepoint:nope:x* { }", "no tracepoint matches 'nope:x*'", "tracepoint:nope:x*", "lists the tracepoints of this kernel"),
    ("rawtracepoint:sched_swich { }", "no raw tracepoint matches 'sched_swich'", "rawtracepoint:sched_swich", "did you mean 'rawtracepoint:sched_switch'?"),
    ("tracepoint:sched:sched_switch { @ = args.prev_pdi; }", "tracepoint:sched:sched_switch has no field 'prev_pdi'", "prev_pdi", "did you mean 'args.prev_pid'?"),
    ("t:syscalls:sys_enter_openat { @ = args.nope; }", "tracepoint:syscalls:sys_enter_openat has no field 'nope'", "nope", "its fields are: __syscall_nr, dfd, filename, flags, mode"),
    ("tracepoint:test:a { @ = args.vals; }", "args.vals is an array (`int vals[4]`) and has no value of its own", "vals", "index it: args.vals[0]"),
    ("tracepoint:test:a { @ = args.rest; }", "field 'rest' has type `int rest[]`, which rtrace cannot read yet", "rest", ""),
    ("tracepoint:test:* { @ = args.x; }", "args.x is int32 in one matched tracepoint and string[9] in tracepoint:test:b", "x", "split the probe"),
    ("tracepoint:test:a { @ = args.mac + 1; }", "a byte array (uint8[6]) cannot be used here", "args.mac", "ntop(...)"),
    ("tracepoint:test:a { @ = args.mac; }", "a byte array (uint8[6]) cannot be used here", "args.mac", ""),
    ("tracepoint:test:a { print(args.mac); }", "print() cannot print a byte array (uint8[6])", "args.mac", "print(ntop(...))"),
    ("BEGIN { @ = args.x; }", "`args` is not available in BEGIN probes", "args", "args.NAME reads tracepoint fields"),
];

#[rustfmt::skip]
const KERNEL_FUNCTIONS: &[Case] = &[
    ("kprobe:vfs_raed { }", "no traceable kernel function 'vfs_raed'", "kprobe:vfs_raed", "did you mean 'kprobe:vfs_read'?"),
    ("kprobe:nothing_* { }", "no kernel function matches 'nothing_*'", "kprobe:nothing_*", "`rtrace -l 'kprobe:*'`"),
    ("kprobe:vfs_write { }", "the kernel does not allow probing 'vfs_write'", "kprobe:vfs_write", ""),
];

#[rustfmt::skip]
const PROBE_BUILTINS: &[Case] = &[
    ("BEGIN { @ = arg0; }", "arg0 is not available here: BEGIN has no function arguments", "arg0", ""),
    ("tracepoint:sched:sched_switch { @ = arg1; }", "arg1 is not available here: tracepoint:sched:sched_switch has no function arguments", "arg1", "args.FIELD"),
    ("kretprobe:vfs_read { @ = arg0; }", "arg0 is not available here: arguments are gone when kretprobe:vfs_read fires, at the function's return", "arg0", "save the argument in a map at the entry probe"),
    ("kprobe:vfs_read { @ = retval; }", "retval is not available here: kprobe:vfs_read fires at the function's entry, before it returns", "retval", "retval is read in kretprobe, fexit and uretprobe probes"),
    ("BEGIN { @ = func; }", "func is not available in BEGIN", "func", "`probe` names any probe"),
    ("BEGIN { @ = uaddr(\"main\"); }", "uaddr can only be used with u(ret)probes and usdt probes", "uaddr(\"main\")", ""),
    ("BEGIN { $s = \"main\"; @ = uaddr($s); }", "uaddr() needs a string literal", "$s", ""),
    ("BEGIN { $s = \"x\"; @ = kaddr($s); }", "kaddr() needs a string literal", "$s", ""),
];

#[test]
fn attach_points_are_malformed() {
    expect_all(ATTACH_POINTS, &Config::default());
}

#[test]
fn tracepoints_and_their_fields() {
    expect_all(TRACEPOINTS, &Config::default());
}

#[test]
fn kernel_functions() {
    expect_all(KERNEL_FUNCTIONS, &Config::default());
}

#[test]
fn a_kernel_without_kprobes_or_fentry() {
    expect_all_on(
        &FakeKernel::without_kprobes(),
        &[(
            "kprobe:vfs_read { }",
            "this kernel cannot trace kernel functions: it has no kprobes (CONFIG_KPROBES is not set) and cannot run fentry programs (the kernel's BTF does not describe vfs_read)",
            "kprobe:vfs_read",
            "",
        )],
        &Config::default(),
    );
}

/// Where tracefs cannot be read: a named kprobe needs no list, a
/// wildcard does.
#[rustfmt::skip]
const NO_TRACEFS: &[Case] = &[
    ("tracepoint:sched:sched_switch { }", "cannot read the kernel's tracepoints: Permission denied", "tracepoint:sched:sched_switch", "rtrace needs root and tracefs"),
    ("rawtracepoint:sched_switch { }", "cannot read the kernel's tracepoints: Permission denied", "rawtracepoint:sched_switch", "rtrace needs root and tracefs"),
    ("kprobe:vfs_* { }", "cannot expand 'vfs_*': Permission denied", "kprobe:vfs_*", "available_filter_functions"),
];

#[test]
fn a_kernel_whose_tracefs_cannot_be_read() {
    expect_all_on(
        &FakeKernel::without_tracefs(),
        NO_TRACEFS,
        &Config::default(),
    );
}

#[test]
fn builtins_that_some_probes_lack() {
    expect_all(PROBE_BUILTINS, &Config::default());
}
