//! The back end's view of builtins. Each builtin family (in the stdlib
//! crate) emits its own instructions through the `FnCx` helpers; lowering
//! only dispatches here.

use super::cx::{FnCx, Operand};
use super::LowerError;
use crate::asm::Reg;
use rtrace_lang::ast::Expr;
use rtrace_lang::types::AggKind;

pub trait BuiltinEmit {
    /// Emits a call expression `name(args)` whose value is an integer or
    /// nothing (not an aggregation).
    fn emit_call(&self, cx: &mut FnCx, call: &Expr) -> Result<Operand, LowerError>;
    /// Emits an integer builtin variable such as `pid`.
    fn emit_ident(&self, cx: &mut FnCx, expr: &Expr) -> Result<Operand, LowerError>;
    /// Emits a string-valued builtin variable or call (`comm`, `str(p)`)
    /// straight into the zero-padded buffer at `r10 + off`.
    fn emit_str_into(
        &self,
        cx: &mut FnCx,
        expr: &Expr,
        off: i16,
        size: u32,
    ) -> Result<(), LowerError>;
    /// Bytes one CPU's value of this aggregation takes.
    fn agg_value_size(&self, kind: AggKind) -> u32;
    /// Updates an aggregation in place: `value` points at this CPU's value
    /// (already created, zeroed when new), `arg` is the evaluated argument
    /// of `hist(x)`, `sum(x)`... (`None` for `count()`).
    fn emit_agg_update(
        &self,
        cx: &mut FnCx,
        kind: AggKind,
        value: Reg,
        arg: Option<Operand>,
    ) -> Result<(), LowerError>;
}
