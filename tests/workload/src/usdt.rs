//! USDT probes for the tests to trace, in provider `rtrace`:
//! - `tick(i, -i)` written with the `probe` crate (`-8@%reg` arguments);
//! - `lazy(10 * i)` with a semaphore (`probe_lazy!`): it fires only while
//!   a tracer has incremented the semaphore;
//! - `operands` written by hand, with one argument of each operand form a
//!   compiler may emit: a constant, memory with and without an offset,
//!   sub-registers, a high-byte register.

use std::hint::black_box;

/// Keeps the semaphores (section `.probes`, which the linker puts right
/// after `.data`) out of the file page that the RELRO segment also maps.
/// Kernels before 6.18 (Debian's 6.1 and 6.12) increment a semaphore in
/// the first writable mapping of its file page they see, and the RELRO
/// mapping is writable until the dynamic loader protects it: the count
/// then lands in the wrong copy and a `probe_lazy!` probe never fires.
/// More than a page of `.data` puts `.probes` in a page of its own.
#[used]
static mut DATA_BEFORE_THE_SEMAPHORES: [u8; 8192] = [1; 8192];

pub fn run(n: u64) {
    for i in 1..=n as i64 {
        probe::probe!(rtrace, tick, black_box(i), black_box(-i));
        probe::probe_lazy!(rtrace, lazy, black_box(10 * i));
        operands(i);
    }
}

/// Probe `rtrace:operands` with six arguments: `-7`, `1000 * i`, `-i`,
/// `255`, `-2` and `18` (0x12, from `ah` when `eax` is 0x1234).
#[inline(never)]
fn operands(i: i64) {
    let memory: [i64; 2] = [1000 * i, -i];
    // SAFETY: a `nop` and a note; the registers are only read by tracers.
    unsafe {
        std::arch::asm!(
            "990: nop",
            ".pushsection .note.stapsdt,\"?\",\"note\"",
            ".balign 4",
            ".4byte 992f-991f, 994f-993f, 3",
            "991: .asciz \"stapsdt\"",
            "992: .balign 4",
            "993: .8byte 990b",
            ".8byte _.stapsdt.base",
            ".8byte 0",
            ".asciz \"rtrace\"",
            ".asciz \"operands\"",
            ".asciz \"-4@$-7 8@(%rdi) -4@8(%rdi) 1@%sil -2@%dx 1@%ah\"",
            "994: .balign 4",
            ".popsection",
            ".ifndef _.stapsdt.base",
            ".pushsection .stapsdt.base,\"aGR\",\"progbits\",.stapsdt.base,comdat",
            ".weak _.stapsdt.base",
            ".hidden _.stapsdt.base",
            "_.stapsdt.base: .space 1",
            ".size _.stapsdt.base, 1",
            ".popsection",
            ".endif",
            in("rdi") memory.as_ptr(),
            in("esi") 0x1ffu32,
            in("edx") 0xfffeu32,
            in("eax") 0x1234u32,
            options(readonly, nostack, preserves_flags, att_syntax),
        );
    }
    black_box(memory);
}
