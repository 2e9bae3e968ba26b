//! Lowering: one eBPF program per (probe, attach point), identical programs
//! merged, plus the maps and the manifest the runtime needs.

pub mod builtins;
pub mod cx;
pub mod events;
pub mod expr;
pub mod kprobe_multi;
pub mod maps;
pub mod memory;
pub mod probe_args;
mod stmt;
pub mod strings;
pub mod tuples;

use crate::asm::{AluOp, Code, Helper, JmpOp, MapId, Reg, Size};
use crate::manifest::{counter, Event, Manifest, MapSpec, ProgramSpec, StackMapSpec};
use crate::object::{
    map_type, write_object, MapDef, ObjectError, ProgramSection, BPF_F_NO_PREALLOC,
};
use builtins::BuiltinEmit;
use cx::{FnCx, Operand, CTX};
use rtrace_lang::ast::{ExprId, Program, Span};
use rtrace_lang::check::{Checked, CheckedAttach, MapValueType};
use rtrace_lang::probes::{Attach, Mechanism, ProbeKind};
use rtrace_lang::types::Type;
use std::collections::HashMap;

/// Entries per user map, as bpftrace's default.
pub const MAP_ENTRIES: u32 = 4096;
/// Ring buffer size for printf and other events.
pub const RINGBUF_BYTES: u32 = 1 << 20;

