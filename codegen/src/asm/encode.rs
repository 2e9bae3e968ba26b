//! The one place that knows the kernel's instruction encoding
//! (Documentation/bpf/standardization/instruction-set.rst).

use super::insn::{AluOp, Insn, JmpOp, Reg, Size, Src};

/// Bytes per instruction slot.
pub const SLOT_BYTES: usize = 8;

/// Opcode fields, shared with the disassembler so both read the same table.
pub(super) mod op {
    // Instruction classes (low 3 bits).
    pub const LD: u8 = 0x00;
    pub const LDX: u8 = 0x01;
    pub const ST: u8 = 0x02;
    pub const STX: u8 = 0x03;
    pub const ALU: u8 = 0x04;
    pub const JMP: u8 = 0x05;
    pub const ALU64: u8 = 0x07;
    pub const CLASS_MASK: u8 = 0x07;

    // Load/store size (bits 3-4) and mode (bits 5-7).
    pub const W: u8 = 0x00;
    pub const H: u8 = 0x08;
    pub const B: u8 = 0x10;
    pub const DW: u8 = 0x18;
    pub const SIZE_MASK: u8 = 0x18;
    pub const IMM: u8 = 0x00;
    pub const MEM: u8 = 0x60;
    pub const MODE_MASK: u8 = 0xe0;

    // Source operand (bit 3) for ALU and JMP classes.
    pub const K: u8 = 0x00;
    pub const X: u8 = 0x08;

    // ALU operations (high 4 bits).
    pub const ADD: u8 = 0x00;
    pub const SUB: u8 = 0x10;
    pub const MUL: u8 = 0x20;
    pub const DIV: u8 = 0x30;
    pub const OR: u8 = 0x40;
    pub const AND: u8 = 0x50;
    pub const LSH: u8 = 0x60;
    pub const RSH: u8 = 0x70;
    pub const NEG: u8 = 0x80;
    pub const MOD: u8 = 0x90;
    pub const XOR: u8 = 0xa0;
    pub const MOV: u8 = 0xb0;
    pub const ARSH: u8 = 0xc0;

    // Jump operations (high 4 bits).
    pub const JA: u8 = 0x00;
    pub const JEQ: u8 = 0x10;
    pub const JGT: u8 = 0x20;
    pub const JGE: u8 = 0x30;
    pub const JSET: u8 = 0x40;
    pub const JNE: u8 = 0x50;
    pub const JSGT: u8 = 0x60;
    pub const JSGE: u8 = 0x70;
    pub const CALL: u8 = 0x80;
    pub const EXIT: u8 = 0x90;
    pub const JLT: u8 = 0xa0;
    pub const JLE: u8 = 0xb0;
    pub const JSLT: u8 = 0xc0;
    pub const JSLE: u8 = 0xd0;
    pub const OP_MASK: u8 = 0xf0;

    /// `src_reg` of an `ld_imm64` whose immediate is a map fd.
    pub const PSEUDO_MAP_FD: u8 = 1;
}

/// One slot as the kernel lays it out (`struct bpf_insn`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct RawInsn {
    pub code: u8,
    pub dst: u8,
    pub src: u8,
    pub off: i16,
    pub imm: i32,
}

impl RawInsn {
    const fn new(code: u8, dst: u8, src: u8, off: i16, imm: i32) -> RawInsn {
        RawInsn {
            code,
            dst,
            src,
            off,
            imm,
        }
    }

    pub fn to_bytes(self) -> [u8; SLOT_BYTES] {
        let mut b = [0; SLOT_BYTES];
        b[0] = self.code;
        b[1] = (self.src << 4) | (self.dst & 0x0f);
        b[2..4].copy_from_slice(&self.off.to_le_bytes());
        b[4..8].copy_from_slice(&self.imm.to_le_bytes());
        b
    }

    pub fn from_bytes(b: &[u8; SLOT_BYTES]) -> RawInsn {
        RawInsn {
            code: b[0],
            dst: b[1] & 0x0f,
            src: b[1] >> 4,
            off: i16::from_le_bytes([b[2], b[3]]),
            imm: i32::from_le_bytes([b[4], b[5], b[6], b[7]]),
        }
    }
}

pub(super) const fn alu_code(op: AluOp) -> u8 {
    match op {
        AluOp::Add => op::ADD,
        AluOp::Sub => op::SUB,
        AluOp::Mul => op::MUL,
        AluOp::Div => op::DIV,
        AluOp::Or => op::OR,
        AluOp::And => op::AND,
        AluOp::Lsh => op::LSH,
        AluOp::Rsh => op::RSH,
        AluOp::Neg => op::NEG,
        AluOp::Mod => op::MOD,
        AluOp::Xor => op::XOR,
        AluOp::Mov => op::MOV,
        AluOp::Arsh => op::ARSH,
    }
}

