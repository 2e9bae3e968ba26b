//! Tuples: fixed-size records on the stack, laid out by
//! [`TupleType::fields`] (every element 8-aligned).
//!
//! A tuple is always written into a buffer of the type it is stored as,
//! which may be wider than the value's own type: after
//! `$t = (1, "a"); $t = (2, "abc");` the string element of `$t` has room
//! for "abc", and the first literal is written with that room. Reading a
//! tuple that already lives on the stack (a variable, an element of one)
//! copies from where it is, without an intermediate buffer.

use super::cx::FnCx;
use super::{expr, maps, strings, LowerError};
use crate::asm::{JmpOp, Reg, Size};
use rtrace_lang::ast::{Expr, ExprKind, SizeofOperand};
use rtrace_lang::check::MapValueType;
use rtrace_lang::types::{TupleType, Type};

/// Fills the buffer at `r10 + off`, of type `to`, with the tuple `expr`.
/// Every byte is written, padding included: the buffer may become a map
/// value or an event, which the verifier wants initialised.
pub fn eval_into(cx: &mut FnCx, expr: &Expr, off: i16, to: TupleType) -> Result<(), LowerError> {
    zero_padding(cx, off, to);
    fill(cx, expr, off, to)
}

/// `eval_into` without the padding, which the outermost call zeroes.
fn fill(cx: &mut FnCx, expr: &Expr, off: i16, to: TupleType) -> Result<(), LowerError> {
    match &expr.kind {
        ExprKind::Tuple(elements) => {
            for ((at, ty), element) in to.fields().zip(elements) {
                element_into(cx, element, off + at as i16, ty)?;
            }
            Ok(())
        }
        ExprKind::Ternary {
            cond,
            then,
            otherwise,
        } => {
            let (else_label, end) = (cx.asm.label(), cx.asm.label());
            expr::branch_if_zero(cx, cond, else_label)?;
            fill(cx, then, off, to)?;
            cx.asm.goto(end);
            cx.asm.bind(else_label);
            fill(cx, otherwise, off, to)?;
            cx.asm.bind(end);
            Ok(())
        }
        ExprKind::Map { .. } => map_value_into(cx, expr, off, to),
        ExprKind::Var(_) | ExprKind::TupleIndex { .. } => {
            let from = own_type(cx, expr)?;
            let at = locate(cx, expr)?;
            convert(cx, Reg::R10, at, Type::Tuple(from), off, Type::Tuple(to));
            Ok(())
        }
        _ => Err(cx.internal(format!("cannot lower tuple expression {:?}", expr.kind))),
    }
}

/// Writes one element of type `ty` at `r10 + at`.
fn element_into(cx: &mut FnCx, element: &Expr, at: i16, ty: Type) -> Result<(), LowerError> {
    match ty {
        Type::Tuple(inner) => fill(cx, element, at, inner),
        // Strings, timestamps, addresses...: written in place.
        ty if ty.is_buffer() => strings::eval_into(cx, element, at, ty.size()),
        _ => {
            let v = cx.eval(element)?;
            cx.release(v);
            let r = cx.to_reg(v, Reg::R0);
            cx.asm.store(Size::DW, Reg::R10, at, r);
            Ok(())
        }
    }
}

/// A tuple map value, or all zeros when the key is absent.
fn map_value_into(
    cx: &mut FnCx,
    map_expr: &Expr,
    off: i16,
    to: TupleType,
) -> Result<(), LowerError> {
    let from = match maps::spec(cx, map_expr)?.value {
        MapValueType::Plain(t @ Type::Tuple(_)) => t,
        _ => return Err(cx.internal("tuple read of a map that holds no tuples")),
    };
    let (map, key) = maps::build_key(cx, map_expr)?;
    strings::zero(cx, off, to.size());
    maps::lookup(cx, map, key);
    let missing = cx.asm.label();
    cx.asm.jump(JmpOp::Eq, Reg::R0, 0, missing);
    // r0 is the scratch register of the copy.
    cx.asm.mov(Reg::R1, Reg::R0);
    convert(cx, Reg::R1, 0, from, off, Type::Tuple(to));
    cx.asm.bind(missing);
    Ok(())
}

/// Where the tuple `expr` lives on the stack, as an offset from r10: a
/// variable's slot, an element inside another located tuple, or else a
/// fresh buffer it is evaluated into.
pub fn locate(cx: &mut FnCx, expr: &Expr) -> Result<i16, LowerError> {
    match &expr.kind {
        ExprKind::Var(name) => match cx.vars.get(name) {
            Some(super::cx::Operand::Buf { off, .. }) => Ok(*off),
            _ => Err(cx.internal(format!("tuple variable ${name} without a buffer"))),
        },
        ExprKind::TupleIndex { base, index, .. } => {
            let at = locate(cx, base)?;
            let (offset, _) = field(cx, base, *index)?;
            Ok(at + offset as i16)
        }
        _ => {
            let own = own_type(cx, expr)?;
            let buf = cx.alloc(own.size())?;
            eval_into(cx, expr, buf, own)?;
            Ok(buf)
        }
    }
}

/// The offset and type of element `index` of the tuple `base`.
fn field(cx: &FnCx, base: &Expr, index: u64) -> Result<(u32, Type), LowerError> {
    let tuple = own_type(cx, base)?;
    usize::try_from(index)
        .ok()
        .and_then(|i| tuple.fields().nth(i))
        .ok_or_else(|| cx.internal(format!("tuple index {index} out of range")))
}

fn own_type(cx: &FnCx, expr: &Expr) -> Result<TupleType, LowerError> {
    match cx.type_of(expr) {
        Type::Tuple(t) => Ok(t),
        other => Err(cx.internal(format!("expected a tuple, found {other}"))),
    }
}

