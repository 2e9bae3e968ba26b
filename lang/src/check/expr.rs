//! Typing of statements and expressions, and inference of map and variable
//! types from their assignments.

use super::args;
use super::builtins::{CallInfo, ProbeScope};
use super::memory;
use super::pointer_arithmetic;
use super::tuple;
use super::{CheckEnv, CheckedAttach, MapInfo, MapValueType};
use crate::ast::*;
use crate::diagnostic::{closest, Diagnostic, Diagnostics};
use crate::memory::{KernelLayout, MemoryRead};
use crate::probes::ProbeKind;
use crate::types::{IntType, Type};
use indexmap::IndexMap;
use std::cell::RefCell;
use std::collections::{HashMap, HashSet};
use std::rc::Rc;

pub(super) struct State {
    pub types: Vec<Type>,
    /// How each access through a kernel type reads memory.
    pub memory: HashMap<ExprId, MemoryRead>,
    /// Expressions whose value the checker knows: `sizeof`, `offsetof`,
    /// enum constants.
    pub constants: HashMap<ExprId, i64>,
    /// Pointer arithmetic (`p + n`): the bytes one step of `n` moves.
    pub pointer_steps: HashMap<ExprId, u32>,
    /// Kernel structure offsets builtins looked up.
    pub layout: Rc<RefCell<KernelLayout>>,
    pub maps: IndexMap<String, MapInfo>,
    /// Maps of earlier programs (REPL entries), whose types are fixed.
    earlier: IndexMap<String, MapInfo>,
    pub vars: Vec<IndexMap<String, Type>>,
    pub diagnostics: Diagnostics,
}

impl State {
    pub fn new(expr_count: usize, earlier: &IndexMap<String, MapInfo>) -> State {
        State {
            types: vec![Type::Void; expr_count],
            memory: HashMap::new(),
            constants: HashMap::new(),
            pointer_steps: HashMap::new(),
            layout: Rc::default(),
            maps: earlier.clone(),
            earlier: earlier.clone(),
            vars: Vec::new(),
            diagnostics: Vec::new(),
        }
    }

    pub fn reset_round(&mut self) {
        self.diagnostics.clear();
    }

    pub fn finish_round(&mut self) {}
}

pub(super) struct ProbeCx<'a> {
    pub(super) env: &'a CheckEnv<'a>,
    pub(super) attaches: &'a [CheckedAttach],
    scope: ProbeScope<'a>,
    probe_index: usize,
    /// Variables assigned so far in this probe, in program order.
    assigned: HashSet<String>,
    /// How many `while` loops enclose the statement being checked.
    loop_depth: u32,
}

pub(super) fn check_program(
    program: &Program,
    attaches: &[Vec<CheckedAttach>],
    env: &CheckEnv,
    state: &mut State,
) {
    state.vars.resize_with(program.probes.len(), IndexMap::new);
    for (index, (probe, attaches)) in program.probes.iter().zip(attaches).enumerate() {
        let kinds: Vec<ProbeKind> = attaches.iter().map(|a| a.attach.kind()).collect();
        let names: Vec<String> = attaches.iter().map(|a| a.attach.name()).collect();
        let mut cx = ProbeCx {
            env,
            attaches,
            scope: ProbeScope {
                config: env.config,
                kinds: &kinds,
                names: &names,
                attaches,
                kernel: env.kernel,
                layout: state.layout.clone(),
            },
            probe_index: index,
            assigned: HashSet::new(),
            loop_depth: 0,
        };
        if let Some(predicate) = &probe.predicate {
            let t = check_expr(predicate, &mut cx, state);
            expect_condition(t, predicate.span, "predicate", state);
        }
        check_block(&probe.body, &mut cx, state);
    }
}

fn expect_condition(t: Type, span: Span, what: &str, state: &mut State) {
    if !t.is_int() && t != Type::Void {
        state.diagnostics.push(
            Diagnostic::error(span, format!("a {what} must be an integer, found {t}"))
                .with_label("not an integer")
                .with_hint("compare explicitly, for example `comm == \"bash\"`"),
        );
    }
}

fn check_block(block: &Block, cx: &mut ProbeCx, state: &mut State) {
    for stmt in &block.stmts {
        check_stmt(stmt, cx, state);
    }
}

