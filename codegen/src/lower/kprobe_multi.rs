//! Wildcard kprobes through kprobe_multi links (Linux 5.18+): one link
//! attaches a program to all its functions at once. The attach points of
//! such a program share one copy of its code, so `func` and `probe` cannot
//! be literals in it: each attach point gets a cookie, its index in a table
//! of names that the runtime fills, and the program looks its names up
//! with `bpf_get_attach_cookie`.

use super::cx::{FnCx, CTX};
use super::{maps, strings, LowerError};
use crate::asm::{Helper, JmpOp, MapId, Reg, Size};
use crate::manifest::KprobeNames;
use rtrace_lang::check::Checked;
use rtrace_lang::probes::{Attach, Mechanism};

/// Whether an attach point may share a kprobe_multi link: a kprobe or
/// kretprobe at a function's entry (the links take no offsets).
pub fn eligible(attach: &Attach) -> bool {
    matches!(
        attach,
        Attach::KernelFunction { target, via: Mechanism::Kprobe } if target.offset == 0
    )
}

/// For each probe, whether its kprobes go through kprobe_multi links:
/// those with at least two eligible attach points (a wildcard, or a list).
pub fn multi_probes(checked: &Checked) -> Vec<bool> {
    checked
        .probes
        .iter()
        .map(|p| p.attaches.iter().filter(|a| eligible(&a.attach)).count() >= 2)
        .collect()
}

/// The table of names the programs of kprobe_multi links read.
pub struct NameTable {
    pub map: MapId,
    pub object_name: String,
    /// Bytes of each entry's probe name (with its NUL); the function name
    /// follows.
    pub probe_size: u32,
    pub func_size: u32,
    /// `(probe, function)` by cookie.
    pub entries: Vec<(String, String)>,
    /// Whether a program reads the table: otherwise it stays empty.
    pub used: bool,
}

impl NameTable {
    pub fn value_size(&self) -> u32 {
        (self.probe_size + self.func_size).next_multiple_of(8)
    }

    /// What the runtime needs to fill the table, when a program reads it.
    pub fn manifest(&self) -> Option<KprobeNames> {
        self.used.then(|| KprobeNames {
            map: self.object_name.clone(),
            value_size: self.value_size(),
            func_offset: self.probe_size,
            entries: self.entries.clone(),
        })
    }
}

/// Which name to read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Name {
    Probe,
    Func,
}

/// Fills `size` bytes at `r10 + off` with the probe's or the function's
/// name of the attach point that fired: zeroes when the table has none.
pub fn emit_name(cx: &mut FnCx, which: Name, off: i16, size: u32) -> Result<(), LowerError> {
    let Some(table) = cx.tables.kprobe_names.as_mut() else {
        return Err(cx.internal("kprobe_multi program without a name table"));
    };
    table.used = true;
    let map = table.map;
    let (from, width) = match which {
        Name::Probe => (0, table.probe_size),
        Name::Func => (table.probe_size, table.func_size),
    };
    strings::zero(cx, off, size);
    let mark = cx.frame.mark();
    let key = cx.alloc(8)?;
    cx.asm.mov(Reg::R1, CTX);
    cx.asm.call(Helper::GetAttachCookie);
    cx.asm.store(Size::W, Reg::R10, key, Reg::R0);
    maps::lookup(cx, map, key);
    let done = cx.asm.label();
    cx.asm.jump(JmpOp::Eq, Reg::R0, 0, done);
    // `copy` loads through r0: the value pointer moves out of its way.
    cx.asm.mov(Reg::R1, Reg::R0);
    strings::copy(cx, Reg::R1, from as i16, off, width.min(size - 1));
    cx.asm.bind(done);
    cx.frame.release(mark);
    Ok(())
}
