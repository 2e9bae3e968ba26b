//! Network addresses: `ntop([af,] addr)` and `macaddr(addr)`. The program
//! copies the address bytes into a small buffer; the runtime prints them
//! (dotted quad, RFC 5952 IPv6 text, `AA:BB:CC:DD:EE:FF`).
//!
//! The bytes come from an integer (a `__be32` as stored in memory), a
//! kernel array reached through BTF types (`sk->__sk_common.skc_v6_daddr
//! .in6_u.u6_addr8`), a tracepoint's inline byte array (`args.daddr_v6`),
//! or, as in bpftrace, a string of the right size.

use crate::builtin::{Builtin, Form};
use crate::strings::{address_space, read_helper};
use rtrace_codegen::asm::{AluOp, Reg, Size};
use rtrace_codegen::lower::cx::{FnCx, Operand};
use rtrace_codegen::lower::strings::{self, AddressSpace};
use rtrace_codegen::lower::LowerError;
use rtrace_lang::ast::{Expr, ExprKind};
use rtrace_lang::btf::Shape;
use rtrace_lang::check::builtins::CallInfo;
use rtrace_lang::diagnostic::Diagnostic;
use rtrace_lang::types::{MemoryType, Type, INET_SIZE, MAC_SIZE};

/// `AF_INET` and `AF_INET6` as Linux numbers them.
pub const AF_INET: i32 = 2;
pub const AF_INET6: i32 = 10;

/// The size of a kernel array in memory, recorded for emission, or why
/// `function` cannot read it.
fn array_size(call: &CallInfo, index: usize, m: MemoryType) -> Result<u32, Diagnostic> {
    let function = &call.name.name;
    let btf = call.probe.kernel.btf().map_err(|e| {
        Diagnostic::error(
            call.arg_span(index),
            format!("{function}() needs the kernel's BTF type information"),
        )
        .with_hint(format!("reading /sys/kernel/btf/vmlinux failed: {e}"))
    })?;
    let Shape::Array { .. } = btf.shape(m.ty.id) else {
        return Err(Diagnostic::error(
            call.arg_span(index),
            format!("{function}() reads an array, found {}", m.ty.name()),
        )
        .with_label("a struct or union")
        .with_hint(
            "pass the array member that holds the bytes, e.g. ...skc_v6_daddr.in6_u.u6_addr8",
        ));
    };
    let size = btf.type_size(m.ty.id);
    call.probe.layout.borrow_mut().insert_size(m.ty.id, size);
    Ok(size)
}

fn wrong_size(call: &CallInfo, index: usize, t: Type, size: u32, wanted: &str) -> Diagnostic {
    Diagnostic::error(
        call.arg_span(index),
        format!(
            "{}() argument must be {wanted} in size, and {t} is {size} byte{}",
            call.name.name,
            if size == 1 { "" } else { "s" }
        ),
    )
    .with_label("wrong size")
}

/// The family (ntop's first argument of two) and the address argument of
/// a call.
fn address_arg<'e>(cx: &FnCx, expr: &'e Expr) -> Result<(Option<&'e Expr>, &'e Expr), LowerError> {
    match &expr.kind {
        ExprKind::Call { args, .. } if args.len() == 2 => Ok((Some(&args[0]), &args[1])),
        ExprKind::Call { args, .. } if args.len() == 1 => Ok((None, &args[0])),
        _ => Err(cx.internal("address function without its argument")),
    }
}

/// The bytes an address argument holds: from BTF for arrays in memory.
fn byte_len(cx: &FnCx, t: Type) -> Result<u32, LowerError> {
    match t {
        Type::Record(m) => cx
            .checked
            .layout
            .size(m.ty.id)
            .ok_or_else(|| cx.internal(format!("size of {} not recorded", m.ty.name()))),
        t if t.is_buffer() => Ok(t.size()),
        _ => Ok(4),
    }
}

/// Reads `len` bytes at the address `addr` into the stack at `r10 + dst`;
/// a failed read leaves zeros.
fn read_into(cx: &mut FnCx, addr: Operand, dst: i16, len: u32, space: AddressSpace) {
    cx.release(addr);
    cx.move_to(Reg::R3, addr);
    cx.asm.mov(Reg::R1, Reg::R10);
    cx.asm.alu(AluOp::Add, Reg::R1, i32::from(dst));
    cx.asm.mov(Reg::R2, len as i32);
    cx.asm.call(read_helper(space));
}

/// `ntop([af,] addr)`: an IPv4 or IPv6 address as text.
pub struct Ntop;

