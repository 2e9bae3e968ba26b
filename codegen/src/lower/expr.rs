//! Integer expressions: literals, variables, tracepoint fields, operators.
//! Strings are lowered by `strings.rs`, map accesses by `maps.rs`,
//! builtins by their stdlib family.

use super::cx::{FnCx, Operand, CTX};
use super::{maps, memory, strings, tuples, LowerError};
use crate::asm::{AluOp, JmpOp, Reg, Size, Src};
use rtrace_lang::ast::{BinaryOp, Expr, ExprKind, UnaryOp};
use rtrace_lang::check::builtins::const_int;
use rtrace_lang::check::parse_int;
use rtrace_lang::tracepoint::{Field, FieldKind};
use rtrace_lang::types::{IntType, Type};

/// Evaluates an expression. Integers come back in a temporary (or as an
/// immediate); strings in a fresh stack buffer.
pub fn eval(cx: &mut FnCx, expr: &Expr) -> Result<Operand, LowerError> {
    let saved = cx.span;
    cx.span = expr.span;
    cx.asm.set_origin(expr.span.start);
    let result = eval_inner(cx, expr);
    cx.span = saved;
    result
}

fn eval_inner(cx: &mut FnCx, expr: &Expr) -> Result<Operand, LowerError> {
    let ty = cx.type_of(expr);
    if let Some(size) = ty.buffer_size() {
        let off = cx.alloc(size)?;
        strings::eval_into(cx, expr, off, size)?;
        return Ok(Operand::Buf { off, size });
    }
    if let Type::Tuple(tuple) = ty {
        let size = tuple.size();
        let off = cx.alloc(size)?;
        tuples::eval_into(cx, expr, off, tuple)?;
        return Ok(Operand::Buf { off, size });
    }
    // `sizeof`, `offsetof` and enum constants were worked out by the checker.
    if let Some(&value) = cx.checked.constants.get(&expr.id) {
        return Ok(Operand::Imm(value));
    }
    if let Some(read) = memory::access(cx, expr) {
        return memory::read_value(cx, expr, read);
    }
    match &expr.kind {
        ExprKind::Int(v) => Ok(Operand::Imm(*v as i64)),
        ExprKind::Positional(n) => {
            // A parameter that was not given reads as 0, as in bpftrace.
            let value = cx
                .params
                .get(*n as usize - 1)
                .and_then(|text| parse_int(text));
            Ok(Operand::Imm(value.unwrap_or(0)))
        }
        ExprKind::PositionalCount => Ok(Operand::Imm(cx.params.len() as i64)),
        ExprKind::Var(name) => {
            let slot = *cx
                .vars
                .get(name)
                .ok_or_else(|| cx.internal(format!("no slot for ${name}")))?;
            let t = cx.temp()?;
            let r = cx.to_reg(slot, Reg::R0);
            cx.store_to(t, r);
            Ok(t)
        }
        ExprKind::Ident(_) => cx.builtins.emit_ident(cx, expr),
        ExprKind::Call { .. } => cx.builtins.emit_call(cx, expr),
        ExprKind::Map { .. } => maps::read(cx, expr),
        ExprKind::Field { field, .. } => tracepoint_field(cx, &field.name),
        ExprKind::Index { base, index } => match &base.kind {
            ExprKind::Field { field, .. } => tracepoint_element(cx, &field.name, index),
            _ => Err(cx.internal("access the checker did not resolve")),
        },
        ExprKind::Unary { op, operand } => unary(cx, *op, operand),
        ExprKind::Binary { op, lhs, rhs } => match cx.checked.pointer_steps.get(&expr.id) {
            Some(&step) => pointer_step(cx, *op, lhs, rhs, step),
            None => binary(cx, *op, lhs, rhs),
        },
        // A cast to a pointer type changes the type, not the value.
        ExprKind::Cast { operand, .. } => match cx.type_of(expr) {
            Type::Int(to) => cast(cx, to, operand),
            _ => eval(cx, operand),
        },
        ExprKind::Ternary {
            cond,
            then,
            otherwise,
        } => {
            let result = cx.temp()?;
            let (else_label, end) = (cx.asm.label(), cx.asm.label());
            branch_if_zero(cx, cond, else_label)?;
            let a = eval(cx, then)?;
            cx.release(a);
            let r = cx.to_reg(a, Reg::R0);
            cx.store_to(result, r);
            cx.asm.goto(end);
            cx.asm.bind(else_label);
            let b = eval(cx, otherwise)?;
            cx.release(b);
            let r = cx.to_reg(b, Reg::R0);
            cx.store_to(result, r);
            cx.asm.bind(end);
            Ok(result)
        }
        ExprKind::Step { .. } => maps::step(cx, expr),
        ExprKind::TupleIndex { .. } => tuples::read_int(cx, expr),
        ExprKind::Str(_) | ExprKind::Tuple(_) => {
            Err(cx.internal("string or tuple literal typed as integer"))
        }
        ExprKind::Deref(_) | ExprKind::Sizeof(_) | ExprKind::Offsetof { .. } => {
            Err(cx.internal("access the checker did not resolve"))
        }
    }
}

