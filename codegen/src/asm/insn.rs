//! The typed instruction set the builder accepts. Nothing here knows about
//! byte layouts; `encode` does.

use std::fmt;

use super::helpers::Helper;

/// An eBPF register. r0 holds results, r1–r5 arguments (clobbered by every
/// call), r6–r9 survive calls, r10 is the read-only frame pointer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Reg {
    R0,
    R1,
    R2,
    R3,
    R4,
    R5,
    R6,
    R7,
    R8,
    R9,
    R10,
}

impl Reg {
    const ALL: [Reg; 11] = [
        Reg::R0,
        Reg::R1,
        Reg::R2,
        Reg::R3,
        Reg::R4,
        Reg::R5,
        Reg::R6,
        Reg::R7,
        Reg::R8,
        Reg::R9,
        Reg::R10,
    ];

    /// The register number, as the instruction encoding stores it.
    pub const fn index(self) -> u8 {
        self as u8
    }

    /// The register with this number, if there is one.
    pub fn from_index(index: u8) -> Option<Reg> {
        Reg::ALL.get(usize::from(index)).copied()
    }
}

impl fmt::Display for Reg {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "r{}", self.index())
    }
}

/// The width of a memory access.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Size {
    B,
    H,
    W,
    DW,
}

impl Size {
    pub const fn bytes(self) -> u32 {
        match self {
            Size::B => 1,
            Size::H => 2,
            Size::W => 4,
            Size::DW => 8,
        }
    }

    /// The access size for a value of `bytes` bytes, if one matches exactly.
    pub const fn from_bytes(bytes: u32) -> Option<Size> {
        match bytes {
            1 => Some(Size::B),
            2 => Some(Size::H),
            4 => Some(Size::W),
            8 => Some(Size::DW),
            _ => None,
        }
    }
}

/// An arithmetic operation. `Div`, `Mod` and `Rsh` are unsigned; `Arsh` is
/// the sign-propagating shift. `Neg` ignores its source operand.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AluOp {
    Add,
    Sub,
    Mul,
    Div,
    Or,
    And,
    Lsh,
    Rsh,
    Neg,
    Mod,
    Xor,
    Mov,
    Arsh,
}

/// A conditional jump's comparison. `Gt`, `Ge`, `Lt`, `Le` compare unsigned,
/// the `S` forms signed; `Set` jumps when `dst & src != 0`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum JmpOp {
    Eq,
    Gt,
    Ge,
    Set,
    Ne,
    Sgt,
    Sge,
    Lt,
    Le,
    Slt,
    Sle,
}

impl JmpOp {
    /// The comparison that holds exactly when this one does not. `Set` has
    /// none: eBPF has no "jump if no bit is set" instruction.
    pub const fn negate(self) -> Option<JmpOp> {
        Some(match self {
            JmpOp::Eq => JmpOp::Ne,
            JmpOp::Ne => JmpOp::Eq,
            JmpOp::Gt => JmpOp::Le,
            JmpOp::Le => JmpOp::Gt,
            JmpOp::Ge => JmpOp::Lt,
            JmpOp::Lt => JmpOp::Ge,
            JmpOp::Sgt => JmpOp::Sle,
            JmpOp::Sle => JmpOp::Sgt,
            JmpOp::Sge => JmpOp::Slt,
            JmpOp::Slt => JmpOp::Sge,
            JmpOp::Set => return None,
        })
    }
}

/// The second operand of an ALU operation, store or jump.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Src {
    Reg(Reg),
    /// Sign-extended to 64 bits by 64-bit operations.
    Imm(i32),
}

impl From<Reg> for Src {
    fn from(reg: Reg) -> Src {
        Src::Reg(reg)
    }
}

impl From<i32> for Src {
    fn from(imm: i32) -> Src {
        Src::Imm(imm)
    }
}

/// A jump target. Made unbound by `Asm::label`, bound by `Asm::bind`, and
/// resolved into an offset only by `Asm::finish`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Label(u32);

impl Label {
    pub(super) const fn new(index: u32) -> Label {
        Label(index)
    }

    pub(super) const fn index(self) -> usize {
        self.0 as usize
    }
}

impl fmt::Display for Label {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "L{}", self.0)
    }
}

/// A map, by its index in the list handed to `object::write_object`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct MapId(pub u32);

/// One instruction. Everything but `LoadImm64` and `LoadMapFd` takes one
/// 8-byte slot; those two take two.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Insn {
    /// `dst = dst op src` on 64 bits.
    Alu64 {
        op: AluOp,
        dst: Reg,
        src: Src,
    },
    /// `dst = dst op src` on the low 32 bits; the result is zero-extended.
    Alu32 {
        op: AluOp,
        dst: Reg,
        src: Src,
    },
    /// `dst = *(size *)(base + off)`, zero-extended.
    Load {
        size: Size,
        dst: Reg,
        base: Reg,
        off: i16,
    },
    /// `*(size *)(base + off) = src`.
    Store {
        size: Size,
        base: Reg,
        off: i16,
        src: Src,
    },
    /// `if dst op src goto target`, comparing 64 bits.
    Jump {
        op: JmpOp,
        dst: Reg,
        src: Src,
        target: Label,
    },
    Goto(Label),
    Call(Helper),
    Exit,
    /// `dst = imm` for any 64-bit constant.
    LoadImm64 {
        dst: Reg,
        imm: i64,
    },
    /// `dst = <fd of map>`; the loader patches the fd in through a relocation.
    LoadMapFd {
        dst: Reg,
        map: MapId,
    },
}

impl Insn {
    /// How many 8-byte slots the instruction takes.
    pub const fn slots(&self) -> usize {
        match self {
            Insn::LoadImm64 { .. } | Insn::LoadMapFd { .. } => 2,
            _ => 1,
        }
    }

    /// The label this instruction jumps to, if it jumps.
    pub const fn target(&self) -> Option<Label> {
        match *self {
            Insn::Jump { target, .. } | Insn::Goto(target) => Some(target),
            _ => None,
        }
    }
}
