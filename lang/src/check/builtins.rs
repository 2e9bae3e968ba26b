//! The checker's view of builtins. The builtins themselves live in the
//! `stdlib` crate (one file per family); the checker asks them through this
//! trait, so no phase grows a `match name { ... }`.

use crate::ast::{Expr, ExprKind, Ident, Span};
use crate::diagnostic::Diagnostic;
use crate::probes::ProbeKind;
use crate::types::Type;

/// What a builtin may know about the probe it is used in.
pub struct ProbeScope<'a> {
    /// Command-line and environment settings (string size, --unsafe, -c).
    pub config: &'a crate::config::Config,
    pub kinds: &'a [ProbeKind],
    /// Full names of the attach points (`tracepoint:sched:sched_switch`).
    pub names: &'a [String],
    /// The attach points themselves, with their typed contexts.
    pub attaches: &'a [super::CheckedAttach],
    /// The running kernel, for builtins typed from BTF (`curtask`).
    pub kernel: &'a dyn crate::kernel::KernelInfo,
    /// Where builtins record the kernel structure offsets their code
    /// uses (`ppid` reads `task_struct.real_parent`).
    pub layout: std::rc::Rc<std::cell::RefCell<crate::memory::KernelLayout>>,
}

/// A call being typed: its arguments are typed already.
pub struct CallInfo<'a> {
    pub name: &'a Ident,
    pub args: &'a [Expr],
    pub arg_types: &'a [Type],
    pub span: Span,
    /// The call is the whole right side of `@map[...] = call(...)`.
    pub assigned_to_map: bool,
    pub probe: &'a ProbeScope<'a>,
}

impl CallInfo<'_> {
    pub fn expect_arity(&self, min: usize, max: usize, usage: &str) -> Result<(), Diagnostic> {
        let n = self.args.len();
        if n >= min && n <= max {
            return Ok(());
        }
        let expected = if min == max {
            format!("{min}")
        } else {
            format!("{min} to {max}")
        };
        Err(Diagnostic::error(
            self.span,
            format!(
                "{}() takes {expected} argument{}, {n} given",
                self.name.name,
                if max == 1 { "" } else { "s" }
            ),
        )
        .with_label("wrong number of arguments")
        .with_hint(format!("usage: {usage}")))
    }

    /// The value of a constant integer argument (a literal, possibly negated).
    pub fn const_int(&self, index: usize) -> Option<i64> {
        const_int(self.args.get(index)?)
    }

    pub fn const_str(&self, index: usize) -> Option<&str> {
        match &self.args.get(index)?.kind {
            ExprKind::Str(s) => Some(s),
            _ => None,
        }
    }

    pub fn arg_span(&self, index: usize) -> Span {
        self.args.get(index).map_or(self.span, |a| a.span)
    }

    /// Requires argument `index` to be a map (`@x` or `@x[k]`).
    pub fn expect_map_arg(&self, index: usize, usage: &str) -> Result<(), Diagnostic> {
        match self.args.get(index).map(|a| &a.kind) {
            Some(ExprKind::Map { .. }) => Ok(()),
            _ => Err(Diagnostic::error(
                self.arg_span(index),
                format!("{}() expects a map argument", self.name.name),
            )
            .with_label("not a map")
            .with_hint(format!("usage: {usage}"))),
        }
    }

    pub fn expect_int(&self, index: usize) -> Result<(), Diagnostic> {
        match self.arg_types.get(index) {
            Some(Type::Int(_)) => Ok(()),
            Some(other) => Err(Diagnostic::error(
                self.arg_span(index),
                format!(
                    "{}() expects an integer here, found {other}",
                    self.name.name
                ),
            )
            .with_label("not an integer")),
            None => Ok(()),
        }
    }
}

pub fn const_int(expr: &Expr) -> Option<i64> {
    match &expr.kind {
        ExprKind::Int(v) => i64::try_from(*v).ok(),
        ExprKind::Unary {
            op: crate::ast::UnaryOp::Neg,
            operand,
        } => const_int(operand).map(|v| -v),
        _ => None,
    }
}

pub trait Builtins {
    /// The type of a call, `None` when no builtin has that name.
    fn call_type(&self, call: &CallInfo) -> Option<Result<Type, Diagnostic>>;
    /// The type of a builtin variable (`pid`, `comm`), `None` when unknown.
    fn ident_type(
        &self,
        name: &str,
        span: Span,
        probe: &ProbeScope,
    ) -> Option<Result<Type, Diagnostic>>;
    /// Whether argument `index` of a call to `name` is a keyword the
    /// builtin reads itself (`perf` in `kstack(perf)`), not an expression.
    fn keyword_arg(&self, _name: &str, _index: usize, _arg: &Expr) -> bool {
        false
    }
    /// Names for "did you mean" and completion.
    fn function_names(&self) -> Vec<&'static str>;
    fn ident_names(&self) -> Vec<&'static str>;
}
