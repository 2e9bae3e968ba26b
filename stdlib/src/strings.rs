//! Strings from memory: str().

use crate::builtin::{Builtin, Form};
use rtrace_codegen::asm::Reg;
use rtrace_codegen::lower::cx::FnCx;
use rtrace_codegen::lower::strings::AddressSpace;
use rtrace_codegen::lower::{strings, LowerError};
use rtrace_lang::ast::{Expr, ExprKind};
use rtrace_lang::check::builtins::CallInfo;
use rtrace_lang::diagnostic::Diagnostic;
use rtrace_lang::types::{Type, DEFAULT_STR_SIZE};

pub struct Str;

impl Builtin for Str {
    fn name(&self) -> &'static str {
        "str"
    }
    fn form(&self) -> Form {
        Form::Function
    }
    fn usage(&self) -> &'static str {
        "str(pointer [, length])"
    }
    fn summary(&self) -> &'static str {
        "reads a NUL-terminated string from kernel or user memory"
    }
    fn check_call(&self, call: &CallInfo) -> Result<Type, Diagnostic> {
        call.expect_arity(1, 2, self.usage())?;
        match call.arg_types[0] {
            Type::Str(n) => return Ok(Type::Str(n)),
            Type::Ptr { .. } | Type::Int(_) => {}
            other => {
                return Err(Diagnostic::error(
                    call.arg_span(0),
                    format!("str() reads from a pointer, found {other}"),
                )
                .with_label("not a pointer"))
            }
        }
        if call.args.len() == 2 {
            let Some(len) = call.const_int(1).filter(|n| *n > 0) else {
                return Err(Diagnostic::error(
                    call.arg_span(1),
                    "str() length must be a positive integer literal",
                ));
            };
            return Ok(Type::Str(
                (len as u32).saturating_add(1).min(DEFAULT_STR_SIZE),
            ));
        }
        Ok(Type::Str(DEFAULT_STR_SIZE))
    }
    fn emit_str_into(
        &self,
        cx: &mut FnCx,
        expr: &Expr,
        off: i16,
        size: u32,
    ) -> Result<(), LowerError> {
        let ExprKind::Call { args, .. } = &expr.kind else {
            return Err(cx.internal("str without a call"));
        };
        let ptr_type = cx.type_of(&args[0]);
        if ptr_type.is_str() {
            return strings::eval_into(cx, &args[0], off, size);
        }
        let read_size = cx.type_of(expr).size().min(size);
        // An integer used as a pointer in a user-space probe (`str(arg0)`
        // in a uprobe) points into the probed process.
        let space = match ptr_type {
            Type::Ptr { user: true } => AddressSpace::User,
            Type::Ptr { user: false } => AddressSpace::Kernel,
            _ if cx.attach.attach.kind().is_user_space() => AddressSpace::User,
            _ => AddressSpace::Unknown,
        };
        let ptr = cx.eval(&args[0])?;
        cx.release(ptr);
        strings::zero(cx, off, size);
        cx.move_to(Reg::R3, ptr);
        strings::read_str_from(cx, Reg::R3, off, read_size, space);
        Ok(())
    }
}
