//! Kernel types in expressions: casts to pointers (`(struct path *)arg0`),
//! `->` and `.` through structs and unions, `[i]` on arrays and pointers,
//! `*p`, `sizeof`, `offsetof` and enum constants. Types come from the
//! kernel's BTF, parsed only when a program first names a kernel type.
//!
//! Each access is recorded as a [`MemoryRead`] for codegen, which then
//! needs no BTF of its own.

use super::expr::{check_expr, check_value, ProbeCx, State};
use crate::ast::{Expr, ExprKind, Ident, SizeofOperand, Span, TypeBase, TypeName};
use crate::btf::{Btf, NameSpace, Shape};
use crate::diagnostic::{closest, Diagnostic};
use crate::memory::{MemoryRead, ReadKind};
use crate::types::{IntType, KernelType, MemoryType, PtrType, Target, Type};

/// The kernel's BTF, or the diagnostic saying why kernel types are
/// unavailable.
pub(super) fn btf<'a>(cx: &ProbeCx<'a>, span: Span) -> Result<&'a Btf, Diagnostic> {
    cx.env.kernel.btf().map_err(|e| {
        Diagnostic::error(span, "kernel types need the kernel's BTF type information")
            .with_label("uses a kernel type")
            .with_hint(format!(
                "reading /sys/kernel/btf/vmlinux failed: {e} (a kernel built with CONFIG_DEBUG_INFO_BTF has it)"
            ))
    })
}

/// Whether an integer turned into a pointer points into user memory:
/// in uprobes and USDT probes it does, as in bpftrace.
fn default_user(cx: &ProbeCx) -> bool {
    cx.attaches.iter().all(|a| a.attach.kind().is_user_space()) && !cx.attaches.is_empty()
}

/// The BTF id a `struct`/`union`/`enum` type name stands for.
fn named(btf: &Btf, name: &TypeName) -> Result<(u32, String), Diagnostic> {
    let (space, word, bare) = match &name.base {
        TypeBase::Struct(n) => (NameSpace::Tag, "struct", n),
        TypeBase::Union(n) => (NameSpace::Tag, "union", n),
        TypeBase::Enum(n) => (NameSpace::Enum, "enum", n),
        TypeBase::Int(_) => unreachable!("integer types are not kernel types"),
    };
    let spelled = format!("{word} {bare}");
    match btf.named_type(space, bare) {
        Some(id) => Ok((id, spelled)),
        None => {
            let mut d = Diagnostic::error(name.span, format!("unknown kernel type '{spelled}'"))
                .with_label("not in the kernel's BTF, nor in a loaded module's");
            d = match btf.closest_type_name(space, bare) {
                Some(best) => d.with_hint(format!("did you mean '{word} {best}'?")),
                None => d.with_hint("a module's types are known only while it is loaded"),
            };
            Err(d)
        }
    }
}

fn int_of_size(size: u32, signed: bool) -> Option<IntType> {
    matches!(size, 1 | 2 | 4 | 8).then_some(IntType {
        bits: (size * 8) as u8,
        signed,
    })
}

/// The rtrace type of a value of BTF type `id` in memory, and how to
/// read it.
fn value_at(btf: &Btf, id: u32, user: bool) -> Result<(Type, ReadKind), String> {
    match btf.shape(id) {
        Shape::Int { size, signed, .. } | Shape::Enum { size, signed } => {
            match int_of_size(size, signed) {
                Some(int) => Ok((
                    Type::Int(int),
                    ReadKind::Int {
                        size: size as u8,
                        signed,
                    },
                )),
                None => Err(format!("`{}` is {size} bytes wide", btf.type_name(id))),
            }
        }
        Shape::Pointer { pointee } => {
            let user = btf.pointer_is_user(id).unwrap_or(user);
            Ok((
                Type::Ptr(btf.pointer_type(pointee, user)),
                ReadKind::Int {
                    size: 8,
                    signed: false,
                },
            ))
        }
        Shape::Array { elem, count } if count > 0 && is_char(btf, elem) => {
            Ok((Type::Str(count), ReadKind::Str(count)))
        }
        Shape::Record { .. } | Shape::Array { .. } => Ok((
            Type::Record(MemoryType {
                ty: KernelType::new(id, &btf.type_name(id)),
                user,
            }),
            ReadKind::Address,
        )),
        Shape::Void | Shape::Other => Err(format!("`{}` has no value", btf.type_name(id))),
    }
}

