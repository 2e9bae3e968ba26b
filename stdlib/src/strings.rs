//! Strings and buffers: str(), buf(), strncmp(), strcontains(), join().

use crate::builtin::{Builtin, Form};
use rtrace_codegen::asm::{AluOp, Helper, JmpOp, Reg, Size};
use rtrace_codegen::lower::cx::{FnCx, Operand};
use rtrace_codegen::lower::strings::AddressSpace;
use rtrace_codegen::lower::{events, strings, LowerError};
use rtrace_codegen::manifest::{counter, Event};
use rtrace_lang::ast::{Expr, ExprKind};
use rtrace_lang::check::builtins::CallInfo;
use rtrace_lang::diagnostic::Diagnostic;
use rtrace_lang::types::Type;

/// The largest string or buffer one probe can hold: what is left of the
/// 512-byte stack after the event id a printf of it needs.
pub const MAX_STRLEN: u32 = 512 - 8;

/// Where a pointer argument points, for the read helpers.
pub fn address_space(cx: &FnCx, ptr_type: Type) -> AddressSpace {
    match ptr_type {
        Type::Ptr(p) if p.user => AddressSpace::User,
        Type::Ptr(_) => AddressSpace::Kernel,
        Type::Record(m) if m.user => AddressSpace::User,
        Type::Record(_) => AddressSpace::Kernel,
        // An integer used as a pointer in a user-space probe (`str(arg0)`
        // in a uprobe) points into the probed process.
        _ if cx.attach.attach.kind().is_user_space() => AddressSpace::User,
        _ => AddressSpace::Unknown,
    }
}

/// Requires argument `index` to be a pointer (or an integer used as one).
fn expect_pointer(call: &CallInfo, index: usize, function: &str) -> Result<(), Diagnostic> {
    match call.arg_types[index] {
        // An array in memory (`u8 data[16]`) reads from its address.
        Type::Ptr(_) | Type::Int(_) | Type::Record(_) => Ok(()),
        other => Err(Diagnostic::error(
            call.arg_span(index),
            format!("{function}() reads from a pointer, found {other}"),
        )
        .with_label("not a pointer")),
    }
}

/// The string size in effect, with a diagnostic at `call` when one string
/// of it cannot fit in a probe's stack.
fn configured_strlen(call: &CallInfo) -> Result<u32, Diagnostic> {
    let strlen = call.probe.config.strlen;
    if strlen > MAX_STRLEN {
        return Err(Diagnostic::error(
            call.span,
            format!(
                "a string of {strlen} bytes (BPFTRACE_STRLEN) does not fit in the 512-byte BPF stack"
            ),
        )
        .with_label("needs a string of that size")
        .with_hint(format!(
            "set BPFTRACE_STRLEN or --strlen to at most {MAX_STRLEN}"
        )));
    }
    Ok(strlen)
}

/// Puts `min(r, limit)` (unsigned) in `r`: a size the verifier can bound.
fn clamp(cx: &mut FnCx, r: Reg, limit: u32) {
    let ok = cx.asm.label();
    cx.asm.jump(JmpOp::Le, r, limit as i32, ok);
    cx.asm.mov(r, limit as i32);
    cx.asm.bind(ok);
}

pub struct Str;