/// Jumps to `target` when the integer `cond` is zero.
pub fn branch_if_zero(
    cx: &mut FnCx,
    cond: &Expr,
    target: crate::asm::Label,
) -> Result<(), LowerError> {
    // Predicates and conditions are the hot path of a filtering probe: a
    // comparison becomes one compare-and-jump instead of a 0/1 value that
    // is tested again, and `a && b` tests each side in turn.
    if let ExprKind::Binary { op, lhs, rhs } = &cond.kind {
        if *op == BinaryOp::And {
            branch_if_zero(cx, lhs, target)?;
            return branch_if_zero(cx, rhs, target);
        }
        if op.is_comparison() && !cx.type_of(lhs).is_str() {
            let signed = is_signed(cx, lhs) || is_signed(cx, rhs);
            let a = eval(cx, lhs)?;
            let b = eval(cx, rhs)?;
            let constant = matches!((a, b), (Operand::Imm(_), Operand::Imm(_)));
            if let (false, Some(negated)) = (constant, comparison(*op, signed).negate()) {
                cx.release(b);
                cx.release(a);
                cx.move_to(Reg::R1, a);
                let src = cx.as_src(b, Reg::R2);
                cx.asm.jump(negated, Reg::R1, src, target);
                return Ok(());
            }
            // Both sides constant: fold, and keep the conditional jump.
            let value = fold(*op, imm(a), imm(b), signed).unwrap_or(0);
            cx.release(b);
            cx.release(a);
            let r = cx.to_reg(Operand::Imm(value), Reg::R0);
            cx.asm.jump(JmpOp::Eq, r, 0, target);
            return Ok(());
        }
    }
    let c = eval(cx, cond)?;
    cx.release(c);
    // A constant condition still gets a conditional jump: without it (or
    // with an unconditional one) the skipped code would be unreachable,
    // which the verifier rejects; with a compare it prunes the dead path.
    let r = cx.to_reg(c, Reg::R0);
    cx.asm.jump(JmpOp::Eq, r, 0, target);
    Ok(())
}

fn context_field(cx: &FnCx, name: &str) -> Result<Field, LowerError> {
    cx.attach
        .format
        .as_ref()
        .ok_or_else(|| cx.internal("args outside a tracepoint"))?
        .field(name)
        .cloned()
        .ok_or_else(|| cx.internal(format!("no field {name}")))
}

fn tracepoint_field(cx: &mut FnCx, name: &str) -> Result<Operand, LowerError> {
    let field = context_field(cx, name)?;
    let (size, signed) = match field.kind {
        FieldKind::Int(int) => (field.size, int.signed),
        FieldKind::Pointer(_) => (8, false),
        _ => return Err(cx.internal("string field read as integer")),
    };
    load_context_int(cx, field.offset, size, signed)
}

/// `args.NAME[i]`: the checker made sure `i` is a literal within the
/// array, so the element is at a fixed offset in the context.
fn tracepoint_element(cx: &mut FnCx, name: &str, index: &Expr) -> Result<Operand, LowerError> {
    let field = context_field(cx, name)?;
    let (element, _) = field
        .elements()
        .ok_or_else(|| cx.internal(format!("{name} indexed but not an array")))?;
    let i = const_int(index)
        .and_then(|i| u32::try_from(i).ok())
        .ok_or_else(|| cx.internal("array field index is not a literal"))?;
    let size = u32::from(element.bits / 8);
    load_context_int(cx, field.offset + i * size, size, element.signed)
}

/// Reads an integer of `size` bytes at `offset` in the probe's context,
/// sign-extended when `signed`, into a fresh temporary.
pub fn load_context_int(
    cx: &mut FnCx,
    offset: u32,
    size: u32,
    signed: bool,
) -> Result<Operand, LowerError> {
    let load_size = match size {
        1 => Size::B,
        2 => Size::H,
        4 => Size::W,
        _ => Size::DW,
    };
    let t = cx.temp()?;
    cx.asm.load(load_size, Reg::R0, CTX, offset as i16);
    if signed && size < 8 {
        let shift = (64 - size * 8) as i32;
        cx.asm.alu(AluOp::Lsh, Reg::R0, shift);
        cx.asm.alu(AluOp::Arsh, Reg::R0, shift);
    }
    cx.store_to(t, Reg::R0);
    Ok(t)
}