fn check_stmt(stmt: &Stmt, cx: &mut ProbeCx, state: &mut State) {
    match &stmt.kind {
        StmtKind::Expr(expr) => {
            let t = check_expr(expr, cx, state);
            if let Type::Agg(kind) = t {
                state.diagnostics.push(
                    Diagnostic::error(
                        expr.span,
                        format!(
                            "the result of {}() must be assigned to a map",
                            kind.function()
                        ),
                    )
                    .with_label("value discarded")
                    .with_hint(format!("write `@name = {}(...)`", kind.function())),
                );
            }
        }
        StmtKind::Assign { target, op, value } => check_assign(target, *op, value, cx, state),
        StmtKind::If {
            cond,
            then,
            otherwise,
        } => {
            let t = check_expr(cond, cx, state);
            expect_condition(t, cond.span, "condition", state);
            // A variable assigned in only one branch may be read after the
            // `if`; its slot is zeroed at probe entry, as in bpftrace.
            check_block(then, cx, state);
            if let Some(otherwise) = otherwise {
                check_block(otherwise, cx, state);
            }
        }
        StmtKind::While { cond, body } => {
            let t = check_expr(cond, cx, state);
            expect_condition(t, cond.span, "condition", state);
            cx.loop_depth += 1;
            check_block(body, cx, state);
            cx.loop_depth -= 1;
        }
        StmtKind::Unroll {
            count,
            count_span,
            body,
        } => {
            if !(1..=MAX_UNROLL).contains(count) {
                state.diagnostics.push(
                    Diagnostic::error(*count_span, format!("unroll count {count} is out of range"))
                        .with_label(format!("must be between 1 and {MAX_UNROLL}"))
                        .with_hint("for longer or unknown counts use `while (cond) { ... }`"),
                );
            }
            check_block(body, cx, state);
        }
        StmtKind::Break | StmtKind::Continue => {
            if cx.loop_depth == 0 {
                let word = if stmt.kind == StmtKind::Break {
                    "break"
                } else {
                    "continue"
                };
                state.diagnostics.push(
                    Diagnostic::error(stmt.span, format!("`{word}` outside a loop"))
                        .with_label("not inside a `while`")
                        .with_hint("use `exit()` to stop tracing, or `if` to skip statements"),
                );
            }
        }
    }
}

/// bpftrace's limit for `unroll(N)`: each copy of the body costs
/// instructions, and the verifier caps the program's size.
const MAX_UNROLL: u64 = 100;

