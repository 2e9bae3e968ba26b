//! Time: time() and strftime(), formatted in user space, and jiffies.

use crate::builtin::{result_of_r0, Builtin, Form};
use rtrace_codegen::asm::{Helper, Reg, Size};
use rtrace_codegen::lower::cx::{FnCx, Operand};
use rtrace_codegen::lower::{events, strings, LowerError};
use rtrace_codegen::manifest::Event;
use rtrace_lang::ast::{Expr, ExprKind, Span};
use rtrace_lang::check::builtins::{CallInfo, ProbeScope};
use rtrace_lang::diagnostic::Diagnostic;
use rtrace_lang::types::Type;

/// `time()` without a format, as bpftrace.
pub const DEFAULT_TIME_FORMAT: &str = "%H:%M:%S\n";

fn literal_format(call: &CallInfo, index: usize, function: &str) -> Result<(), Diagnostic> {
    if call.const_str(index).is_none() {
        return Err(Diagnostic::error(
            call.arg_span(index),
            format!("{function}() needs a string literal as its format"),
        )
        .with_label("not a literal"));
    }
    Ok(())
}

/// `time([fmt])`: prints the local time when the event reaches rtrace.
pub struct Time;

impl Builtin for Time {
    fn name(&self) -> &'static str {
        "time"
    }
    fn form(&self) -> Form {
        Form::Function
    }
    fn usage(&self) -> &'static str {
        "time([\"format\"])"
    }
    fn summary(&self) -> &'static str {
        "prints the current local time with strftime(3) conversions (default \"%H:%M:%S\\n\")"
    }
    fn check_call(&self, call: &CallInfo) -> Result<Type, Diagnostic> {
        call.expect_arity(0, 1, self.usage())?;
        if !call.args.is_empty() {
            literal_format(call, 0, "time")?;
        }
        Ok(Type::Void)
    }
    fn emit(&self, cx: &mut FnCx, expr: &Expr) -> Result<Operand, LowerError> {
        let ExprKind::Call { args, .. } = &expr.kind else {
            return Err(cx.internal("time without a call"));
        };
        let format = match args.first().map(|a| &a.kind) {
            Some(ExprKind::Str(s)) => s.clone(),
            _ => DEFAULT_TIME_FORMAT.to_string(),
        };
        let id = events::event_id(cx, expr.id, || Event::Time { format });
        events::output_id_only(cx, id)?;
        Ok(Operand::Imm(0))
    }
}

/// `strftime(fmt, nsecs)`: a timestamp (nanoseconds since boot, as `nsecs`
/// gives) that prints as the wall-clock time in the format. The format
/// travels with the value, so a map of timestamps decodes on its own.
pub struct Strftime;

impl Builtin for Strftime {
    fn name(&self) -> &'static str {
        "strftime"
    }
    fn form(&self) -> Form {
        Form::Function
    }
    fn usage(&self) -> &'static str {
        "strftime(\"format\", nsecs)"
    }
    fn summary(&self) -> &'static str {
        "a timestamp printed (with %s) as the wall-clock time in a strftime(3) format"
    }
    fn check_call(&self, call: &CallInfo) -> Result<Type, Diagnostic> {
        call.expect_arity(2, 2, self.usage())?;
        literal_format(call, 0, "strftime")?;
        call.expect_int(1)?;
        let format = call.const_str(0).unwrap_or_default();
        Ok(Type::Timestamp(format.len() as u32 + 1))
    }
    fn emit_str_into(
        &self,
        cx: &mut FnCx,
        expr: &Expr,
        off: i16,
        size: u32,
    ) -> Result<(), LowerError> {
        let ExprKind::Call { args, .. } = &expr.kind else {
            return Err(cx.internal("strftime without a call"));
        };
        let ExprKind::Str(format) = &args[0].kind else {
            return Err(cx.internal("strftime format not a literal"));
        };
        let nsecs = cx.eval(&args[1])?;
        cx.release(nsecs);
        let r = cx.to_reg(nsecs, Reg::R0);
        cx.asm.store(Size::DW, Reg::R10, off, r);
        strings::store_literal(cx, format.as_bytes(), off + 8, size - 8)
    }
}

/// `jiffies`: the kernel's tick counter (bpftrace 0.18 and later).
pub struct Jiffies;

impl Builtin for Jiffies {
    fn name(&self) -> &'static str {
        "jiffies"
    }
    fn form(&self) -> Form {
        Form::Variable
    }
    fn usage(&self) -> &'static str {
        "jiffies"
    }
    fn summary(&self) -> &'static str {
        "the kernel's jiffies counter (64 bits)"
    }
    fn check_variable(&self, _: Span, _: &ProbeScope) -> Result<Type, Diagnostic> {
        Ok(Type::U64)
    }
    fn emit(&self, cx: &mut FnCx, _: &Expr) -> Result<Operand, LowerError> {
        cx.asm.call(Helper::Jiffies64);
        result_of_r0(cx)
    }
}
