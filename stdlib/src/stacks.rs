//! Stacks: `kstack`, `ustack` and their forms `kstack(N)`,
//! `kstack(perf)`, `kstack(raw, 8)`. The program keeps the stack in a
//! stack trace map (`bpf_get_stackid`) and its value is the stack id; the
//! runtime reads the frames and symbolizes them when it prints.

use crate::builtin::{result_of_r0, Builtin, Form};
use rtrace_codegen::asm::{AluOp, Helper, JmpOp, Reg, Size};
use rtrace_codegen::lower::cx::{FnCx, Operand, CTX};
use rtrace_codegen::lower::{events, maps, LowerError};
use rtrace_codegen::manifest::Event;
use rtrace_lang::ast::{Expr, ExprKind, Span};
use rtrace_lang::check::builtins::{CallInfo, ProbeScope};
use rtrace_lang::diagnostic::Diagnostic;
use rtrace_lang::types::{StackMode, StackType, Type};

/// `bpf_get_stackid` flag: the user-space stack instead of the kernel's.
const BPF_F_USER_STACK: i32 = 1 << 8;
const BPF_NOEXIST: i32 = 1;

/// `kstack` or `ustack`, used bare or called.
pub struct Stack {
    pub user: bool,
    pub form: Form,
}

impl Stack {
    fn default_type(&self) -> Type {
        Type::Stack(StackType {
            user: self.user,
            mode: StackMode::Bpftrace,
            limit: StackType::DEFAULT_LIMIT,
        })
    }
}

/// The stack mode a keyword argument names.
fn mode_of(arg: &Expr) -> Option<StackMode> {
    match &arg.kind {
        ExprKind::Ident(name) => StackMode::from_name(name),
        _ => None,
    }
}