fn is_char(btf: &Btf, id: u32) -> bool {
    matches!(btf.shape(id), Shape::Int { is_char: true, .. })
}

fn record(state: &mut State, expr: &Expr, read: MemoryRead) {
    state.memory.insert(expr.id, read);
}

fn unreadable(span: Span, what: String) -> Diagnostic {
    Diagnostic::error(span, format!("cannot read this value: {what}"))
        .with_label("unsupported kernel type")
}

/// `(struct path *)arg0`, `(uint8 *)p`, `(enum pid_type)x`.
pub(super) fn check_cast(
    to: &TypeName,
    operand: &Expr,
    cx: &mut ProbeCx,
    state: &mut State,
) -> Type {
    let from = check_value(operand, false, cx, state);
    let convertible = from.is_int() || matches!(from, Type::Ptr(_)) || from == Type::Void;
    if !convertible {
        state.diagnostics.push(
            Diagnostic::error(operand.span, format!("cannot cast {from} to {to}"))
                .with_label("not an integer or pointer")
                .with_hint("casts convert integers and pointers: (uint8)x, (struct sock *)arg0"),
        );
    }
    let user = match from {
        Type::Ptr(p) => p.user,
        _ => default_user(cx),
    };
    let target = match &to.base {
        TypeBase::Int(int) if to.pointers == 0 => return Type::Int(*int),
        TypeBase::Int(int) => Target::Int(*int),
        _ => {
            let btf = match btf(cx, to.span) {
                Ok(btf) => btf,
                Err(d) => {
                    state.diagnostics.push(d);
                    return Type::U64;
                }
            };
            let (id, spelled) = match named(btf, to) {
                Ok(found) => found,
                Err(d) => {
                    state.diagnostics.push(d);
                    return Type::U64;
                }
            };
            match (&to.base, to.pointers) {
                (TypeBase::Enum(_), 0) => {
                    let Shape::Enum { size, signed } = btf.shape(id) else {
                        return Type::U64;
                    };
                    return Type::Int(int_of_size(size, signed).unwrap_or(IntType::U64));
                }
                (_, 0) => {
                    state.diagnostics.push(
                        Diagnostic::error(to.span, format!("cannot cast to {spelled} by value"))
                            .with_label("a struct or union is not a value")
                            .with_hint(format!("cast to a pointer instead: ({spelled} *)")),
                    );
                    return Type::U64;
                }
                _ => Target::Kernel(KernelType::new(id, &spelled)),
            }
        }
    };
    Type::Ptr(PtrType {
        user,
        depth: to.pointers,
        target,
    })
}

