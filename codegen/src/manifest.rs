//! The contract between compiler and runtime: which maps exist and how to
//! decode them, what each ring-buffer event means, which program attaches
//! where. The runtime reads nothing else about the compiled program.

use crate::asm::MapId;
use rtrace_lang::check::MapValueType;
use rtrace_lang::probes::Attach;
use rtrace_lang::types::Type;

#[derive(Clone, Debug, Default)]
pub struct Manifest {
    /// User maps, in first-use order.
    pub maps: Vec<MapSpec>,
    /// Indexed by event id (the first 8 bytes of every ring-buffer record).
    pub events: Vec<Event>,
    pub programs: Vec<ProgramSpec>,
    /// Object-level names of the internal maps.
    pub ringbuf_map: String,
    pub counters_map: String,
    /// The stack trace maps of kstack and ustack, one per frame limit.
    pub stack_maps: Vec<StackMapSpec>,
}

/// A `BPF_MAP_TYPE_STACK_TRACE` map holding stacks of up to `limit` frames.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StackMapSpec {
    pub limit: u16,
    pub object_name: String,
}

/// Slots of the per-CPU counters map: problems the kernel side saw and the
/// runtime reports instead of dropping silently.
pub mod counter {
    /// `bpf_ringbuf_output` failed: the consumer fell behind.
    pub const LOST_EVENTS: u32 = 0;
    /// A map update failed because the map was full (`-E2BIG`).
    pub const MAP_FULL: u32 = 1;
    /// A map update failed for another reason: no memory for a new entry
    /// (maps are not preallocated), or the map's bucket was locked by a
    /// probe this one interrupted (`-EBUSY`).
    pub const MAP_UPDATE_FAILED: u32 = 2;
    pub const COUNT: u32 = 3;
}

#[derive(Clone, Debug)]
pub struct MapSpec {
    pub id: MapId,
    /// As the user writes it: `@`, `@bytes`.
    pub name: String,
    /// As the kernel knows it.
    pub object_name: String,
    pub key: KeyLayout,
    pub value: MapValueType,
    pub value_size: u32,
    pub per_cpu: bool,
}

/// How a map key is laid out: one part per `@m[a, b]` key expression.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeyLayout {
    /// `None` for a map used without keys (stored under key 0).
    pub parts: Option<Vec<Part>>,
    pub size: u32,
}

/// A typed field at an offset in a key, value or event record.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Part {
    pub offset: u32,
    pub ty: Type,
}

#[derive(Clone, Debug)]
pub enum Event {
    /// The record holds the arguments after the 8-byte event id.
    Printf {
        format: String,
        args: Vec<Part>,
    },
    /// `print(@map, top, div)`: the runtime reads and prints the map.
    PrintMap {
        map: usize,
        top: u64,
        div: u64,
    },
    /// `print(value)`
    PrintValue {
        value: Part,
    },
    Clear {
        map: usize,
    },
    Zero {
        map: usize,
    },
    Exit,
    /// A process that `ustack` or `usym` saw for the first time: its pid
    /// is the 8 bytes after the id. The runtime keeps its memory map, so
    /// its addresses resolve after it has exited.
    Process,
    /// `time(fmt)`: the local time, formatted when the event arrives.
    Time {
        format: String,
    },
    /// `system(fmt, ...)`: a shell command run when the event arrives.
    System {
        format: String,
        args: Vec<Part>,
    },
    /// `cat(fmt, ...)`: a file printed when the event arrives.
    Cat {
        format: String,
        args: Vec<Part>,
    },
    /// `join(argv, sep)`: `count` strings of `size` bytes each, after the
    /// id, printed joined by `sep` up to the first empty one.
    Join {
        sep: String,
        count: u32,
        size: u32,
    },
}

#[derive(Clone, Debug)]
pub struct ProgramSpec {
    /// The program's symbol in the object.
    pub symbol: String,
    pub section: String,
    pub attach: Vec<Attach>,
    /// Index of the source probe.
    pub probe: usize,
}
