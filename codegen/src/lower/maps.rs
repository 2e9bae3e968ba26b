//! Map access: keys built on the stack, plain values read and written
//! with lookup/update, aggregations updated in place after one lookup.

use super::cx::{FnCx, Operand};
use super::{events, strings, tuples, LowerError};
use crate::asm::{AluOp, Helper, JmpOp, MapId, Reg, Size};
use crate::manifest::{KeyLayout, MapSpec, Part};
use rtrace_lang::ast::{BinaryOp, Expr, ExprKind};
use rtrace_lang::check::MapValueType;
use rtrace_lang::types::Type;

const BPF_ANY: i32 = 0;
const BPF_NOEXIST: i32 = 1;
const EEXIST: i32 = 17;

/// Lays out key parts: integers 8-aligned, strings where they fall.
pub fn key_layout(keys: &Option<Vec<Type>>) -> KeyLayout {
    let Some(types) = keys else {
        return KeyLayout {
            parts: None,
            size: 8,
        };
    };
    let mut offset = 0u32;
    let mut parts = Vec::new();
    for &ty in types {
        if !ty.is_str() {
            offset = offset.next_multiple_of(8);
        }
        parts.push(Part { offset, ty });
        offset += ty.size();
    }
    KeyLayout {
        parts: Some(parts),
        size: offset.next_multiple_of(8).max(8),
    }
}

/// The map an expression `@name[...]` names.
pub fn spec<'c>(cx: &'c FnCx, map_expr: &Expr) -> Result<&'c MapSpec, LowerError> {
    let ExprKind::Map { name, .. } = &map_expr.kind else {
        return Err(cx.internal("expected a map expression"));
    };
    cx.tables
        .maps
        .iter()
        .find(|m| m.name[1..] == *name)
        .ok_or_else(|| cx.internal(format!("no map @{name}")))
}

/// Builds the key of `@name[k1, k2]` on the stack; returns its offset.
pub fn build_key(cx: &mut FnCx, map_expr: &Expr) -> Result<(MapId, i16), LowerError> {
    let ExprKind::Map { keys, .. } = &map_expr.kind else {
        return Err(cx.internal("expected a map expression"));
    };
    let spec = spec(cx, map_expr)?;
    let (id, layout) = (spec.id, spec.key.clone());
    let off = cx.alloc(layout.size)?;
    let Some(parts) = layout.parts else {
        cx.asm.store(Size::DW, Reg::R10, off, 0);
        return Ok((id, off));
    };
    let used: u32 = parts.iter().map(|p| p.ty.size()).sum();
    if used != layout.size {
        strings::zero(cx, off, layout.size);
    }
    // `@m[(a, b)]` is `@m[a, b]`: the tuple's elements are the parts.
    if let ([key], Type::Tuple(_)) = (keys.as_slice(), cx.type_of(&keys[0])) {
        tuples::key_into(cx, key, off, &parts)?;
        return Ok((id, off));
    }
    for (part, key) in parts.iter().zip(keys) {
        let at = off + part.offset as i16;
        match part.ty {
            ty if ty.buffer_size().is_some() => strings::eval_into(cx, key, at, ty.size())?,
            _ => {
                let v = cx.eval(key)?;
                cx.release(v);
                let r = cx.to_reg(v, Reg::R0);
                cx.asm.store(Size::DW, Reg::R10, at, r);
            }
        }
    }
    Ok((id, off))
}

/// `r0 = bpf_map_lookup_elem(map, r10 + key)`
pub fn lookup(cx: &mut FnCx, map: MapId, key: i16) {
    cx.asm.load_map_fd(Reg::R1, map);
    cx.asm.mov(Reg::R2, Reg::R10);
    cx.asm.alu(AluOp::Add, Reg::R2, key as i32);
    cx.asm.call(Helper::MapLookupElem);
}

