//! The current task as a kernel structure: `curtask` (a `struct
//! task_struct *` to follow with `->`), and `ppid`/`pcomm`, read from its
//! `real_parent`. Member offsets come from the kernel's BTF when the
//! program is checked, so they are right for the running kernel.

use crate::builtin::{result_of_r0, Builtin, Form};
use rtrace_codegen::asm::{AluOp, Helper, Reg};
use rtrace_codegen::lower::cx::{FnCx, Operand};
use rtrace_codegen::lower::strings::{read_str_from, zero, AddressSpace};
use rtrace_codegen::lower::{probe_args, LowerError};
use rtrace_lang::ast::{Expr, Span};
use rtrace_lang::btf::NameSpace;
use rtrace_lang::check::builtins::ProbeScope;
use rtrace_lang::diagnostic::Diagnostic;
use rtrace_lang::types::{IntType, KernelType, PtrType, Target, Type, COMM_SIZE};

const TASK: &str = "task_struct";

/// Looks up `task_struct.member` in BTF and records its offset for
/// emission.
fn record_member(
    span: Span,
    probe: &ProbeScope,
    member: &str,
    user: &str,
) -> Result<(), Diagnostic> {
    let missing = |why: String| {
        Diagnostic::error(
            span,
            format!("{user} needs the kernel's BTF type information"),
        )
        .with_label("reads the kernel's task_struct")
        .with_hint(why)
    };
    let btf = probe
        .kernel
        .btf()
        .map_err(|e| missing(format!("reading /sys/kernel/btf/vmlinux failed: {e}")))?;
    let task = btf
        .named_type(NameSpace::Tag, TASK)
        .ok_or_else(|| missing("the kernel's BTF has no struct task_struct".into()))?;
    let found = btf.member(task, member).ok_or_else(|| {
        missing(format!(
            "struct task_struct has no member '{member}' in this kernel"
        ))
    })?;
    probe
        .layout
        .borrow_mut()
        .insert(TASK, member, found.bit_offset / 8);
    Ok(())
}

fn offset(cx: &FnCx, member: &str) -> Result<i32, LowerError> {
    cx.checked
        .layout
        .offset(TASK, member)
        .map(|o| o as i32)
        .ok_or_else(|| cx.internal(format!("task_struct.{member} offset not recorded")))
}

/// Leaves the current task's `real_parent` in r3.
fn parent_in_r3(cx: &mut FnCx) -> Result<(), LowerError> {
    cx.asm.call(Helper::GetCurrentTask);
    cx.asm.mov(Reg::R3, Reg::R0);
    cx.asm.alu(AluOp::Add, Reg::R3, offset(cx, "real_parent")?);
    let parent = probe_args::read_memory(cx, 8, false, false)?;
    cx.release(parent);
    cx.move_to(Reg::R3, parent);
    Ok(())
}

pub struct Curtask;

impl Builtin for Curtask {
    fn name(&self) -> &'static str {
        "curtask"
    }
    fn form(&self) -> Form {
        Form::Variable
    }
    fn usage(&self) -> &'static str {
        "curtask"
    }
    fn summary(&self) -> &'static str {
        "the current task's struct task_struct *, to follow with ->"
    }
    fn check_variable(&self, _: Span, probe: &ProbeScope) -> Result<Type, Diagnostic> {
        // Without BTF it is still the task's address.
        let target = probe
            .kernel
            .btf()
            .ok()
            .and_then(|btf| btf.named_type(NameSpace::Tag, TASK))
            .map_or(Target::Void, |id| {
                Target::Kernel(KernelType::new(id, "struct task_struct"))
            });
        Ok(Type::Ptr(PtrType {
            user: false,
            depth: 1,
            target,
        }))
    }
    fn emit(&self, cx: &mut FnCx, _: &Expr) -> Result<Operand, LowerError> {
        cx.asm.call(Helper::GetCurrentTask);
        result_of_r0(cx)
    }
}

pub struct Ppid;

impl Builtin for Ppid {
    fn name(&self) -> &'static str {
        "ppid"
    }
    fn form(&self) -> Form {
        Form::Variable
    }
    fn usage(&self) -> &'static str {
        "ppid"
    }
    fn summary(&self) -> &'static str {
        "process id of the current task's parent (curtask->real_parent->tgid)"
    }
    fn check_variable(&self, span: Span, probe: &ProbeScope) -> Result<Type, Diagnostic> {
        record_member(span, probe, "real_parent", "ppid")?;
        record_member(span, probe, "tgid", "ppid")?;
        Ok(Type::Int(IntType::U32))
    }
    fn emit(&self, cx: &mut FnCx, _: &Expr) -> Result<Operand, LowerError> {
        parent_in_r3(cx)?;
        cx.asm.alu(AluOp::Add, Reg::R3, offset(cx, "tgid")?);
        probe_args::read_memory(cx, 4, false, false)
    }
}

pub struct Pcomm;

impl Builtin for Pcomm {
    fn name(&self) -> &'static str {
        "pcomm"
    }
    fn form(&self) -> Form {
        Form::Variable
    }
    fn usage(&self) -> &'static str {
        "pcomm"
    }
    fn summary(&self) -> &'static str {
        "command name of the current task's parent (curtask->real_parent->comm)"
    }
    fn check_variable(&self, span: Span, probe: &ProbeScope) -> Result<Type, Diagnostic> {
        record_member(span, probe, "real_parent", "pcomm")?;
        record_member(span, probe, "comm", "pcomm")?;
        Ok(Type::Str(COMM_SIZE))
    }
    fn emit_str_into(
        &self,
        cx: &mut FnCx,
        _: &Expr,
        off: i16,
        size: u32,
    ) -> Result<(), LowerError> {
        parent_in_r3(cx)?;
        cx.asm.alu(AluOp::Add, Reg::R3, offset(cx, "comm")?);
        zero(cx, off, size);
        read_str_from(cx, Reg::R3, off, size.min(COMM_SIZE), AddressSpace::Kernel);
        Ok(())
    }
}
