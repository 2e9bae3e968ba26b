//! `args.NAME` in tracepoint probes (and in kernel function probes, whose
//! arguments are typed like tracepoint fields): each attach point's format
//! types the field. `args.NAME[i]` reads one element of an integer array
//! field; as in bpftrace, the index is a literal, checked against the
//! array's length here, so codegen reads the element straight from the
//! context at a fixed offset.

use super::builtins::const_int;
use super::expr::{check_expr, check_value, ProbeCx, State};
use super::memory::check_bounds;
use crate::ast::{Expr, ExprKind, Ident};
use crate::diagnostic::{closest, Diagnostic};
use crate::tracepoint::{Field, FieldKind};
use crate::types::Type;

/// `args.NAME`.
pub(super) fn check_field(base: &Expr, field: &Ident, cx: &mut ProbeCx, state: &mut State) -> Type {
    field_type(base, field, cx, state, |f, _| {
        f.value_type().ok_or_else(|| whole_field_error(f, field))
    })
}

/// The field `base` names when it is `args.NAME`.
fn args_field(base: &Expr) -> Option<(&Expr, &Ident)> {
    match &base.kind {
        ExprKind::Field {
            base: args, field, ..
        } if matches!(&args.kind, ExprKind::Ident(n) if n == "args") => Some((args, field)),
        _ => None,
    }
}

/// The field `expr` names, when it is `args.NAME` and NAME is an array of
/// integers in one of the probe's attach points.
fn array_field<'a>(expr: &Expr, cx: &'a ProbeCx) -> Option<&'a Field> {
    let (_, field) = args_field(expr)?;
    cx.attaches
        .iter()
        .filter_map(|a| a.format.as_ref()?.field(&field.name))
        .find(|f| f.elements().is_some())
}

/// Whether `base[i]` indexes a tracepoint array field.
pub(super) fn indexes_array_field(base: &Expr, cx: &ProbeCx) -> bool {
    array_field(base, cx).is_some()
}

/// `sizeof(args.NAME)` of an integer array field, which has no value of
/// its own: the array's size in bytes, as in bpftrace.
pub(super) fn array_size(expr: &Expr, cx: &ProbeCx) -> Option<u32> {
    array_field(expr, cx)
        .filter(|f| matches!(f.kind, FieldKind::IntArray { .. }))
        .map(|f| f.size)
}

/// `args.NAME[i]` where NAME is an array field.
pub(super) fn check_element(
    base: &Expr,
    index: &Expr,
    cx: &mut ProbeCx,
    state: &mut State,
) -> Type {
    let (args, field) = args_field(base).expect("checked by indexes_array_field");
    // The array itself is never read: codegen loads the element.
    state.types[base.id.0 as usize] = Type::Void;
    let index_type = check_value(index, false, cx, state);
    let Some(i) = const_int(index) else {
        if index_type.is_int() || index_type == Type::Void {
            state.diagnostics.push(
                Diagnostic::error(
                    index.span,
                    format!("args.{} is indexed only by a literal integer", field.name),
                )
                .with_label("not a literal")
                .with_hint(format!(
                    "tracepoint array fields are read at a fixed offset, as in bpftrace: args.{}[0]",
                    field.name
                )),
            );
        } else {
            state.diagnostics.push(
                Diagnostic::error(
                    index.span,
                    format!("an index must be an integer, found {index_type}"),
                )
                .with_label("not an integer"),
            );
        }
        return Type::U64;
    };
    field_type(args, field, cx, state, |f, attach| {
        let Some((element, count)) = f.elements() else {
            return Err(Diagnostic::error(
                field.span,
                format!(
                    "args.{} is `{}` in {}, not an array",
                    f.name,
                    f.declaration,
                    attach.attach.name()
                ),
            )
            .with_label("cannot be indexed"));
        };
        check_bounds(index, i, count, &format!("`{}`", f.declaration))?;
        Ok(Type::Int(element))
    })
}

/// A whole array field used as a value, which bpftrace cannot print,
/// store or compare either.
fn whole_field_error(f: &Field, field: &Ident) -> Diagnostic {
    match f.kind {
        FieldKind::IntArray { count, .. } => Diagnostic::error(
            field.span,
            format!(
                "args.{} is an array (`{}`) and has no value of its own",
                f.name, f.declaration
            ),
        )
        .with_label(format!("an array of {count} integers"))
        .with_hint(format!("index it: args.{}[0]", f.name)),
        _ => Diagnostic::error(
            field.span,
            format!(
                "field '{}' has type `{}`, which rtrace cannot read yet",
                f.name, f.declaration
            ),
        )
        .with_label("unsupported field type"),
    }
}

/// The type of `args.NAME` (or of what is read from it) in every attach
/// point of the probe, which must agree.
fn field_type(
    base: &Expr,
    field: &Ident,
    cx: &mut ProbeCx,
    state: &mut State,
    typed: impl Fn(&Field, &super::CheckedAttach) -> Result<Type, Diagnostic>,
) -> Type {
    let is_args = matches!(&base.kind, ExprKind::Ident(n) if n == "args");
    if !is_args {
        check_expr(base, cx, state);
        state.diagnostics.push(
            Diagnostic::error(base.span, "field access is only supported on `args`")
                .with_label("not `args`")
                .with_hint("tracepoint arguments are read as args.NAME"),
        );
        return Type::U64;
    }
    state.types[base.id.0 as usize] = Type::Void;
    let non_tracepoint = cx.attaches.iter().find(|a| a.format.is_none());
    if let Some(other) = non_tracepoint {
        state.diagnostics.push(
            Diagnostic::error(
                base.span,
                format!("`args` is not available in {} probes", other.attach.name()),
            )
            .with_label("no arguments here")
            .with_hint("args.NAME reads tracepoint fields"),
        );
        return Type::U64;
    }
    let mut found: Option<Type> = None;
    for attach in cx.attaches {
        let format = attach.format.as_ref().expect("checked above");
        let Some(f) = format.field(&field.name) else {
            let names = format.fields.iter().map(|f| f.name.as_str());
            let mut d = Diagnostic::error(
                field.span,
                format!("{} has no field '{}'", attach.attach.name(), field.name),
            )
            .with_label("unknown field");
            if let Some(best) = closest(&field.name, names.clone()) {
                d = d.with_hint(format!("did you mean 'args.{best}'?"));
            }
            let all: Vec<&str> = names.collect();
            d = d.with_hint(format!("its fields are: {}", all.join(", ")));
            state.diagnostics.push(d);
            return Type::U64;
        };
        let t = match typed(f, attach) {
            Ok(t) => t,
            Err(d) => {
                state.diagnostics.push(d);
                return Type::U64;
            }
        };
        match found {
            None => found = Some(t),
            Some(prev) if prev == t => {}
            Some(prev) => {
                state.diagnostics.push(
                    Diagnostic::error(
                        field.span,
                        format!(
                            "args.{} is {prev} in one matched tracepoint and {t} in {}",
                            f.name,
                            attach.attach.name()
                        ),
                    )
                    .with_label("type differs across attach points")
                    .with_hint("split the probe so each block sees one type"),
                );
                return prev;
            }
        }
    }
    found.unwrap_or(Type::U64)
}