fn check_assign(
    target: &Expr,
    op: Option<BinaryOp>,
    value: &Expr,
    cx: &mut ProbeCx,
    state: &mut State,
) {
    let errors_before = state.diagnostics.len();
    let value_type = check_value(value, true, cx, state);
    // A call with no value (`signal()`, `printf()`) cannot be assigned; a
    // value that failed to check has been reported already.
    if value_type == Type::Void && state.diagnostics.len() == errors_before {
        let what = match &value.kind {
            ExprKind::Call { name, .. } => format!("{}() returns no value", name.name),
            _ => "this expression has no value".to_string(),
        };
        state.diagnostics.push(
            Diagnostic::error(value.span, what)
                .with_label("nothing to assign")
                .with_hint("call it as a statement of its own"),
        );
        return;
    }
    match &target.kind {
        ExprKind::Map { name, keys } => {
            let key_types = check_keys(keys, cx, state);
            let new_value = match value_type {
                Type::Agg(kind) if op.is_none() => MapValueType::Agg(kind),
                Type::Agg(kind) => {
                    state.diagnostics.push(Diagnostic::error(
                        value.span,
                        format!(
                            "{}() cannot be used with a compound assignment",
                            kind.function()
                        ),
                    ));
                    return;
                }
                Type::Void => return,
                Type::Ptr(_) => MapValueType::Plain(Type::U64),
                t @ (Type::Record(_) | Type::Bytes(_)) => {
                    state.diagnostics.extend(not_storable(value.span, t));
                    return;
                }
                other => MapValueType::Plain(other),
            };
            if op.is_some() && !matches!(new_value, MapValueType::Plain(Type::Int(_))) {
                state.diagnostics.push(
                    Diagnostic::error(value.span, "compound assignment needs an integer value")
                        .with_label("not an integer"),
                );
                return;
            }
            define_map(name, key_types, new_value, target.span, keys, state);
            state.types[target.id.0 as usize] = new_value.as_type();
        }
        ExprKind::Var(name) => {
            let t = match value_type {
                Type::Agg(kind) => {
                    state.diagnostics.push(
                        Diagnostic::error(
                            value.span,
                            format!("{}() can only be assigned to a map", kind.function()),
                        )
                        .with_hint(format!(
                            "write `@{} = {}(...)`",
                            name,
                            kind.function()
                        )),
                    );
                    return;
                }
                Type::Void => return,
                other => other,
            };
            if op.is_some() {
                let current = read_var(name, target.span, cx, state);
                if !(current.is_int() && t.is_int()) {
                    state.diagnostics.push(
                        Diagnostic::error(target.span, "compound assignment needs integers")
                            .with_label("not an integer"),
                    );
                }
                state.types[target.id.0 as usize] = current;
                return;
            }
            define_var(name, t, target.span, cx, state);
            cx.assigned.insert(name.clone());
            // The target has the variable's type, which may be wider than
            // this value's (a longer string, a tuple of longer strings).
            let var_type = state.vars[cx.probe_index].get(name).copied();
            state.types[target.id.0 as usize] = var_type.unwrap_or(t);
        }
        ExprKind::TupleIndex { base, .. } => state.diagnostics.push(
            Diagnostic::error(target.span, "the elements of a tuple cannot be assigned")
                .with_label("tuples are immutable")
                .with_hint(format!(
                    "assign a whole new tuple instead, for example `{} = (..., ...)`",
                    tuple::describe_target(base)
                )),
        ),
        _ => state.diagnostics.push(
            Diagnostic::error(
                target.span,
                "can only assign to a map (`@x`, `@x[k]`) or a variable (`$x`)",
            )
            .with_label("not assignable"),
        ),
    }
}

fn define_var(name: &str, t: Type, span: Span, cx: &mut ProbeCx, state: &mut State) {
    let vars = &mut state.vars[cx.probe_index];
    match vars.get(name).copied() {
        None => {
            vars.insert(name.to_string(), t);
        }
        Some(existing) => match unify(existing, t) {
            Some(u) => {
                vars.insert(name.to_string(), u);
            }
            None => state.diagnostics.push(
                tuple::mismatch_hint(
                    Diagnostic::error(
                        span,
                        format!("${name} holds {existing}; it cannot be assigned {t}"),
                    )
                    .with_label("type changes"),
                    existing,
                    t,
                )
                .with_hint("use another variable"),
            ),
        },
    }
}

fn read_var(name: &str, span: Span, cx: &ProbeCx, state: &mut State) -> Type {
    let known = state
        .vars
        .get(cx.probe_index)
        .and_then(|v| v.get(name))
        .copied();
    match known {
        Some(t) if cx.assigned.contains(name) => t,
        _ => {
            state.diagnostics.push(
                Diagnostic::error(
                    span,
                    format!("variable ${name} is used before it is assigned"),
                )
                .with_label("not assigned yet")
                .with_hint(
                    "scratch variables are local to one probe; assign it earlier in this probe",
                ),
            );
            known.unwrap_or(Type::I64)
        }
    }
}

/// Two types that can share a slot: integers (the first decides width and
/// sign), strings (the larger buffer wins) and tuples of as many elements
/// that unify one by one.
/// A struct, union or array stays in kernel memory; only its members
/// are values.
fn record_stored(span: Span, m: crate::types::MemoryType) -> Diagnostic {
    Diagnostic::error(span, format!("{} cannot be stored whole", m.ty.name()))
        .with_label("a struct, union or array in memory")
        .with_hint("store one of its members, or a pointer to it")
}

/// What ntop() and macaddr() read, and nothing else takes.
pub(super) fn bytes_misused(span: Span, t: Type) -> Diagnostic {
    Diagnostic::error(span, format!("a byte array ({t}) cannot be used here"))
        .with_label("an inline array of the tracepoint")
        .with_hint("turn it into text with ntop(...) (4 or 16 bytes) or macaddr(...) (6 bytes)")
}