fn unary(cx: &mut FnCx, op: UnaryOp, operand: &Expr) -> Result<Operand, LowerError> {
    let v = eval(cx, operand)?;
    if let Operand::Imm(x) = v {
        return Ok(Operand::Imm(match op {
            UnaryOp::Neg => x.wrapping_neg(),
            UnaryOp::Not => i64::from(x == 0),
            UnaryOp::BitNot => !x,
        }));
    }
    cx.release(v);
    let t = cx.temp()?;
    cx.move_to(Reg::R0, v);
    match op {
        UnaryOp::Neg => cx.asm.alu(AluOp::Neg, Reg::R0, 0),
        UnaryOp::BitNot => cx.asm.alu(AluOp::Xor, Reg::R0, -1),
        UnaryOp::Not => {
            let done = cx.asm.label();
            cx.asm.mov(Reg::R1, Reg::R0);
            cx.asm.mov(Reg::R0, 1);
            cx.asm.jump(JmpOp::Eq, Reg::R1, 0, done);
            cx.asm.mov(Reg::R0, 0);
            cx.asm.bind(done);
        }
    }
    cx.store_to(t, Reg::R0);
    Ok(t)
}

fn is_signed(cx: &FnCx, e: &Expr) -> bool {
    matches!(cx.type_of(e), Type::Int(i) if i.signed)
}

fn binary(cx: &mut FnCx, op: BinaryOp, lhs: &Expr, rhs: &Expr) -> Result<Operand, LowerError> {
    if op.is_logical() {
        return logical(cx, op, lhs, rhs);
    }
    if cx.type_of(lhs).is_str() {
        return strings::compare(cx, op, lhs, rhs);
    }
    let signed = is_signed(cx, lhs) || is_signed(cx, rhs);
    let a = eval(cx, lhs)?;
    let b = eval(cx, rhs)?;
    if let (Operand::Imm(x), Operand::Imm(y)) = (a, b) {
        if let Some(v) = fold(op, x, y, signed) {
            return Ok(Operand::Imm(v));
        }
    }
    cx.release(b);
    cx.release(a);
    let t = cx.temp()?;
    cx.move_to(Reg::R1, a);
    let src = cx.as_src(b, Reg::R2);
    if op.is_comparison() {
        let jop = comparison(op, signed);
        let done = cx.asm.label();
        cx.asm.mov(Reg::R0, 1);
        cx.asm.jump(jop, Reg::R1, src, done);
        cx.asm.mov(Reg::R0, 0);
        cx.asm.bind(done);
    } else {
        let alu = match op {
            BinaryOp::Add => AluOp::Add,
            BinaryOp::Sub => AluOp::Sub,
            BinaryOp::Mul => AluOp::Mul,
            BinaryOp::Div => AluOp::Div,
            BinaryOp::Mod => AluOp::Mod,
            BinaryOp::BitAnd => AluOp::And,
            BinaryOp::BitOr => AluOp::Or,
            BinaryOp::BitXor => AluOp::Xor,
            BinaryOp::Shl => AluOp::Lsh,
            BinaryOp::Shr if signed => AluOp::Arsh,
            BinaryOp::Shr => AluOp::Rsh,
            _ => return Err(cx.internal("comparison in arithmetic")),
        };
        cx.asm.alu(alu, Reg::R1, src);
        cx.asm.mov(Reg::R0, Reg::R1);
    }
    cx.store_to(t, Reg::R0);
    Ok(t)
}

/// `p + n`, `n + p`, `p - n`: `n` counts elements of `step` bytes.
fn pointer_step(
    cx: &mut FnCx,
    op: BinaryOp,
    lhs: &Expr,
    rhs: &Expr,
    step: u32,
) -> Result<Operand, LowerError> {
    let (pointer, count) = if matches!(cx.type_of(lhs), Type::Ptr(_)) {
        (lhs, rhs)
    } else {
        (rhs, lhs)
    };
    let p = eval(cx, pointer)?;
    let n = eval(cx, count)?;
    if let (Operand::Imm(p), Operand::Imm(n)) = (p, n) {
        let bytes = n.wrapping_mul(i64::from(step));
        return Ok(Operand::Imm(match op {
            BinaryOp::Sub => p.wrapping_sub(bytes),
            _ => p.wrapping_add(bytes),
        }));
    }
    cx.release(n);
    cx.release(p);
    let t = cx.temp()?;
    cx.move_to(Reg::R1, p);
    cx.move_to(Reg::R2, n);
    if step != 1 {
        cx.asm.alu(AluOp::Mul, Reg::R2, Src::Imm(step as i32));
    }
    let alu = if op == BinaryOp::Sub {
        AluOp::Sub
    } else {
        AluOp::Add
    };
    cx.asm.alu(alu, Reg::R1, Reg::R2);
    cx.store_to(t, Reg::R1);
    Ok(t)
}

