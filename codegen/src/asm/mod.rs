//! The bottom of the back end: typed eBPF instructions, a builder with
//! labels, the kernel encoding and a disassembler for listings.
//!
//! Register policy: r0 holds helper results and the program's return
//! value; r1–r5 carry helper arguments and are clobbered by every call;
//! r6–r9 survive calls; r10 is the read-only frame pointer (the stack is
//! below it, see `crate::frame`). Arithmetic is 64-bit unless an `Alu32` is
//! asked for; 32-bit results are zero-extended.

mod builder;
mod disasm;
mod encode;
mod helpers;
mod insn;

pub use builder::{Asm, AsmError, Code, InsnProblem, MapReloc};
pub use encode::SLOT_BYTES;
pub use helpers::Helper;
pub use insn::{AluOp, Insn, JmpOp, Label, MapId, Reg, Size, Src};
