//! Map functions: delete, clear, zero. `delete` runs in the kernel;
//! `clear` and `zero` are done by the runtime when their event arrives,
//! in order with the other output.

use crate::builtin::{Builtin, Form};
use crate::output::map_index;
use rtrace_codegen::asm::{AluOp, Helper, Reg};
use rtrace_codegen::lower::cx::{FnCx, Operand};
use rtrace_codegen::lower::{events, maps, LowerError};
use rtrace_codegen::manifest::Event;
use rtrace_lang::ast::{Expr, ExprKind};
use rtrace_lang::check::builtins::CallInfo;
use rtrace_lang::diagnostic::Diagnostic;
use rtrace_lang::types::Type;

pub struct Delete;

impl Builtin for Delete {
    fn name(&self) -> &'static str {
        "delete"
    }
    fn form(&self) -> Form {
        Form::Function
    }
    fn usage(&self) -> &'static str {
        "delete(@map[key])"
    }
    fn summary(&self) -> &'static str {
        "removes one entry"
    }
    fn check_call(&self, call: &CallInfo) -> Result<Type, Diagnostic> {
        call.expect_arity(1, 1, self.usage())?;
        call.expect_map_arg(0, self.usage())?;
        Ok(Type::Void)
    }
    fn emit(&self, cx: &mut FnCx, expr: &Expr) -> Result<Operand, LowerError> {
        let ExprKind::Call { args, .. } = &expr.kind else {
            return Err(cx.internal("delete without a call"));
        };
        let (map, key) = maps::build_key(cx, &args[0])?;
        cx.asm.load_map_fd(Reg::R1, map);
        cx.asm.mov(Reg::R2, Reg::R10);
        cx.asm.alu(AluOp::Add, Reg::R2, key as i32);
        cx.asm.call(Helper::MapDeleteElem);
        Ok(Operand::Imm(0))
    }
}

/// `clear(@m)` removes every entry; `zero(@m)` keeps keys, zeroes values.
pub struct WholeMap {
    pub name: &'static str,
    pub usage: &'static str,
    pub summary: &'static str,
    pub clears: bool,
}

pub const CLEAR: WholeMap = WholeMap {
    name: "clear",
    usage: "clear(@map)",
    summary: "removes every entry of a map",
    clears: true,
};
pub const ZERO: WholeMap = WholeMap {
    name: "zero",
    usage: "zero(@map)",
    summary: "sets every value of a map to zero",
    clears: false,
};

impl Builtin for WholeMap {
    fn name(&self) -> &'static str {
        self.name
    }
    fn form(&self) -> Form {
        Form::Function
    }
    fn usage(&self) -> &'static str {
        self.usage
    }
    fn summary(&self) -> &'static str {
        self.summary
    }
    fn check_call(&self, call: &CallInfo) -> Result<Type, Diagnostic> {
        call.expect_arity(1, 1, self.usage)?;
        call.expect_map_arg(0, self.usage)?;
        if let ExprKind::Map { keys, .. } = &call.args[0].kind {
            if !keys.is_empty() {
                return Err(Diagnostic::error(
                    call.arg_span(0),
                    format!("{}() takes a whole map, without a key", self.name),
                )
                .with_hint("use delete(@map[key]) for one entry"));
            }
        }
        Ok(Type::Void)
    }
    fn emit(&self, cx: &mut FnCx, expr: &Expr) -> Result<Operand, LowerError> {
        let ExprKind::Call { args, .. } = &expr.kind else {
            return Err(cx.internal("map function without a call"));
        };
        let map = map_index(cx, &args[0])?;
        let clears = self.clears;
        let id = events::event_id(cx, expr.id, || {
            if clears {
                Event::Clear { map }
            } else {
                Event::Zero { map }
            }
        });
        events::output_id_only(cx, id)?;
        Ok(Operand::Imm(0))
    }
}
