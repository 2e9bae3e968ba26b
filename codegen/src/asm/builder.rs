//! The instruction builder: collects typed instructions and labels, then
//! resolves every jump and encodes everything in `finish`.

use super::disasm;
use super::encode::{encode, SLOT_BYTES};
use super::helpers::Helper;
use super::insn::{AluOp, Insn, JmpOp, Label, MapId, Reg, Size, Src};

/// A map reference the object writer turns into an `R_BPF_64_64`
/// relocation: the `LoadMapFd` at `slot` loads `map`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MapReloc {
    pub slot: usize,
    pub map: MapId,
}

/// A finished program: kernel-encoded bytes plus what the loader and the
/// diagnostics need to know about them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Code {
    /// 8 bytes per slot, little-endian, as `BPF_PROG_LOAD` takes them.
    pub bytes: Vec<u8>,
    pub map_relocs: Vec<MapReloc>,
    /// The origin (see `Asm::set_origin`) of each slot, so a verifier
    /// message naming instruction N can point back at the source.
    pub origins: Vec<u32>,
}

impl Code {
    /// The program length in 8-byte slots; verifier logs count in these.
    pub fn slots(&self) -> usize {
        self.bytes.len() / SLOT_BYTES
    }

    /// One `(slot, text)` per instruction; `map_names[id]` names map `id`.
    pub fn lines(&self, map_names: &[&str]) -> Vec<(usize, String)> {
        disasm::lines(&self.bytes, &self.map_relocs, map_names)
    }

    /// Whether the program calls `helper`.
    pub fn calls(&self, helper: Helper) -> bool {
        disasm::calls(&self.bytes, helper)
    }

    /// A readable disassembly, one line per instruction:
    /// `  12: r1 = *(u64 *)(r10 - 16)`. The text is stable; tests pin it.
    pub fn listing(&self, map_names: &[&str]) -> String {
        let mut out = String::new();
        for (slot, text) in self.lines(map_names) {
            out.push_str(&format!("{slot:>4}: {text}\n"));
        }
        out
    }
}

/// Why `Asm::finish` refused a program. These are compiler bugs, not user
/// errors; slots are counted like the verifier counts them.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum AsmError {
    #[error("the jump at instruction {slot} targets label {label}, which is never bound")]
    UnboundLabel { slot: usize, label: Label },
    #[error("label {label} is bound twice")]
    BoundTwice { label: Label },
    #[error("label {label} was made by another builder")]
    ForeignLabel { label: Label },
    #[error("the jump at instruction {slot} targets label {label}, which is bound after the last instruction")]
    PastEnd { slot: usize, label: Label },
    #[error("the jump at instruction {slot} to label {label} spans {offset} instructions; eBPF jumps reach at most 32767")]
    OutOfRange {
        slot: usize,
        label: Label,
        offset: i64,
    },
    #[error("instruction {slot}: {problem}")]
    Invalid { slot: usize, problem: InsnProblem },
}

/// An instruction the verifier would reject whatever surrounds it.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum InsnProblem {
    #[error("r10 is the read-only frame pointer")]
    WritesFramePointer,
    #[error("division by the constant 0")]
    DivisionByZero,
    #[error("shift by {amount} on a {width}-bit value")]
    ShiftTooWide { amount: i32, width: u32 },
}

/// The builder. Labels are plain values; offsets are computed only in
/// `finish`, so no caller ever counts slots by hand.
#[derive(Debug, Default)]
pub struct Asm {
    insns: Vec<Insn>,
    /// The slot each instruction starts at (`ld_imm64` takes two).
    starts: Vec<usize>,
    slots: usize,
    /// The slot each label is bound to.
    labels: Vec<Option<usize>>,
    origin: u32,
    origins: Vec<u32>,
    /// The first misuse seen while building, reported by `finish`, so the
    /// sugar methods need not return `Result`.
    misuse: Option<AsmError>,
}

impl Asm {
    pub fn new() -> Asm {
        Asm::default()
    }

    /// A fresh, unbound label.
    pub fn label(&mut self) -> Label {
        self.labels.push(None);
        Label::new((self.labels.len() - 1) as u32)
    }

