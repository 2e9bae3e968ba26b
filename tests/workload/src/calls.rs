//! Functions for uprobes to trace: exported under fixed names, never
//! inlined, called a known number of times with known arguments, so a test
//! can assert counts, `argN` and `retval` exactly.

use std::ffi::{c_char, CStr};
use std::hint::black_box;

#[no_mangle]
#[inline(never)]
pub extern "C" fn rtrace_workload_add(a: i64, b: i64) -> i64 {
    black_box(a) + black_box(b)
}

/// Eight arguments: the last two are passed on the stack.
#[no_mangle]
#[inline(never)]
#[allow(clippy::too_many_arguments)]
pub extern "C" fn rtrace_workload_args8(
    a: i64,
    b: i64,
    c: i64,
    d: i64,
    e: i64,
    f: i64,
    g: i64,
    h: i64,
) -> i64 {
    black_box(a + b + c + d + e + f + g + h)
}

#[no_mangle]
#[inline(never)]
pub extern "C" fn rtrace_workload_greet(name: *const c_char) -> usize {
    // SAFETY: callers pass a NUL-terminated string.
    black_box(unsafe { CStr::from_ptr(name) }.to_bytes().len())
}

// The same addition in assembly, behind four one-byte `nop`s: the offset
// of its `lea` (+4) does not depend on the compiler, so tests can probe
// `FUNCTION+OFFSET` on an instruction boundary.
std::arch::global_asm!(
    ".globl rtrace_workload_asm_add",
    ".type rtrace_workload_asm_add, @function",
    "rtrace_workload_asm_add:",
    "nop",
    "nop",
    "nop",
    "nop",
    "lea rax, [rdi + rsi]",
    "ret",
    ".size rtrace_workload_asm_add, . - rtrace_workload_asm_add",
);

extern "C" {
    fn rtrace_workload_asm_add(a: i64, b: i64) -> i64;
}

pub fn run(n: u64) {
    let name = c"hello";
    for i in 1..=n as i64 {
        black_box(rtrace_workload_add(black_box(i), 100));
        black_box(rtrace_workload_args8(1, 2, 3, 4, 5, 6, 7, 8));
        black_box(rtrace_workload_greet(black_box(name.as_ptr())));
        // SAFETY: a leaf function of two integers, defined above.
        black_box(unsafe { rtrace_workload_asm_add(black_box(i), 1000) });
    }
}