/// `r0 = bpf_map_update_elem(map, r10 + key, r10 + value, flags)`, counting
/// failures so a full map is reported instead of silently dropping.
fn update(cx: &mut FnCx, map: MapId, key: i16, value: i16, flags: i32) {
    cx.asm.load_map_fd(Reg::R1, map);
    cx.asm.mov(Reg::R2, Reg::R10);
    cx.asm.alu(AluOp::Add, Reg::R2, key as i32);
    cx.asm.mov(Reg::R3, Reg::R10);
    cx.asm.alu(AluOp::Add, Reg::R3, value as i32);
    cx.asm.mov(Reg::R4, flags);
    cx.asm.call(Helper::MapUpdateElem);
    let ok = cx.asm.label();
    cx.asm.jump(JmpOp::Eq, Reg::R0, 0, ok);
    events::count_update_failure(cx);
    cx.asm.bind(ok);
}

/// Reads an integer map value (0 when the key is absent).
pub fn read(cx: &mut FnCx, map_expr: &Expr) -> Result<Operand, LowerError> {
    let (map, key) = build_key(cx, map_expr)?;
    lookup(cx, map, key);
    let t = cx.temp()?;
    let missing = cx.asm.label();
    cx.asm.mov(Reg::R1, 0);
    cx.asm.jump(JmpOp::Eq, Reg::R0, 0, missing);
    cx.asm.load(Size::DW, Reg::R1, Reg::R0, 0);
    cx.asm.bind(missing);
    cx.store_to(t, Reg::R1);
    Ok(t)
}

/// Reads a string map value into a buffer (empty when absent).
pub fn read_string_into(
    cx: &mut FnCx,
    map_expr: &Expr,
    off: i16,
    size: u32,
) -> Result<(), LowerError> {
    let value_size = match spec(cx, map_expr)?.value {
        MapValueType::Plain(t) if t.buffer_size().is_some() => t.size(),
        _ => return Err(cx.internal("string read of a non-string map")),
    };
    let (map, key) = build_key(cx, map_expr)?;
    strings::zero(cx, off, size);
    lookup(cx, map, key);
    let missing = cx.asm.label();
    cx.asm.jump(JmpOp::Eq, Reg::R0, 0, missing);
    cx.asm.mov(Reg::R1, Reg::R0);
    strings::copy(cx, Reg::R1, 0, off, value_size.min(size));
    cx.asm.bind(missing);
    Ok(())
}

/// `@m[k] = v` and `@m[k] op= v`.
pub fn assign(
    cx: &mut FnCx,
    target: &Expr,
    op: Option<BinaryOp>,
    value: &Expr,
) -> Result<(), LowerError> {
    let spec = spec(cx, target)?;
    let (value_type, value_size) = (spec.value, spec.value_size);
    match value_type {
        MapValueType::Agg(kind) => {
            let ExprKind::Call { args, .. } = &value.kind else {
                return Err(cx.internal("aggregation without a call"));
            };
            let arg = match args.first() {
                Some(a) => Some(cx.eval(a)?),
                None => None,
            };
            let (map, key) = build_key(cx, target)?;
            agg_update(cx, map, key, kind, arg)?;
            if let Some(a) = arg {
                cx.release(a);
            }
            Ok(())
        }
        MapValueType::Plain(t) if t.buffer_size().is_some() => {
            let buf = cx.alloc(value_size)?;
            strings::eval_into(cx, value, buf, value_size)?;
            let (map, key) = build_key(cx, target)?;
            update(cx, map, key, buf, BPF_ANY);
            Ok(())
        }
        MapValueType::Plain(Type::Tuple(tuple)) => {
            let buf = cx.alloc(value_size)?;
            tuples::eval_into(cx, value, buf, tuple)?;
            let (map, key) = build_key(cx, target)?;
            update(cx, map, key, buf, BPF_ANY);
            Ok(())
        }
        MapValueType::Plain(_) => {
            let v = cx.eval(value)?;
            let new = match op {
                None => v,
                Some(op) => combine(cx, target, op, v)?,
            };
            let buf = cx.alloc(8)?;
            cx.release(new);
            let r = cx.to_reg(new, Reg::R0);
            cx.asm.store(Size::DW, Reg::R10, buf, r);
            let (map, key) = build_key(cx, target)?;
            update(cx, map, key, buf, BPF_ANY);
            Ok(())
        }
    }
}

