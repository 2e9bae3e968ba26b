//! Reads through kernel types: `p->field`, `record.field`, `p[i]`,
//! `array[i]`, `*p`. The checker worked out each access (see
//! `rtrace_lang::memory`): codegen adds the offset (and the index times
//! the stride) to the base address, then reads with the probe-read helper
//! of the address space. A failed read leaves zero, as in bpftrace.

use super::cx::{FnCx, Operand};
use super::strings::{read_str_from, zero, AddressSpace};
use super::{probe_args, LowerError};
use crate::asm::{AluOp, Reg};
use rtrace_lang::ast::{Expr, ExprKind};
use rtrace_lang::memory::{MemoryRead, ReadKind};

/// How this expression reads memory, when it is an access through a
/// kernel type.
pub fn access(cx: &FnCx, expr: &Expr) -> Option<MemoryRead> {
    cx.checked.memory.get(&expr.id).copied()
}

/// Leaves the address `expr` reads from in r3.
fn address(cx: &mut FnCx, expr: &Expr, read: MemoryRead) -> Result<(), LowerError> {
    let (base, index) = match &expr.kind {
        ExprKind::Field { base, .. } => (base, None),
        ExprKind::Index { base, index } => (base, Some(index)),
        ExprKind::Deref(operand) => (operand, None),
        _ => return Err(cx.internal("memory read of an expression that is no access")),
    };
    let base = cx.eval(base)?;
    match index {
        Some(index) => {
            let i = cx.eval(index)?;
            cx.release(i);
            cx.release(base);
            cx.move_to(Reg::R1, i);
            if read.stride != 1 {
                cx.asm.alu(AluOp::Mul, Reg::R1, read.stride as i32);
            }
            cx.move_to(Reg::R3, base);
            cx.asm.alu(AluOp::Add, Reg::R3, Reg::R1);
        }
        None => {
            cx.release(base);
            cx.move_to(Reg::R3, base);
        }
    }
    if read.offset != 0 {
        cx.asm.alu(AluOp::Add, Reg::R3, read.offset as i32);
    }
    Ok(())
}

/// An integer, pointer, bitfield, or the address of a struct, union or
/// array.
pub fn read_value(cx: &mut FnCx, expr: &Expr, read: MemoryRead) -> Result<Operand, LowerError> {
    address(cx, expr, read)?;
    match read.read {
        ReadKind::Address => {
            let t = cx.temp()?;
            cx.store_to(t, Reg::R3);
            Ok(t)
        }
        ReadKind::Int { size, signed } => {
            probe_args::read_memory(cx, u32::from(size), signed, read.user)
        }
        ReadKind::Bitfield {
            bytes,
            shift,
            bits,
            signed,
        } => {
            let t = probe_args::read_memory(cx, u32::from(bytes), false, read.user)?;
            cx.release(t);
            cx.move_to(Reg::R0, t);
            if shift != 0 {
                cx.asm.alu(AluOp::Rsh, Reg::R0, i32::from(shift));
            }
            let keep = 64 - i32::from(bits);
            if keep > 0 {
                cx.asm.alu(AluOp::Lsh, Reg::R0, keep);
                let back = if signed { AluOp::Arsh } else { AluOp::Rsh };
                cx.asm.alu(back, Reg::R0, keep);
            }
            let result = cx.temp()?;
            cx.store_to(result, Reg::R0);
            Ok(result)
        }
        ReadKind::Str(_) => Err(cx.internal("string member read as an integer")),
    }
}

/// A `char[N]` member or element into the `size`-byte buffer at `r10 + off`.
pub fn read_str_into(
    cx: &mut FnCx,
    expr: &Expr,
    read: MemoryRead,
    off: i16,
    size: u32,
) -> Result<(), LowerError> {
    let ReadKind::Str(len) = read.read else {
        return Err(cx.internal("non-string member read as a string"));
    };
    address(cx, expr, read)?;
    zero(cx, off, size);
    let space = if read.user {
        AddressSpace::User
    } else {
        AddressSpace::Kernel
    };
    read_str_from(cx, Reg::R3, off, len.min(size), space);
    Ok(())
}
