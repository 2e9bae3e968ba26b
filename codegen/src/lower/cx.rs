//! The per-program lowering context: the instruction builder, the stack
//! frame, temporaries, and the program-wide tables builtins register into.
//!
//! Register policy:
//! - r6 holds the context pointer for the whole program;
//! - r7, r8, r9 hold temporaries (expression results), handed out LIFO;
//!   when all three are taken, temporaries live in 8-byte stack slots;
//! - r0–r5 are scratch inside one emission step and never live across a
//!   helper call.

use super::builtins::BuiltinEmit;
use super::{LowerError, ProgramTables};
use crate::asm::{Asm, Label, Reg, Size, Src};
use crate::frame::Frame;
use rtrace_lang::ast::{Expr, ExprId, Span};
use rtrace_lang::check::{Checked, CheckedAttach};
use rtrace_lang::types::Type;
use std::collections::HashMap;

/// Where an evaluated expression lives.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Operand {
    Imm(i64),
    Reg(Reg),
    /// An 8-byte integer at `r10 + off`.
    Slot(i16),
    /// A string or byte buffer of `size` bytes at `r10 + off`.
    Buf {
        off: i16,
        size: u32,
    },
}

pub const CTX: Reg = Reg::R6;
const TEMP_REGS: [Reg; 3] = [Reg::R9, Reg::R8, Reg::R7];

pub struct FnCx<'a> {
    pub asm: Asm,
    pub frame: Frame,
    pub checked: &'a Checked,
    pub attach: &'a CheckedAttach,
    pub tables: &'a mut ProgramTables,
    pub builtins: &'a dyn BuiltinEmit,
    pub params: &'a [String],
    /// `bpf_ktime_get_ns()` at start-up, for `elapsed`.
    pub start_ns: u64,
    /// `-c CMD`: the child's pid, for `cpid`.
    pub cpid: Option<u32>,
    free_regs: Vec<Reg>,
    /// Scratch variable slots of this probe.
    pub vars: HashMap<String, Operand>,
    /// The span being lowered, for internal errors.
    pub span: Span,
    /// A stack word reserved for the key of the counters map.
    pub counter_key: i16,
    /// Where the probe returns: `r0 = 0; exit`.
    pub return_label: Label,
    /// Set when the code just emitted left the probe (`exit()`), so the
    /// statements after it are never emitted: the verifier rejects
    /// unreachable instructions.
    left_probe: bool,
    /// The enclosing `while` loops, innermost last.
    pub loops: Vec<Loop>,
    /// The program attaches through a kprobe_multi link: `func` and `probe`
    /// come from its name table (see `kprobe_multi`).
    pub kprobe_multi: bool,
}

/// Where `continue` and `break` jump in one `while` loop.
#[derive(Clone, Copy, Debug)]
pub struct Loop {
    /// The condition test at the top.
    pub next: Label,
    /// Just after the loop.
    pub exit: Label,
}

impl<'a> FnCx<'a> {
    pub fn new(
        checked: &'a Checked,
        attach: &'a CheckedAttach,
        tables: &'a mut ProgramTables,
        builtins: &'a dyn BuiltinEmit,
        params: &'a [String],
        start_ns: u64,
    ) -> FnCx<'a> {
        let mut asm = Asm::new();
        let return_label = asm.label();
        FnCx {
            asm,
            frame: Frame::new(),
            checked,
            attach,
            tables,
            builtins,
            params,
            start_ns,
            cpid: None,
            free_regs: TEMP_REGS.to_vec(),
            vars: HashMap::new(),
            span: Span::default(),
            counter_key: 0,
            return_label,
            left_probe: false,
            loops: Vec::new(),
            kprobe_multi: false,
        }
    }

    /// Jumps to the end of the probe; what follows in the block is dead.
    pub fn leave_probe(&mut self) {
        self.asm.goto(self.return_label);
        self.left_probe = true;
    }

    /// Whether the statement just emitted left the probe (and resets it).
    pub fn take_left_probe(&mut self) -> bool {
        std::mem::take(&mut self.left_probe)
    }

    pub fn type_of(&self, expr: &Expr) -> Type {
        self.type_of_id(expr.id)
    }

    pub fn type_of_id(&self, id: ExprId) -> Type {
        self.checked.types[id.0 as usize]
    }

    /// Stack space, with the 512-byte limit reported at the current span.
    pub fn alloc(&mut self, size: u32) -> Result<i16, LowerError> {
        let size = size.max(1).next_multiple_of(8);
        self.frame.alloc(size, 8).map_err(|e| LowerError::Stack {
            span: self.span,
            needed: e.needed,
        })
    }

    /// A location for an integer result.
    pub fn temp(&mut self) -> Result<Operand, LowerError> {
        match self.free_regs.pop() {
            Some(r) => Ok(Operand::Reg(r)),
            None => Ok(Operand::Slot(self.alloc(8)?)),
        }
    }

    /// Returns a temporary register to the pool (slots are released with
    /// the frame mark of the statement).
    pub fn release(&mut self, op: Operand) {
        if let Operand::Reg(r) = op {
            if TEMP_REGS.contains(&r) && !self.free_regs.contains(&r) {
                self.free_regs.push(r);
            }
        }
    }

    /// Puts an integer operand in a register: its own if it has one,
    /// otherwise `scratch`.
    pub fn to_reg(&mut self, op: Operand, scratch: Reg) -> Reg {
        match op {
            Operand::Reg(r) => r,
            Operand::Imm(v) => {
                self.asm.mov_imm64(scratch, v);
                scratch
            }
            Operand::Slot(off) => {
                self.asm.load(Size::DW, scratch, Reg::R10, off);
                scratch
            }
            Operand::Buf { off, .. } => {
                self.asm.mov(scratch, Reg::R10);
                self.asm.alu(crate::asm::AluOp::Add, scratch, off as i32);
                scratch
            }
        }
    }

    /// Copies an integer operand into `dst` (a register).
    pub fn move_to(&mut self, dst: Reg, op: Operand) {
        let r = self.to_reg(op, dst);
        if r != dst {
            self.asm.mov(dst, r);
        }
    }

    /// An operand usable as the source of an ALU or jump instruction.
    pub fn as_src(&mut self, op: Operand, scratch: Reg) -> Src {
        match op {
            Operand::Imm(v) if i32::try_from(v).is_ok() => Src::Imm(v as i32),
            _ => Src::Reg(self.to_reg(op, scratch)),
        }
    }

    /// Stores an integer held in `src` into `dst`.
    pub fn store_to(&mut self, dst: Operand, src: Reg) {
        match dst {
            Operand::Reg(r) if r != src => self.asm.mov(r, src),
            Operand::Reg(_) => {}
            Operand::Slot(off) => self.asm.store(Size::DW, Reg::R10, off, src),
            other => unreachable!("integer destination {other:?}"),
        }
    }

    /// Evaluates an integer expression into a fresh temporary.
    pub fn eval(&mut self, expr: &Expr) -> Result<Operand, LowerError> {
        super::expr::eval(self, expr)
    }

    /// Evaluates a string expression into the buffer at `off` of `size`.
    pub fn eval_str_into(&mut self, expr: &Expr, off: i16, size: u32) -> Result<(), LowerError> {
        super::strings::eval_into(self, expr, off, size)
    }

    pub fn internal(&self, what: impl Into<String>) -> LowerError {
        LowerError::Internal {
            span: self.span,
            what: what.into(),
        }
    }
}
