//! Output: printf, print, exit. Each sends one ring-buffer event; the
//! runtime formats it with the manifest's description.

use crate::builtin::{Builtin, Form};
use rtrace_codegen::asm::{Reg, Size};
use rtrace_codegen::lower::cx::{FnCx, Operand};
use rtrace_codegen::lower::{events, maps, strings, tuples, LowerError};
use rtrace_codegen::manifest::{Event, Part};
use rtrace_lang::ast::{Expr, ExprKind};
use rtrace_lang::check::builtins::CallInfo;
use rtrace_lang::diagnostic::Diagnostic;
use rtrace_lang::format::{parse_format, Conversion, Piece};
use rtrace_lang::types::Type;

/// Lays out event fields after the 8-byte id: integers 8-aligned.
pub fn layout(types: impl IntoIterator<Item = Type>) -> (Vec<Part>, u32) {
    let mut offset = 8u32;
    let mut parts = Vec::new();
    for ty in types {
        let ty = if let Type::Ptr { .. } = ty {
            Type::U64
        } else {
            ty
        };
        if !ty.is_str() {
            offset = offset.next_multiple_of(8);
        }
        parts.push(Part { offset, ty });
        offset += ty.size();
    }
    (parts, offset.next_multiple_of(8))
}

/// Builds `[id][fields...]` on the stack and sends it.
pub fn send(
    cx: &mut FnCx,
    id: u64,
    parts: &[Part],
    size: u32,
    args: &[Expr],
) -> Result<(), LowerError> {
    let off = cx.alloc(size)?;
    let used: u32 = 8 + parts.iter().map(|p| p.ty.size()).sum::<u32>();
    if used != size {
        // The verifier wants every byte sent initialised, padding too.
        strings::zero(cx, off, size);
    }
    cx.asm.store(Size::DW, Reg::R10, off, id as i32);
    for (part, arg) in parts.iter().zip(args) {
        let at = off + part.offset as i16;
        match part.ty {
            Type::Tuple(t) => tuples::eval_into(cx, arg, at, t)?,
            ty if ty.is_buffer() => strings::eval_into(cx, arg, at, ty.size())?,
            _ => {
                let v = cx.eval(arg)?;
                cx.release(v);
                let r = cx.to_reg(v, Reg::R0);
                cx.asm.store(Size::DW, Reg::R10, at, r);
            }
        }
    }
    events::output(cx, off, size);
    Ok(())
}

/// Checks a call whose first argument is a printf-style format and whose
/// other arguments fill its conversions: printf, system, cat.
pub fn check_format_call(call: &CallInfo, function: &str) -> Result<(), Diagnostic> {
    let Some(format) = call.const_str(0) else {
        return Err(Diagnostic::error(
            call.arg_span(0),
            format!("{function}() needs a string literal as its format"),
        )
        .with_label("not a literal"));
    };
    let format_span = call.arg_span(0);
    let pieces = parse_format(format).map_err(|e| {
        // +1 skips the opening quote; escapes make this approximate.
        let start = format_span.start as usize + 1 + e.range.start;
        let end = (format_span.start as usize + 1 + e.range.end).min(format_span.end as usize);
        Diagnostic::error(
            rtrace_lang::ast::Span::new(start, end.max(start + 1)),
            format!("bad {function} format: {}", e.message),
        )
        .with_label("here")
    })?;
    let specs: Vec<_> = pieces
        .iter()
        .filter_map(|p| {
            if let Piece::Spec(s) = p {
                Some(s)
            } else {
                None
            }
        })
        .collect();
    let given = call.args.len() - 1;
    if specs.len() != given {
        return Err(Diagnostic::error(
            call.span,
            format!(
                "{function}() format has {} conversion(s) but {given} argument(s) follow",
                specs.len()
            ),
        )
        .with_label("arguments do not match the format")
        .with_related(format_span, "format string"));
    }
    for (i, spec) in specs.iter().enumerate() {
        let t = call.arg_types[i + 1];
        if t == Type::Void {
            // Its own error is reported already.
            continue;
        }
        let (ok, expected) = match spec.conversion {
            Conversion::Str => (t.is_printable_as_str(), "a string"),
            Conversion::Buffer => (matches!(t, Type::Buf(_)), "a buffer (buf())"),
            _ => (t.is_int() || matches!(t, Type::Ptr { .. }), "an integer"),
        };
        if !ok {
            let mut d = Diagnostic::error(
                call.arg_span(i + 1),
                format!(
                    "{function}() conversion {} of the format expects {expected}, found {t}",
                    i + 1,
                ),
            )
            .with_label("type does not match the format");
            if let Type::Ptr { .. } = t {
                d = d.with_hint("read the string it points to with str(...)");
            }
            if spec.conversion == Conversion::Buffer && t.is_str() {
                d = d.with_hint("%r prints a buffer: buf(pointer, length)");
            }
            return Err(d);
        }
    }
    Ok(())
}