/// The current value of `target` combined with `v` by `op`.
fn combine(cx: &mut FnCx, target: &Expr, op: BinaryOp, v: Operand) -> Result<Operand, LowerError> {
    let current = read(cx, target)?;
    cx.release(current);
    cx.release(v);
    let t = cx.temp()?;
    cx.move_to(Reg::R1, current);
    let src = cx.as_src(v, Reg::R2);
    cx.asm.alu(arith(op), Reg::R1, src);
    cx.store_to(t, Reg::R1);
    Ok(t)
}

pub fn arith(op: BinaryOp) -> AluOp {
    match op {
        BinaryOp::Sub => AluOp::Sub,
        BinaryOp::Mul => AluOp::Mul,
        BinaryOp::Div => AluOp::Div,
        BinaryOp::Mod => AluOp::Mod,
        BinaryOp::BitAnd => AluOp::And,
        BinaryOp::BitOr => AluOp::Or,
        BinaryOp::BitXor => AluOp::Xor,
        BinaryOp::Shl => AluOp::Lsh,
        BinaryOp::Shr => AluOp::Rsh,
        _ => AluOp::Add,
    }
}

/// `@x++`, `--$y`: returns the old value (postfix) or the new (prefix).
pub fn step(cx: &mut FnCx, expr: &Expr) -> Result<Operand, LowerError> {
    let ExprKind::Step {
        target,
        increment,
        prefix,
    } = &expr.kind
    else {
        return Err(cx.internal("expected ++ or --"));
    };
    let delta = if *increment { 1 } else { -1 };
    let old = cx.eval(target)?;
    let result = cx.temp()?;
    cx.move_to(Reg::R1, old);
    if !prefix {
        cx.store_to(result, Reg::R1);
    }
    cx.asm.alu(AluOp::Add, Reg::R1, delta);
    if *prefix {
        cx.store_to(result, Reg::R1);
    }
    match &target.kind {
        ExprKind::Var(name) => {
            let slot = *cx
                .vars
                .get(name)
                .ok_or_else(|| cx.internal("no variable slot"))?;
            cx.store_to(slot, Reg::R1);
        }
        _ => {
            let buf = cx.alloc(8)?;
            cx.asm.store(Size::DW, Reg::R10, buf, Reg::R1);
            let (map, key) = build_key(cx, target)?;
            update(cx, map, key, buf, BPF_ANY);
        }
    }
    cx.release(old);
    Ok(result)
}

/// Finds or creates this key's per-CPU value, then lets the aggregation
/// update it in place: one lookup on the hot path.
fn agg_update(
    cx: &mut FnCx,
    map: MapId,
    key: i16,
    kind: rtrace_lang::types::AggKind,
    arg: Option<Operand>,
) -> Result<(), LowerError> {
    let (have, done, relookup) = (cx.asm.label(), cx.asm.label(), cx.asm.label());
    lookup(cx, map, key);
    cx.asm.jump(JmpOp::Ne, Reg::R0, 0, have);
    // New key: insert a zeroed value taken from the zero map (values such
    // as histograms are larger than the stack).
    let zero_key = cx.alloc(8)?;
    cx.asm.store(Size::DW, Reg::R10, zero_key, 0);
    let zero_map = cx.tables.zero_map;
    lookup(cx, zero_map, zero_key);
    cx.asm.jump(JmpOp::Eq, Reg::R0, 0, done);
    cx.asm.mov(Reg::R3, Reg::R0);
    cx.asm.load_map_fd(Reg::R1, map);
    cx.asm.mov(Reg::R2, Reg::R10);
    cx.asm.alu(AluOp::Add, Reg::R2, key as i32);
    cx.asm.mov(Reg::R4, BPF_NOEXIST);
    cx.asm.call(Helper::MapUpdateElem);
    cx.asm.jump(JmpOp::Eq, Reg::R0, 0, relookup);
    // Another CPU created it first: fine, use it.
    cx.asm.jump(JmpOp::Eq, Reg::R0, -EEXIST, relookup);
    events::count_update_failure(cx);
    cx.asm.goto(done);
    cx.asm.bind(relookup);
    lookup(cx, map, key);
    cx.asm.jump(JmpOp::Eq, Reg::R0, 0, done);
    cx.asm.bind(have);
    cx.asm.mov(Reg::R1, Reg::R0);
    cx.builtins.emit_agg_update(cx, kind, Reg::R1, arg)?;
    cx.asm.bind(done);
    Ok(())
}
