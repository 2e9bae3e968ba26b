//! Error injection: override(), which makes the probed kernel function
//! return a chosen value without running (bpf_override_return). Allowed
//! with --unsafe only, in kprobes at a function's entry; the kernel
//! further limits it to the functions on its error-injection list, which
//! the runtime explains when the kernel refuses one.

use crate::builtin::{Builtin, Form};
use crate::system::require_unsafe;
use rtrace_codegen::asm::{Helper, Reg};
use rtrace_codegen::lower::cx::{FnCx, Operand, CTX};
use rtrace_codegen::lower::LowerError;
use rtrace_lang::ast::{Expr, ExprKind};
use rtrace_lang::check::builtins::CallInfo;
use rtrace_lang::diagnostic::Diagnostic;
use rtrace_lang::probes::{Attach, Mechanism, ProbeKind};
use rtrace_lang::types::Type;

/// `override(rc)`.
pub struct Override;

impl Builtin for Override {
    fn name(&self) -> &'static str {
        "override"
    }
    fn form(&self) -> Form {
        Form::Function
    }
    fn usage(&self) -> &'static str {
        "override(rc)"
    }
    fn summary(&self) -> &'static str {
        "makes the probed kernel function return rc without running it (kprobe, --unsafe)"
    }
    fn check_call(&self, call: &CallInfo) -> Result<Type, Diagnostic> {
        // As bpftrace: the unsafe refusal comes first.
        require_unsafe(call)?;
        if call.assigned_to_map {
            return Err(Diagnostic::error(
                call.span,
                "override() should not be used in an assignment",
            )
            .with_label("has no value")
            .with_hint("call it as a statement: override(rc);"));
        }
        call.expect_arity(1, 1, self.usage())?;
        call.expect_int(0)?;
        for (checked, name) in call.probe.attaches.iter().zip(call.probe.names) {
            check_attach(call, &checked.attach, name)?;
        }
        Ok(Type::Void)
    }
    fn emit(&self, cx: &mut FnCx, expr: &Expr) -> Result<Operand, LowerError> {
        let ExprKind::Call { args, .. } = &expr.kind else {
            return Err(cx.internal("override without a call"));
        };
        let rc = cx.eval(&args[0])?;
        cx.release(rc);
        cx.move_to(Reg::R2, rc);
        cx.asm.mov(Reg::R1, CTX);
        cx.asm.call(Helper::OverrideReturn);
        Ok(Operand::Imm(0))
    }
}

/// override() replaces a function's whole run, so the kernel takes it
/// only from a kprobe (not a trampoline) at the function's entry.
fn check_attach(call: &CallInfo, attach: &Attach, name: &str) -> Result<(), Diagnostic> {
    let kind = attach.kind();
    if kind != ProbeKind::Kprobe {
        let provider = rtrace_lang::probes::probe_type_of(kind).name;
        let hint = match attach {
            Attach::KernelFunction { target, .. } => format!(
                "{provider} runs {}; override it from kprobe:{} instead",
                if target.at_return() {
                    "after the function has returned"
                } else {
                    "as a trampoline, which cannot change the return value"
                },
                target.function
            ),
            _ => "override() changes a kernel function's return value: use it in kprobe:FUNCTION"
                .to_string(),
        };
        return Err(
            Diagnostic::error(call.span, "override can only be used with kprobes")
                .with_label(format!("in {name}"))
                .with_hint(hint),
        );
    }
    match attach {
        Attach::KernelFunction {
            via: Mechanism::Trampoline { .. },
            ..
        } => Err(Diagnostic::error(
            call.span,
            "override() needs kprobes, which this kernel does not have",
        )
        .with_label(format!("{name} runs as an fentry program here"))
        .with_hint(
            "fentry programs cannot override a return value: run on a kernel with CONFIG_KPROBES",
        )),
        Attach::KernelFunction { target, .. } if target.offset != 0 => Err(Diagnostic::error(
            call.span,
            "override() needs a kprobe at the function's entry",
        )
        .with_label(format!("{name} fires inside the function"))
        .with_hint(format!("probe kprobe:{} instead", target.function))),
        _ => Ok(()),
    }
}