pub(super) const fn jmp_code(op: JmpOp) -> u8 {
    match op {
        JmpOp::Eq => op::JEQ,
        JmpOp::Gt => op::JGT,
        JmpOp::Ge => op::JGE,
        JmpOp::Set => op::JSET,
        JmpOp::Ne => op::JNE,
        JmpOp::Sgt => op::JSGT,
        JmpOp::Sge => op::JSGE,
        JmpOp::Lt => op::JLT,
        JmpOp::Le => op::JLE,
        JmpOp::Slt => op::JSLT,
        JmpOp::Sle => op::JSLE,
    }
}

pub(super) const fn size_code(size: Size) -> u8 {
    match size {
        Size::B => op::B,
        Size::H => op::H,
        Size::W => op::W,
        Size::DW => op::DW,
    }
}

/// The source bit, source register and immediate of an operand.
fn operand(src: Src) -> (u8, u8, i32) {
    match src {
        Src::Reg(r) => (op::X, r.index(), 0),
        Src::Imm(imm) => (op::K, 0, imm),
    }
}

fn alu(class: u8, aop: AluOp, dst: Reg, src: Src) -> RawInsn {
    if aop == AluOp::Neg {
        // The kernel rejects NEG with a register source or non-zero imm
        // ("BPF_NEG uses reserved fields"), whatever operand was given.
        return RawInsn::new(class | op::K | op::NEG, dst.index(), 0, 0, 0);
    }
    let (s, src_reg, imm) = operand(src);
    RawInsn::new(class | s | alu_code(aop), dst.index(), src_reg, 0, imm)
}