/// Values that are not maps' keys or values: arrays in memory and
/// tracepoints' byte arrays.
fn not_storable(span: Span, t: Type) -> Option<Diagnostic> {
    match t {
        Type::Record(m) => Some(record_stored(span, m)),
        Type::Bytes(_) => Some(bytes_misused(span, t)),
        _ => None,
    }
}

pub(super) fn unify(a: Type, b: Type) -> Option<Type> {
    match (a, b) {
        (Type::Int(_), Type::Int(_)) | (Type::Ptr(_), Type::Ptr(_)) => Some(a),
        (Type::Str(x), Type::Str(y)) => Some(Type::Str(x.max(y))),
        (Type::Tuple(x), Type::Tuple(y)) if x.elements().len() == y.elements().len() => {
            let elements: Option<Vec<Type>> = x
                .elements()
                .iter()
                .zip(y.elements())
                .map(|(&p, &q)| unify(p, q))
                .collect();
            elements.map(|e| Type::tuple(&e))
        }
        (Type::Buf(x), Type::Buf(y)) => Some(Type::Buf(x.max(y))),
        (Type::Timestamp(x), Type::Timestamp(y)) => Some(Type::Timestamp(x.max(y))),
        _ if a == b => Some(a),
        _ => None,
    }
}

fn check_keys(keys: &[Expr], cx: &mut ProbeCx, state: &mut State) -> Option<Vec<Type>> {
    if keys.is_empty() {
        return None;
    }
    let mut types = Vec::new();
    for key in keys {
        let t = check_value(key, false, cx, state);
        if let Type::Tuple(elements) = t {
            // `@m[(a, b)]` is `@m[a, b]`.
            tuple::check_key(key, elements, keys.len(), state);
            types.extend(elements.elements().iter().map(|&e| key_part(e)));
            continue;
        }
        if let Type::Agg(_) = t {
            state.diagnostics.push(Diagnostic::error(
                key.span,
                "an aggregation cannot be a map key",
            ));
        }
        state.diagnostics.extend(not_storable(key.span, t));
        types.push(key_part(t));
    }
    Some(types)
}

/// How a key part of this type is stored: integers as 64 bits.
fn key_part(t: Type) -> Type {
    match t {
        Type::Int(_) => Type::Int(IntType {
            bits: 64,
            ..int_of(t)
        }),
        Type::Str(_)
        | Type::Stack(_)
        | Type::Sym { .. }
        | Type::Buf(_)
        | Type::Timestamp(_)
        | Type::Username
        | Type::Inet
        | Type::MacAddr => t,
        // Reported where they are found.
        Type::Ptr(_)
        | Type::Record(_)
        | Type::Bytes(_)
        | Type::Void
        | Type::Agg(_)
        | Type::Tuple(_) => Type::U64,
    }
}

fn int_of(t: Type) -> IntType {
    match t {
        Type::Int(i) => i,
        _ => IntType::U64,
    }
}

fn define_map(
    name: &str,
    keys: Option<Vec<Type>>,
    value: MapValueType,
    span: Span,
    key_exprs: &[Expr],
    state: &mut State,
) {
    let display = format!("@{name}");
    let Some(info) = state.maps.get_mut(name) else {
        state.maps.insert(
            name.to_string(),
            MapInfo {
                name: name.to_string(),
                keys,
                value,
                span,
            },
        );
        return;
    };
    let first = info.span;
    let key_spans = tuple::key_spans(key_exprs, &state.types);
    if let Err(d) = merge_keys(&display, &mut info.keys, keys, span, &key_spans) {
        state.diagnostics.push(d);
        return;
    }
    keep_earlier_type(name, span, state);
    let Some(info) = state.maps.get_mut(name) else {
        return;
    };
    let merged = match (info.value, value) {
        (MapValueType::Agg(a), MapValueType::Agg(b)) if a == b => Some(info.value),
        (MapValueType::Plain(a), MapValueType::Plain(b)) => unify(a, b).map(MapValueType::Plain),
        _ => None,
    };
    match merged {
        Some(m) => {
            info.value = m;
            keep_earlier_type(name, span, state);
        }
        None => {
            let describe = |v: MapValueType| match v {
                MapValueType::Agg(k) => format!("{}()", k.function()),
                MapValueType::Plain(t) => with_article(&t.to_string()),
            };
            let mut d = Diagnostic::error(
                span,
                format!(
                    "{display} is {} map here but {} map elsewhere",
                    describe(value),
                    describe(info.value)
                ),
            )
            .with_label("conflicting assignment");
            d = match state.earlier.contains_key(name) {
                true => d.with_hint(format!(
                    "an earlier entry made {display} {} map",
                    describe(info.value)
                )),
                false => d.with_related(first, "first assigned here"),
            };
            if let (MapValueType::Plain(old), MapValueType::Plain(new)) = (info.value, value) {
                d = tuple::mismatch_hint(d, old, new);
            }
            if matches!(info.value, MapValueType::Agg(_)) || matches!(value, MapValueType::Agg(_)) {
                d = d.with_hint("a map that holds an aggregation can only be updated by the same aggregation function");
            }
            state.diagnostics.push(d);
        }
    }
}