impl Builtin for Ntop {
    fn name(&self) -> &'static str {
        "ntop"
    }
    fn form(&self) -> Form {
        Form::Function
    }
    fn usage(&self) -> &'static str {
        "ntop([af,] address)"
    }
    fn summary(&self) -> &'static str {
        "an IPv4 (integer, 4 bytes) or IPv6 (16 bytes) address, printed as text; af AF_INET (2) or AF_INET6 (10) chooses"
    }
    fn check_call(&self, call: &CallInfo) -> Result<Type, Diagnostic> {
        call.expect_arity(1, 2, self.usage())?;
        let index = call.args.len() - 1;
        if index == 1 {
            call.expect_int(0)?;
        }
        let t = call.arg_types[index];
        let size = match t {
            Type::Int(_) | Type::Void => return Ok(Type::Inet),
            Type::Record(m) => array_size(call, index, m)?,
            Type::Bytes(n) | Type::Str(n) => n,
            other => {
                let mut d = Diagnostic::error(
                    call.arg_span(index),
                    format!("ntop() expects an integer or array argument, found {other}"),
                )
                .with_label("not an address");
                if let Type::Ptr(_) = other {
                    d = d.with_hint(
                        "read the address it points to, e.g. ntop(*(uint32 *)p) or ntop(p->member)",
                    );
                }
                return Err(d);
            }
        };
        if size != 4 && size != 16 {
            return Err(wrong_size(call, index, t, size, "4 or 16 bytes"));
        }
        Ok(Type::Inet)
    }
    fn emit_str_into(
        &self,
        cx: &mut FnCx,
        expr: &Expr,
        off: i16,
        size: u32,
    ) -> Result<(), LowerError> {
        if size < INET_SIZE {
            return Err(cx.internal("ntop buffer too small"));
        }
        let (family, address) = address_arg(cx, expr)?;
        let t = cx.type_of(address);
        let len = byte_len(cx, t)?.min(16);
        strings::zero(cx, off, size);
        match family {
            // As bpftrace: an integer or 4 bytes is IPv4, 16 bytes IPv6.
            None => {
                let af = if t.is_int() || len == 4 {
                    AF_INET
                } else {
                    AF_INET6
                };
                cx.asm.store(Size::DW, Reg::R10, off, af);
            }
            Some(family) => {
                let v = cx.eval(family)?;
                cx.release(v);
                let r = cx.to_reg(v, Reg::R0);
                cx.asm.store(Size::DW, Reg::R10, off, r);
            }
        }
        let bytes = off + 8;
        match t {
            // The low 32 bits, in memory order: a `__be32` as the kernel
            // stored it.
            Type::Int(_) => {
                let v = cx.eval(address)?;
                cx.release(v);
                let r = cx.to_reg(v, Reg::R0);
                cx.asm.store(Size::W, Reg::R10, bytes, r);
            }
            Type::Record(_) => {
                let space = address_space(cx, t);
                let addr = cx.eval(address)?;
                read_into(cx, addr, bytes, len, space);
            }
            _ => cx.eval_str_into(address, bytes, len)?,
        }
        Ok(())
    }
}

/// `macaddr(addr)`: six bytes as `AA:BB:CC:DD:EE:FF`.
pub struct Macaddr;

impl Builtin for Macaddr {
    fn name(&self) -> &'static str {
        "macaddr"
    }
    fn form(&self) -> Form {
        Form::Function
    }
    fn usage(&self) -> &'static str {
        "macaddr(address)"
    }
    fn summary(&self) -> &'static str {
        "a MAC address (the first 6 bytes of an array, or at a pointer), printed as AA:BB:CC:DD:EE:FF"
    }
    fn check_call(&self, call: &CallInfo) -> Result<Type, Diagnostic> {
        call.expect_arity(1, 1, self.usage())?;
        let t = call.arg_types[0];
        match t {
            Type::Int(_) | Type::Ptr(_) | Type::Void => return Ok(Type::MacAddr),
            Type::Str(_) if call.const_str(0).is_some() => {
                return Err(Diagnostic::error(
                    call.arg_span(0),
                    "macaddr() does not support literal string arguments",
                )
                .with_label("a literal"));
            }
            Type::Str(n) if n != MAC_SIZE => {
                return Err(wrong_size(call, 0, t, n, "6 bytes"));
            }
            Type::Str(_) => return Ok(Type::MacAddr),
            _ => {}
        }
        let size = match t {
            Type::Record(m) => array_size(call, 0, m)?,
            Type::Bytes(n) => n,
            other => {
                return Err(Diagnostic::error(
                    call.arg_span(0),
                    format!("macaddr() expects an array or a pointer, found {other}"),
                )
                .with_label("not an address"))
            }
        };
        if size < MAC_SIZE {
            return Err(wrong_size(call, 0, t, size, "at least 6 bytes"));
        }
        Ok(Type::MacAddr)
    }
    fn emit_str_into(
        &self,
        cx: &mut FnCx,
        expr: &Expr,
        off: i16,
        size: u32,
    ) -> Result<(), LowerError> {
        if size < MAC_SIZE {
            return Err(cx.internal("macaddr buffer too small"));
        }
        let (_, address) = address_arg(cx, expr)?;
        let t = cx.type_of(address);
        strings::zero(cx, off, size);
        match t {
            Type::Int(_) | Type::Ptr(_) | Type::Record(_) => {
                let space = address_space(cx, t);
                let addr = cx.eval(address)?;
                read_into(cx, addr, off, MAC_SIZE, space);
            }
            _ => cx.eval_str_into(address, off, MAC_SIZE)?,
        }
        Ok(())
    }
}