impl Builtin for Str {
    fn name(&self) -> &'static str {
        "str"
    }
    fn form(&self) -> Form {
        Form::Function
    }
    fn usage(&self) -> &'static str {
        "str(pointer [, length])"
    }
    fn summary(&self) -> &'static str {
        "reads a NUL-terminated string from kernel or user memory"
    }
    fn check_call(&self, call: &CallInfo) -> Result<Type, Diagnostic> {
        call.expect_arity(1, 2, self.usage())?;
        if let Type::Str(n) = call.arg_types[0] {
            return Ok(Type::Str(n));
        }
        expect_pointer(call, 0, "str")?;
        let strlen = configured_strlen(call)?;
        if call.args.len() == 2 {
            call.expect_int(1)?;
            // A literal length sizes the buffer; any other is applied when
            // the probe runs, within the configured size.
            if let Some(len) = call.const_int(1) {
                if len < 0 {
                    return Err(Diagnostic::error(
                        call.arg_span(1),
                        "str() length must not be negative",
                    ));
                }
                return Ok(Type::Str((len as u32).saturating_add(1).min(strlen)));
            }
        }
        Ok(Type::Str(strlen))
    }
    fn emit_str_into(
        &self,
        cx: &mut FnCx,
        expr: &Expr,
        off: i16,
        size: u32,
    ) -> Result<(), LowerError> {
        let ExprKind::Call { args, .. } = &expr.kind else {
            return Err(cx.internal("str without a call"));
        };
        let ptr_type = cx.type_of(&args[0]);
        if ptr_type.is_str() {
            return strings::eval_into(cx, &args[0], off, size);
        }
        let read_size = cx.type_of(expr).size().min(size);
        let space = address_space(cx, ptr_type);
        let ptr = cx.eval(&args[0])?;
        let len = match args.get(1) {
            Some(len) if rtrace_lang::check::builtins::const_int(len).is_none() => {
                Some(cx.eval(len)?)
            }
            _ => None,
        };
        if let Some(len) = len {
            cx.release(len);
        }
        cx.release(ptr);
        strings::zero(cx, off, size);
        cx.move_to(Reg::R3, ptr);
        match len {
            None => strings::read_str_from(cx, Reg::R3, off, read_size, space),
            Some(len) => {
                // Room for `len` characters and the NUL, within the buffer.
                cx.move_to(Reg::R2, len);
                cx.asm.alu(AluOp::Add, Reg::R2, 1);
                clamp(cx, Reg::R2, read_size);
                cx.asm.mov(Reg::R1, Reg::R10);
                cx.asm.alu(AluOp::Add, Reg::R1, off as i32);
                cx.asm.call(str_helper(space));
            }
        }
        Ok(())
    }
}

fn str_helper(space: AddressSpace) -> Helper {
    match space {
        AddressSpace::User => Helper::ProbeReadUserStr,
        AddressSpace::Kernel => Helper::ProbeReadKernelStr,
        AddressSpace::Unknown => Helper::ProbeReadStr,
    }
}

pub fn read_helper(space: AddressSpace) -> Helper {
    match space {
        AddressSpace::User => Helper::ProbeReadUser,
        AddressSpace::Kernel => Helper::ProbeReadKernel,
        AddressSpace::Unknown => Helper::ProbeRead,
    }
}

/// `buf(pointer, length)`: raw bytes, printed with `%r` as text with
/// `\xNN` escapes.
pub struct Buf;

impl Builtin for Buf {
    fn name(&self) -> &'static str {
        "buf"
    }
    fn form(&self) -> Form {
        Form::Function
    }
    fn usage(&self) -> &'static str {
        "buf(pointer, length)"
    }
    fn summary(&self) -> &'static str {
        "reads length bytes from memory, printed with %r"
    }
    fn check_call(&self, call: &CallInfo) -> Result<Type, Diagnostic> {
        call.expect_arity(2, 2, self.usage())?;
        if !call.arg_types[0].is_str() {
            expect_pointer(call, 0, "buf")?;
        }
        call.expect_int(1)?;
        let strlen = configured_strlen(call)?;
        match call.const_int(1) {
            Some(len) if len < 0 => Err(Diagnostic::error(
                call.arg_span(1),
                "buf() length must not be negative",
            )),
            Some(len) => Ok(Type::Buf((len as u32).min(strlen))),
            None => Ok(Type::Buf(strlen)),
        }
    }
    fn emit_str_into(
        &self,
        cx: &mut FnCx,
        expr: &Expr,
        off: i16,
        size: u32,
    ) -> Result<(), LowerError> {
        let ExprKind::Call { args, .. } = &expr.kind else {
            return Err(cx.internal("buf without a call"));
        };
        let Type::Buf(capacity) = cx.type_of(expr) else {
            return Err(cx.internal("buf() not typed as a buffer"));
        };
        let capacity = capacity.min(size.saturating_sub(1));
        let src_type = cx.type_of(&args[0]);
        // [length][bytes...]; what is not read stays zero.
        strings::zero(cx, off, size);
        if let Type::Str(n) = src_type {
            // A string's bytes, NUL and padding included, as bpftrace does.
            let from = cx.eval(&args[0])?;
            let Operand::Buf { off: from, .. } = from else {
                return Err(cx.internal("string without a buffer"));
            };
            strings::copy_stack(cx, from, off + 1, n.min(capacity));
            let len = cx.eval(&args[1])?;
            cx.release(len);
            cx.move_to(Reg::R2, len);
            clamp(cx, Reg::R2, capacity);
            cx.asm.store(Size::B, Reg::R10, off, Reg::R2);
            return Ok(());
        }
        let space = address_space(cx, src_type);
        let ptr = cx.eval(&args[0])?;
        let len = cx.eval(&args[1])?;
        cx.release(len);
        cx.release(ptr);
        cx.move_to(Reg::R2, len);
        clamp(cx, Reg::R2, capacity);
        cx.asm.store(Size::B, Reg::R10, off, Reg::R2);
        cx.move_to(Reg::R3, ptr);
        cx.asm.mov(Reg::R1, Reg::R10);
        cx.asm.alu(AluOp::Add, Reg::R1, off as i32 + 1);
        cx.asm.call(read_helper(space));
        Ok(())
    }
}