/// "a uint64", "an int64": type names starting with `u` (`uint64`,
/// `usym`, `username`) are read "you-", so only a, e, i, o take "an".
fn with_article(name: &str) -> String {
    let article = if name.starts_with(['a', 'e', 'i', 'o']) {
        "an"
    } else {
        "a"
    };
    format!("{article} {name}")
}

/// A map of an earlier program keeps its type: its kernel map exists
/// already. A use that would widen it (a longer string, a wider key) is an
/// error, and the type is left as it was.
fn keep_earlier_type(name: &str, span: Span, state: &mut State) {
    let (Some(before), Some(now)) = (state.earlier.get(name), state.maps.get_mut(name)) else {
        return;
    };
    if before.keys == now.keys && before.value == now.value {
        return;
    }
    let describe = |info: &MapInfo| {
        let value = match info.value {
            MapValueType::Agg(k) => format!("{}()", k.function()),
            MapValueType::Plain(t) => t.to_string(),
        };
        match &info.keys {
            None => value,
            Some(keys) => {
                let keys: Vec<String> = keys.iter().map(Type::to_string).collect();
                format!("[{}] -> {value}", keys.join(", "))
            }
        }
    };
    let d = Diagnostic::error(
        span,
        format!(
            "@{name} would become {} here, but an earlier entry made it {}",
            describe(now),
            describe(before)
        ),
    )
    .with_label("changes the type of an existing map")
    .with_hint("its kernel map exists already: use a new map name for values of another type");
    now.keys.clone_from(&before.keys);
    now.value = before.value;
    state.diagnostics.push(d);
}

fn merge_keys(
    display: &str,
    existing: &mut Option<Vec<Type>>,
    keys: Option<Vec<Type>>,
    span: Span,
    key_spans: &[Span],
) -> Result<(), Diagnostic> {
    match (existing.as_mut(), keys) {
        (None, None) => Ok(()),
        (Some(old), Some(new)) if old.len() == new.len() => {
            for (i, (o, n)) in old.iter_mut().zip(new).enumerate() {
                match unify(*o, n) {
                    Some(u) => *o = u,
                    None => {
                        return Err(Diagnostic::error(
                            key_spans.get(i).copied().unwrap_or(span),
                            format!("{display} is keyed by {o} here, but this key is {n}"),
                        )
                        .with_label("key type differs"))
                    }
                }
            }
            Ok(())
        }
        (old, new) => {
            let count = |k: Option<usize>| match k {
                None => "no key".to_string(),
                Some(1) => "1 key".to_string(),
                Some(n) => format!("{n} keys"),
            };
            Err(Diagnostic::error(
                span,
                format!(
                    "{display} is used with {} here but {} elsewhere",
                    count(new.as_ref().map(Vec::len)),
                    count(old.map(|o| o.len()))
                ),
            )
            .with_label("inconsistent keys"))
        }
    }
}

/// Checks an expression whose value is used. `map_value` allows an
/// aggregation call (the right side of a map assignment).
pub(super) fn check_value(
    expr: &Expr,
    map_value: bool,
    cx: &mut ProbeCx,
    state: &mut State,
) -> Type {
    let t = if map_value {
        match &expr.kind {
            ExprKind::Call { name, args } => {
                let t = check_call(expr, name, args, true, cx, state);
                state.types[expr.id.0 as usize] = t;
                t
            }
            _ => check_expr(expr, cx, state),
        }
    } else {
        check_expr(expr, cx, state)
    };
    if let (Type::Agg(kind), false) = (t, map_value) {
        state.diagnostics.push(
            Diagnostic::error(
                expr.span,
                format!("{}() values cannot be used in expressions", kind.function()),
            )
            .with_label("aggregation")
            .with_hint("print aggregations with print(@map); assign them with @map = ..."),
        );
    }
    t
}

