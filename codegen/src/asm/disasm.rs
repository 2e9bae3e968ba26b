//! Turns encoded programs back into text. It reads the bytes, not the typed
//! instructions, so a listing shows exactly what the kernel is given.
//!
//! The syntax follows the kernel verifier log and bpftool, so a listing and a
//! verifier message about the same program read alike.

use std::collections::HashMap;

use super::builder::MapReloc;
use super::encode::{op, RawInsn, SLOT_BYTES};
use super::helpers::Helper;
use super::insn::MapId;

/// One `(slot, text)` per instruction; the second slot of an `ld_imm64`
/// gets no line of its own.
pub(super) fn lines(bytes: &[u8], relocs: &[MapReloc], map_names: &[&str]) -> Vec<(usize, String)> {
    let maps: HashMap<usize, MapId> = relocs.iter().map(|r| (r.slot, r.map)).collect();
    let raws: Vec<RawInsn> = bytes
        .chunks_exact(SLOT_BYTES)
        .map(|c| RawInsn::from_bytes(c.try_into().expect("chunks_exact yields full slots")))
        .collect();
    let mut out = Vec::with_capacity(raws.len());
    let mut slot = 0;
    while slot < raws.len() {
        let raw = raws[slot];
        if raw.code == op::LD | op::IMM | op::DW {
            let high = raws.get(slot + 1).map_or(0, |r| r.imm);
            let text = match maps.get(&slot) {
                Some(&map) => format!("r{} = map[{}] ll", raw.dst, map_name(map, map_names)),
                None => {
                    let value = (u64::from(high as u32) << 32) | u64::from(raw.imm as u32);
                    format!("r{} = {value:#x} ll", raw.dst)
                }
            };
            out.push((slot, text));
            slot += 2;
        } else {
            out.push((slot, one(raw, slot)));
            slot += 1;
        }
    }
    out
}

/// Whether the encoded program calls `helper` (a helper call: source
/// register 0; the second slot of an `ld_imm64` is never read as an
/// instruction).
pub(super) fn calls(bytes: &[u8], helper: Helper) -> bool {
    let mut slots = bytes
        .chunks_exact(SLOT_BYTES)
        .map(|c| RawInsn::from_bytes(c.try_into().expect("chunks_exact yields full slots")));
    while let Some(raw) = slots.next() {
        if raw.code == op::LD | op::IMM | op::DW {
            slots.next();
        } else if raw.code == op::JMP | op::CALL && raw.src == 0 && raw.imm == helper.id() as i32 {
            return true;
        }
    }
    false
}

fn map_name(map: MapId, names: &[&str]) -> String {
    match names.get(map.0 as usize) {
        Some(name) => (*name).to_string(),
        None => format!("#{}", map.0),
    }
}

/// Text for a one-slot instruction at `slot`.
fn one(raw: RawInsn, slot: usize) -> String {
    match raw.code & op::CLASS_MASK {
        op::ALU64 => alu(raw, 'r'),
        op::ALU => alu(raw, 'w'),
        op::LDX if raw.code & op::MODE_MASK == op::MEM => {
            format!(
                "r{} = *({} *)({})",
                raw.dst,
                ctype(raw.code),
                addr(raw.src, raw.off)
            )
        }
        op::STX if raw.code & op::MODE_MASK == op::MEM => {
            format!(
                "*({} *)({}) = r{}",
                ctype(raw.code),
                addr(raw.dst, raw.off),
                raw.src
            )
        }
        op::ST if raw.code & op::MODE_MASK == op::MEM => {
            format!(
                "*({} *)({}) = {}",
                ctype(raw.code),
                addr(raw.dst, raw.off),
                raw.imm
            )
        }
        op::JMP => jmp(raw, slot),
        _ => unknown(raw),
    }
}

fn alu(raw: RawInsn, prefix: char) -> String {
    let dst = format!("{prefix}{}", raw.dst);
    let src = if raw.code & op::X != 0 {
        format!("{prefix}{}", raw.src)
    } else {
        raw.imm.to_string()
    };
    let sym = match raw.code & op::OP_MASK {
        op::NEG => return format!("{dst} = -{dst}"),
        op::MOV => "=",
        op::ADD => "+=",
        op::SUB => "-=",
        op::MUL => "*=",
        op::DIV => "/=",
        op::OR => "|=",
        op::AND => "&=",
        op::LSH => "<<=",
        op::RSH => ">>=",
        op::MOD => "%=",
        op::XOR => "^=",
        op::ARSH => "s>>=",
        _ => return unknown(raw),
    };
    format!("{dst} {sym} {src}")
}

