//! Strings: fixed-size NUL-terminated buffers on the stack. Every buffer is
//! zeroed before it is filled, so a string used as a map key compares equal
//! byte for byte whatever was in the stack before.

use super::cx::{FnCx, Operand, CTX};
use super::{maps, LowerError};
use crate::asm::{AluOp, Helper, JmpOp, Reg, Size};
use rtrace_lang::ast::{BinaryOp, Expr, ExprKind};
use rtrace_lang::tracepoint::FieldKind;

/// Fills `size` bytes at `r10 + off` with the string value of `expr`.
pub fn eval_into(cx: &mut FnCx, expr: &Expr, off: i16, size: u32) -> Result<(), LowerError> {
    if let Some(read) = super::memory::access(cx, expr) {
        return super::memory::read_str_into(cx, expr, read, off, size);
    }
    match &expr.kind {
        ExprKind::Str(s) => store_literal(cx, s.as_bytes(), off, size),
        ExprKind::Positional(n) => {
            let text = cx.params.get(*n as usize - 1).cloned().unwrap_or_default();
            store_literal(cx, text.as_bytes(), off, size)
        }
        ExprKind::Var(name) => {
            let slot = *cx
                .vars
                .get(name)
                .ok_or_else(|| cx.internal(format!("no slot for ${name}")))?;
            let Operand::Buf {
                off: from,
                size: from_size,
            } = slot
            else {
                return Err(cx.internal("string variable without a buffer"));
            };
            zero(cx, off, size);
            copy_stack(cx, from, off, from_size.min(size));
            Ok(())
        }
        ExprKind::Field { field, .. } => tracepoint_string(cx, &field.name, off, size),
        ExprKind::Map { .. } => maps::read_string_into(cx, expr, off, size),
        ExprKind::Ternary {
            cond,
            then,
            otherwise,
        } => {
            let (else_label, end) = (cx.asm.label(), cx.asm.label());
            super::expr::branch_if_zero(cx, cond, else_label)?;
            eval_into(cx, then, off, size)?;
            cx.asm.goto(end);
            cx.asm.bind(else_label);
            eval_into(cx, otherwise, off, size)?;
            cx.asm.bind(end);
            Ok(())
        }
        ExprKind::TupleIndex { .. } => super::tuples::read_str_into(cx, expr, off, size),
        ExprKind::Ident(_) | ExprKind::Call { .. } => {
            cx.builtins.emit_str_into(cx, expr, off, size)
        }
        _ => Err(cx.internal(format!("cannot lower string expression {:?}", expr.kind))),
    }
}

/// Zeroes `size` bytes at `r10 + off`, with the widest aligned stores.
pub fn zero(cx: &mut FnCx, off: i16, size: u32) {
    let mut done = 0u32;
    while done < size {
        // The verifier rejects misaligned stack stores, and a string inside
        // a packed map key may start at any byte.
        let at = i32::from(off) + done as i32;
        let step = [Size::DW, Size::W, Size::H, Size::B]
            .into_iter()
            .find(|s| size - done >= s.bytes() && at.rem_euclid(s.bytes() as i32) == 0)
            .unwrap_or(Size::B);
        cx.asm.store(step, Reg::R10, at as i16, 0);
        done += step.bytes();
    }
}

/// Stores a literal, truncated to leave room for the NUL, then zero bytes.
pub fn store_literal(cx: &mut FnCx, bytes: &[u8], off: i16, size: u32) -> Result<(), LowerError> {
    let mut padded = bytes[..bytes.len().min(size as usize - 1)].to_vec();
    padded.resize(size as usize, 0);
    let mut at = 0usize;
    while at < padded.len() {
        let dst = off as i32 + at as i32;
        // Word stores only where the stack slot is word-aligned.
        if padded.len() - at >= 4 && dst.rem_euclid(4) == 0 {
            let word = i32::from_le_bytes(padded[at..at + 4].try_into().expect("4 bytes"));
            cx.asm.store(Size::W, Reg::R10, dst as i16, word);
            at += 4;
        } else {
            cx.asm
                .store(Size::B, Reg::R10, dst as i16, i32::from(padded[at]));
            at += 1;
        }
    }
    Ok(())
}

/// Copies `len` bytes between two stack buffers with the widest loads the
/// alignment allows.
pub fn copy_stack(cx: &mut FnCx, from: i16, to: i16, len: u32) {
    copy(cx, Reg::R10, from, to, len);
}

/// Copies `len` bytes from `base + from` (stack, map value or context) to
/// the stack at `r10 + to`.
pub fn copy(cx: &mut FnCx, base: Reg, from: i16, to: i16, len: u32) {
    let mut done = 0u32;
    while done < len {
        let at = from as i32 + done as i32;
        let step = [Size::DW, Size::W, Size::H, Size::B]
            .into_iter()
            .find(|s| {
                let n = s.bytes();
                len - done >= n
                    && at.rem_euclid(n as i32) == 0
                    && (to as i32 + done as i32).rem_euclid(n as i32) == 0
            })
            .unwrap_or(Size::B);
        cx.asm.load(step, Reg::R0, base, at as i16);
        cx.asm.store(step, Reg::R10, to + done as i16, Reg::R0);
        done += step.bytes();
    }
}