#[derive(Debug, thiserror::Error)]
pub enum LowerError {
    #[error("the program needs {needed} bytes of stack; eBPF allows 512")]
    Stack { span: Span, needed: u32 },
    #[error("internal compiler error: {what}")]
    Internal { span: Span, what: String },
    #[error("cannot assemble the program: {0}")]
    Asm(#[from] crate::asm::AsmError),
    #[error("cannot write the object file: {0}")]
    Object(#[from] ObjectError),
}

impl LowerError {
    pub fn span(&self) -> Option<Span> {
        match self {
            LowerError::Stack { span, .. } | LowerError::Internal { span, .. } => Some(*span),
            _ => None,
        }
    }
}

pub struct LowerOptions<'a> {
    pub params: &'a [String],
    /// CLOCK_MONOTONIC at start-up, subtracted by `elapsed`.
    pub start_ns: u64,
    /// `-p PID`: probes that fire in any task keep only this process's.
    pub pid: Option<u32>,
    /// `-c CMD`: the child's pid, which `cpid` reads.
    pub cpid: Option<u32>,
    /// The kernel has kprobe_multi links: wildcard kprobes are compiled
    /// for them (see `kprobe_multi`).
    pub kprobe_multi: bool,
}

/// Program-wide tables that every program's lowering adds to.
pub struct ProgramTables {
    pub maps: Vec<MapSpec>,
    pub events: Vec<Event>,
    pub event_ids: HashMap<ExprId, u64>,
    pub ringbuf_map: MapId,
    pub counters_map: MapId,
    pub zero_map: MapId,
    /// Stack trace maps by frame limit.
    pub stack_maps: Vec<(u16, MapId)>,
    /// The processes already announced to the runtime (`Event::Process`),
    /// when the program takes user stacks or symbols.
    pub process_map: Option<MapId>,
    /// The names `func` and `probe` read in kprobe_multi programs.
    pub kprobe_names: Option<kprobe_multi::NameTable>,
}

/// The result of compilation: the object that is loaded and how to use it.
pub struct Compiled {
    pub object: Vec<u8>,
    pub manifest: Manifest,
    /// Each program's code, for `-v` listings and verifier-log mapping.
    pub code: Vec<Code>,
    pub map_names: Vec<String>,
}

pub fn lower(
    program: &Program,
    checked: &Checked,
    builtins: &dyn BuiltinEmit,
    options: &LowerOptions,
) -> Result<Compiled, LowerError> {
    let (mut tables, mut map_defs) = plan_maps(checked, builtins);
    let multi_probes = match options.kprobe_multi {
        true => kprobe_multi::multi_probes(checked),
        false => vec![false; checked.probes.len()],
    };
    plan_kprobe_names(checked, &multi_probes, &mut tables, &mut map_defs);
    let mut next_cookie = 0u64;
    let mut programs: Vec<(ProgramSpec, Code)> = Vec::new();
    for (index, (probe, checked_probe)) in program.probes.iter().zip(&checked.probes).enumerate() {
        for attach in &checked_probe.attaches {
            let multi = multi_probes[index] && kprobe_multi::eligible(&attach.attach);
            let mut cx = FnCx::new(
                checked,
                attach,
                &mut tables,
                builtins,
                options.params,
                options.start_ns,
            );
            cx.cpid = options.cpid;
            cx.kprobe_multi = multi;
            emit_program(&mut cx, probe, &checked_probe.vars, options.pid)?;
            let code = cx.asm.finish()?;
            let section = section_for(attach);
            // The cookie is the attach point's entry in the name table,
            // numbered in the order `plan_kprobe_names` listed them.
            let cookie = multi.then(|| {
                next_cookie += 1;
                next_cookie - 1
            });
            // Same code for another attach point of this probe: attach the
            // program we have instead of loading a copy.
            if let Some((spec, _)) = programs.iter_mut().find(|(s, c)| {
                s.probe == index
                    && s.section == section
                    && s.kprobe_multi.is_some() == multi
                    && c.bytes == code.bytes
                    && c.map_relocs == code.map_relocs
            }) {
                spec.attach.push(attach.attach.clone());
                if let (Some(cookies), Some(cookie)) = (&mut spec.kprobe_multi, cookie) {
                    cookies.push(cookie);
                }
                continue;
            }
            let symbol = format!(
                "rt_p{index}_{}",
                programs.iter().filter(|(s, _)| s.probe == index).count()
            );
            programs.push((
                ProgramSpec {
                    symbol,
                    section,
                    attach: vec![attach.attach.clone()],
                    probe: index,
                    kprobe_multi: cookie.map(|c| vec![c]),
                    overrides_return: code.calls(Helper::OverrideReturn),
                },
                code,
            ));
        }
    }
    let zero_size = tables
        .maps
        .iter()
        .map(|m| m.value_size)
        .max()
        .unwrap_or(8)
        .max(8);
    map_defs[tables.zero_map.0 as usize].value_size = zero_size;
    let sections: Vec<ProgramSection> = programs
        .iter()
        .map(|(spec, code)| ProgramSection {
            section: spec.section.clone(),
            name: spec.symbol.clone(),
            code: code.clone(),
        })
        .collect();
    let object = write_object(&sections, &map_defs)?;
    let manifest = Manifest {
        maps: tables.maps,
        events: tables.events,
        programs: programs.iter().map(|(s, _)| s.clone()).collect(),
        ringbuf_map: map_defs[tables.ringbuf_map.0 as usize].name.clone(),
        counters_map: map_defs[tables.counters_map.0 as usize].name.clone(),
        stack_maps: tables
            .stack_maps
            .iter()
            .map(|(limit, id)| StackMapSpec {
                limit: *limit,
                object_name: map_defs[id.0 as usize].name.clone(),
            })
            .collect(),
        kprobe_names: tables.kprobe_names.as_ref().and_then(|t| t.manifest()),
    };
    Ok(Compiled {
        object,
        manifest,
        code: programs.into_iter().map(|(_, c)| c).collect(),
        map_names: map_defs.into_iter().map(|d| d.name).collect(),
    })
}

/// The name table of the kprobe_multi programs: one entry per attach
/// point they attach to, in lowering order.
fn plan_kprobe_names(
    checked: &Checked,
    multi_probes: &[bool],
    tables: &mut ProgramTables,
    map_defs: &mut Vec<MapDef>,
) {
    let mut entries = Vec::new();
    for (checked_probe, _) in checked.probes.iter().zip(multi_probes).filter(|(_, m)| **m) {
        for attach in &checked_probe.attaches {
            if let (true, Some(function)) = (
                kprobe_multi::eligible(&attach.attach),
                attach.attach.function(),
            ) {
                entries.push((attach.attach.name(), function.to_string()));
            }
        }
    }
    if entries.is_empty() {
        return;
    }
    let longest = |f: fn(&(String, String)) -> usize| entries.iter().map(f).max().unwrap_or(0);
    let mut table = kprobe_multi::NameTable {
        map: MapId(map_defs.len() as u32),
        object_name: "rt_kprobe_names".into(),
        probe_size: longest(|e| e.0.len()) as u32 + 1,
        func_size: longest(|e| e.1.len()) as u32 + 1,
        entries,
        used: false,
    };
    map_defs.push(MapDef {
        name: table.object_name.clone(),
        map_type: map_type::ARRAY,
        key_size: 4,
        value_size: table.value_size(),
        max_entries: table.entries.len() as u32,
        flags: 0,
    });
    table.map = MapId(map_defs.len() as u32 - 1);
    tables.kprobe_names = Some(table);
}

fn section_for(attach: &CheckedAttach) -> String {
    match &attach.attach {
        // BEGIN and END run through BPF_PROG_TEST_RUN, which raw
        // tracepoint programs support without being attached anywhere.
        Attach::Begin => "raw_tp/rtrace_begin".into(),
        Attach::End => "raw_tp/rtrace_end".into(),
        Attach::Tracepoint { category, event } => format!("tracepoint/{category}/{event}"),
        Attach::KernelFunction { target, via } => match (via, target.at_return()) {
            (Mechanism::Kprobe, false) => "kprobe".into(),
            (Mechanism::Kprobe, true) => "kretprobe".into(),
            // A trampoline program is loaded for one function: the name
            // keeps programs of different functions apart.
            (Mechanism::Trampoline { .. }, false) => format!("fentry/{}", target.function),
            (Mechanism::Trampoline { .. }, true) => format!("fexit/{}", target.function),
        },
        Attach::Timer { .. } | Attach::PerfEvent { .. } => "perf_event".into(),
        Attach::Uprobe { ret: false, .. } | Attach::Usdt { .. } => "uprobe".into(),
        Attach::Uprobe { ret: true, .. } => "uretprobe".into(),
        Attach::RawTracepoint { name } => format!("raw_tp/{name}"),
    }
}

/// Whether `-p PID` needs a check in the program: probes that fire in
/// any task do. BEGIN and END run in rtrace itself; interval fires on one
/// CPU in whatever task runs there, so a filter would silence it (as
/// bpftrace decided); user-space probes are attached to the process alone.
fn needs_pid_check(kind: ProbeKind) -> bool {
    !matches!(
        kind,
        ProbeKind::Begin
            | ProbeKind::End
            | ProbeKind::Interval
            | ProbeKind::Uprobe
            | ProbeKind::Uretprobe
            | ProbeKind::Usdt
    )
}

/// Kernel-safe map names: letters, digits and `_`, at most 15 bytes.
fn object_map_name(index: usize, name: &str) -> String {
    let clean: String = name
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '_')
        .take(8)
        .collect();
    format!("m{index}_{clean}")
}

