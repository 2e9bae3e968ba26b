//! Ring-buffer events and the per-CPU problem counters.

use super::cx::FnCx;
use super::LowerError;
use crate::asm::{AluOp, Helper, JmpOp, Reg, Size};
use crate::manifest::{counter, Event};
use rtrace_lang::ast::ExprId;

/// The event id of the event a source expression sends, registering it on
/// first use (a probe lowered for several attach points shares its ids).
pub fn event_id(cx: &mut FnCx, origin: ExprId, make: impl FnOnce() -> Event) -> u64 {
    if let Some(&id) = cx.tables.event_ids.get(&origin) {
        return id;
    }
    let id = cx.tables.events.len() as u64;
    cx.tables.events.push(make());
    cx.tables.event_ids.insert(origin, id);
    id
}

/// Sends `size` bytes at `r10 + off` (starting with the 8-byte event id)
/// to user space; a full ring buffer is counted, not ignored.
pub fn output(cx: &mut FnCx, off: i16, size: u32) {
    let ringbuf = cx.tables.ringbuf_map;
    cx.asm.load_map_fd(Reg::R1, ringbuf);
    cx.asm.mov(Reg::R2, Reg::R10);
    cx.asm.alu(AluOp::Add, Reg::R2, off as i32);
    cx.asm.mov(Reg::R3, size as i32);
    cx.asm.mov(Reg::R4, 0);
    cx.asm.call(Helper::RingbufOutput);
    let ok = cx.asm.label();
    cx.asm.jump(JmpOp::Eq, Reg::R0, 0, ok);
    count_problem(cx, counter::LOST_EVENTS);
    cx.asm.bind(ok);
}

/// Sends an event that carries only its id (`exit()`, `clear(@x)`).
pub fn output_id_only(cx: &mut FnCx, id: u64) -> Result<(), LowerError> {
    let off = cx.alloc(8)?;
    cx.asm.store(Size::DW, Reg::R10, off, id as i32);
    output(cx, off, 8);
    Ok(())
}

/// Adds one to a slot of the per-CPU counters map. The key lives in a
/// stack word reserved at program entry, so this never allocates.
/// Counts the failed map update whose error is in `r0`: a full map apart
/// from every other reason, since only the first is the user's to fix.
pub fn count_update_failure(cx: &mut FnCx) {
    let full = cx.asm.label();
    let done = cx.asm.label();
    cx.asm.jump(JmpOp::Eq, Reg::R0, -E2BIG, full);
    count_problem(cx, counter::MAP_UPDATE_FAILED);
    cx.asm.goto(done);
    cx.asm.bind(full);
    count_problem(cx, counter::MAP_FULL);
    cx.asm.bind(done);
}

/// `E2BIG`: what a map update returns when the map has no room left.
const E2BIG: i32 = 7;

pub fn count_problem(cx: &mut FnCx, slot: u32) {
    let key = cx.counter_key;
    let counters = cx.tables.counters_map;
    cx.asm.store(Size::W, Reg::R10, key, slot as i32);
    cx.asm.load_map_fd(Reg::R1, counters);
    cx.asm.mov(Reg::R2, Reg::R10);
    cx.asm.alu(AluOp::Add, Reg::R2, key as i32);
    cx.asm.call(Helper::MapLookupElem);
    let skip = cx.asm.label();
    cx.asm.jump(JmpOp::Eq, Reg::R0, 0, skip);
    cx.asm.load(Size::DW, Reg::R1, Reg::R0, 0);
    cx.asm.alu(AluOp::Add, Reg::R1, 1);
    cx.asm.store(Size::DW, Reg::R0, 0, Reg::R1);
    cx.asm.bind(skip);
}