fn tracepoint_string(cx: &mut FnCx, name: &str, off: i16, size: u32) -> Result<(), LowerError> {
    let format = cx
        .attach
        .format
        .clone()
        .ok_or_else(|| cx.internal("args outside a tracepoint"))?;
    let field = format
        .field(name)
        .ok_or_else(|| cx.internal(format!("no field {name}")))?;
    zero(cx, off, size);
    match field.kind {
        FieldKind::InlineString => {
            copy(cx, CTX, field.offset as i16, off, field.size.min(size - 1));
            Ok(())
        }
        // Bytes have no terminating NUL: all of them fit.
        FieldKind::InlineBytes => {
            copy(cx, CTX, field.offset as i16, off, field.size.min(size));
            Ok(())
        }
        FieldKind::DataLocString => {
            // The low 16 bits are the string's offset from the record start.
            cx.asm.load(Size::W, Reg::R3, CTX, field.offset as i16);
            cx.asm.alu(AluOp::And, Reg::R3, 0xffff);
            cx.asm.alu(AluOp::Add, Reg::R3, CTX);
            read_str_from(cx, Reg::R3, off, size, AddressSpace::Kernel);
            Ok(())
        }
        _ => Err(cx.internal("non-string field read as string")),
    }
}

/// Where a pointer points.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AddressSpace {
    Kernel,
    User,
    /// Not known when compiling (an integer, or a pointer from BTF without
    /// address-space tags): the kernel tells by the address, which x86-64
    /// can since its user and kernel address ranges do not overlap.
    Unknown,
}

/// `bpf_probe_read_{user,kernel,}_str(r10 + off, size, ptr)`: `ptr` must be
/// in r3 (or any register other than r1/r2).
pub fn read_str_from(cx: &mut FnCx, ptr: Reg, off: i16, size: u32, space: AddressSpace) {
    if ptr != Reg::R3 {
        cx.asm.mov(Reg::R3, ptr);
    }
    cx.asm.mov(Reg::R1, Reg::R10);
    cx.asm.alu(AluOp::Add, Reg::R1, off as i32);
    cx.asm.mov(Reg::R2, size as i32);
    cx.asm.call(match space {
        AddressSpace::User => Helper::ProbeReadUserStr,
        AddressSpace::Kernel => Helper::ProbeReadKernelStr,
        AddressSpace::Unknown => Helper::ProbeReadStr,
    });
}

/// `a == b` / `a != b` on strings: byte by byte up to the first NUL.
pub fn compare(cx: &mut FnCx, op: BinaryOp, lhs: &Expr, rhs: &Expr) -> Result<Operand, LowerError> {
    let equal_value = i32::from(op == BinaryOp::Eq);
    equal_within(cx, lhs, rhs, None, equal_value)
}

/// One side of a byte comparison: a literal is compared as immediates,
/// anything else is evaluated into a stack buffer.
#[derive(Clone)]
enum Side {
    Literal(Vec<u8>),
    Buffer { off: i16, size: u32 },
}

impl Side {
    fn eval(cx: &mut FnCx, expr: &Expr) -> Result<Side, LowerError> {
        if let ExprKind::Str(s) = &expr.kind {
            return Ok(Side::Literal(s.as_bytes().to_vec()));
        }
        match cx.eval(expr)? {
            Operand::Buf { off, size } => Ok(Side::Buffer { off, size }),
            _ => Err(cx.internal("string without a buffer")),
        }
    }

    /// Bytes that may be non-zero: a buffer ends with its NUL at the latest.
    fn len(&self) -> u32 {
        match self {
            Side::Literal(b) => b.len() as u32 + 1,
            Side::Buffer { size, .. } => *size,
        }
    }

    /// Byte `i`: an immediate, or loaded into `reg`. Past the end it is 0.
    fn byte(&self, cx: &mut FnCx, i: u32, reg: Reg) -> ByteAt {
        match self {
            Side::Literal(b) => ByteAt::Imm(i32::from(b.get(i as usize).copied().unwrap_or(0))),
            Side::Buffer { size, .. } if i >= *size => ByteAt::Imm(0),
            Side::Buffer { off, .. } => {
                cx.asm.load(Size::B, reg, Reg::R10, off + i as i16);
                ByteAt::Reg(reg)
            }
        }
    }
}

#[derive(Clone, Copy)]
enum ByteAt {
    Imm(i32),
    Reg(Reg),
}