    /// Binds `label` to the next instruction pushed.
    pub fn bind(&mut self, label: Label) {
        // Misuse is a bug in the caller; the first one is reported by
        // `finish`.
        let misuse = match self.labels.get_mut(label.index()) {
            Some(slot @ None) => {
                *slot = Some(self.slots);
                return;
            }
            Some(Some(_)) => AsmError::BoundTwice { label },
            None => AsmError::ForeignLabel { label },
        };
        self.misuse.get_or_insert(misuse);
    }

    /// Tags every following instruction with `origin` (an opaque source
    /// position) until the next call.
    pub fn set_origin(&mut self, origin: u32) {
        self.origin = origin;
    }

    pub fn push(&mut self, insn: Insn) {
        self.insns.push(insn);
        self.starts.push(self.slots);
        self.slots += insn.slots();
        self.origins
            .extend(std::iter::repeat_n(self.origin, insn.slots()));
    }

    /// `dst = src` on 64 bits.
    pub fn mov(&mut self, dst: Reg, src: impl Into<Src>) {
        self.alu(AluOp::Mov, dst, src);
    }

    /// `dst = imm`, as one `mov` when the constant fits its sign-extended
    /// 32-bit immediate and as an `ld_imm64` otherwise.
    pub fn mov_imm64(&mut self, dst: Reg, imm: i64) {
        match i32::try_from(imm) {
            Ok(small) => self.mov(dst, small),
            Err(_) => self.push(Insn::LoadImm64 { dst, imm }),
        }
    }

    /// `dst = dst op src` on 64 bits.
    pub fn alu(&mut self, op: AluOp, dst: Reg, src: impl Into<Src>) {
        self.push(Insn::Alu64 {
            op,
            dst,
            src: src.into(),
        });
    }

    /// `dst = dst op src` on 32 bits, zero-extending the result.
    pub fn alu32(&mut self, op: AluOp, dst: Reg, src: impl Into<Src>) {
        self.push(Insn::Alu32 {
            op,
            dst,
            src: src.into(),
        });
    }

    pub fn load(&mut self, size: Size, dst: Reg, base: Reg, off: i16) {
        self.push(Insn::Load {
            size,
            dst,
            base,
            off,
        });
    }

    pub fn store(&mut self, size: Size, base: Reg, off: i16, src: impl Into<Src>) {
        self.push(Insn::Store {
            size,
            base,
            off,
            src: src.into(),
        });
    }

    pub fn jump(&mut self, op: JmpOp, dst: Reg, src: impl Into<Src>, target: Label) {
        self.push(Insn::Jump {
            op,
            dst,
            src: src.into(),
            target,
        });
    }

    pub fn goto(&mut self, target: Label) {
        self.push(Insn::Goto(target));
    }

    pub fn call(&mut self, helper: Helper) {
        self.push(Insn::Call(helper));
    }

    pub fn exit(&mut self) {
        self.push(Insn::Exit);
    }

    pub fn load_map_fd(&mut self, dst: Reg, map: MapId) {
        self.push(Insn::LoadMapFd { dst, map });
    }

    /// The program length so far, in 8-byte slots.
    pub fn len(&self) -> usize {
        self.slots
    }

    pub fn is_empty(&self) -> bool {
        self.slots == 0
    }

    /// Resolves every label and encodes the program.
    pub fn finish(self) -> Result<Code, AsmError> {
        if let Some(misuse) = self.misuse {
            return Err(misuse);
        }
        let mut bytes = Vec::with_capacity(self.slots * SLOT_BYTES);
        let mut map_relocs = Vec::new();
        for (insn, &slot) in self.insns.iter().zip(&self.starts) {
            check(insn).map_err(|problem| AsmError::Invalid { slot, problem })?;
            let jump_off = match insn.target() {
                Some(label) => self.offset(slot, label)?,
                None => 0,
            };
            if let Insn::LoadMapFd { map, .. } = *insn {
                map_relocs.push(MapReloc { slot, map });
            }
            encode(insn, jump_off, &mut bytes);
        }
        Ok(Code {
            bytes,
            map_relocs,
            origins: self.origins,
        })
    }

