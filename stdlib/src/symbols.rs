//! Symbols: `ksym(addr)` and `usym(addr)` print an address as the function
//! it falls in (resolved by the runtime); `kaddr("name")` and
//! `uaddr("name")` are a symbol's address, resolved when compiling.

use crate::builtin::{result_of_r0, Builtin, Form};
use crate::stacks::announce_process;
use rtrace_binary::{Binary, Kallsyms};
use rtrace_codegen::asm::{AluOp, Helper, Reg, Size};
use rtrace_codegen::lower::cx::{FnCx, Operand};
use rtrace_codegen::lower::LowerError;
use rtrace_lang::ast::{Expr, ExprKind};
use rtrace_lang::check::builtins::CallInfo;
use rtrace_lang::diagnostic::Diagnostic;
use rtrace_lang::probes::Attach;
use rtrace_lang::types::Type;
use std::path::Path;

/// `ksym(addr)` or `usym(addr)`.
pub struct Sym {
    pub user: bool,
}

impl Builtin for Sym {
    fn name(&self) -> &'static str {
        if self.user {
            "usym"
        } else {
            "ksym"
        }
    }
    fn form(&self) -> Form {
        Form::Function
    }
    fn usage(&self) -> &'static str {
        if self.user {
            "usym(address)"
        } else {
            "ksym(address)"
        }
    }
    fn summary(&self) -> &'static str {
        if self.user {
            "prints a user-space address as the function it is in"
        } else {
            "prints a kernel address as the function it is in"
        }
    }
    fn check_call(&self, call: &CallInfo) -> Result<Type, Diagnostic> {
        call.expect_arity(1, 1, self.usage())?;
        match call.arg_types[0] {
            Type::Int(_) | Type::Ptr { .. } => Ok(Type::Sym { user: self.user }),
            other => Err(Diagnostic::error(
                call.arg_span(0),
                format!(
                    "{}() expects an integer or pointer argument, found {other}",
                    self.name()
                ),
            )
            .with_label("not an address")),
        }
    }
    /// ksym: the address itself.
    fn emit(&self, cx: &mut FnCx, expr: &Expr) -> Result<Operand, LowerError> {
        let address = argument(cx, expr)?;
        let v = cx.eval(address)?;
        cx.release(v);
        let t = cx.temp()?;
        cx.move_to(Reg::R0, v);
        cx.store_to(t, Reg::R0);
        Ok(t)
    }
    /// usym: the address and the pid of the process it belongs to.
    fn emit_str_into(
        &self,
        cx: &mut FnCx,
        expr: &Expr,
        off: i16,
        size: u32,
    ) -> Result<(), LowerError> {
        if size < 16 {
            return Err(cx.internal("usym buffer too small"));
        }
        let address = argument(cx, expr)?;
        let v = cx.eval(address)?;
        announce_process(cx, expr)?;
        cx.release(v);
        let r = cx.to_reg(v, Reg::R0);
        cx.asm.store(Size::DW, Reg::R10, off, r);
        cx.asm.call(Helper::GetCurrentPidTgid);
        cx.asm.alu(AluOp::Rsh, Reg::R0, 32);
        cx.asm.store(Size::DW, Reg::R10, off + 8, Reg::R0);
        Ok(())
    }
}

fn argument<'e>(cx: &FnCx, expr: &'e Expr) -> Result<&'e Expr, LowerError> {
    match &expr.kind {
        ExprKind::Call { args, .. } if !args.is_empty() => Ok(&args[0]),
        _ => Err(cx.internal("symbol function without an argument")),
    }
}

/// The symbol name argument of `kaddr("name")` and `uaddr("name")`.
fn name_of(expr: &Expr) -> Option<&str> {
    match &expr.kind {
        ExprKind::Call { args, .. } => match &args.first()?.kind {
            ExprKind::Str(s) => Some(s),
            _ => None,
        },
        _ => None,
    }
}

/// `kaddr("name")`: the address of a kernel symbol, from `/proc/kallsyms`.
pub struct Kaddr;