fn jmp(raw: RawInsn, slot: usize) -> String {
    // Where a jump lands, as the verifier log and objdump show it.
    let dest = slot as i64 + 1 + i64::from(raw.off);
    let goto = format!("goto {:+} <{dest}>", raw.off);
    let sym = match raw.code & op::OP_MASK {
        op::JA => return goto,
        op::CALL => {
            let id = raw.imm as u32;
            return match Helper::from_id(id) {
                Some(helper) => format!("call {}#{id}", helper.name()),
                None => format!("call #{id}"),
            };
        }
        op::EXIT => return "exit".to_string(),
        op::JEQ => "==",
        op::JGT => ">",
        op::JGE => ">=",
        op::JSET => "&",
        op::JNE => "!=",
        op::JSGT => "s>",
        op::JSGE => "s>=",
        op::JLT => "<",
        op::JLE => "<=",
        op::JSLT => "s<",
        op::JSLE => "s<=",
        _ => return unknown(raw),
    };
    let src = if raw.code & op::X != 0 {
        format!("r{}", raw.src)
    } else {
        hex(raw.imm)
    };
    format!("if r{} {sym} {src} {goto}", raw.dst)
}

/// Signed hex: jump constants are usually masks and limits.
fn hex(v: i32) -> String {
    if v < 0 {
        format!("-{:#x}", -i64::from(v))
    } else {
        format!("{v:#x}")
    }
}

fn addr(base: u8, off: i16) -> String {
    if off < 0 {
        format!("r{base} - {}", -i32::from(off))
    } else {
        format!("r{base} + {off}")
    }
}

fn ctype(code: u8) -> &'static str {
    match code & op::SIZE_MASK {
        op::B => "u8",
        op::H => "u16",
        op::W => "u32",
        _ => "u64",
    }
}

fn unknown(raw: RawInsn) -> String {
    format!("<unknown opcode {:#04x}>", raw.code)
}

#[cfg(test)]
mod tests {
    use super::super::{AluOp, Asm, Helper, JmpOp, MapId, Reg, Size};

    #[test]
    fn listing_text_is_stable() {
        let mut asm = Asm::new();
        let (miss, top) = (asm.label(), asm.label());
        asm.mov(Reg::R1, Reg::R10);
        asm.alu(AluOp::Add, Reg::R1, -8);
        asm.store(Size::W, Reg::R10, -4, 0);
        asm.store(Size::DW, Reg::R10, -16, Reg::R1);
        asm.load_map_fd(Reg::R1, MapId(0));
        asm.mov(Reg::R2, Reg::R10);
        asm.alu(AluOp::Add, Reg::R2, -4);
        asm.call(Helper::MapLookupElem);
        asm.jump(JmpOp::Eq, Reg::R0, 0, miss);
        asm.bind(top);
        asm.load(Size::DW, Reg::R1, Reg::R10, -16);
        asm.jump(JmpOp::Gt, Reg::R1, 5, miss);
        asm.jump(JmpOp::Sle, Reg::R1, Reg::R2, top);
        asm.jump(JmpOp::Slt, Reg::R1, -1, top);
        asm.alu(AluOp::Arsh, Reg::R1, 3);
        asm.alu(AluOp::Neg, Reg::R1, 0);
        asm.alu32(AluOp::Mov, Reg::R3, Reg::R1);
        asm.load(Size::B, Reg::R4, Reg::R0, 0);
        asm.mov_imm64(Reg::R5, 0x1_0000_0000);
        asm.goto(top);
        asm.bind(miss);
        asm.mov(Reg::R0, 0);
        asm.exit();
        let code = asm.finish().unwrap();
        let want = "   0: r1 = r10
   1: r1 += -8
   2: *(u32 *)(r10 - 4) = 0
   3: *(u64 *)(r10 - 16) = r1
   4: r1 = map[counts] ll
   6: r2 = r10
   7: r2 += -4
   8: call map_lookup_elem#1
   9: if r0 == 0x0 goto +11 <21>
  10: r1 = *(u64 *)(r10 - 16)
  11: if r1 > 0x5 goto +9 <21>
  12: if r1 s<= r2 goto -3 <10>
  13: if r1 s< -0x1 goto -4 <10>
  14: r1 s>>= 3
  15: r1 = -r1
  16: w3 = w1
  17: r4 = *(u8 *)(r0 + 0)
  18: r5 = 0x100000000 ll
  20: goto -11 <10>
  21: r0 = 0
  22: exit
";
        assert_eq!(code.listing(&["counts"]), want);
    }

    #[test]
    fn unnamed_maps_and_unknown_helpers_still_print() {
        let mut code = {
            let mut asm = Asm::new();
            asm.load_map_fd(Reg::R1, MapId(3));
            asm.call(Helper::KtimeGetNs);
            asm.exit();
            asm.finish().unwrap()
        };
        code.bytes[20] = 0xe7; // helper id 999
        code.bytes[21] = 0x03;
        assert_eq!(
            code.listing(&[]),
            "   0: r1 = map[#3] ll\n   2: call #999\n   3: exit\n"
        );
    }
}