/// `p->field` and `record.field` on kernel types (`args.NAME` is typed by
/// the probe's format instead).
pub(super) fn check_member(
    expr: &Expr,
    base: &Expr,
    field: &Ident,
    arrow: bool,
    cx: &mut ProbeCx,
    state: &mut State,
) -> Type {
    let base_type = check_value(base, false, cx, state);
    let base_type = typed_tracepoint_pointer(base, base_type, cx).unwrap_or(base_type);
    let op = if arrow { "->" } else { "." };
    let (memory, record_id) = match (base_type, arrow) {
        (Type::Ptr(p), true) if p.depth == 1 => match p.target {
            Target::Kernel(k) => (
                MemoryType {
                    ty: k,
                    user: p.user,
                },
                k.id,
            ),
            _ => {
                state.diagnostics.push(
                    Diagnostic::error(
                        base.span,
                        format!("`->` needs a pointer to a struct or union, found {base_type}"),
                    )
                    .with_label("points to no struct")
                    .with_hint(format!(
                        "cast it to the kernel type it points to: ((struct NAME *){})->{}",
                        source_hint(base),
                        field.name
                    )),
                );
                return Type::U64;
            }
        },
        (Type::Record(m), false) => (m, m.ty.id),
        (Type::Ptr(_), false) => {
            state.diagnostics.push(
                Diagnostic::error(
                    field.span,
                    format!("`.` reads a member of a struct, and this is {base_type}"),
                )
                .with_label("a pointer")
                .with_hint(format!("follow the pointer with `->`: ...->{}", field.name)),
            );
            return Type::U64;
        }
        (Type::Record(_), true) => {
            state.diagnostics.push(
                Diagnostic::error(
                    field.span,
                    format!("`->` follows a pointer, and this is {base_type} itself"),
                )
                .with_label("not a pointer")
                .with_hint(format!("read the member with `.`: ....{}", field.name)),
            );
            return Type::U64;
        }
        (Type::Void, _) => return Type::U64,
        _ => {
            let mut d = Diagnostic::error(
                base.span,
                format!("`{op}` needs a kernel struct, found {base_type}"),
            )
            .with_label("not a struct or a pointer to one");
            if base_type.is_int() {
                d = d.with_hint(format!(
                    "cast the address to the kernel type it points to: ((struct NAME *){})->{}",
                    source_hint(base),
                    field.name
                ));
            }
            state.diagnostics.push(d);
            return Type::U64;
        }
    };
    let Ok(btf) = btf(cx, base.span) else {
        return Type::U64;
    };
    if !matches!(btf.shape(record_id), Shape::Record { .. }) {
        state.diagnostics.push(
            Diagnostic::error(base.span, format!("{} has no members", memory.ty.name()))
                .with_label("not a struct or union"),
        );
        return Type::U64;
    }
    let Some(member) = btf.member(record_id, &field.name) else {
        let names = btf.member_names(record_id);
        let mut d = Diagnostic::error(
            field.span,
            format!("{} has no member '{}'", memory.ty.name(), field.name),
        )
        .with_label("unknown member");
        if let Some(best) = closest(&field.name, names.iter().map(String::as_str)) {
            d = d.with_hint(format!("did you mean '{best}'?"));
        }
        state.diagnostics.push(d);
        return Type::U64;
    };
    let byte = member.bit_offset / 8;
    let shift = member.bit_offset % 8;
    if member.bitfield_bits > 0 || shift != 0 {
        let (Shape::Int { size, signed, .. } | Shape::Enum { size, signed }) =
            btf.shape(member.type_id)
        else {
            state.diagnostics.push(unreadable(
                field.span,
                "a bitfield that is not an integer".into(),
            ));
            return Type::U64;
        };
        let bits = if member.bitfield_bits > 0 {
            member.bitfield_bits
        } else {
            size * 8
        };
        let bytes = (shift + bits).div_ceil(8);
        if bytes > 8 {
            state.diagnostics.push(unreadable(
                field.span,
                "a bitfield wider than 64 bits".into(),
            ));
            return Type::U64;
        }
        record(
            state,
            expr,
            MemoryRead {
                offset: byte,
                stride: 0,
                user: memory.user,
                read: ReadKind::Bitfield {
                    bytes: bytes as u8,
                    shift: shift as u8,
                    bits: bits as u8,
                    signed,
                },
            },
        );
        return Type::Int(int_of_size(size, signed).unwrap_or(IntType::U64));
    }
    match value_at(btf, member.type_id, memory.user) {
        Ok((t, read)) => {
            record(
                state,
                expr,
                MemoryRead {
                    offset: byte,
                    stride: 0,
                    user: memory.user,
                    read,
                },
            );
            t
        }
        Err(what) => {
            state.diagnostics.push(unreadable(field.span, what));
            Type::U64
        }
    }
}

/// A tracepoint field declared as a pointer to a struct (`struct
/// task_struct * task`) gets its kernel type when something follows it.
fn typed_tracepoint_pointer(base: &Expr, base_type: Type, cx: &ProbeCx) -> Option<Type> {
    let Type::Ptr(p) = base_type else { return None };
    if p.target != Target::Void {
        return None;
    }
    let ExprKind::Field {
        base: args, field, ..
    } = &base.kind
    else {
        return None;
    };
    if !matches!(&args.kind, ExprKind::Ident(n) if n == "args") {
        return None;
    }
    let format = cx.attaches.first()?.format.as_ref()?;
    let declaration = &format.field(&field.name)?.declaration;
    let words: Vec<&str> = declaration
        .split(|c: char| c.is_whitespace() || c == '*')
        .filter(|w| !w.is_empty() && *w != "const")
        .collect();
    let (space, name) = match words.as_slice() {
        ["struct", name, ..] | ["union", name, ..] => (NameSpace::Tag, *name),
        _ => return None,
    };
    let btf = cx.env.kernel.btf().ok()?;
    let id = btf.named_type(space, name)?;
    let depth = declaration.matches('*').count().max(1) as u8;
    Some(Type::Ptr(PtrType {
        depth,
        target: Target::Kernel(KernelType::new(id, &btf.type_name(id))),
        ..p
    }))
}