impl Builtin for Kaddr {
    fn name(&self) -> &'static str {
        "kaddr"
    }
    fn form(&self) -> Form {
        Form::Function
    }
    fn usage(&self) -> &'static str {
        "kaddr(\"symbol\")"
    }
    fn summary(&self) -> &'static str {
        "the address of a kernel symbol"
    }
    fn check_call(&self, call: &CallInfo) -> Result<Type, Diagnostic> {
        call.expect_arity(1, 1, self.usage())?;
        let name = call.const_str(0).ok_or_else(|| {
            Diagnostic::error(call.arg_span(0), "kaddr() needs a string literal")
                .with_label("not a literal")
        })?;
        if Kallsyms::system().address_of(name).is_none() {
            return Err(Diagnostic::error(
                call.arg_span(0),
                format!("Failed to resolve kernel symbol: {name}"),
            )
            .with_label("not in /proc/kallsyms"));
        }
        Ok(Type::U64)
    }
    fn emit(&self, cx: &mut FnCx, expr: &Expr) -> Result<Operand, LowerError> {
        let name = name_of(expr).ok_or_else(|| cx.internal("kaddr without a name"))?;
        let address = Kallsyms::system()
            .address_of(name)
            .ok_or_else(|| cx.internal(format!("kernel symbol {name} went away")))?;
        cx.asm.mov_imm64(Reg::R0, address as i64);
        result_of_r0(cx)
    }
}

/// `uaddr("name")`: the address of a symbol of the probed binary, as its
/// symbol table gives it. As in bpftrace, only in user-space probes, and
/// the name must resolve in the binary of every attach point.
pub struct Uaddr;

/// The binary a user-space attach point probes.
fn binary_of(attach: &Attach) -> Option<&str> {
    match attach {
        Attach::Uprobe { target, .. } => Some(&target.path),
        Attach::Usdt { path, .. } => Some(path),
        _ => None,
    }
}

fn user_symbol(path: &str, name: &str) -> Option<u64> {
    let binary = Binary::open(Path::new(path)).ok()?;
    binary.symbol(name).map(|(address, _)| address)
}

impl Builtin for Uaddr {
    fn name(&self) -> &'static str {
        "uaddr"
    }
    fn form(&self) -> Form {
        Form::Function
    }
    fn usage(&self) -> &'static str {
        "uaddr(\"symbol\")"
    }
    fn summary(&self) -> &'static str {
        "the address of a symbol of the probed binary (uprobe, uretprobe, usdt)"
    }
    fn check_call(&self, call: &CallInfo) -> Result<Type, Diagnostic> {
        call.expect_arity(1, 1, self.usage())?;
        let name = call.const_str(0).ok_or_else(|| {
            Diagnostic::error(call.arg_span(0), "uaddr() needs a string literal")
                .with_label("not a literal")
        })?;
        for attach in call.probe.attaches {
            let Some(path) = binary_of(&attach.attach) else {
                return Err(Diagnostic::error(
                    call.span,
                    "uaddr can only be used with u(ret)probes and usdt probes",
                )
                .with_label(format!("{} has no binary", attach.attach.name())));
            };
            if user_symbol(path, name).is_none() {
                return Err(Diagnostic::error(
                    call.arg_span(0),
                    format!("Could not resolve symbol: {path}:{name}"),
                )
                .with_label("not in the binary's symbol tables"));
            }
        }
        Ok(Type::U64)
    }
    fn emit(&self, cx: &mut FnCx, expr: &Expr) -> Result<Operand, LowerError> {
        let name = name_of(expr).ok_or_else(|| cx.internal("uaddr without a name"))?;
        let path = binary_of(&cx.attach.attach)
            .ok_or_else(|| cx.internal("uaddr outside a user-space probe"))?;
        let address = user_symbol(path, name)
            .ok_or_else(|| cx.internal(format!("symbol {name} left {path}")))?;
        cx.asm.mov_imm64(Reg::R0, address as i64);
        result_of_r0(cx)
    }
}