fn plan_maps(checked: &Checked, builtins: &dyn BuiltinEmit) -> (ProgramTables, Vec<MapDef>) {
    let mut defs = Vec::new();
    let mut maps = Vec::new();
    for (index, info) in checked.maps.values().enumerate() {
        let key = maps::key_layout(&info.keys);
        let (value_size, per_cpu) = match info.value {
            MapValueType::Agg(kind) => (builtins.agg_value_size(kind), true),
            MapValueType::Plain(t) => (t.size().next_multiple_of(8), false),
        };
        let object_name = object_map_name(index, &info.name);
        defs.push(MapDef {
            name: object_name.clone(),
            map_type: if per_cpu {
                map_type::PERCPU_HASH
            } else {
                map_type::HASH
            },
            key_size: key.size,
            value_size,
            max_entries: MAP_ENTRIES,
            flags: BPF_F_NO_PREALLOC,
        });
        maps.push(MapSpec {
            id: MapId(index as u32),
            name: info.display_name(),
            object_name,
            key,
            value: info.value,
            value_size,
            per_cpu,
        });
    }
    let mut internal = |name: &str, map_type, key_size, value_size, max_entries| {
        defs.push(MapDef {
            name: name.into(),
            map_type,
            key_size,
            value_size,
            max_entries,
            flags: 0,
        });
        MapId(defs.len() as u32 - 1)
    };
    let ringbuf_map = internal("rt_events", map_type::RINGBUF, 0, 0, RINGBUF_BYTES);
    let counters_map = internal("rt_counters", map_type::PERCPU_ARRAY, 4, 8, counter::COUNT);
    let zero_map = internal("rt_zero", map_type::ARRAY, 4, 8, 1);
    // One stack trace map per frame limit: the kernel keeps at most
    // value_size / 8 frames of each stack.
    let mut limits: Vec<u16> = checked
        .types
        .iter()
        .filter_map(|t| match t {
            Type::Stack(s) => Some(s.limit),
            _ => None,
        })
        .collect();
    limits.sort_unstable();
    limits.dedup();
    let stack_maps = limits
        .into_iter()
        .map(|limit| {
            let name = format!("rt_stack_{limit}");
            let id = internal(
                &name,
                map_type::STACK_TRACE,
                4,
                u32::from(limit) * 8,
                MAP_ENTRIES,
            );
            (limit, id)
        })
        .collect();
    let user_symbols = checked.types.iter().any(|t| {
        matches!(
            t,
            Type::Stack(rtrace_lang::types::StackType { user: true, .. })
                | Type::Sym { user: true }
        )
    });
    // Least recently used entries go first: a process forgotten there is
    // announced again, which costs one event.
    let process_map =
        user_symbols.then(|| internal("rt_procs", map_type::LRU_HASH, 8, 8, MAP_ENTRIES));
    let tables = ProgramTables {
        maps,
        events: Vec::new(),
        event_ids: HashMap::new(),
        ringbuf_map,
        counters_map,
        zero_map,
        stack_maps,
        process_map,
        kprobe_names: None,
    };
    (tables, defs)
}

