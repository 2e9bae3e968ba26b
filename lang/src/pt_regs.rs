//! The x86-64 `struct pt_regs` that kprobe, uprobe and USDT programs
//! receive: where each register is, and where the calling convention puts
//! arguments and the return value.

use rtrace_binary::GpReg;

/// The byte offset of a register in `struct pt_regs`
/// (`arch/x86/include/asm/ptrace.h`).
pub const fn offset(reg: GpReg) -> u32 {
    let slot = match reg {
        GpReg::R15 => 0,
        GpReg::R14 => 1,
        GpReg::R13 => 2,
        GpReg::R12 => 3,
        GpReg::Rbp => 4,
        GpReg::Rbx => 5,
        GpReg::R11 => 6,
        GpReg::R10 => 7,
        GpReg::R9 => 8,
        GpReg::R8 => 9,
        GpReg::Rax => 10,
        GpReg::Rcx => 11,
        GpReg::Rdx => 12,
        GpReg::Rsi => 13,
        GpReg::Rdi => 14,
        // 15 is orig_rax
        GpReg::Rip => 16,
        // 17 cs, 18 eflags
        GpReg::Rsp => 19,
    };
    slot * 8
}

/// Offsets of `di, si, dx, cx, r8, r9`: the first six integer arguments.
pub const ARGS: [u32; 6] = [
    offset(GpReg::Rdi),
    offset(GpReg::Rsi),
    offset(GpReg::Rdx),
    offset(GpReg::Rcx),
    offset(GpReg::R8),
    offset(GpReg::R9),
];
/// Offset of `ax`: the return value at a return probe.
pub const RETURN_VALUE: u32 = offset(GpReg::Rax);
/// Offset of `sp`.
pub const STACK_POINTER: u32 = offset(GpReg::Rsp);

/// The offset of argument `n`, when it is passed in a register.
pub fn arg_offset(n: usize) -> Option<u32> {
    ARGS.get(n).copied()
}

/// Where argument `n` is on the stack at function entry, from the stack
/// pointer: past the return address, one 8-byte slot each, for the
/// arguments after the six in registers.
pub fn stack_arg_offset(n: usize) -> Option<u32> {
    n.checked_sub(ARGS.len()).map(|k| 8 * (k as u32 + 1))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layout_matches_the_kernel() {
        assert_eq!(ARGS, [112, 104, 96, 88, 72, 64]);
        assert_eq!(RETURN_VALUE, 80);
        assert_eq!(offset(GpReg::Rip), 128);
        assert_eq!(STACK_POINTER, 152);
        assert_eq!(stack_arg_offset(5), None);
        assert_eq!(stack_arg_offset(6), Some(8));
        assert_eq!(stack_arg_offset(7), Some(16));
    }
}
