//! The one trait every builtin implements: its signature, its type rule,
//! its emission. Families live one per file; `lib.rs` lists them.

use rtrace_codegen::lower::cx::{FnCx, Operand};
use rtrace_codegen::lower::LowerError;
use rtrace_lang::ast::{Expr, Span};
use rtrace_lang::check::builtins::{CallInfo, ProbeScope};
use rtrace_lang::diagnostic::Diagnostic;
use rtrace_lang::types::Type;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Form {
    /// Used bare: `pid`, `comm`.
    Variable,
    /// Called: `str(p)`, `count()`.
    Function,
}

pub trait Builtin: Sync {
    fn name(&self) -> &'static str;
    fn form(&self) -> Form;
    /// How it is written, for help text and diagnostics.
    fn usage(&self) -> &'static str;
    fn summary(&self) -> &'static str;

    /// Whether argument `index` is a keyword this builtin reads itself
    /// (`perf` in `kstack(perf)`) rather than an expression to type.
    fn keyword_arg(&self, _index: usize, _arg: &Expr) -> bool {
        false
    }

    fn check_variable(&self, span: Span, _probe: &ProbeScope) -> Result<Type, Diagnostic> {
        Err(Diagnostic::error(
            span,
            format!("{} must be called: {}", self.name(), self.usage()),
        ))
    }

    fn check_call(&self, call: &CallInfo) -> Result<Type, Diagnostic> {
        Err(
            Diagnostic::error(call.span, format!("{} is not a function", self.name()))
                .with_hint(format!("write it without parentheses: {}", self.usage())),
        )
    }

    /// Emits an integer (or void) use.
    fn emit(&self, cx: &mut FnCx, _expr: &Expr) -> Result<Operand, LowerError> {
        Err(cx.internal(format!("{} has no integer form", self.name())))
    }

    /// Emits a string-valued use into the buffer at `r10 + off`.
    fn emit_str_into(
        &self,
        cx: &mut FnCx,
        _expr: &Expr,
        _off: i16,
        _size: u32,
    ) -> Result<(), LowerError> {
        Err(cx.internal(format!("{} has no string form", self.name())))
    }
}

/// Stores the result register `r0` in a fresh temporary.
pub fn result_of_r0(cx: &mut FnCx) -> Result<Operand, LowerError> {
    let t = cx.temp()?;
    cx.store_to(t, rtrace_codegen::asm::Reg::R0);
    Ok(t)
}
