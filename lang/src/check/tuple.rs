//! Tuples: literals `(a, b, ...)`, element access `t.N`, a tuple as the
//! whole key of a map (`@m[(a, b)]` is `@m[a, b]`), and the hints that
//! explain tuple misuse.

use super::expr::{check_value, ProbeCx, State};
use crate::ast::{BinaryOp, Expr, ExprKind, Span};
use crate::diagnostic::Diagnostic;
use crate::types::{TupleType, Type};

/// `(a, b, ...)`: the tuple of its elements' types.
pub(super) fn check_literal(elements: &[Expr], cx: &mut ProbeCx, state: &mut State) -> Type {
    let mut types = Vec::with_capacity(elements.len());
    for element in elements {
        let t = match check_value(element, false, cx, state) {
            // A pointer is kept as the address it holds.
            Type::Ptr { .. } => Type::U64,
            Type::Void => {
                state.diagnostics.push(
                    Diagnostic::error(element.span, "a tuple element must be a value")
                        .with_label("this returns nothing"),
                );
                Type::I64
            }
            // check_value reported it.
            Type::Agg(_) => Type::I64,
            t @ Type::Bytes(_) => {
                state
                    .diagnostics
                    .push(super::expr::bytes_misused(element.span, t));
                Type::I64
            }
            t => t,
        };
        types.push(t);
    }
    Type::tuple(&types)
}

/// `base.N`: element N of a tuple.
pub(super) fn check_index(
    base: &Expr,
    index: u64,
    index_span: Span,
    cx: &mut ProbeCx,
    state: &mut State,
) -> Type {
    let t = check_value(base, false, cx, state);
    let tuple = match t {
        Type::Tuple(tuple) => tuple,
        Type::Void => return Type::I64,
        other => {
            state.diagnostics.push(
                Diagnostic::error(
                    base.span,
                    format!("`.{index}` reads an element of a tuple, but this is {other}"),
                )
                .with_label("not a tuple")
                .with_hint("tuples are written `(a, b, ...)`; `args.NAME` reads tracepoint fields"),
            );
            return Type::I64;
        }
    };
    let count = tuple.elements().len();
    match usize::try_from(index)
        .ok()
        .and_then(|i| tuple.elements().get(i))
    {
        Some(&element) => element,
        None => {
            state.diagnostics.push(
                Diagnostic::error(index_span, format!("tuple index {index} is out of range"))
                    .with_label(format!("{t} has {count} elements"))
                    .with_related(base.span, format!("this is {t}"))
                    .with_hint(format!(
                        "elements are numbered from 0: .0 to .{}",
                        count - 1
                    )),
            );
            Type::I64
        }
    }
}

/// A tuple used as a map key must be the only key, of integers and
/// strings: its elements become the key's parts.
pub(super) fn check_key(key: &Expr, tuple: TupleType, key_count: usize, state: &mut State) {
    if key_count > 1 {
        state.diagnostics.push(
            Diagnostic::error(key.span, "a tuple key must be the map's only key")
                .with_label("tuple among other keys")
                .with_hint("list every part instead: `@m[a, b, c]`"),
        );
    } else if tuple.elements().iter().any(|t| matches!(t, Type::Tuple(_))) {
        state.diagnostics.push(
            Diagnostic::error(key.span, "a map key cannot hold a nested tuple")
                .with_label("tuple inside a tuple key")
                .with_hint("list the parts flat: `@m[a, b, c]`"),
        );
    }
}

/// The span of each key part, for diagnostics about one part: the
/// elements of a tuple literal key are parts of their own.
pub(super) fn key_spans(keys: &[Expr], types: &[Type]) -> Vec<Span> {
    let mut spans = Vec::new();
    for key in keys {
        match (&key.kind, types[key.id.0 as usize]) {
            (ExprKind::Tuple(elements), _) => spans.extend(elements.iter().map(|e| e.span)),
            (_, Type::Tuple(t)) => spans.extend(t.elements().iter().map(|_| key.span)),
            _ => spans.push(key.span),
        }
    }
    spans
}

/// Operators apply to no tuple: the diagnostic when one is used.
pub(super) fn operand_error(
    op: BinaryOp,
    (lhs, a): (&Expr, Type),
    (rhs, b): (&Expr, Type),
) -> Option<Diagnostic> {
    let (operand, t) = [(lhs, a), (rhs, b)]
        .into_iter()
        .find(|(_, t)| matches!(t, Type::Tuple(_)))?;
    let d = Diagnostic::error(
        operand.span,
        format!(
            "operator '{}' cannot be applied to {a} and {b}",
            op.symbol()
        ),
    )
    .with_label("a tuple: tuples support no operators");
    Some(element_hint(d, t, operand))
}

/// For a tuple where an integer was wanted: how to read one element.
pub(super) fn element_hint(d: Diagnostic, t: Type, operand: &Expr) -> Diagnostic {
    if !matches!(t, Type::Tuple(_)) {
        return d;
    }
    let name = describe_target(operand);
    d.with_hint(format!(
        "read one element of the tuple with .N, for example `{name}.0`"
    ))
}

/// For two types that do not unify: which tuple element differs.
pub(super) fn mismatch_hint(d: Diagnostic, old: Type, new: Type) -> Diagnostic {
    let (Type::Tuple(x), Type::Tuple(y)) = (old, new) else {
        return d;
    };
    let (xs, ys) = (x.elements(), y.elements());
    if xs.len() != ys.len() {
        return d.with_hint(format!(
            "the tuples differ in length: {} and {} elements",
            xs.len(),
            ys.len()
        ));
    }
    match xs
        .iter()
        .zip(ys)
        .position(|(&p, &q)| super::expr::unify(p, q).is_none())
    {
        Some(i) => d.with_hint(format!(
            "the tuples differ at element .{i}: {} and {}",
            xs[i], ys[i]
        )),
        None => d,
    }
}

/// How to name an expression in a hint: variables and maps by name.
pub(super) fn describe_target(expr: &Expr) -> String {
    match &expr.kind {
        ExprKind::Var(name) => format!("${name}"),
        ExprKind::Map { name, keys } if keys.is_empty() => format!("@{name}"),
        ExprKind::Map { name, .. } => format!("@{name}[...]"),
        _ => "(...)".to_string(),
    }
}