pub struct Printf;

impl Builtin for Printf {
    fn name(&self) -> &'static str {
        "printf"
    }
    fn form(&self) -> Form {
        Form::Function
    }
    fn usage(&self) -> &'static str {
        "printf(\"format\", args...)"
    }
    fn summary(&self) -> &'static str {
        "formatted output, C-style conversions"
    }
    fn check_call(&self, call: &CallInfo) -> Result<Type, Diagnostic> {
        call.expect_arity(1, 64, self.usage())?;
        check_format_call(call, "printf")?;
        Ok(Type::Void)
    }
    fn emit(&self, cx: &mut FnCx, expr: &Expr) -> Result<Operand, LowerError> {
        let ExprKind::Call { args, .. } = &expr.kind else {
            return Err(cx.internal("printf without a call"));
        };
        let ExprKind::Str(format) = &args[0].kind else {
            return Err(cx.internal("printf format not a literal"));
        };
        let (parts, size) = layout(args[1..].iter().map(|a| cx.type_of(a)));
        let format = format.clone();
        let event_parts = parts.clone();
        let id = events::event_id(cx, expr.id, || Event::Printf {
            format,
            args: event_parts,
        });
        send(cx, id, &parts, size, &args[1..])?;
        Ok(Operand::Imm(0))
    }
}

pub struct Print;

impl Builtin for Print {
    fn name(&self) -> &'static str {
        "print"
    }
    fn form(&self) -> Form {
        Form::Function
    }
    fn usage(&self) -> &'static str {
        "print(@map [, top [, div]]) or print(value)"
    }
    fn summary(&self) -> &'static str {
        "prints a map now, or a value"
    }
    fn check_call(&self, call: &CallInfo) -> Result<Type, Diagnostic> {
        call.expect_arity(1, 3, self.usage())?;
        if matches!(call.args[0].kind, ExprKind::Map { .. }) {
            for i in 1..call.args.len() {
                if call.const_int(i).is_none_or(|v| v < 0) {
                    return Err(Diagnostic::error(
                        call.arg_span(i),
                        "print() top and div must be non-negative integer literals",
                    ));
                }
            }
            return Ok(Type::Void);
        }
        call.expect_arity(1, 1, "print(value)")?;
        match call.arg_types[0] {
            Type::Agg(_) | Type::Void => Err(Diagnostic::error(
                call.arg_span(0),
                "print() cannot print this value",
            )),
            t @ Type::Bytes(_) => Err(Diagnostic::error(
                call.arg_span(0),
                format!("print() cannot print a byte array ({t})"),
            )
            .with_label("an inline array of the tracepoint")
            .with_hint("print it as an address: print(ntop(...)) or print(macaddr(...))")),
            _ => Ok(Type::Void),
        }
    }
    fn emit(&self, cx: &mut FnCx, expr: &Expr) -> Result<Operand, LowerError> {
        let ExprKind::Call { args, .. } = &expr.kind else {
            return Err(cx.internal("print without a call"));
        };
        if let ExprKind::Map { .. } = &args[0].kind {
            let map = map_index(cx, &args[0])?;
            let constant = |i: usize| {
                args.get(i)
                    .and_then(rtrace_lang::check::builtins::const_int)
                    .unwrap_or(0) as u64
            };
            let (top, div) = (constant(1), constant(2).max(1));
            let id = events::event_id(cx, expr.id, || Event::PrintMap { map, top, div });
            events::output_id_only(cx, id)?;
        } else {
            let (parts, size) = layout([cx.type_of(&args[0])]);
            let value = parts[0];
            let id = events::event_id(cx, expr.id, || Event::PrintValue { value });
            send(cx, id, &parts, size, &args[..1])?;
        }
        Ok(Operand::Imm(0))
    }
}

/// The manifest index of the map an argument names.
pub fn map_index(cx: &FnCx, map_expr: &Expr) -> Result<usize, LowerError> {
    let spec = maps::spec(cx, map_expr)?;
    Ok(spec.id.0 as usize)
}

pub struct Exit;

impl Builtin for Exit {
    fn name(&self) -> &'static str {
        "exit"
    }
    fn form(&self) -> Form {
        Form::Function
    }
    fn usage(&self) -> &'static str {
        "exit()"
    }
    fn summary(&self) -> &'static str {
        "stops tracing: maps are printed and rtrace exits"
    }
    fn check_call(&self, call: &CallInfo) -> Result<Type, Diagnostic> {
        call.expect_arity(0, 0, self.usage())?;
        Ok(Type::Void)
    }
    fn emit(&self, cx: &mut FnCx, expr: &Expr) -> Result<Operand, LowerError> {
        let id = events::event_id(cx, expr.id, || Event::Exit);
        events::output_id_only(cx, id)?;
        // Like bpftrace: the rest of the probe does not run.
        cx.leave_probe();
        Ok(Operand::Imm(0))
    }
}