/// Whether two strings are equal in their first `limit` bytes (all of
/// them when `None`): `equal_value` when they are, `1 - equal_value` when
/// not. Comparing stops at the first NUL both share.
///
/// Outcomes no path reaches are not emitted: the verifier rejects
/// unreachable instructions.
pub fn equal_within(
    cx: &mut FnCx,
    lhs: &Expr,
    rhs: &Expr,
    limit: Option<u32>,
    equal_value: i32,
) -> Result<Operand, LowerError> {
    let a = Side::eval(cx, lhs)?;
    let b = Side::eval(cx, rhs)?;
    let result = cx.temp()?;
    let (differ, same, end) = (cx.asm.label(), cx.asm.label(), cx.asm.label());
    let (mut live, mut same_used, mut differ_used) = (true, false, false);
    let n = a.len().max(b.len()).min(limit.unwrap_or(u32::MAX));
    for i in 0..n {
        let x = a.byte(cx, i, Reg::R0);
        let y = b.byte(cx, i, Reg::R1);
        match (x, y) {
            (ByteAt::Imm(x), ByteAt::Imm(y)) if x != y => {
                cx.asm.goto(differ);
                (differ_used, live) = (true, false);
                break;
            }
            (ByteAt::Imm(0), ByteAt::Imm(_)) => break,
            (ByteAt::Imm(_), ByteAt::Imm(_)) => {}
            (ByteAt::Reg(r), ByteAt::Imm(v)) | (ByteAt::Imm(v), ByteAt::Reg(r)) => {
                cx.asm.jump(JmpOp::Ne, r, v, differ);
                differ_used = true;
                if v == 0 {
                    break;
                }
            }
            (ByteAt::Reg(x), ByteAt::Reg(y)) => {
                cx.asm.jump(JmpOp::Ne, x, y, differ);
                cx.asm.jump(JmpOp::Eq, x, 0, same);
                (differ_used, same_used) = (true, true);
            }
        }
    }
    if live || same_used {
        cx.asm.bind(same);
        cx.asm.mov(Reg::R0, equal_value);
        cx.store_to(result, Reg::R0);
        if differ_used {
            cx.asm.goto(end);
        }
    }
    if differ_used {
        cx.asm.bind(differ);
        cx.asm.mov(Reg::R0, 1 - equal_value);
        cx.store_to(result, Reg::R0);
    }
    cx.asm.bind(end);
    Ok(result)
}

/// `strcontains(haystack, needle)`: 1 when `needle` occurs in `haystack`
/// (an empty needle always does), else 0. Unrolled over every start
/// position and needle byte, so the verifier sees straight-line code.
pub fn contains(cx: &mut FnCx, haystack: &Expr, needle: &Expr) -> Result<Operand, LowerError> {
    let h = Side::eval(cx, haystack)?;
    let n = Side::eval(cx, needle)?;
    let result = cx.temp()?;
    let (found, missing, end) = (cx.asm.label(), cx.asm.label(), cx.asm.label());
    let (mut live, mut found_used, mut missing_used) = (true, false, false);
    let (h_len, n_len) = (h.len(), n.len());
    for start in 0..h_len {
        let next = cx.asm.label();
        let mut next_used = false;
        for j in 0..n_len {
            let nb = n.byte(cx, j, Reg::R1);
            match nb {
                ByteAt::Imm(0) => {
                    cx.asm.goto(found);
                    (found_used, live) = (true, false);
                    break;
                }
                ByteAt::Reg(r) => {
                    cx.asm.jump(JmpOp::Eq, r, 0, found);
                    found_used = true;
                }
                ByteAt::Imm(_) => {}
            }
            // Past the haystack's buffer: no room left for the needle.
            if start + j >= h_len {
                cx.asm.goto(missing);
                (missing_used, live) = (true, false);
                break;
            }
            match (h.byte(cx, start + j, Reg::R0), nb) {
                (ByteAt::Reg(x), ByteAt::Reg(y)) => {
                    cx.asm.jump(JmpOp::Ne, x, y, next);
                    next_used = true;
                }
                (ByteAt::Reg(x), ByteAt::Imm(v)) | (ByteAt::Imm(v), ByteAt::Reg(x)) => {
                    cx.asm.jump(JmpOp::Ne, x, v, next);
                    next_used = true;
                }
                (ByteAt::Imm(x), ByteAt::Imm(y)) if x != y => {
                    cx.asm.goto(next);
                    (next_used, live) = (true, false);
                    break;
                }
                (ByteAt::Imm(_), ByteAt::Imm(_)) => {}
            }
        }
        if live {
            // Every byte of a needle that fills its buffer matched.
            cx.asm.goto(found);
            (found_used, live) = (true, false);
        }
        if !next_used {
            break;
        }
        cx.asm.bind(next);
        // The haystack ends here: no later start can match.
        match h.byte(cx, start, Reg::R0) {
            ByteAt::Reg(r) => {
                cx.asm.jump(JmpOp::Eq, r, 0, missing);
                (missing_used, live) = (true, true);
            }
            ByteAt::Imm(0) => {
                cx.asm.goto(missing);
                missing_used = true;
                break;
            }
            ByteAt::Imm(_) => live = true,
        }
    }
    if live || missing_used {
        cx.asm.bind(missing);
        cx.asm.mov(Reg::R0, 0);
        cx.store_to(result, Reg::R0);
        if found_used {
            cx.asm.goto(end);
        }
    }
    if found_used {
        cx.asm.bind(found);
        cx.asm.mov(Reg::R0, 1);
        cx.store_to(result, Reg::R0);
    }
    cx.asm.bind(end);
    Ok(result)
}