impl Builtin for Stack {
    fn name(&self) -> &'static str {
        if self.user {
            "ustack"
        } else {
            "kstack"
        }
    }
    fn form(&self) -> Form {
        self.form
    }
    fn usage(&self) -> &'static str {
        if self.user {
            "ustack, ustack(limit), ustack(mode) or ustack(mode, limit)"
        } else {
            "kstack, kstack(limit), kstack(mode) or kstack(mode, limit)"
        }
    }
    fn summary(&self) -> &'static str {
        if self.user {
            "the user-space stack of the current thread (mode: bpftrace, perf or raw)"
        } else {
            "the kernel stack (mode: bpftrace, perf or raw)"
        }
    }
    /// A word first (`perf`, or a misspelt mode) is a mode, explained
    /// here rather than as an unknown identifier.
    fn keyword_arg(&self, index: usize, arg: &Expr) -> bool {
        index == 0 && matches!(arg.kind, ExprKind::Ident(_))
    }
    fn check_variable(&self, _: Span, _: &ProbeScope) -> Result<Type, Diagnostic> {
        Ok(self.default_type())
    }
    fn check_call(&self, call: &CallInfo) -> Result<Type, Diagnostic> {
        call.expect_arity(0, 2, self.usage())?;
        let Type::Stack(mut stack) = self.default_type() else {
            unreachable!("a stack type");
        };
        let mut limit_index = None;
        match call.args.len() {
            0 => {}
            1 => match mode_of(&call.args[0]) {
                Some(mode) => stack.mode = mode,
                None => limit_index = Some(0),
            },
            _ => {
                stack.mode = mode_of(&call.args[0]).ok_or_else(|| {
                    Diagnostic::error(call.arg_span(0), "expected a stack mode")
                        .with_label("not bpftrace, perf or raw")
                        .with_hint(format!("usage: {}", self.usage()))
                })?;
                limit_index = Some(1);
            }
        }
        if let Some(i) = limit_index {
            let limit = call.const_int(i).ok_or_else(|| {
                let label = match &call.args[i].kind {
                    ExprKind::Ident(_) => "not bpftrace, perf or raw",
                    _ => "not an integer literal",
                };
                Diagnostic::error(
                    call.arg_span(i),
                    format!("{}() takes a stack mode and a limit literal", self.name()),
                )
                .with_label(label)
                .with_hint(format!("usage: {}", self.usage()))
            })?;
            if !(1..=i64::from(StackType::MAX_LIMIT)).contains(&limit) {
                return Err(Diagnostic::error(
                    call.arg_span(i),
                    format!(
                        "{}([int limit]): limit must be between 1 and {}, {limit} given",
                        self.name(),
                        StackType::MAX_LIMIT
                    ),
                )
                .with_label("out of range"));
            }
            stack.limit = limit as u16;
        }
        Ok(Type::Stack(stack))
    }
    fn emit(&self, cx: &mut FnCx, expr: &Expr) -> Result<Operand, LowerError> {
        let Type::Stack(stack) = cx.type_of(expr) else {
            return Err(cx.internal("stack without a stack type"));
        };
        let map = cx
            .tables
            .stack_maps
            .iter()
            .find(|(limit, _)| *limit == stack.limit)
            .map(|(_, id)| *id)
            .ok_or_else(|| cx.internal(format!("no stack map for {} frames", stack.limit)))?;
        if stack.user {
            announce_process(cx, expr)?;
        }
        cx.asm.mov(Reg::R1, CTX);
        cx.asm.load_map_fd(Reg::R2, map);
        cx.asm
            .mov(Reg::R3, if stack.user { BPF_F_USER_STACK } else { 0 });
        cx.asm.call(Helper::GetStackid);
        // The id (or a negative error, printed as an empty stack) in the
        // low half; a 32-bit move zero-extends.
        cx.asm.alu32(AluOp::Mov, Reg::R0, Reg::R0);
        let id = result_of_r0(cx)?;
        if !stack.user {
            return Ok(id);
        }
        // The pid in the high half: user addresses mean something only in
        // their process.
        cx.asm.call(Helper::GetCurrentPidTgid);
        cx.asm.alu(AluOp::Rsh, Reg::R0, 32);
        cx.asm.alu(AluOp::Lsh, Reg::R0, 32);
        let low = cx.to_reg(id, Reg::R1);
        cx.asm.alu(AluOp::Or, Reg::R0, low);
        cx.store_to(id, Reg::R0);
        Ok(id)
    }
}

/// Tells the runtime, once per process, that the program has seen it, so
/// that the runtime keeps the process's memory map while it lives: user
/// stacks and symbols then resolve after the process has exited.
pub fn announce_process(cx: &mut FnCx, origin: &Expr) -> Result<(), LowerError> {
    let processes = cx
        .tables
        .process_map
        .ok_or_else(|| cx.internal("no process map"))?;
    let id = events::event_id(cx, origin.id, || Event::Process);
    let record = cx.alloc(16)?;
    let pid = record + 8;
    cx.asm.call(Helper::GetCurrentPidTgid);
    cx.asm.alu(AluOp::Rsh, Reg::R0, 32);
    cx.asm.store(Size::DW, Reg::R10, pid, Reg::R0);
    let known = cx.asm.label();
    maps::lookup(cx, processes, pid);
    cx.asm.jump(JmpOp::Ne, Reg::R0, 0, known);
    // Only the CPU whose insertion succeeds announces the process.
    cx.asm.load_map_fd(Reg::R1, processes);
    cx.asm.mov(Reg::R2, Reg::R10);
    cx.asm.alu(AluOp::Add, Reg::R2, pid as i32);
    cx.asm.mov(Reg::R3, Reg::R2);
    cx.asm.mov(Reg::R4, BPF_NOEXIST);
    cx.asm.call(Helper::MapUpdateElem);
    cx.asm.jump(JmpOp::Ne, Reg::R0, 0, known);
    cx.asm.store(Size::DW, Reg::R10, record, id as i32);
    events::output(cx, record, 16);
    cx.asm.bind(known);
    Ok(())
}