/// The base as written, for hints.
fn source_hint(base: &Expr) -> String {
    match &base.kind {
        ExprKind::Ident(n) => n.clone(),
        ExprKind::Var(n) => format!("${n}"),
        _ => "...".into(),
    }
}

/// `p[i]` and `array[i]`.
pub(super) fn check_index(
    expr: &Expr,
    base: &Expr,
    index: &Expr,
    cx: &mut ProbeCx,
    state: &mut State,
) -> Type {
    let base_type = check_value(base, false, cx, state);
    let index_type = check_value(index, false, cx, state);
    if !index_type.is_int() && index_type != Type::Void {
        state.diagnostics.push(
            Diagnostic::error(
                index.span,
                format!("an index must be an integer, found {index_type}"),
            )
            .with_label("not an integer"),
        );
    }
    let element = match base_type {
        Type::Ptr(p) => pointee(p, base.span, cx),
        Type::Record(m) => array_element(m, base.span, index, cx),
        Type::Void => return Type::U64,
        other => Err(
            Diagnostic::error(base.span, format!("cannot index {other}"))
                .with_label("not an array or a pointer")
                .with_hint(
                    "`[i]` reads an element of a kernel array or of what a pointer points to",
                ),
        ),
    };
    finish_access(expr, element, cx, state)
}

/// `*p`.
pub(super) fn check_deref(
    expr: &Expr,
    operand: &Expr,
    cx: &mut ProbeCx,
    state: &mut State,
) -> Type {
    let t = check_value(operand, false, cx, state);
    let element = match t {
        Type::Ptr(p) => pointee(p, operand.span, cx),
        Type::Void => return Type::U64,
        other => Err(
            Diagnostic::error(operand.span, format!("cannot dereference {other}"))
                .with_label("not a pointer")
                .with_hint("cast an address to a pointer type first: *(uint32 *)addr"),
        ),
    };
    finish_access(expr, element, cx, state)
}

/// An element's type, how it is read, and its size (the stride).
type Element = Result<(Type, MemoryRead), Diagnostic>;

fn finish_access(expr: &Expr, element: Element, _cx: &mut ProbeCx, state: &mut State) -> Type {
    match element {
        Ok((t, read)) => {
            record(state, expr, read);
            t
        }
        Err(d) => {
            state.diagnostics.push(d);
            Type::U64
        }
    }
}

fn pointee(p: PtrType, span: Span, cx: &ProbeCx) -> Element {
    let read_at = |read, stride| MemoryRead {
        offset: 0,
        stride,
        user: p.user,
        read,
    };
    if let Some(inner) = p.deref_pointer() {
        let read = ReadKind::Int {
            size: 8,
            signed: false,
        };
        return Ok((Type::Ptr(inner), read_at(read, 8)));
    }
    match p.target {
        Target::Int(int) => {
            let size = int.bits / 8;
            let read = ReadKind::Int {
                size,
                signed: int.signed,
            };
            Ok((Type::Int(int), read_at(read, u32::from(size))))
        }
        Target::Kernel(k) => {
            let btf = btf(cx, span)?;
            let (t, read) = value_at(btf, k.id, p.user).map_err(|what| unreadable(span, what))?;
            Ok((t, read_at(read, btf.type_size(k.id))))
        }
        Target::Void => Err(Diagnostic::error(
            span,
            format!("cannot read through {}", Type::Ptr(p)),
        )
        .with_label("points to nothing known")
        .with_hint("cast it to what it points to, for example (uint32 *) or (struct sock *)")),
    }
}

fn array_element(m: MemoryType, span: Span, index: &Expr, cx: &ProbeCx) -> Element {
    let btf = btf(cx, span)?;
    let Shape::Array { elem, count } = btf.shape(m.ty.id) else {
        return Err(
            Diagnostic::error(span, format!("cannot index {}", m.ty.name()))
                .with_label("not an array"),
        );
    };
    if let Some(i) = super::builtins::const_int(index) {
        check_bounds(index, i, count, m.ty.name())?;
    }
    let (t, read) = value_at(btf, elem, m.user).map_err(|what| unreadable(span, what))?;
    Ok((
        t,
        MemoryRead {
            offset: 0,
            stride: btf.type_size(elem),
            user: m.user,
            read,
        },
    ))
}