/// `tuple.N` of an integer element, into a fresh temporary.
pub fn read_int(cx: &mut FnCx, expr: &Expr) -> Result<super::cx::Operand, LowerError> {
    let at = locate(cx, expr)?;
    let t = cx.temp()?;
    cx.asm.load(Size::DW, Reg::R0, Reg::R10, at);
    cx.store_to(t, Reg::R0);
    Ok(t)
}

/// `tuple.N` of a string element, into the buffer at `r10 + off`.
pub fn read_str_into(cx: &mut FnCx, expr: &Expr, off: i16, size: u32) -> Result<(), LowerError> {
    let at = locate(cx, expr)?;
    convert(cx, Reg::R10, at, cx.type_of(expr), off, Type::Str(size));
    Ok(())
}

/// Copies a value of type `from` at `base + at` to the stack at `r10 + to`
/// as type `to`, which unifies with it: strings are zero-padded to their
/// new size, tuples converted element by element.
pub fn convert(cx: &mut FnCx, base: Reg, at: i16, from: Type, to: i16, to_type: Type) {
    match (from, to_type) {
        _ if from == to_type => strings::copy(cx, base, at, to, from.size()),
        (Type::Str(n), Type::Str(m)) => {
            strings::zero(cx, to, m);
            // Leave the last byte for the NUL should the target be smaller.
            let len = if n <= m { n } else { m - 1 };
            strings::copy(cx, base, at, to, len);
        }
        (Type::Tuple(x), Type::Tuple(y)) => {
            for ((a, p), (b, q)) in x.fields().zip(y.fields()) {
                convert(cx, base, at + a as i16, p, to + b as i16, q);
            }
        }
        // Integers are 8 bytes whatever their type.
        _ => strings::copy(cx, base, at, to, 8),
    }
}

/// Zeroes the bytes between an element and the next 8-aligned offset.
fn zero_padding(cx: &mut FnCx, off: i16, tuple: TupleType) {
    for (at, ty) in tuple.fields() {
        let at = off + at as i16;
        match ty {
            Type::Tuple(inner) => zero_padding(cx, at, inner),
            _ => {
                let size = ty.size();
                let padding = size.next_multiple_of(8) - size;
                if padding > 0 {
                    strings::zero(cx, at + size as i16, padding);
                }
            }
        }
    }
}

/// Whether `expr` reads the variable `name`: assigning it a tuple built
/// from itself (`$t = ($t.1, $t.0)`) must not overwrite what is still to
/// be read.
pub fn reads_var(expr: &Expr, name: &str) -> bool {
    let mut found = false;
    visit(expr, &mut |e| {
        found |= matches!(&e.kind, ExprKind::Var(n) if n == name);
    });
    found
}

fn visit(expr: &Expr, f: &mut impl FnMut(&Expr)) {
    f(expr);
    match &expr.kind {
        ExprKind::Tuple(list)
        | ExprKind::Map { keys: list, .. }
        | ExprKind::Call { args: list, .. } => list.iter().for_each(|e| visit(e, f)),
        ExprKind::Field { base: e, .. }
        | ExprKind::Unary { operand: e, .. }
        | ExprKind::Cast { operand: e, .. }
        | ExprKind::Step { target: e, .. }
        | ExprKind::Deref(e)
        | ExprKind::Sizeof(SizeofOperand::Expr(e))
        | ExprKind::TupleIndex { base: e, .. } => visit(e, f),
        ExprKind::Binary { lhs, rhs, .. }
        | ExprKind::Index {
            base: lhs,
            index: rhs,
        } => {
            visit(lhs, f);
            visit(rhs, f);
        }
        ExprKind::Ternary {
            cond,
            then,
            otherwise,
        } => {
            visit(cond, f);
            visit(then, f);
            visit(otherwise, f);
        }
        ExprKind::Int(_)
        | ExprKind::Str(_)
        | ExprKind::Ident(_)
        | ExprKind::Var(_)
        | ExprKind::Positional(_)
        | ExprKind::PositionalCount
        | ExprKind::Sizeof(SizeofOperand::Type(_))
        | ExprKind::Offsetof { .. } => {}
    }
}

/// `$t = value` for a tuple variable whose buffer is at `r10 + off`.
pub fn assign_var(
    cx: &mut FnCx,
    name: &str,
    value: &Expr,
    off: i16,
    to: TupleType,
) -> Result<(), LowerError> {
    if !reads_var(value, name) {
        return eval_into(cx, value, off, to);
    }
    let buf = cx.alloc(to.size())?;
    eval_into(cx, value, buf, to)?;
    strings::copy_stack(cx, buf, off, to.size());
    Ok(())
}

/// Writes the key parts of `@m[(a, b)]` or `@m[$t]` (a tuple as the whole
/// key) at `r10 + key`, where `parts` are the key's layout.
pub fn key_into(
    cx: &mut FnCx,
    key_expr: &Expr,
    key: i16,
    parts: &[crate::manifest::Part],
) -> Result<(), LowerError> {
    if let ExprKind::Tuple(elements) = &key_expr.kind {
        for (part, element) in parts.iter().zip(elements) {
            element_into(cx, element, key + part.offset as i16, part.ty)?;
        }
        return Ok(());
    }
    let from = own_type(cx, key_expr)?;
    let at = locate(cx, key_expr)?;
    for (part, (offset, ty)) in parts.iter().zip(from.fields()) {
        convert(
            cx,
            Reg::R10,
            at + offset as i16,
            ty,
            key + part.offset as i16,
            part.ty,
        );
    }
    Ok(())
}