fn comparison(op: BinaryOp, signed: bool) -> JmpOp {
    match (op, signed) {
        (BinaryOp::Eq, _) => JmpOp::Eq,
        (BinaryOp::Ne, _) => JmpOp::Ne,
        (BinaryOp::Lt, true) => JmpOp::Slt,
        (BinaryOp::Le, true) => JmpOp::Sle,
        (BinaryOp::Gt, true) => JmpOp::Sgt,
        (BinaryOp::Ge, true) => JmpOp::Sge,
        (BinaryOp::Lt, false) => JmpOp::Lt,
        (BinaryOp::Le, false) => JmpOp::Le,
        (BinaryOp::Gt, false) => JmpOp::Gt,
        _ => JmpOp::Ge,
    }
}

/// Registers hold 64 bits: a narrower type keeps its low bits, extended
/// with zeros (unsigned) or with its sign bit (signed).
fn cast(cx: &mut FnCx, to: IntType, operand: &Expr) -> Result<Operand, LowerError> {
    let v = eval(cx, operand)?;
    if let Operand::Imm(x) = v {
        return Ok(Operand::Imm(truncate(x, to)));
    }
    if to.bits == 64 {
        return Ok(v);
    }
    cx.release(v);
    let t = cx.temp()?;
    cx.move_to(Reg::R0, v);
    let shift = i32::from(64 - to.bits);
    cx.asm.alu(AluOp::Lsh, Reg::R0, shift);
    let back = if to.signed { AluOp::Arsh } else { AluOp::Rsh };
    cx.asm.alu(back, Reg::R0, shift);
    cx.store_to(t, Reg::R0);
    Ok(t)
}

fn truncate(x: i64, to: IntType) -> i64 {
    if to.bits == 64 {
        return x;
    }
    let shift = 64 - u32::from(to.bits);
    if to.signed {
        (x << shift) >> shift
    } else {
        ((x as u64) << shift >> shift) as i64
    }
}

fn imm(operand: Operand) -> i64 {
    match operand {
        Operand::Imm(v) => v,
        _ => 0,
    }
}

/// Constant folding, with the kernel's semantics (x / 0 == 0, x % 0 == x).
fn fold(op: BinaryOp, x: i64, y: i64, signed: bool) -> Option<i64> {
    let (ux, uy) = (x as u64, y as u64);
    Some(match op {
        BinaryOp::Add => x.wrapping_add(y),
        BinaryOp::Sub => x.wrapping_sub(y),
        BinaryOp::Mul => x.wrapping_mul(y),
        BinaryOp::Div => ux.checked_div(uy).unwrap_or(0) as i64,
        BinaryOp::Mod => ux.checked_rem(uy).unwrap_or(ux) as i64,
        BinaryOp::BitAnd => x & y,
        BinaryOp::BitOr => x | y,
        BinaryOp::BitXor => x ^ y,
        BinaryOp::Shl => ux.wrapping_shl(uy as u32) as i64,
        BinaryOp::Shr if signed => x.wrapping_shr(uy as u32),
        BinaryOp::Shr => ux.wrapping_shr(uy as u32) as i64,
        BinaryOp::Eq => i64::from(x == y),
        BinaryOp::Ne => i64::from(x != y),
        BinaryOp::Lt if signed => i64::from(x < y),
        BinaryOp::Le if signed => i64::from(x <= y),
        BinaryOp::Gt if signed => i64::from(x > y),
        BinaryOp::Ge if signed => i64::from(x >= y),
        BinaryOp::Lt => i64::from(ux < uy),
        BinaryOp::Le => i64::from(ux <= uy),
        BinaryOp::Gt => i64::from(ux > uy),
        BinaryOp::Ge => i64::from(ux >= uy),
        BinaryOp::And | BinaryOp::Or => return None,
    })
}

/// `a && b`, `a || b`: the right side runs only when it decides.
fn logical(cx: &mut FnCx, op: BinaryOp, lhs: &Expr, rhs: &Expr) -> Result<Operand, LowerError> {
    let result = cx.temp()?;
    let (short, end) = (cx.asm.label(), cx.asm.label());
    let short_value = i32::from(op == BinaryOp::Or);
    for side in [lhs, rhs] {
        let v = eval(cx, side)?;
        cx.release(v);
        let r = cx.to_reg(v, Reg::R0);
        let jop = if op == BinaryOp::And {
            JmpOp::Eq
        } else {
            JmpOp::Ne
        };
        cx.asm.jump(jop, r, 0, short);
    }
    cx.asm.mov(Reg::R0, 1 - short_value);
    cx.store_to(result, Reg::R0);
    cx.asm.goto(end);
    cx.asm.bind(short);
    cx.asm.mov(Reg::R0, short_value);
    cx.store_to(result, Reg::R0);
    cx.asm.bind(end);
    Ok(result)
}
