//! Diagnostics of kernel types in expressions: casts, `->`, `.`, `[i]`,
//! `*p`, sizeof and offsetof, on a fake kernel whose BTF has
//! `struct task_struct { int pid; char comm[16]; struct task_struct
//! *real_parent; }` and `union u`. Each line is one diagnostic: program,
//! message, caret text, help.

mod common;

use common::{expect_all, expect_all_on, Case, FakeKernel};
use rtrace_lang::config::Config;

#[rustfmt::skip]
const KERNEL_TYPES: &[Case] = &[
    ("BEGIN { $t = (struct task_strct *)0; }", "unknown kernel type 'struct task_strct'", "struct task_strct *", "did you mean 'struct task_struct'?"),
    ("BEGIN { @ = (struct task_struct)0; }", "cannot cast to struct task_struct by value", "struct task_struct", "(struct task_struct *)"),
    ("BEGIN { @ = (uint32)comm; }", "cannot cast string[16] to uint32", "comm", "casts convert integers and pointers"),
    ("BEGIN { @ = pid->x; }", "`->` needs a kernel struct, found uint32", "pid", "((struct NAME *)pid)->x"),
    ("BEGIN { @ = comm.x; }", "`.` needs a kernel struct, found string[16]", "comm", ""),
    ("tracepoint:test:a { @ = args.p->x; }", "`->` needs a pointer to a struct or union, found void *", "args.p", ""),
    ("BEGIN { $t = (struct task_struct *)curtask; @ = $t.pid; }", "`.` reads a member of a struct, and this is struct task_struct *", "pid", "follow the pointer with `->`: ...->pid"),
    ("BEGIN { $t = (struct task_struct *)curtask; @ = (*$t)->pid; }", "`->` follows a pointer, and this is struct task_struct itself", "pid", ""),
    ("BEGIN { $t = (struct task_struct *)curtask; @ = $t->pdi; }", "struct task_struct has no member 'pdi'", "pdi", "did you mean 'pid'?"),
    ("BEGIN { $t = (struct task_struct *)curtask; @ = $t->pid.x; }", "`.` needs a kernel struct, found int32", "$t->pid", ""),
    ("BEGIN { $t = (struct task_struct *)curtask; @ = $t->ints[4]; }", "index 4 is out of bounds for int[4]", "4", ""),
    ("BEGIN { $t = (struct task_struct *)curtask; @ = $t->ints[comm]; }", "an index must be an integer, found string[16]", "comm", ""),
    ("BEGIN { @ = comm[1]; }", "cannot index string[16]", "comm", ""),
    ("BEGIN { $t = (struct task_struct *)curtask; @ = (*$t)[1]; }", "cannot index struct task_struct", "*$t", ""),
    ("BEGIN { @ = *pid; }", "cannot dereference uint32", "pid", "cast an address to a pointer type first"),
    ("tracepoint:test:a { @ = *args.p; }", "cannot read through void *", "args.p", "cast it to what it points to"),
    ("BEGIN { @ = sizeof(exit()); }", "none has no size", "exit()", ""),
    ("BEGIN { @ = offsetof(uint32, x); }", "uint32 has no members", "uint32", ""),
    ("BEGIN { @ = offsetof(struct task_struct, pdi); }", "struct task_struct has no member 'pdi'", "pdi", "did you mean 'pid'?"),
    ("BEGIN { @ = offsetof(struct task_struct, pid.x); }", "int has no member 'x'", "x", ""),
    ("BEGIN { $p = (int32 *)8; $q = (int32 *)0; @ = $p - $q; }", "cannot subtract int32 * from int32 *", "$p - $q", "cast both: (uint64)$p - (uint64)$q"),
    ("BEGIN { $h = (struct holder *)0; @ = (uint64)($h->key + 1); }", "cannot step a pointer to struct key", "$h->key + 1", ""),
];

#[rustfmt::skip]
const NO_BTF: &[Case] = &[
    ("BEGIN { $t = (struct task_struct *)0; }", "kernel types need the kernel's BTF type information", "struct task_struct *", "CONFIG_DEBUG_INFO_BTF"),
    ("BEGIN { @ = ppid; }", "ppid needs the kernel's BTF type information", "ppid", "reading /sys/kernel/btf/vmlinux failed"),
];

#[test]
fn kernel_types() {
    expect_all(KERNEL_TYPES, &Config::default());
}

#[test]
fn a_kernel_without_btf() {
    expect_all_on(&FakeKernel::without_btf(), NO_BTF, &Config::default());
}
