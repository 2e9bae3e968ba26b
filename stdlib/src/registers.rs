//! Function arguments and return values: `arg0`..`arg11`, `retval`,
//! `func`. They read the probe's context the way its mechanism lays it out
//! (`Attach::argument_source`): `struct pt_regs` for kprobes and uprobes
//! (arguments past the sixth from the stack), 8-byte slots for fentry and
//! fexit, where a USDT note says for USDT probes, the argument array of a
//! raw tracepoint. A probe type gets them by saying which it uses.

use crate::builtin::{Builtin, Form};
use rtrace_codegen::asm::Size;
use rtrace_codegen::lower::cx::{FnCx, Operand, CTX};
use rtrace_codegen::lower::{expr, kprobe_multi, probe_args, strings, LowerError};
use rtrace_lang::ast::{Expr, Span};
use rtrace_lang::check::builtins::ProbeScope;
use rtrace_lang::check::CheckedAttach;
use rtrace_lang::diagnostic::Diagnostic;
use rtrace_lang::probes::{ArgumentSource, Attach};
use rtrace_lang::pt_regs;
use rtrace_lang::tracepoint::FieldKind;
use rtrace_lang::types::{IntType, Type};

/// As many as a USDT probe can have (`STAP_PROBE12` in `sys/sdt.h`).
pub const ARG_NAMES: [&str; 12] = [
    "arg0", "arg1", "arg2", "arg3", "arg4", "arg5", "arg6", "arg7", "arg8", "arg9", "arg10",
    "arg11",
];

/// `argN`: the N-th integer argument of the probed function, as a u64
/// (or as the signed integer a USDT note says it is).
pub struct Arg(pub usize);

/// How argument `n` is read in one attach point's context.
enum ArgRead {
    /// Eight bytes at this offset of the context.
    Context(u32),
    /// On the stack, this far above the stack pointer at function entry.
    Stack { offset: u32, user: bool },
    /// Where a USDT note says.
    Usdt(rtrace_binary::UsdtArg),
}

/// Where argument `n` is in one attach point's context.
fn arg_read(n: usize, attach: &CheckedAttach) -> Result<ArgRead, String> {
    let name = attach.attach.name();
    match attach.attach.argument_source() {
        None => Err(format!("{} has no function arguments", name)),
        Some(_) if attach.attach.at_return() => Err(format!(
            "arguments are gone when {name} fires, at the function's return"
        )),
        Some(ArgumentSource::Registers) => Ok(match pt_regs::arg_offset(n) {
            Some(offset) => ArgRead::Context(offset),
            None => ArgRead::Stack {
                offset: pt_regs::stack_arg_offset(n).expect("past the register arguments"),
                user: attach.attach.kind().is_user_space(),
            },
        }),
        Some(ArgumentSource::Trampoline) => {
            let fields = attach.format.as_ref().map_or(&[][..], |f| &f.fields[..]);
            fields
                .get(n)
                .map(|f| ArgRead::Context(f.offset))
                .ok_or_else(|| format!("{} takes {} argument(s)", name, fields.len()))
        }
        Some(ArgumentSource::UsdtNote) => {
            let Attach::Usdt { probe, .. } = &attach.attach else {
                return Err(format!("{name} is not a USDT probe"));
            };
            let args = probe
                .args
                .as_ref()
                .map_err(|e| format!("the arguments of {name} cannot be read: {e}"))?;
            args.get(n).map(|a| ArgRead::Usdt(*a)).ok_or_else(|| {
                format!(
                    "{name} has {} argument{}",
                    args.len(),
                    if args.len() == 1 { "" } else { "s" }
                )
            })
        }
        Some(ArgumentSource::RawTracepoint) => Ok(ArgRead::Context(8 * n as u32)),
    }
}

impl Builtin for Arg {
    fn name(&self) -> &'static str {
        ARG_NAMES[self.0]
    }
    fn form(&self) -> Form {
        Form::Variable
    }
    fn usage(&self) -> &'static str {
        "argN"
    }
    fn summary(&self) -> &'static str {
        "N-th argument of the probed function (kprobe, fentry, uprobe), USDT probe or raw tracepoint"
    }
    fn check_variable(&self, span: Span, probe: &ProbeScope) -> Result<Type, Diagnostic> {
        let mut all_signed = !probe.attaches.is_empty();
        for attach in probe.attaches {
            match arg_read(self.0, attach) {
                Ok(ArgRead::Usdt(arg)) => all_signed &= arg.signed,
                Ok(_) => all_signed = false,
                Err(why) => {
                    let mut d = Diagnostic::error(
                        span,
                        format!("{} is not available here: {why}", self.name()),
                    )
                    .with_label("no such argument");
                    d = match attach.attach.argument_source() {
                    None => d.with_hint(
                        "tracepoint arguments are read by name: args.FIELD (`rtrace -lv` lists them)",
                    ),
                    Some(_) if attach.attach.at_return() => d.with_hint(
                        "save the argument in a map at the entry probe, keyed by tid",
                    ),
                    Some(ArgumentSource::UsdtNote) => d.with_hint(
                        "`rtrace -lv 'usdt:PATH:*'` shows each probe's arguments",
                    ),
                    Some(_) => d,
                };
                    return Err(d);
                }
            }
        }
        // Registers hold untyped words (bpftrace calls them uint64); a
        // USDT note says when an argument is signed.
        Ok(if all_signed {
            Type::Int(IntType::I64)
        } else {
            Type::U64
        })
    }
    fn emit(&self, cx: &mut FnCx, _: &Expr) -> Result<Operand, LowerError> {
        match arg_read(self.0, cx.attach).map_err(|e| cx.internal(e))? {
            ArgRead::Context(offset) => {
                let t = cx.temp()?;
                cx.asm
                    .load(Size::DW, rtrace_codegen::asm::Reg::R0, CTX, offset as i16);
                cx.store_to(t, rtrace_codegen::asm::Reg::R0);
                Ok(t)
            }
            ArgRead::Stack { offset, user } => probe_args::stack_arg(cx, offset, user),
            ArgRead::Usdt(arg) => probe_args::usdt_arg(cx, arg),
        }
    }
}

