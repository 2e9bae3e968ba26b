//! Pointer arithmetic as C (and bpftrace) does it: `p + n`, `n + p` and
//! `p - n` move `p` by `n` of what it points to, and stay pointers of the
//! same type, so `($p + 1)->member` reads the next element.

use super::expr::{ProbeCx, State};
use super::memory;
use crate::ast::{BinaryOp, Expr};
use crate::diagnostic::Diagnostic;
use crate::types::{PtrType, Target, Type};

/// The type of `lhs op rhs` when it is pointer arithmetic, recording the
/// step for codegen; `None` when it is not.
pub(super) fn check(
    expr: &Expr,
    op: BinaryOp,
    (lhs, a): (&Expr, Type),
    (rhs, b): (&Expr, Type),
    cx: &ProbeCx,
    state: &mut State,
) -> Option<Type> {
    let pointer = match (op, a, b) {
        (BinaryOp::Add | BinaryOp::Sub, Type::Ptr(p), Type::Int(_)) => p,
        (BinaryOp::Add, Type::Int(_), Type::Ptr(p)) => p,
        (BinaryOp::Sub, Type::Ptr(_), Type::Ptr(_)) => {
            state.diagnostics.push(
                Diagnostic::error(expr.span, format!("cannot subtract {b} from {a}"))
                    .with_label("pointer minus pointer")
                    .with_hint(format!(
                        "for the distance in bytes, cast both: (uint64){} - (uint64){}",
                        source_name(lhs),
                        source_name(rhs)
                    )),
            );
            return Some(Type::I64);
        }
        _ => return None,
    };
    match step(pointer, expr, cx) {
        Ok(step) => {
            state.pointer_steps.insert(expr.id, step);
        }
        Err(d) => state.diagnostics.push(d),
    }
    Some(Type::Ptr(pointer))
}

/// The size of what the pointer points to; `void *` steps by a byte, as
/// GNU C and bpftrace do.
fn step(pointer: PtrType, expr: &Expr, cx: &ProbeCx) -> Result<u32, Diagnostic> {
    if pointer.depth > 1 {
        return Ok(8);
    }
    match pointer.target {
        Target::Void => Ok(1),
        Target::Int(int) => Ok(u32::from(int.bits / 8)),
        Target::Kernel(kernel) => {
            let size = memory::btf(cx, expr.span)?.type_size(kernel.id);
            if size == 0 {
                return Err(Diagnostic::error(
                    expr.span,
                    format!("cannot step a pointer to {}", kernel.name()),
                )
                .with_label("its size is unknown"));
            }
            Ok(size)
        }
    }
}

fn source_name(e: &Expr) -> String {
    match &e.kind {
        crate::ast::ExprKind::Var(name) => format!("${name}"),
        _ => "...".into(),
    }
}
