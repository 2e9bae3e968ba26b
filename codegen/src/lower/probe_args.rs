//! Readers of probe arguments that are more than one load from the
//! context: arguments passed on the stack, and USDT arguments wherever
//! their note puts them (a register or part of one, memory, a constant).

use super::cx::{FnCx, Operand, CTX};
use super::LowerError;
use crate::asm::{AluOp, Helper, Reg, Size};
use rtrace_binary::{ArgLocation, UsdtArg};
use rtrace_lang::pt_regs;

/// An argument on the stack at function entry, `offset` bytes above the
/// stack pointer, in user or kernel memory.
pub fn stack_arg(cx: &mut FnCx, offset: u32, user: bool) -> Result<Operand, LowerError> {
    cx.asm
        .load(Size::DW, Reg::R3, CTX, pt_regs::STACK_POINTER as i16);
    cx.asm.alu(AluOp::Add, Reg::R3, offset as i32);
    read_memory(cx, 8, false, user)
}

/// A USDT argument, widened to 64 bits as its size and sign say.
pub fn usdt_arg(cx: &mut FnCx, spec: UsdtArg) -> Result<Operand, LowerError> {
    let bytes = u32::from(spec.size);
    match spec.location {
        ArgLocation::Const(v) => Ok(Operand::Imm(extend_const(v, bytes, spec.signed))),
        ArgLocation::Register(r) => {
            let t = cx.temp()?;
            cx.asm
                .load(Size::DW, Reg::R0, CTX, pt_regs::offset(r.reg) as i16);
            if r.shift != 0 {
                cx.asm.alu(AluOp::Rsh, Reg::R0, i32::from(r.shift));
            }
            let width = bytes.min(u32::from(r.bits) / 8);
            extend(cx, Reg::R0, width, spec.signed);
            cx.store_to(t, Reg::R0);
            Ok(t)
        }
        ArgLocation::Memory { base, offset } => {
            cx.asm
                .load(Size::DW, Reg::R3, CTX, pt_regs::offset(base.reg) as i16);
            if offset != 0 {
                cx.asm.mov_imm64(Reg::R0, offset);
                cx.asm.alu(AluOp::Add, Reg::R3, Reg::R0);
            }
            read_memory(cx, bytes, spec.signed, true)
        }
    }
}

/// Reads `bytes` bytes at the address in r3 (user or kernel memory) into a
/// zeroed stack word, and returns them widened to 64 bits. A failed read
/// leaves zero, as bpftrace does.
pub fn read_memory(
    cx: &mut FnCx,
    bytes: u32,
    signed: bool,
    user: bool,
) -> Result<Operand, LowerError> {
    let slot = cx.alloc(8)?;
    cx.asm.store(Size::DW, Reg::R10, slot, 0);
    cx.asm.mov(Reg::R1, Reg::R10);
    cx.asm.alu(AluOp::Add, Reg::R1, i32::from(slot));
    cx.asm.mov(Reg::R2, bytes as i32);
    cx.asm.call(if user {
        Helper::ProbeReadUser
    } else {
        Helper::ProbeReadKernel
    });
    let t = cx.temp()?;
    cx.asm.load(Size::DW, Reg::R0, Reg::R10, slot);
    extend(cx, Reg::R0, bytes, signed);
    cx.store_to(t, Reg::R0);
    Ok(t)
}

/// Keeps the low `bytes` bytes of `reg`, sign- or zero-extended to 64 bits.
fn extend(cx: &mut FnCx, reg: Reg, bytes: u32, signed: bool) {
    if bytes >= 8 {
        return;
    }
    let shift = (64 - 8 * bytes) as i32;
    cx.asm.alu(AluOp::Lsh, reg, shift);
    cx.asm
        .alu(if signed { AluOp::Arsh } else { AluOp::Rsh }, reg, shift);
}

fn extend_const(value: i64, bytes: u32, signed: bool) -> i64 {
    if bytes >= 8 {
        return value;
    }
    let shift = 64 - 8 * bytes;
    if signed {
        (value << shift) >> shift
    } else {
        ((value as u64) << shift >> shift) as i64
    }
}

#[cfg(test)]
mod tests {
    use super::extend_const;

    #[test]
    fn constants_take_the_argument_width() {
        assert_eq!(extend_const(-7, 4, true), -7);
        assert_eq!(extend_const(-1, 4, false), 0xffff_ffff);
        assert_eq!(extend_const(0x1ff, 1, false), 0xff);
        assert_eq!(extend_const(0xff, 1, true), -1);
        assert_eq!(extend_const(-5, 8, false), -5);
    }
}