    /// The offset from the slot after `slot` to `label`.
    fn offset(&self, slot: usize, label: Label) -> Result<i16, AsmError> {
        let target = self
            .labels
            .get(label.index())
            .copied()
            .flatten()
            .ok_or(AsmError::UnboundLabel { slot, label })?;
        if target >= self.slots {
            return Err(AsmError::PastEnd { slot, label });
        }
        let offset = target as i64 - (slot as i64 + 1);
        i16::try_from(offset).map_err(|_| AsmError::OutOfRange {
            slot,
            label,
            offset,
        })
    }
}

/// Catches instructions the verifier rejects on their own, so the bug is
/// reported at the instruction that has it.
fn check(insn: &Insn) -> Result<(), InsnProblem> {
    let (op, dst, src, width) = match *insn {
        Insn::Alu64 { op, dst, src } => (op, dst, src, 64),
        Insn::Alu32 { op, dst, src } => (op, dst, src, 32),
        Insn::Load { dst, .. } | Insn::LoadImm64 { dst, .. } | Insn::LoadMapFd { dst, .. } => {
            return if dst == Reg::R10 {
                Err(InsnProblem::WritesFramePointer)
            } else {
                Ok(())
            };
        }
        _ => return Ok(()),
    };
    if dst == Reg::R10 {
        return Err(InsnProblem::WritesFramePointer);
    }
    match (op, src) {
        (AluOp::Div | AluOp::Mod, Src::Imm(0)) => Err(InsnProblem::DivisionByZero),
        (AluOp::Lsh | AluOp::Rsh | AluOp::Arsh, Src::Imm(amount))
            if amount < 0 || amount as u32 >= width =>
        {
            Err(InsnProblem::ShiftTooWide { amount, width })
        }
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn slot(code: &Code, n: usize) -> &[u8] {
        &code.bytes[n * SLOT_BYTES..(n + 1) * SLOT_BYTES]
    }

    fn jump_off(code: &Code, n: usize) -> i16 {
        let s = slot(code, n);
        i16::from_le_bytes([s[2], s[3]])
    }

    #[test]
    fn minimal_program_encodes() {
        let mut asm = Asm::new();
        asm.mov(Reg::R0, 0);
        asm.exit();
        let code = asm.finish().unwrap();
        assert_eq!(
            code.bytes,
            [0xb7, 0, 0, 0, 0, 0, 0, 0, 0x95, 0, 0, 0, 0, 0, 0, 0]
        );
        assert_eq!(code.slots(), 2);
    }

    #[test]
    fn forward_and_backward_jumps_resolve() {
        let mut asm = Asm::new();
        let (top, out) = (asm.label(), asm.label());
        asm.mov(Reg::R1, 0); // 0
        asm.bind(top);
        asm.alu(AluOp::Add, Reg::R1, 1); // 1
        asm.jump(JmpOp::Gt, Reg::R1, 9, out); // 2 -> 5: +2
        asm.mov(Reg::R2, Reg::R1); // 3
        asm.goto(top); // 4 -> 1: -4
        asm.bind(out);
        asm.mov(Reg::R0, 0); // 5
        asm.exit(); // 6
        let code = asm.finish().unwrap();
        assert_eq!(jump_off(&code, 2), 2);
        assert_eq!(jump_off(&code, 4), -4);
    }

    #[test]
    fn jumps_count_ld_imm64_as_two_slots() {
        let mut asm = Asm::new();
        let (skip, back) = (asm.label(), asm.label());
        asm.bind(back);
        asm.mov(Reg::R0, 0); // 0
        asm.jump(JmpOp::Eq, Reg::R0, 0, skip); // 1 -> 6: +4
        asm.mov_imm64(Reg::R1, 1 << 40); // 2-3
        asm.load_map_fd(Reg::R2, MapId(0)); // 4-5
        asm.bind(skip);
        asm.jump(JmpOp::Ne, Reg::R0, 0, back); // 6 -> 0: -7
        asm.exit(); // 7
        let code = asm.finish().unwrap();
        assert_eq!(code.slots(), 8);
        assert_eq!(jump_off(&code, 1), 4);
        assert_eq!(jump_off(&code, 6), -7);
        assert_eq!(
            code.map_relocs,
            [MapReloc {
                slot: 4,
                map: MapId(0)
            }]
        );
    }

    #[test]
    fn mov_imm64_uses_the_short_form_when_it_can() {
        let mut asm = Asm::new();
        asm.mov_imm64(Reg::R1, -1);
        asm.mov_imm64(Reg::R1, i64::from(i32::MIN));
        assert_eq!(asm.len(), 2);
        asm.mov_imm64(Reg::R1, i64::from(u32::MAX));
        assert_eq!(asm.len(), 4);
    }

    #[test]
    fn origins_follow_every_slot() {
        let mut asm = Asm::new();
        asm.set_origin(7);
        asm.mov(Reg::R0, 0);
        asm.set_origin(42);
        asm.mov_imm64(Reg::R1, 1 << 33);
        asm.exit();
        assert_eq!(asm.finish().unwrap().origins, [7, 42, 42, 42]);
    }

    #[test]
    fn unbound_label_is_an_error() {
        let mut asm = Asm::new();
        let nowhere = asm.label();
        asm.mov(Reg::R0, 0);
        asm.goto(nowhere);
        asm.exit();
        assert_eq!(
            asm.finish(),
            Err(AsmError::UnboundLabel {
                slot: 1,
                label: nowhere
            })
        );
    }

    #[test]
    fn label_bound_twice_is_an_error() {
        let mut asm = Asm::new();
        let l = asm.label();
        asm.bind(l);
        asm.mov(Reg::R0, 0);
        asm.bind(l);
        asm.exit();
        assert_eq!(asm.finish(), Err(AsmError::BoundTwice { label: l }));
    }

    #[test]
    fn label_from_another_builder_is_an_error() {
        let mut other = Asm::new();
        other.label();
        let foreign = other.label();
        let mut asm = Asm::new();
        asm.bind(foreign);
        asm.exit();
        assert_eq!(asm.finish(), Err(AsmError::ForeignLabel { label: foreign }));
    }

    #[test]
    fn label_past_the_end_is_an_error() {
        let mut asm = Asm::new();
        let end = asm.label();
        asm.goto(end);
        asm.bind(end);
        assert_eq!(
            asm.finish(),
            Err(AsmError::PastEnd {
                slot: 0,
                label: end
            })
        );
    }

    #[test]
    fn jump_out_of_range_is_an_error() {
        let mut asm = Asm::new();
        let far = asm.label();
        asm.goto(far);
        for _ in 0..40_000 {
            asm.mov(Reg::R0, 0);
        }
        asm.bind(far);
        asm.exit();
        let err = asm.finish().unwrap_err();
        assert_eq!(
            err,
            AsmError::OutOfRange {
                slot: 0,
                label: far,
                offset: 40_000
            }
        );
        assert_eq!(
            err.to_string(),
            "the jump at instruction 0 to label L0 spans 40000 instructions; eBPF jumps reach at most 32767"
        );
    }

    #[test]
    fn invalid_instructions_are_caught() {
        type Emit = fn(&mut Asm);
        let cases: [(Emit, InsnProblem); 4] = [
            (|a| a.mov(Reg::R10, 0), InsnProblem::WritesFramePointer),
            (
                |a| a.alu(AluOp::Div, Reg::R1, 0),
                InsnProblem::DivisionByZero,
            ),
            (
                |a| a.alu(AluOp::Lsh, Reg::R1, 64),
                InsnProblem::ShiftTooWide {
                    amount: 64,
                    width: 64,
                },
            ),
            (
                |a| a.alu32(AluOp::Arsh, Reg::R1, 32),
                InsnProblem::ShiftTooWide {
                    amount: 32,
                    width: 32,
                },
            ),
        ];
        for (emit, problem) in cases {
            let mut asm = Asm::new();
            asm.mov(Reg::R0, 0);
            emit(&mut asm);
            asm.exit();
            assert_eq!(asm.finish(), Err(AsmError::Invalid { slot: 1, problem }));
        }
    }
}