pub(super) fn check_expr(expr: &Expr, cx: &mut ProbeCx, state: &mut State) -> Type {
    let t = check_expr_kind(expr, cx, state);
    state.types[expr.id.0 as usize] = t;
    t
}

fn check_expr_kind(expr: &Expr, cx: &mut ProbeCx, state: &mut State) -> Type {
    match &expr.kind {
        ExprKind::Int(v) => {
            if *v > i64::MAX as u64 {
                Type::U64
            } else {
                Type::I64
            }
        }
        ExprKind::Str(s) => Type::Str(s.len() as u32 + 1),
        ExprKind::Ident(name) => check_ident(expr, name, cx, state),
        ExprKind::Var(name) => read_var(name, expr.span, cx, state),
        ExprKind::Positional(n) => match cx.env.params.get(*n as usize - 1) {
            Some(p) if parse_int(p).is_some() => Type::I64,
            Some(p) => Type::Str(p.len() as u32 + 1),
            // As in bpftrace, a parameter that was not given reads as 0
            // (and `str($N)` of it as an empty string).
            None => Type::I64,
        },
        ExprKind::PositionalCount => Type::I64,
        ExprKind::Map { name, keys } => check_map_read(expr, name, keys, cx, state),
        ExprKind::Call { name, args } => check_call(expr, name, args, false, cx, state),
        ExprKind::Field { base, field, arrow } => {
            if matches!(&base.kind, ExprKind::Ident(n) if n == "args") {
                args::check_field(base, field, cx, state)
            } else {
                memory::check_member(expr, base, field, *arrow, cx, state)
            }
        }
        ExprKind::Deref(operand) => memory::check_deref(expr, operand, cx, state),
        ExprKind::Index { base, index } if args::indexes_array_field(base, cx) => {
            args::check_element(base, index, cx, state)
        }
        ExprKind::Index { base, index } => memory::check_index(expr, base, index, cx, state),
        ExprKind::Sizeof(operand) => memory::check_sizeof(expr, operand, cx, state),
        ExprKind::Offsetof { record, members } => {
            memory::check_offsetof(expr, record, members, cx, state)
        }
        ExprKind::Unary { op, operand } => {
            let t = check_value(operand, false, cx, state);
            if !t.is_int() {
                let d = Diagnostic::error(
                    expr.span,
                    format!("operator '{}' needs an integer, found {t}", op.symbol()),
                )
                .with_label("not an integer");
                state.diagnostics.push(tuple::element_hint(d, t, operand));
            }
            match op {
                UnaryOp::Not => Type::U64,
                UnaryOp::Neg => Type::I64,
                UnaryOp::BitNot => {
                    if t.is_int() {
                        t
                    } else {
                        Type::U64
                    }
                }
            }
        }
        ExprKind::Binary { op, lhs, rhs } => check_binary(expr, *op, lhs, rhs, cx, state),
        ExprKind::Cast { to, operand } => memory::check_cast(to, operand, cx, state),
        ExprKind::Ternary {
            cond,
            then,
            otherwise,
        } => {
            let c = check_value(cond, false, cx, state);
            expect_condition(c, cond.span, "condition", state);
            let a = check_value(then, false, cx, state);
            let b = check_value(otherwise, false, cx, state);
            unify(a, b).unwrap_or_else(|| {
                let d = Diagnostic::error(
                    expr.span,
                    format!("the branches of '?:' differ: {a} and {b}"),
                )
                .with_label("branches must have one type");
                state.diagnostics.push(tuple::mismatch_hint(d, a, b));
                a
            })
        }
        ExprKind::Tuple(elements) => tuple::check_literal(elements, cx, state),
        ExprKind::TupleIndex {
            base,
            index,
            index_span,
        } => tuple::check_index(base, *index, *index_span, cx, state),
        ExprKind::Step { target, .. } => {
            match &target.kind {
                ExprKind::Map { name, keys } => {
                    let key_types = check_keys(keys, cx, state);
                    define_map(
                        name,
                        key_types,
                        MapValueType::Plain(Type::I64),
                        target.span,
                        keys,
                        state,
                    );
                    state.types[target.id.0 as usize] = Type::I64;
                }
                ExprKind::Var(name) => {
                    let t = read_var(name, target.span, cx, state);
                    state.types[target.id.0 as usize] = t;
                    if !t.is_int() {
                        state
                            .diagnostics
                            .push(Diagnostic::error(target.span, "++ and -- need an integer"));
                    }
                }
                _ => state.diagnostics.push(
                    Diagnostic::error(target.span, "++ and -- apply to a map or a variable")
                        .with_label("not assignable"),
                ),
            }
            Type::I64
        }
    }
}