#[cfg(test)]
mod tests {
    use crate::Stdlib;
    use rtrace_lang::check::{check, CheckEnv};
    use rtrace_lang::kernel::KernelInfo;
    use rtrace_lang::tracepoint::TracepointFormat;
    use rtrace_lang::types::{StackMode, StackType, Type};

    struct NoTracepoints;

    impl KernelInfo for NoTracepoints {
        fn tracepoints(&self) -> Result<Vec<(String, String)>, String> {
            Ok(Vec::new())
        }
        fn tracepoint_format(&self, _: &str, _: &str) -> Result<Option<TracepointFormat>, String> {
            Ok(None)
        }
    }

    /// The key type of `@` in a program, or the first diagnostic.
    fn key_of(source: &str) -> Result<Type, String> {
        let program = rtrace_lang::parse(source).map_err(|d| d[0].message.clone())?;
        let env = CheckEnv {
            kernel: &NoTracepoints,
            builtins: &Stdlib,
            params: &[],
            pid: None,
            config: &rtrace_lang::config::Config::default(),
        };
        let checked = check(&program, &env).map_err(|d| d[0].message.clone())?;
        let keys = checked.maps[""].keys.clone().expect("keys");
        Ok(keys[0])
    }

    fn stack(user: bool, mode: StackMode, limit: u16) -> Type {
        Type::Stack(StackType { user, mode, limit })
    }

    #[test]
    fn stack_forms() {
        let cases = [
            ("kstack", stack(false, StackMode::Bpftrace, 127)),
            ("ustack", stack(true, StackMode::Bpftrace, 127)),
            ("kstack()", stack(false, StackMode::Bpftrace, 127)),
            ("kstack(5)", stack(false, StackMode::Bpftrace, 5)),
            ("ustack(perf)", stack(true, StackMode::Perf, 127)),
            ("kstack(raw, 1024)", stack(false, StackMode::Raw, 1024)),
            ("ustack(bpftrace, 3)", stack(true, StackMode::Bpftrace, 3)),
        ];
        for (text, want) in cases {
            let source = format!("BEGIN {{ @[{text}] = count(); }}");
            assert_eq!(key_of(&source), Ok(want), "{text}");
        }
    }

    #[test]
    fn symbols_are_keys() {
        assert_eq!(
            key_of("BEGIN { @[ksym(1)] = count(); }"),
            Ok(Type::Sym { user: false })
        );
        assert_eq!(
            key_of("BEGIN { @[usym(1), 2] = count(); }"),
            Ok(Type::Sym { user: true })
        );
    }

    #[test]
    fn bad_uses_are_explained() {
        let cases = [
            (
                "@[kstack(0)] = count();",
                "kstack([int limit]): limit must be between 1 and 1024, 0 given",
            ),
            ("@[ustack(fast, 2)] = count();", "expected a stack mode"),
            (
                "@[kstack(perf, pid)] = count();",
                "kstack() takes a stack mode and a limit literal",
            ),
            (
                "@[kstack(1, 2, 3)] = count();",
                "kstack() takes 0 to 2 arguments, 3 given",
            ),
            (
                "@[kstack + 1] = count();",
                "operator '+' cannot be applied to kstack and int64",
            ),
            (
                "@[ustack == kstack] = count();",
                "operator '==' cannot be applied to ustack and kstack",
            ),
            (
                "printf(\"%d\\n\", kstack);",
                "printf() conversion 1 of the format expects an integer, found kstack",
            ),
            (
                "@[ksym(\"x\")] = count();",
                "ksym() expects an integer or pointer argument, found string[2]",
            ),
            (
                "@[kstack(fast)] = count();",
                "kstack() takes a stack mode and a limit literal",
            ),
            ("@[perf] = count();", "unknown identifier 'perf'"),
        ];
        for (body, want) in cases {
            let source = format!("BEGIN {{ {body} }}");
            assert_eq!(key_of(&source), Err(want.to_string()), "{body}");
        }
    }
}
