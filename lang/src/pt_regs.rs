//! The x86-64 `struct pt_regs` that kprobe and uprobe programs receive:
//! where the calling convention puts arguments and the return value.

/// Offsets of `di, si, dx, cx, r8, r9`: the first six integer arguments.
pub const ARGS: [u32; 6] = [112, 104, 96, 88, 72, 64];
/// Offset of `ax`: the return value at a return probe.
pub const RETURN_VALUE: u32 = 80;

/// The offset of argument `n`, when it is passed in a register.
pub fn arg_offset(n: usize) -> Option<u32> {
    ARGS.get(n).copied()
}