/// A constant index `i` into an array of `count` elements (of unknown
/// length when 0), described as `array` in the message.
pub(super) fn check_bounds(
    index: &Expr,
    i: i64,
    count: u32,
    array: &str,
) -> Result<(), Diagnostic> {
    if count > 0 && (i < 0 || i >= i64::from(count)) {
        return Err(Diagnostic::error(
            index.span,
            format!("index {i} is out of bounds for {array}"),
        )
        .with_label(format!("valid indexes are 0 to {}", count - 1)));
    }
    Ok(())
}

/// `sizeof(TYPE)` and `sizeof(expr)`: a constant.
pub(super) fn check_sizeof(
    expr: &Expr,
    operand: &SizeofOperand,
    cx: &mut ProbeCx,
    state: &mut State,
) -> Type {
    let size = match operand {
        SizeofOperand::Type(name) => type_size(name, cx),
        SizeofOperand::Expr(e) => match super::args::array_size(e, cx) {
            // An array field of a tracepoint has a size but no value.
            Some(size) => Ok(size),
            None => {
                let t = check_expr(e, cx, state);
                match t {
                    Type::Int(int) => Ok(u32::from(int.bits / 8)),
                    Type::Record(m) => btf(cx, e.span).map(|btf| btf.type_size(m.ty.id)),
                    Type::Agg(_) | Type::Void => {
                        Err(Diagnostic::error(e.span, format!("{t} has no size")))
                    }
                    other => Ok(other.size()),
                }
            }
        },
    };
    match size {
        Ok(size) => {
            state.constants.insert(expr.id, i64::from(size));
        }
        Err(d) => state.diagnostics.push(d),
    }
    Type::U64
}

fn type_size(name: &TypeName, cx: &ProbeCx) -> Result<u32, Diagnostic> {
    if name.pointers > 0 {
        return Ok(8);
    }
    match &name.base {
        TypeBase::Int(int) => Ok(u32::from(int.bits / 8)),
        _ => {
            let btf = btf(cx, name.span)?;
            let (id, _) = named(btf, name)?;
            Ok(btf.type_size(id))
        }
    }
}

/// `offsetof(struct sock, __sk_common.skc_dport)`: a constant.
pub(super) fn check_offsetof(
    expr: &Expr,
    record_name: &TypeName,
    members: &[Ident],
    cx: &mut ProbeCx,
    state: &mut State,
) -> Type {
    match offset_of(record_name, members, cx) {
        Ok(offset) => {
            state.constants.insert(expr.id, i64::from(offset));
        }
        Err(d) => state.diagnostics.push(d),
    }
    Type::U64
}

fn offset_of(record_name: &TypeName, members: &[Ident], cx: &ProbeCx) -> Result<u32, Diagnostic> {
    if matches!(record_name.base, TypeBase::Int(_) | TypeBase::Enum(_)) || record_name.pointers > 0
    {
        return Err(
            Diagnostic::error(record_name.span, format!("{record_name} has no members"))
                .with_label("not a struct or union"),
        );
    }
    let btf = btf(cx, record_name.span)?;
    let (mut id, mut spelled) = named(btf, record_name)?;
    let mut bits = 0;
    for member in members {
        let Some(found) = btf.member(id, &member.name) else {
            let names = btf.member_names(id);
            let mut d = Diagnostic::error(
                member.span,
                format!("{spelled} has no member '{}'", member.name),
            )
            .with_label("unknown member");
            if let Some(best) = closest(&member.name, names.iter().map(String::as_str)) {
                d = d.with_hint(format!("did you mean '{best}'?"));
            }
            return Err(d);
        };
        bits += found.bit_offset;
        id = found.type_id;
        spelled = btf.type_name(id);
    }
    Ok(bits / 8)
}

/// An identifier no builtin knows may be a kernel enum constant
/// (`TASK_COMM_LEN`, `PIDTYPE_PID`), as in bpftrace.
pub(super) fn enum_constant(
    expr: &Expr,
    name: &str,
    cx: &ProbeCx,
    state: &mut State,
) -> Option<Type> {
    let btf = cx.env.kernel.btf().ok()?;
    let (value, enum_id) = btf.enum_constant(name)?;
    state.constants.insert(expr.id, value);
    let Shape::Enum { size, signed } = btf.shape(enum_id) else {
        return Some(Type::I64);
    };
    Some(Type::Int(int_of_size(size, signed).unwrap_or(IntType::I64)))
}
