//! Address spaces: `kptr(p)` and `uptr(p)` mark a pointer (or an integer
//! used as one) as pointing into kernel or user memory, which decides the
//! helper `str()`, `buf()` and `->` read it with. The value is unchanged.

use crate::builtin::{Builtin, Form};
use rtrace_codegen::lower::cx::{FnCx, Operand};
use rtrace_codegen::lower::LowerError;
use rtrace_lang::ast::{Expr, ExprKind};
use rtrace_lang::check::builtins::CallInfo;
use rtrace_lang::diagnostic::Diagnostic;
use rtrace_lang::types::{PtrType, Type};

/// `kptr(p)` when `user` is false, `uptr(p)` when it is true.
pub struct AddressSpace {
    pub user: bool,
}

impl Builtin for AddressSpace {
    fn name(&self) -> &'static str {
        if self.user {
            "uptr"
        } else {
            "kptr"
        }
    }
    fn form(&self) -> Form {
        Form::Function
    }
    fn usage(&self) -> &'static str {
        if self.user {
            "uptr(pointer)"
        } else {
            "kptr(pointer)"
        }
    }
    fn summary(&self) -> &'static str {
        if self.user {
            "the same pointer, read from user memory"
        } else {
            "the same pointer, read from kernel memory"
        }
    }
    fn check_call(&self, call: &CallInfo) -> Result<Type, Diagnostic> {
        call.expect_arity(1, 1, self.usage())?;
        let user = self.user;
        match call.arg_types[0] {
            Type::Int(_) => Ok(Type::untyped_ptr(user)),
            Type::Ptr(p) => Ok(Type::Ptr(PtrType { user, ..p })),
            Type::Void => Ok(Type::Void),
            other => Err(Diagnostic::error(
                call.arg_span(0),
                format!(
                    "{}() only supports integer or pointer arguments ({other} provided)",
                    self.name()
                ),
            )
            .with_label("not a pointer")),
        }
    }
    fn emit(&self, cx: &mut FnCx, expr: &Expr) -> Result<Operand, LowerError> {
        match &expr.kind {
            ExprKind::Call { args, .. } if args.len() == 1 => cx.eval(&args[0]),
            _ => Err(cx.internal(format!("{} without its argument", self.name()))),
        }
    }
}