fn emit_program(
    cx: &mut FnCx,
    probe: &rtrace_lang::ast::Probe,
    vars: &indexmap::IndexMap<String, Type>,
    pid: Option<u32>,
) -> Result<(), LowerError> {
    cx.span = probe.span;
    cx.asm.set_origin(probe.span.start);
    cx.asm.mov(CTX, Reg::R1);
    let exit = cx.return_label;
    if let Some(pid) = pid.filter(|_| needs_pid_check(cx.attach.attach.kind())) {
        cx.asm.call(Helper::GetCurrentPidTgid);
        cx.asm.alu(AluOp::Rsh, Reg::R0, 32);
        cx.asm.jump(JmpOp::Ne, Reg::R0, pid as i32, exit);
    }
    cx.counter_key = cx.alloc(8)?;
    // Scratch variables start zeroed, so one assigned on only one branch
    // reads as zero (and the verifier sees initialised stack).
    for (name, ty) in vars {
        let slot = match ty {
            t if t.is_buffer() => {
                let size = t.size();
                let off = cx.alloc(size)?;
                strings::zero(cx, off, size);
                Operand::Buf { off, size }
            }
            Type::Tuple(tuple) => {
                let size = tuple.size();
                let off = cx.alloc(size)?;
                strings::zero(cx, off, size);
                Operand::Buf { off, size }
            }
            _ => {
                let off = cx.alloc(8)?;
                cx.asm.store(Size::DW, Reg::R10, off, 0);
                Operand::Slot(off)
            }
        };
        cx.vars.insert(name.clone(), slot);
    }
    if let Some(predicate) = &probe.predicate {
        let mark = cx.frame.mark();
        expr::branch_if_zero(cx, predicate, exit)?;
        cx.frame.release(mark);
    }
    stmt::block(cx, &probe.body)?;
    cx.asm.bind(exit);
    cx.asm.mov(Reg::R0, 0);
    cx.asm.exit();
    Ok(())
}
