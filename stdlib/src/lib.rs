//! The builtins of rtrace, one file per family. `Stdlib` is the table the
//! checker and the code generator consult; adding a builtin means adding it
//! to its family file and to `BUILTINS`.

pub mod address_space;
pub mod aggregate;
pub mod builtin;
pub mod context;
pub mod inject;
pub mod maps;
pub mod net;
pub mod output;
pub mod proc;
pub mod registers;
pub mod stacks;
pub mod strings;
pub mod symbols;
pub mod system;
pub mod task;
pub mod time;
pub mod value;

use builtin::{Builtin, Form};
use rtrace_codegen::asm::Reg;
use rtrace_codegen::lower::builtins::BuiltinEmit;
use rtrace_codegen::lower::cx::{FnCx, Operand};
use rtrace_codegen::lower::LowerError;
use rtrace_lang::ast::{Expr, ExprKind, Span};
use rtrace_lang::check::builtins::{Builtins, CallInfo, ProbeScope};
use rtrace_lang::diagnostic::Diagnostic;
use rtrace_lang::types::{AggKind, Type};

/// Every builtin, in the order the reference documents them.
pub static BUILTINS: &[&dyn Builtin] = &[
    &context::PID,
    &context::TID,
    &context::UID,
    &context::GID,
    &context::CPU,
    &context::Comm,
    &context::NSECS,
    &context::Elapsed,
    &context::ProbeName,
    &registers::Arg(0),
    &registers::Arg(1),
    &registers::Arg(2),
    &registers::Arg(3),
    &registers::Arg(4),
    &registers::Arg(5),
    &registers::Arg(6),
    &registers::Arg(7),
    &registers::Arg(8),
    &registers::Arg(9),
    &registers::Arg(10),
    &registers::Arg(11),
    &registers::Retval,
    &registers::Func,
    &aggregate::AGGREGATIONS[0],
    &aggregate::AGGREGATIONS[1],
    &aggregate::AGGREGATIONS[2],
    &aggregate::AGGREGATIONS[3],
    &aggregate::AGGREGATIONS[4],
    &aggregate::AGGREGATIONS[5],
    &aggregate::AGGREGATIONS[6],
    &aggregate::AGGREGATIONS[7],
    &maps::Delete,
    &maps::CLEAR,
    &maps::ZERO,
    &output::Printf,
    &output::Print,
    &output::Exit,
    &strings::Str,
    &stacks::Stack {
        user: false,
        form: Form::Variable,
    },
    &stacks::Stack {
        user: false,
        form: Form::Function,
    },
    &stacks::Stack {
        user: true,
        form: Form::Variable,
    },
    &stacks::Stack {
        user: true,
        form: Form::Function,
    },
    &symbols::Sym { user: false },
    &symbols::Sym { user: true },
    &symbols::Kaddr,
    &symbols::Uaddr,
    &strings::Buf,
    &strings::Strncmp,
    &strings::Strcontains,
    &strings::Join,
    &address_space::AddressSpace { user: false },
    &address_space::AddressSpace { user: true },
    &net::Ntop,
    &net::Macaddr,
    &time::Time,
    &time::Strftime,
    &time::Jiffies,
    &proc::RAND,
    &proc::NUMAID,
    &proc::CGROUP,
    &proc::CgroupId,
    &proc::USERNAME,
    &proc::Cpid,
    &task::Curtask,
    &task::Ppid,
    &task::Pcomm,
    &system::Signal,
    &inject::Override,
    &system::SYSTEM,
    &system::CAT,
];

pub fn find(name: &str, form: Form) -> Option<&'static dyn Builtin> {
    BUILTINS
        .iter()
        .copied()
        .find(|b| b.name() == name && b.form() == form)
}

/// The standard library as the compiler sees it.
pub struct Stdlib;

impl Builtins for Stdlib {
    fn call_type(&self, call: &CallInfo) -> Option<Result<Type, Diagnostic>> {
        match find(&call.name.name, Form::Function) {
            Some(b) => Some(b.check_call(call)),
            None => find(&call.name.name, Form::Variable).map(|b| b.check_call(call)),
        }
    }

    fn ident_type(
        &self,
        name: &str,
        span: Span,
        probe: &ProbeScope,
    ) -> Option<Result<Type, Diagnostic>> {
        match find(name, Form::Variable) {
            Some(b) => Some(b.check_variable(span, probe)),
            None => find(name, Form::Function).map(|b| b.check_variable(span, probe)),
        }
    }

    fn keyword_arg(&self, name: &str, index: usize, arg: &Expr) -> bool {
        find(name, Form::Function).is_some_and(|b| b.keyword_arg(index, arg))
    }

    fn function_names(&self) -> Vec<&'static str> {
        BUILTINS
            .iter()
            .filter(|b| b.form() == Form::Function)
            .map(|b| b.name())
            .collect()
    }

    fn ident_names(&self) -> Vec<&'static str> {
        BUILTINS
            .iter()
            .filter(|b| b.form() == Form::Variable)
            .map(|b| b.name())
            .collect()
    }
}

fn builtin_of(cx: &FnCx, expr: &Expr) -> Result<&'static dyn Builtin, LowerError> {
    let (name, form) = match &expr.kind {
        ExprKind::Call { name, .. } => (name.name.as_str(), Form::Function),
        ExprKind::Ident(name) => (name.as_str(), Form::Variable),
        _ => return Err(cx.internal("not a builtin use")),
    };
    find(name, form).ok_or_else(|| cx.internal(format!("unknown builtin {name}")))
}

impl BuiltinEmit for Stdlib {
    fn emit_call(&self, cx: &mut FnCx, call: &Expr) -> Result<Operand, LowerError> {
        builtin_of(cx, call)?.emit(cx, call)
    }

    fn emit_ident(&self, cx: &mut FnCx, expr: &Expr) -> Result<Operand, LowerError> {
        builtin_of(cx, expr)?.emit(cx, expr)
    }

    fn emit_str_into(
        &self,
        cx: &mut FnCx,
        expr: &Expr,
        off: i16,
        size: u32,
    ) -> Result<(), LowerError> {
        builtin_of(cx, expr)?.emit_str_into(cx, expr, off, size)
    }

    fn agg_value_size(&self, kind: AggKind) -> u32 {
        aggregate::value_size(kind)
    }

    fn emit_agg_update(
        &self,
        cx: &mut FnCx,
        kind: AggKind,
        value: Reg,
        arg: Option<Operand>,
    ) -> Result<(), LowerError> {
        aggregate::emit_update(cx, kind, value, arg)
    }
}
