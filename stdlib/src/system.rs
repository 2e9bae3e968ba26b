//! Acting on the system: system() and signal(), allowed with --unsafe
//! only, and cat(). system() and cat() run in rtrace when their event
//! arrives, in order with the other output.

use crate::builtin::{Builtin, Form};
use crate::output::{check_format_call, layout, send};
use rtrace_codegen::asm::{Helper, Reg};
use rtrace_codegen::lower::cx::{FnCx, Operand};
use rtrace_codegen::lower::{events, LowerError};
use rtrace_codegen::manifest::Event;
use rtrace_lang::ast::{Expr, ExprKind};
use rtrace_lang::check::builtins::CallInfo;
use rtrace_lang::diagnostic::Diagnostic;
use rtrace_lang::probes::ProbeKind;
use rtrace_lang::types::Type;

/// bpftrace's refusal of an unsafe builtin without `--unsafe`.
pub(crate) fn require_unsafe(call: &CallInfo) -> Result<(), Diagnostic> {
    if call.probe.config.unsafe_ok {
        return Ok(());
    }
    Err(Diagnostic::error(
        call.span,
        format!(
            "{}() is an unsafe function being used in safe mode",
            call.name.name
        ),
    )
    .with_label("needs --unsafe")
    .with_hint("run rtrace with --unsafe to allow it"))
}

/// A builtin whose arguments fill a printf-style format and whose event
/// rtrace acts on: system(), cat().
pub struct FormatAction {
    pub name: &'static str,
    pub usage: &'static str,
    pub summary: &'static str,
    pub unsafe_only: bool,
}

pub const SYSTEM: FormatAction = FormatAction {
    name: "system",
    usage: "system(\"command format\", args...)",
    summary: "runs a shell command when the event arrives, printing its output (--unsafe)",
    unsafe_only: true,
};
pub const CAT: FormatAction = FormatAction {
    name: "cat",
    usage: "cat(\"path format\", args...)",
    summary: "prints a file's contents (up to 10 KiB) when the event arrives",
    unsafe_only: false,
};

impl Builtin for FormatAction {
    fn name(&self) -> &'static str {
        self.name
    }
    fn form(&self) -> Form {
        Form::Function
    }
    fn usage(&self) -> &'static str {
        self.usage
    }
    fn summary(&self) -> &'static str {
        self.summary
    }
    fn check_call(&self, call: &CallInfo) -> Result<Type, Diagnostic> {
        if self.unsafe_only {
            require_unsafe(call)?;
        }
        call.expect_arity(1, 64, self.usage)?;
        check_format_call(call, self.name)?;
        Ok(Type::Void)
    }
    fn emit(&self, cx: &mut FnCx, expr: &Expr) -> Result<Operand, LowerError> {
        let ExprKind::Call { args, .. } = &expr.kind else {
            return Err(cx.internal("format action without a call"));
        };
        let ExprKind::Str(format) = &args[0].kind else {
            return Err(cx.internal("format not a literal"));
        };
        let (parts, size) = layout(args[1..].iter().map(|a| cx.type_of(a)));
        let (format, event_parts) = (format.clone(), parts.clone());
        let is_system = self.unsafe_only;
        let id = events::event_id(cx, expr.id, || {
            if is_system {
                Event::System {
                    format,
                    args: event_parts,
                }
            } else {
                Event::Cat {
                    format,
                    args: event_parts,
                }
            }
        });
        send(cx, id, &parts, size, &args[1..])?;
        Ok(Operand::Imm(0))
    }
}

/// Signal names as `kill -l` prints them, without `SIG`; the number is
/// the index plus one (x86-64 numbering).
const SIGNALS: [&str; 31] = [
    "HUP", "INT", "QUIT", "ILL", "TRAP", "ABRT", "BUS", "FPE", "KILL", "USR1", "SEGV", "USR2",
    "PIPE", "ALRM", "TERM", "STKFLT", "CHLD", "CONT", "STOP", "TSTP", "TTIN", "TTOU", "URG",
    "XCPU", "XFSZ", "VTALRM", "PROF", "WINCH", "IO", "PWR", "SYS",
];

/// A signal's number from its name, with or without `SIG`.
pub fn signal_number(name: &str) -> Option<i64> {
    let bare = name.strip_prefix("SIG").unwrap_or(name);
    SIGNALS
        .iter()
        .position(|s| *s == bare)
        .map(|i| i as i64 + 1)
}

/// `signal(SIG | N)`: sends a signal to the current task (--unsafe).
pub struct Signal;

impl Builtin for Signal {
    fn name(&self) -> &'static str {
        "signal"
    }
    fn form(&self) -> Form {
        Form::Function
    }
    fn usage(&self) -> &'static str {
        "signal(\"SIGNAL\" | number)"
    }
    fn summary(&self) -> &'static str {
        "sends a signal to the current task (--unsafe)"
    }
    fn check_call(&self, call: &CallInfo) -> Result<Type, Diagnostic> {
        require_unsafe(call)?;
        call.expect_arity(1, 1, self.usage())?;
        if let Some(name) = call.const_str(0) {
            if signal_number(name).is_none() {
                return Err(
                    Diagnostic::error(call.span, format!("{name} is not a valid signal"))
                        .with_label("unknown signal")
                        .with_hint("names as `kill -l` lists them, with or without SIG: \"KILL\", \"SIGUSR1\""),
                );
            }
        } else if let Some(n) = call.const_int(0) {
            if !(1..=64).contains(&n) {
                return Err(Diagnostic::error(
                    call.span,
                    format!("{n} is not a valid signal, allowed range: [1,64]"),
                )
                .with_label("out of range"));
            }
        } else if !call.arg_types[0].is_int() {
            return Err(Diagnostic::error(
                call.span,
                "signal only accepts string literals or integers",
            )
            .with_label("not a signal"));
        }
        // As bpftrace: probes that fire in a task of interest. BEGIN and
        // END run in rtrace itself, timers in whatever task a CPU runs.
        for (kind, name) in call.probe.kinds.iter().zip(call.probe.names) {
            let allowed = matches!(
                kind,
                ProbeKind::Kprobe
                    | ProbeKind::Kretprobe
                    | ProbeKind::Uprobe
                    | ProbeKind::Uretprobe
                    | ProbeKind::Usdt
                    | ProbeKind::Tracepoint
                    | ProbeKind::Profile
                    | ProbeKind::Fentry
                    | ProbeKind::Fexit
            );
            if !allowed {
                let provider = rtrace_lang::probes::probe_type_of(*kind).name;
                return Err(Diagnostic::error(
                    call.span,
                    format!("signal can not be used with \"{provider}\" probes"),
                )
                .with_label(format!("in {name}")));
            }
        }
        Ok(Type::Void)
    }
    fn emit(&self, cx: &mut FnCx, expr: &Expr) -> Result<Operand, LowerError> {
        let ExprKind::Call { args, .. } = &expr.kind else {
            return Err(cx.internal("signal without a call"));
        };
        let sig = match &args[0].kind {
            ExprKind::Str(name) => {
                Operand::Imm(signal_number(name).ok_or_else(|| cx.internal("unknown signal name"))?)
            }
            _ => cx.eval(&args[0])?,
        };
        cx.release(sig);
        cx.move_to(Reg::R1, sig);
        cx.asm.call(Helper::SendSignal);
        Ok(Operand::Imm(0))
    }
}