/// `retval`: the return value, in kretprobe, fexit and uretprobe probes.
pub struct Retval;

/// Where the return value is in one attach point's context, and its type:
/// an integer, or a pointer typed from BTF (`retval->f_path` in fexit).
fn retval_of(attach: &CheckedAttach) -> Result<(u32, Type), String> {
    let name = attach.attach.name();
    match attach.attach.argument_source() {
        Some(_) if !attach.attach.at_return() => Err(format!(
            "{name} fires at the function's entry, before it returns"
        )),
        None => Err(format!("{name} has no return value")),
        Some(ArgumentSource::Registers) => {
            // A kretprobe typed from BTF (an fexit running as one).
            let ty = match attach.format.as_ref().and_then(|f| f.retval.as_ref()) {
                Some(f) => field_type(f.kind),
                None => Type::U64,
            };
            Ok((pt_regs::RETURN_VALUE, ty))
        }
        Some(ArgumentSource::UsdtNote | ArgumentSource::RawTracepoint) => {
            Err(format!("{name} has no return value"))
        }
        Some(ArgumentSource::Trampoline) => {
            let field = attach
                .format
                .as_ref()
                .and_then(|f| f.retval.as_ref())
                .ok_or_else(|| format!("{name} returns void"))?;
            Ok((field.offset, field_type(field.kind)))
        }
    }
}

fn field_type(kind: FieldKind) -> Type {
    match kind {
        FieldKind::Int(int) => Type::Int(int),
        FieldKind::Pointer(p) => Type::Ptr(p),
        _ => Type::U64,
    }
}

impl Builtin for Retval {
    fn name(&self) -> &'static str {
        "retval"
    }
    fn form(&self) -> Form {
        Form::Variable
    }
    fn usage(&self) -> &'static str {
        "retval"
    }
    fn summary(&self) -> &'static str {
        "the probed function's return value (kretprobe, fexit, uretprobe)"
    }
    fn check_variable(&self, span: Span, probe: &ProbeScope) -> Result<Type, Diagnostic> {
        let mut types = Vec::new();
        for attach in probe.attaches {
            match retval_of(attach) {
                Ok((_, t)) => types.push(t),
                Err(why) => {
                    return Err(Diagnostic::error(
                        span,
                        format!("retval is not available here: {why}"),
                    )
                    .with_label("no return value")
                    .with_hint("retval is read in kretprobe, fexit and uretprobe probes"))
                }
            }
        }
        // Attach points that disagree (a wildcard over functions returning
        // int and long) share a 64-bit type.
        let signed = types
            .iter()
            .any(|t| matches!(t, Type::Int(int) if int.signed));
        Ok(match types.split_first() {
            Some((first, rest)) if rest.iter().all(|t| t == first) => *first,
            _ if signed => Type::I64,
            _ => Type::U64,
        })
    }
    fn emit(&self, cx: &mut FnCx, e: &Expr) -> Result<Operand, LowerError> {
        let (offset, own) = retval_of(cx.attach).map_err(|e| cx.internal(e))?;
        let (Type::Int(own), Type::Int(int)) = (own, cx.type_of(e)) else {
            // A pointer: all 64 bits.
            return expr::load_context_int(cx, offset, 8, false);
        };
        // Read the value as wide as its own type, extended to the type
        // the probe's attach points share.
        let bytes = (own.bits as u32 / 8).min(int.bits as u32 / 8).max(1);
        expr::load_context_int(cx, offset, bytes, own.signed)
    }
}

/// `func`: the name of the probed function.
pub struct Func;

impl Builtin for Func {
    fn name(&self) -> &'static str {
        "func"
    }
    fn form(&self) -> Form {
        Form::Variable
    }
    fn usage(&self) -> &'static str {
        "func"
    }
    fn summary(&self) -> &'static str {
        "name of the probed function"
    }
    fn check_variable(&self, span: Span, probe: &ProbeScope) -> Result<Type, Diagnostic> {
        let mut longest = 0;
        for attach in probe.attaches {
            match attach.attach.function() {
                Some(f) => longest = longest.max(f.len()),
                None => {
                    return Err(Diagnostic::error(
                        span,
                        format!("func is not available in {}", attach.attach.name()),
                    )
                    .with_label("not a function probe")
                    .with_hint("func names the function of kprobe, fentry and uprobe probes; `probe` names any probe"))
                }
            }
        }
        Ok(Type::Str(longest as u32 + 1))
    }
    fn emit_str_into(
        &self,
        cx: &mut FnCx,
        _: &Expr,
        off: i16,
        size: u32,
    ) -> Result<(), LowerError> {
        // One program serves every function of a kprobe_multi link.
        if cx.kprobe_multi {
            return kprobe_multi::emit_name(cx, kprobe_multi::Name::Func, off, size);
        }
        let name = cx
            .attach
            .attach
            .function()
            .ok_or_else(|| cx.internal("func without a function"))?
            .to_string();
        strings::store_literal(cx, name.as_bytes(), off, size)
    }
}
