//! A call chain of known depth for stack tests:
//! `rtrace_workload_depth_3` calls `_2`, which calls `_1`, which calls
//! `_0`, which makes a getppid system call.
//!
//! Written in assembly so that every function keeps a frame pointer (the
//! kernel walks user stacks by frame pointers, which Rust omits by default)
//! and every return address is at a fixed offset:
//! - `_0`: the system call returns to `+11`;
//! - `_1`, `_2`: their call returns to `+9`;
//! - `_3`: clears `rbp` before its call, which returns to `+8`, so the
//!   kernel's walk ends there whatever the Rust code around it does.
//!
//! So a stack taken at `sys_enter_getppid` is exactly `_0+11`, `_1+9`,
//! `_2+9`, `_3+8`. Each function is 16-byte aligned and shorter than 16
//! bytes: `_1` starts 16 bytes after `_0`. The first argument passes
//! through untouched, for `usym(arg0)` in a uprobe.

std::arch::global_asm!(
    ".balign 16",
    ".globl rtrace_workload_depth_0",
    ".type rtrace_workload_depth_0, @function",
    "rtrace_workload_depth_0:",
    "push rbp",
    "mov rbp, rsp",
    "mov eax, 110", // SYS_getppid
    "syscall",
    "pop rbp",
    "ret",
    ".size rtrace_workload_depth_0, . - rtrace_workload_depth_0",
    ".balign 16",
    ".globl rtrace_workload_depth_1",
    ".type rtrace_workload_depth_1, @function",
    "rtrace_workload_depth_1:",
    "push rbp",
    "mov rbp, rsp",
    "call rtrace_workload_depth_0",
    "pop rbp",
    "ret",
    ".size rtrace_workload_depth_1, . - rtrace_workload_depth_1",
    ".balign 16",
    ".globl rtrace_workload_depth_2",
    ".type rtrace_workload_depth_2, @function",
    "rtrace_workload_depth_2:",
    "push rbp",
    "mov rbp, rsp",
    "call rtrace_workload_depth_1",
    "pop rbp",
    "ret",
    ".size rtrace_workload_depth_2, . - rtrace_workload_depth_2",
    ".balign 16",
    ".globl rtrace_workload_depth_3",
    ".type rtrace_workload_depth_3, @function",
    "rtrace_workload_depth_3:",
    "push rbp",
    "xor ebp, ebp",
    "call rtrace_workload_depth_2",
    "pop rbp",
    "ret",
    ".size rtrace_workload_depth_3, . - rtrace_workload_depth_3",
);

extern "C" {
    fn rtrace_workload_depth_3(passed: usize) -> i64;
    fn rtrace_workload_depth_2(passed: usize) -> i64;
}

/// Runs the chain `n` times, passing `_2`'s address as the argument.
pub fn run(n: u64) {
    let passed = rtrace_workload_depth_2 as *const () as usize;
    for _ in 0..n {
        // SAFETY: the functions above save and restore what they use and
        // make one system call that takes no arguments.
        std::hint::black_box(unsafe { rtrace_workload_depth_3(passed) });
    }
}