pub fn parse_int(text: &str) -> Option<i64> {
    let (negative, digits) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text),
    };
    let value = match digits
        .strip_prefix("0x")
        .or_else(|| digits.strip_prefix("0X"))
    {
        Some(hex) => i64::from_str_radix(hex, 16).ok()?,
        None => digits.parse::<i64>().ok()?,
    };
    Some(if negative { -value } else { value })
}

fn check_ident(expr: &Expr, name: &str, cx: &mut ProbeCx, state: &mut State) -> Type {
    let span = expr.span;
    if let Some(result) = cx.env.builtins.ident_type(name, span, &cx.scope) {
        return result.unwrap_or_else(|d| {
            state.diagnostics.push(d);
            Type::U64
        });
    }
    if let Some(t) = memory::enum_constant(expr, name, cx, state) {
        return t;
    }
    let mut d =
        Diagnostic::error(span, format!("unknown identifier '{name}'")).with_label("not a builtin");
    if name == "args" {
        d = Diagnostic::error(span, "`args` needs a field: args.NAME")
            .with_label("no field")
            .with_hint("`rtrace -lv 'tracepoint:CAT:NAME'` lists the fields");
    } else if let Some(best) = closest(name, cx.env.builtins.ident_names()) {
        d = d.with_hint(format!("did you mean '{best}'?"));
    } else if !name.starts_with('$') {
        d = d.with_hint(format!(
            "scratch variables start with '$' (${name}), maps with '@' (@{name})"
        ));
    }
    state.diagnostics.push(d);
    Type::U64
}

fn check_map_read(
    expr: &Expr,
    name: &str,
    keys: &[Expr],
    cx: &mut ProbeCx,
    state: &mut State,
) -> Type {
    let key_types = check_keys(keys, cx, state);
    let display = format!("@{name}");
    match state.maps.get_mut(name) {
        Some(info) => {
            let key_spans = tuple::key_spans(keys, &state.types);
            if let Err(d) = merge_keys(&display, &mut info.keys, key_types, expr.span, &key_spans) {
                // A map function may name a keyed map without keys: print(@x).
                if !(keys.is_empty() && info.keys.is_some()) {
                    state.diagnostics.push(d);
                }
            }
            let value = info.value.as_type();
            keep_earlier_type(name, expr.span, state);
            value
        }
        None => {
            let mut d = Diagnostic::error(
                expr.span,
                format!("map {display} is read but never assigned"),
            )
            .with_label("no assignment to this map");
            if let Some(best) = closest(name, state.maps.keys().map(String::as_str)) {
                d = d.with_hint(format!("did you mean '@{best}'?"));
            }
            state.diagnostics.push(d);
            Type::I64
        }
    }
}

fn check_call(
    expr: &Expr,
    name: &Ident,
    args: &[Expr],
    assigned_to_map: bool,
    cx: &mut ProbeCx,
    state: &mut State,
) -> Type {
    let arg_types: Vec<Type> = args
        .iter()
        .enumerate()
        .map(|(i, a)| match &a.kind {
            // Words such as `perf` in kstack(perf) are read by the builtin.
            _ if cx.env.builtins.keyword_arg(&name.name, i, a) => Type::Void,
            // Map arguments (print(@x), delete(@x[k])) may be aggregations.
            ExprKind::Map { .. } => check_expr(a, cx, state),
            _ => check_value(a, false, cx, state),
        })
        .collect();
    let call = CallInfo {
        name,
        args,
        arg_types: &arg_types,
        span: expr.span,
        assigned_to_map,
        probe: &cx.scope,
    };
    match cx.env.builtins.call_type(&call) {
        Some(Ok(t)) => t,
        Some(Err(d)) => {
            state.diagnostics.push(d);
            Type::Void
        }
        None => {
            let mut d = Diagnostic::error(name.span, format!("unknown function '{}'", name.name))
                .with_label("not a builtin");
            if let Some(best) = closest(&name.name, cx.env.builtins.function_names()) {
                d = d.with_hint(format!("did you mean '{best}()'?"));
            }
            state.diagnostics.push(d);
            Type::Void
        }
    }
}

