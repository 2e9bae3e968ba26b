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
    /// Present when a kprobe_multi program reads `func` or `probe`.
    pub kprobe_names: Option<KprobeNames>,
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
    /// `Some`: a kprobe program for one kprobe_multi link, with each
    /// attach point's cookie (its entry in `Manifest::kprobe_names`).
    pub kprobe_multi: Option<Vec<u64>>,
    /// The program calls `override()` (bpf_override_return), which the
    /// kernel allows only on functions on its error-injection list: the
    /// runtime says so when an attach is refused.
    pub overrides_return: bool,
}

/// The names `func` and `probe` read in kprobe_multi programs: an array
/// map the runtime fills before attaching, one entry per cookie.
#[derive(Clone, Debug)]
pub struct KprobeNames {
    /// The map's object name.
    pub map: String,
    pub value_size: u32,
    /// Where the function name starts in an entry; the probe name is first.
    pub func_offset: u32,
    /// `(probe, function)` by cookie.
    pub entries: Vec<(String, String)>,
}

impl KprobeNames {
    /// The map value of one entry: both names, NUL-padded.
    pub fn value(&self, cookie: usize) -> Vec<u8> {
        let mut value = vec![0u8; self.value_size as usize];
        if let Some((probe, func)) = self.entries.get(cookie) {
            let at = self.func_offset as usize;
            let probe = &probe.as_bytes()[..probe.len().min(at.saturating_sub(1))];
            value[..probe.len()].copy_from_slice(probe);
            let room = value.len() - at - 1;
            let func = &func.as_bytes()[..func.len().min(room)];
            value[at..at + func.len()].copy_from_slice(func);
        }
        value
    }
}

#[cfg(test)]
mod kprobe_names_tests {
    use super::KprobeNames;

    #[test]
    fn entries_hold_both_names_nul_padded() {
        let names = KprobeNames {
            map: "rt_kprobe_names".into(),
            value_size: 32,
            func_offset: 19,
            entries: vec![
                ("kretprobe:vfs_read".into(), "vfs_read".into()),
                ("kprobe:a".into(), "a".into()),
            ],
        };
        let first = names.value(0);
        assert_eq!(&first[..19], b"kretprobe:vfs_read\0");
        assert_eq!(&first[19..28], b"vfs_read\0");
        assert!(first[28..].iter().all(|&b| b == 0));
        let second = names.value(1);
        assert_eq!(&second[..9], b"kprobe:a\0");
        assert_eq!(&second[19..21], b"a\0");
        // A cookie without an entry reads as empty names.
        assert!(names.value(2).iter().all(|&b| b == 0));
    }
}