/// `strncmp(a, b, n)`: 0 when the first `n` characters are equal, else 1
/// (bpftrace's result, not C's sign).
pub struct Strncmp;

impl Builtin for Strncmp {
    fn name(&self) -> &'static str {
        "strncmp"
    }
    fn form(&self) -> Form {
        Form::Function
    }
    fn usage(&self) -> &'static str {
        "strncmp(string, string, length)"
    }
    fn summary(&self) -> &'static str {
        "0 when the first length characters of two strings are equal, else 1"
    }
    fn check_call(&self, call: &CallInfo) -> Result<Type, Diagnostic> {
        call.expect_arity(3, 3, self.usage())?;
        expect_strings(call, 2)?;
        match call.const_int(2) {
            Some(n) if n >= 0 => Ok(Type::U64),
            _ => Err(Diagnostic::error(
                call.arg_span(2),
                "strncmp() length must be a non-negative integer literal",
            )
            .with_label("not a literal")),
        }
    }
    fn emit(&self, cx: &mut FnCx, expr: &Expr) -> Result<Operand, LowerError> {
        let ExprKind::Call { args, .. } = &expr.kind else {
            return Err(cx.internal("strncmp without a call"));
        };
        let n = rtrace_lang::check::builtins::const_int(&args[2]).unwrap_or(0);
        strings::equal_within(cx, &args[0], &args[1], Some(n as u32), 0)
    }
}

/// Requires the first `count` arguments to be strings.
fn expect_strings(call: &CallInfo, count: usize) -> Result<(), Diagnostic> {
    for i in 0..count {
        let t = call.arg_types[i];
        if !t.is_str() {
            let mut d = Diagnostic::error(
                call.arg_span(i),
                format!("{}() expects a string here, found {t}", call.name.name),
            )
            .with_label("not a string");
            if matches!(t, Type::Ptr { .. }) {
                d = d.with_hint("read the string it points to with str(...)");
            }
            return Err(d);
        }
    }
    Ok(())
}

/// `strcontains(haystack, needle)`: 1 when needle occurs in haystack.
pub struct Strcontains;

impl Builtin for Strcontains {
    fn name(&self) -> &'static str {
        "strcontains"
    }
    fn form(&self) -> Form {
        Form::Function
    }
    fn usage(&self) -> &'static str {
        "strcontains(haystack, needle)"
    }
    fn summary(&self) -> &'static str {
        "1 when the needle string occurs in the haystack string, else 0"
    }
    fn check_call(&self, call: &CallInfo) -> Result<Type, Diagnostic> {
        call.expect_arity(2, 2, self.usage())?;
        expect_strings(call, 2)?;
        Ok(Type::U64)
    }
    fn emit(&self, cx: &mut FnCx, expr: &Expr) -> Result<Operand, LowerError> {
        let ExprKind::Call { args, .. } = &expr.kind else {
            return Err(cx.internal("strcontains without a call"));
        };
        strings::contains(cx, &args[0], &args[1])
    }
}

/// bpftrace's limits for join(): arguments, and bytes of each.
pub const JOIN_ARGS: u32 = 16;
pub const JOIN_ARG_SIZE: u32 = 1024;