fn check_binary(
    expr: &Expr,
    op: BinaryOp,
    lhs: &Expr,
    rhs: &Expr,
    cx: &mut ProbeCx,
    state: &mut State,
) -> Type {
    let a = check_value(lhs, false, cx, state);
    let b = check_value(rhs, false, cx, state);
    for (t, side) in [(a, lhs), (b, rhs)] {
        if let Type::Record(m) = t {
            state.diagnostics.push(
                Diagnostic::error(
                    side.span,
                    format!(
                        "operator '{}' cannot be applied to {}",
                        op.symbol(),
                        m.ty.name()
                    ),
                )
                .with_label("a struct, union or array")
                .with_hint("use one of its members"),
            );
            return Type::U64;
        }
    }
    for (t, side) in [(a, lhs), (b, rhs)] {
        if let Type::Bytes(_) = t {
            state.diagnostics.push(bytes_misused(side.span, t));
            return Type::U64;
        }
        if matches!(t, Type::Inet | Type::MacAddr) {
            state.diagnostics.push(
                Diagnostic::error(
                    side.span,
                    format!("operator '{}' cannot be applied to {t}", op.symbol()),
                )
                .with_label(format!("{t} is not a number"))
                .with_hint("print it with printf(\"%s\"), print() or use it as a map key"),
            );
            return Type::U64;
        }
    }
    if let Some(t) = pointer_arithmetic::check(expr, op, (lhs, a), (rhs, b), cx, state) {
        return t;
    }
    let a = if let Type::Ptr(_) = a { Type::U64 } else { a };
    let b = if let Type::Ptr(_) = b { Type::U64 } else { b };
    if a == Type::Void || b == Type::Void {
        return Type::I64;
    }
    if let Some(d) = tuple::operand_error(op, (lhs, a), (rhs, b)) {
        state.diagnostics.push(d);
        return Type::U64;
    }
    if let Some(t) = [a, b]
        .into_iter()
        .find(|t| matches!(t, Type::Stack(_) | Type::Sym { .. }))
    {
        // Stacks and kernel symbols compare by id and address, as in
        // bpftrace; nothing else applies to them.
        let comparable =
            a == b && matches!(op, BinaryOp::Eq | BinaryOp::Ne) && t != Type::Sym { user: true };
        if !comparable {
            state.diagnostics.push(
                Diagnostic::error(
                    expr.span,
                    format!(
                        "operator '{}' cannot be applied to {a} and {b}",
                        op.symbol()
                    ),
                )
                .with_label(format!("{t} is not a number"))
                .with_hint("print it with printf(\"%s\"), print() or use it as a map key"),
            );
        }
        return Type::U64;
    }
    if a.is_str() || b.is_str() {
        if a.is_str() && b.is_str() && matches!(op, BinaryOp::Eq | BinaryOp::Ne) {
            return Type::U64;
        }
        let (span, t) = if a.is_str() {
            (lhs.span, a)
        } else {
            (rhs.span, b)
        };
        let mut d = Diagnostic::error(
            expr.span,
            format!(
                "operator '{}' cannot be applied to {a} and {b}",
                op.symbol()
            ),
        )
        .with_related(span, format!("this is {t}"));
        d = d.with_label(if matches!(op, BinaryOp::Eq | BinaryOp::Ne) {
            "strings compare only with strings"
        } else {
            "strings support only == and !="
        });
        state.diagnostics.push(d);
        return Type::U64;
    }
    if op.is_comparison() || op.is_logical() {
        return Type::U64;
    }
    let (ia, ib) = (int_of(a), int_of(b));
    let signed = ia.signed || ib.signed;
    Type::Int(IntType { bits: 64, signed })
}
