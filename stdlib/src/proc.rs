//! The current task and the machine: rand, numaid, cgroup, cgroupid(),
//! username, cpid.

use crate::builtin::{Builtin, Form};
use crate::context::HelperVariable;
use rtrace_codegen::asm::Helper;
use rtrace_codegen::lower::cx::{FnCx, Operand};
use rtrace_codegen::lower::LowerError;
use rtrace_lang::ast::{Expr, ExprKind, Span};
use rtrace_lang::check::builtins::{CallInfo, ProbeScope};
use rtrace_lang::diagnostic::Diagnostic;
use rtrace_lang::types::{IntType, Type};

pub const RAND: HelperVariable = HelperVariable {
    name: "rand",
    summary: "a pseudo-random 32-bit number",
    helper: Helper::GetPrandomU32,
    shift: 0,
    mask_low_32: false,
    ty: Type::Int(IntType::U32),
};
pub const NUMAID: HelperVariable = HelperVariable {
    name: "numaid",
    summary: "the NUMA node the probe fired on",
    helper: Helper::GetNumaNodeId,
    shift: 0,
    mask_low_32: false,
    ty: Type::Int(IntType::U32),
};
pub const CGROUP: HelperVariable = HelperVariable {
    name: "cgroup",
    summary: "id of the current task's cgroup (cgroup v2)",
    helper: Helper::GetCurrentCgroupId,
    shift: 0,
    mask_low_32: false,
    ty: Type::U64,
};
pub const USERNAME: HelperVariable = HelperVariable {
    name: "username",
    summary: "the current task's user, printed by name",
    helper: Helper::GetCurrentUidGid,
    shift: 0,
    mask_low_32: true,
    ty: Type::Username,
};

/// The id of a cgroup v2 directory, as `bpf_get_current_cgroup_id`
/// returns it: the 8-byte file handle of the directory, as bpftrace reads it.
pub fn cgroup_id(path: &str) -> Result<u64, std::io::Error> {
    #[repr(C)]
    struct Handle {
        bytes: u32,
        kind: i32,
        id: u64,
    }
    let c_path = std::ffi::CString::new(path)
        .map_err(|_| std::io::Error::from_raw_os_error(libc::EINVAL))?;
    let mut handle = Handle {
        bytes: 8,
        kind: 0,
        id: 0,
    };
    let mut mount_id = 0;
    // SAFETY: `handle` starts like `struct file_handle` with room for the
    // 8 bytes its `handle_bytes` announces; the path is NUL-terminated.
    let rc = unsafe {
        libc::name_to_handle_at(
            libc::AT_FDCWD,
            c_path.as_ptr(),
            (&mut handle as *mut Handle).cast(),
            &mut mount_id,
            0,
        )
    };
    if rc != 0 {
        return Err(std::io::Error::last_os_error());
    }
    Ok(handle.id)
}

/// `cgroupid("/sys/fs/cgroup/...")`: resolved when compiling.
pub struct CgroupId;

impl Builtin for CgroupId {
    fn name(&self) -> &'static str {
        "cgroupid"
    }
    fn form(&self) -> Form {
        Form::Function
    }
    fn usage(&self) -> &'static str {
        "cgroupid(\"/sys/fs/cgroup/PATH\")"
    }
    fn summary(&self) -> &'static str {
        "the id of a cgroup v2 directory, as `cgroup` reports it"
    }
    fn check_call(&self, call: &CallInfo) -> Result<Type, Diagnostic> {
        call.expect_arity(1, 1, self.usage())?;
        let Some(path) = call.const_str(0) else {
            return Err(Diagnostic::error(
                call.arg_span(0),
                "cgroupid() needs a string literal path",
            )
            .with_label("not a literal"));
        };
        cgroup_id(path).map_err(|e| {
            Diagnostic::error(
                call.arg_span(0),
                format!("failed to get cgroupid for path \"{path}\": {e}"),
            )
            .with_label("not a cgroup v2 directory")
            .with_hint("cgroup v2 is usually mounted at /sys/fs/cgroup or /sys/fs/cgroup/unified")
        })?;
        Ok(Type::U64)
    }
    fn emit(&self, cx: &mut FnCx, expr: &Expr) -> Result<Operand, LowerError> {
        let ExprKind::Call { args, .. } = &expr.kind else {
            return Err(cx.internal("cgroupid without a call"));
        };
        let ExprKind::Str(path) = &args[0].kind else {
            return Err(cx.internal("cgroupid path not a literal"));
        };
        let id = cgroup_id(path).map_err(|e| cx.internal(format!("cgroupid({path}): {e}")))?;
        Ok(Operand::Imm(id as i64))
    }
}

/// `cpid`: the pid of the command `-c` runs.
pub struct Cpid;

impl Builtin for Cpid {
    fn name(&self) -> &'static str {
        "cpid"
    }
    fn form(&self) -> Form {
        Form::Variable
    }
    fn usage(&self) -> &'static str {
        "cpid"
    }
    fn summary(&self) -> &'static str {
        "pid of the command run with -c"
    }
    fn check_variable(&self, span: Span, probe: &ProbeScope) -> Result<Type, Diagnostic> {
        if !probe.config.child {
            return Err(
                Diagnostic::error(span, "cpid cannot be used without child command")
                    .with_label("no -c CMD given")
                    .with_hint("run a command with -c 'CMD ARGS'"),
            );
        }
        Ok(Type::Int(IntType::U32))
    }
    fn emit(&self, cx: &mut FnCx, _: &Expr) -> Result<Operand, LowerError> {
        let pid = cx.cpid.ok_or_else(|| cx.internal("cpid without -c"))?;
        Ok(Operand::Imm(i64::from(pid)))
    }
}