/// `join(argv [, sep])`: prints a NULL-terminated array of strings, joined.
pub struct Join;

impl Builtin for Join {
    fn name(&self) -> &'static str {
        "join"
    }
    fn form(&self) -> Form {
        Form::Function
    }
    fn usage(&self) -> &'static str {
        "join(argv [, separator])"
    }
    fn summary(&self) -> &'static str {
        "prints an array of string pointers (up to 16), joined by a space or separator"
    }
    fn check_call(&self, call: &CallInfo) -> Result<Type, Diagnostic> {
        call.expect_arity(1, 2, self.usage())?;
        expect_pointer(call, 0, "join")?;
        if call.args.len() == 2 && call.const_str(1).is_none() {
            return Err(Diagnostic::error(
                call.arg_span(1),
                "join() separator must be a string literal",
            )
            .with_label("not a literal"));
        }
        Ok(Type::Void)
    }
    fn emit(&self, cx: &mut FnCx, expr: &Expr) -> Result<Operand, LowerError> {
        let ExprKind::Call { args, .. } = &expr.kind else {
            return Err(cx.internal("join without a call"));
        };
        let sep = match args.get(1).map(|a| &a.kind) {
            Some(ExprKind::Str(s)) => s.clone(),
            _ => " ".to_string(),
        };
        let id = events::event_id(cx, expr.id, || Event::Join {
            sep,
            count: JOIN_ARGS,
            size: JOIN_ARG_SIZE,
        });
        let space = address_space(cx, cx.type_of(&args[0]));
        let argv = cx.eval(&args[0])?;
        // 16 KiB do not fit on the stack: the strings are read straight
        // into a reserved ring-buffer record.
        let record = cx.temp()?;
        let slot = cx.alloc(8)?;
        let ringbuf = cx.tables.ringbuf_map;
        cx.asm.load_map_fd(Reg::R1, ringbuf);
        cx.asm.mov(Reg::R2, (8 + JOIN_ARGS * JOIN_ARG_SIZE) as i32);
        cx.asm.mov(Reg::R3, 0);
        cx.asm.call(Helper::RingbufReserve);
        let (reserved, done) = (cx.asm.label(), cx.asm.label());
        cx.asm.jump(JmpOp::Ne, Reg::R0, 0, reserved);
        events::count_problem(cx, counter::LOST_EVENTS);
        cx.asm.goto(done);
        cx.asm.bind(reserved);
        cx.store_to(record, Reg::R0);
        cx.asm.mov_imm64(Reg::R1, id as i64);
        cx.asm.store(Size::DW, Reg::R0, 0, Reg::R1);
        let submit = cx.asm.label();
        for i in 0..JOIN_ARGS {
            let at = (8 + i * JOIN_ARG_SIZE) as i16;
            // An empty string ends the list for the reader.
            cx.move_to(Reg::R1, record);
            cx.asm.store(Size::B, Reg::R1, at, 0);
            // The i-th pointer of the array...
            cx.move_to(Reg::R3, argv);
            cx.asm.alu(AluOp::Add, Reg::R3, (i * 8) as i32);
            cx.asm.mov(Reg::R1, Reg::R10);
            cx.asm.alu(AluOp::Add, Reg::R1, slot as i32);
            cx.asm.mov(Reg::R2, 8);
            cx.asm.call(read_helper(space));
            cx.asm.load(Size::DW, Reg::R3, Reg::R10, slot);
            cx.asm.jump(JmpOp::Ne, Reg::R0, 0, submit);
            cx.asm.jump(JmpOp::Eq, Reg::R3, 0, submit);
            // ...and the string it points to.
            cx.move_to(Reg::R1, record);
            cx.asm.alu(AluOp::Add, Reg::R1, at as i32);
            cx.asm.mov(Reg::R2, JOIN_ARG_SIZE as i32);
            cx.asm.call(str_helper(space));
        }
        cx.asm.bind(submit);
        cx.move_to(Reg::R1, record);
        cx.asm.mov(Reg::R2, 0);
        cx.asm.call(Helper::RingbufSubmit);
        cx.asm.bind(done);
        cx.release(record);
        cx.release(argv);
        Ok(Operand::Imm(0))
    }
}