/// Encodes `insn` into one or two slots. `jump_off` is the resolved offset of
/// a jump (counted from the next slot) and ignored for everything else.
pub(super) fn encode(insn: &Insn, jump_off: i16, out: &mut Vec<u8>) {
    let mut put = |raw: RawInsn| out.extend_from_slice(&raw.to_bytes());
    match *insn {
        Insn::Alu64 { op: aop, dst, src } => put(alu(op::ALU64, aop, dst, src)),
        Insn::Alu32 { op: aop, dst, src } => put(alu(op::ALU, aop, dst, src)),
        Insn::Load {
            size,
            dst,
            base,
            off,
        } => put(RawInsn::new(
            op::LDX | op::MEM | size_code(size),
            dst.index(),
            base.index(),
            off,
            0,
        )),
        Insn::Store {
            size,
            base,
            off,
            src,
        } => {
            let code = op::MEM | size_code(size);
            put(match src {
                Src::Reg(r) => RawInsn::new(op::STX | code, base.index(), r.index(), off, 0),
                Src::Imm(imm) => RawInsn::new(op::ST | code, base.index(), 0, off, imm),
            })
        }
        Insn::Jump {
            op: jop, dst, src, ..
        } => {
            let (s, src_reg, imm) = operand(src);
            put(RawInsn::new(
                op::JMP | s | jmp_code(jop),
                dst.index(),
                src_reg,
                jump_off,
                imm,
            ))
        }
        Insn::Goto(_) => put(RawInsn::new(op::JMP | op::JA, 0, 0, jump_off, 0)),
        Insn::Call(helper) => put(RawInsn::new(
            op::JMP | op::CALL,
            0,
            0,
            0,
            helper.id() as i32,
        )),
        Insn::Exit => put(RawInsn::new(op::JMP | op::EXIT, 0, 0, 0, 0)),
        Insn::LoadImm64 { dst, imm } => {
            // The low half goes in the first slot, the high half in the second.
            put(RawInsn::new(
                op::LD | op::IMM | op::DW,
                dst.index(),
                0,
                0,
                imm as i32,
            ));
            put(RawInsn::new(0, 0, 0, 0, (imm >> 32) as i32));
        }
        Insn::LoadMapFd { dst, .. } => {
            // The fd (imm) is filled in by the loader from the relocation.
            put(RawInsn::new(
                op::LD | op::IMM | op::DW,
                dst.index(),
                op::PSEUDO_MAP_FD,
                0,
                0,
            ));
            put(RawInsn::new(0, 0, 0, 0, 0));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::helpers::Helper;
    use super::super::insn::{Label, MapId};
    use super::*;

    fn bytes(insn: Insn, jump_off: i16) -> Vec<u8> {
        let mut out = Vec::new();
        encode(&insn, jump_off, &mut out);
        out
    }

    fn hex(b: &[u8]) -> String {
        b.iter()
            .map(|x| format!("{x:02x}"))
            .collect::<Vec<_>>()
            .join(" ")
    }

    // Expected bytes are written out by hand from the instruction-set
    // document (and agree with `llvm-objdump -d` of clang-built objects).
    #[test]
    fn encodes_known_instructions() {
        let cases: &[(Insn, i16, &str)] = &[
            (
                Insn::Alu64 {
                    op: AluOp::Mov,
                    dst: Reg::R0,
                    src: Src::Imm(0),
                },
                0,
                "b7 00 00 00 00 00 00 00",
            ),
            (Insn::Exit, 0, "95 00 00 00 00 00 00 00"),
            (
                Insn::Alu64 {
                    op: AluOp::Mov,
                    dst: Reg::R1,
                    src: Src::Reg(Reg::R10),
                },
                0,
                "bf a1 00 00 00 00 00 00",
            ),
            (
                Insn::Alu64 {
                    op: AluOp::Add,
                    dst: Reg::R1,
                    src: Src::Imm(-8),
                },
                0,
                "07 01 00 00 f8 ff ff ff",
            ),
            (
                Insn::Alu32 {
                    op: AluOp::Add,
                    dst: Reg::R2,
                    src: Src::Reg(Reg::R3),
                },
                0,
                "0c 32 00 00 00 00 00 00",
            ),
            (
                Insn::Alu64 {
                    op: AluOp::Neg,
                    dst: Reg::R4,
                    src: Src::Reg(Reg::R5),
                },
                0,
                "87 04 00 00 00 00 00 00",
            ),
            (
                Insn::Alu64 {
                    op: AluOp::Arsh,
                    dst: Reg::R0,
                    src: Src::Imm(56),
                },
                0,
                "c7 00 00 00 38 00 00 00",
            ),
            (
                Insn::Load {
                    size: Size::DW,
                    dst: Reg::R1,
                    base: Reg::R10,
                    off: -16,
                },
                0,
                "79 a1 f0 ff 00 00 00 00",
            ),
            (
                Insn::Load {
                    size: Size::B,
                    dst: Reg::R0,
                    base: Reg::R1,
                    off: 8,
                },
                0,
                "71 10 08 00 00 00 00 00",
            ),
            (
                Insn::Store {
                    size: Size::W,
                    base: Reg::R10,
                    off: -4,
                    src: Src::Imm(7),
                },
                0,
                "62 0a fc ff 07 00 00 00",
            ),
            (
                Insn::Store {
                    size: Size::DW,
                    base: Reg::R10,
                    off: -8,
                    src: Src::Reg(Reg::R0),
                },
                0,
                "7b 0a f8 ff 00 00 00 00",
            ),
            (
                Insn::Store {
                    size: Size::H,
                    base: Reg::R1,
                    off: 2,
                    src: Src::Reg(Reg::R2),
                },
                0,
                "6b 21 02 00 00 00 00 00",
            ),
            (
                Insn::Jump {
                    op: JmpOp::Gt,
                    dst: Reg::R1,
                    src: Src::Imm(5),
                    target: Label::new(0),
                },
                3,
                "25 01 03 00 05 00 00 00",
            ),
            (
                Insn::Jump {
                    op: JmpOp::Sle,
                    dst: Reg::R1,
                    src: Src::Reg(Reg::R2),
                    target: Label::new(0),
                },
                -2,
                "dd 21 fe ff 00 00 00 00",
            ),
            (Insn::Goto(Label::new(0)), -1, "05 00 ff ff 00 00 00 00"),
            (
                Insn::Call(Helper::MapLookupElem),
                0,
                "85 00 00 00 01 00 00 00",
            ),
            (
                Insn::Call(Helper::RingbufOutput),
                0,
                "85 00 00 00 82 00 00 00",
            ),
            (
                Insn::LoadImm64 {
                    dst: Reg::R1,
                    imm: 0x1122_3344_5566_7788,
                },
                0,
                "18 01 00 00 88 77 66 55 00 00 00 00 44 33 22 11",
            ),
            (
                Insn::LoadMapFd {
                    dst: Reg::R1,
                    map: MapId(3),
                },
                0,
                "18 11 00 00 00 00 00 00 00 00 00 00 00 00 00 00",
            ),
        ];
        for (insn, off, want) in cases {
            assert_eq!(hex(&bytes(*insn, *off)), *want, "{insn:?}");
        }
    }

    #[test]
    fn raw_round_trips() {
        let raw = RawInsn::new(0x79, 1, 10, -16, -5);
        assert_eq!(RawInsn::from_bytes(&raw.to_bytes()), raw);
    }
}
