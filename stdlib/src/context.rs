//! What the probe knows about where it fired: pid, tid, uid, gid, cpu,
//! comm, nsecs, elapsed, probe. Function arguments are in `registers.rs`.

use crate::builtin::{result_of_r0, Builtin, Form};
use rtrace_codegen::asm::{AluOp, Helper, Reg};
use rtrace_codegen::lower::cx::{FnCx, Operand};
use rtrace_codegen::lower::{kprobe_multi, strings, LowerError};
use rtrace_lang::ast::{Expr, Span};
use rtrace_lang::check::builtins::ProbeScope;
use rtrace_lang::diagnostic::Diagnostic;
use rtrace_lang::types::{IntType, Type, COMM_SIZE};

/// An integer read from one helper, optionally shifted and masked.
pub struct HelperVariable {
    pub name: &'static str,
    pub summary: &'static str,
    pub helper: Helper,
    pub shift: i32,
    pub mask_low_32: bool,
    pub ty: Type,
}

pub const PID: HelperVariable = HelperVariable {
    name: "pid",
    summary: "process id (thread group id) of the current task",
    helper: Helper::GetCurrentPidTgid,
    shift: 32,
    mask_low_32: false,
    ty: Type::Int(IntType::U32),
};
pub const TID: HelperVariable = HelperVariable {
    name: "tid",
    summary: "thread id of the current task",
    helper: Helper::GetCurrentPidTgid,
    shift: 0,
    mask_low_32: true,
    ty: Type::Int(IntType::U32),
};
pub const UID: HelperVariable = HelperVariable {
    name: "uid",
    summary: "user id of the current task",
    helper: Helper::GetCurrentUidGid,
    shift: 0,
    mask_low_32: true,
    ty: Type::Int(IntType::U32),
};
pub const GID: HelperVariable = HelperVariable {
    name: "gid",
    summary: "group id of the current task",
    helper: Helper::GetCurrentUidGid,
    shift: 32,
    mask_low_32: false,
    ty: Type::Int(IntType::U32),
};
pub const CPU: HelperVariable = HelperVariable {
    name: "cpu",
    summary: "the CPU the probe fired on",
    helper: Helper::GetSmpProcessorId,
    shift: 0,
    mask_low_32: false,
    ty: Type::Int(IntType::U32),
};
pub const NSECS: HelperVariable = HelperVariable {
    name: "nsecs",
    summary: "monotonic timestamp in nanoseconds",
    helper: Helper::KtimeGetNs,
    shift: 0,
    mask_low_32: false,
    ty: Type::U64,
};

impl Builtin for HelperVariable {
    fn name(&self) -> &'static str {
        self.name
    }
    fn form(&self) -> Form {
        Form::Variable
    }
    fn usage(&self) -> &'static str {
        self.name
    }
    fn summary(&self) -> &'static str {
        self.summary
    }
    fn check_variable(&self, _: Span, _: &ProbeScope) -> Result<Type, Diagnostic> {
        Ok(self.ty)
    }
    fn emit(&self, cx: &mut FnCx, _: &Expr) -> Result<Operand, LowerError> {
        cx.asm.call(self.helper);
        if self.shift != 0 {
            cx.asm.alu(AluOp::Rsh, Reg::R0, self.shift);
        }
        if self.mask_low_32 {
            // A 32-bit move zero-extends: the cheapest way to keep the low half.
            cx.asm.push(rtrace_codegen::asm::Insn::Alu32 {
                op: AluOp::Mov,
                dst: Reg::R0,
                src: Reg::R0.into(),
            });
        }
        result_of_r0(cx)
    }
}

pub struct Elapsed;

impl Builtin for Elapsed {
    fn name(&self) -> &'static str {
        "elapsed"
    }
    fn form(&self) -> Form {
        Form::Variable
    }
    fn usage(&self) -> &'static str {
        "elapsed"
    }
    fn summary(&self) -> &'static str {
        "nanoseconds since rtrace started"
    }
    fn check_variable(&self, _: Span, _: &ProbeScope) -> Result<Type, Diagnostic> {
        Ok(Type::U64)
    }
    fn emit(&self, cx: &mut FnCx, _: &Expr) -> Result<Operand, LowerError> {
        cx.asm.call(Helper::KtimeGetNs);
        cx.asm.mov_imm64(Reg::R1, cx.start_ns as i64);
        cx.asm.alu(AluOp::Sub, Reg::R0, Reg::R1);
        result_of_r0(cx)
    }
}

pub struct Comm;

impl Builtin for Comm {
    fn name(&self) -> &'static str {
        "comm"
    }
    fn form(&self) -> Form {
        Form::Variable
    }
    fn usage(&self) -> &'static str {
        "comm"
    }
    fn summary(&self) -> &'static str {
        "name of the current task (16 bytes)"
    }
    fn check_variable(&self, _: Span, _: &ProbeScope) -> Result<Type, Diagnostic> {
        Ok(Type::Str(COMM_SIZE))
    }
    fn emit_str_into(
        &self,
        cx: &mut FnCx,
        _: &Expr,
        off: i16,
        size: u32,
    ) -> Result<(), LowerError> {
        // Some kernels (6.1) copy the name with strscpy and leave the bytes
        // after its NUL as they were: unzeroed, one name would make many
        // different map keys.
        strings::zero(cx, off, size);
        cx.asm.mov(Reg::R1, Reg::R10);
        cx.asm.alu(AluOp::Add, Reg::R1, off as i32);
        cx.asm.mov(Reg::R2, size.min(COMM_SIZE) as i32);
        cx.asm.call(Helper::GetCurrentComm);
        Ok(())
    }
}

pub struct ProbeName;

impl Builtin for ProbeName {
    fn name(&self) -> &'static str {
        "probe"
    }
    fn form(&self) -> Form {
        Form::Variable
    }
    fn usage(&self) -> &'static str {
        "probe"
    }
    fn summary(&self) -> &'static str {
        "full name of the probe that fired"
    }
    fn check_variable(&self, _: Span, probe: &ProbeScope) -> Result<Type, Diagnostic> {
        let longest = probe.names.iter().map(String::len).max().unwrap_or(0);
        Ok(Type::Str(longest as u32 + 1))
    }
    fn emit_str_into(
        &self,
        cx: &mut FnCx,
        _: &Expr,
        off: i16,
        size: u32,
    ) -> Result<(), LowerError> {
        if cx.kprobe_multi {
            return kprobe_multi::emit_name(cx, kprobe_multi::Name::Probe, off, size);
        }
        let name = cx.attach.attach.name();
        strings::store_literal(cx, name.as_bytes(), off, size)
    }
}
