//! The types of rtrace values, decided by the checker before codegen.

use std::collections::HashSet;
use std::fmt;
use std::sync::{Mutex, OnceLock};

/// Default capacity of strings read from memory (`str()`), including the
/// terminating NUL, as in bpftrace.
pub const DEFAULT_STR_SIZE: u32 = 64;
/// `comm` is `TASK_COMM_LEN` bytes.
pub const COMM_SIZE: u32 = 16;
/// `ntop()`: the address family as 8 bytes, then 16 address bytes (an IPv4
/// address in the first 4), the layout bpftrace uses.
pub const INET_SIZE: u32 = 24;
/// `macaddr()`: `ETH_ALEN` bytes.
pub const MAC_SIZE: u32 = 6;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct IntType {
    pub bits: u8,
    pub signed: bool,
}

impl IntType {
    pub const U64: IntType = IntType {
        bits: 64,
        signed: false,
    };
    pub const I64: IntType = IntType {
        bits: 64,
        signed: true,
    };
    pub const U32: IntType = IntType {
        bits: 32,
        signed: false,
    };
    pub const I32: IntType = IntType {
        bits: 32,
        signed: true,
    };

    /// The integer type a cast names: `int8` ... `int64`, `uint8` ...
    /// `uint64`, as in bpftrace.
    pub fn from_name(name: &str) -> Option<IntType> {
        let (signed, bits) = match name.strip_prefix('u') {
            Some(rest) => (false, rest.strip_prefix("int")?),
            None => (true, name.strip_prefix("int")?),
        };
        let bits = match bits {
            "8" => 8,
            "16" => 16,
            "32" => 32,
            "64" => 64,
            _ => return None,
        };
        Some(IntType { bits, signed })
    }
}

/// How a stack prints: bpftrace's indented `func+off` lines, perf's
/// `\tADDR func+off` lines, or bare addresses.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum StackMode {
    Bpftrace,
    Perf,
    Raw,
}

impl StackMode {
    pub fn from_name(name: &str) -> Option<StackMode> {
        match name {
            "bpftrace" => Some(StackMode::Bpftrace),
            "perf" => Some(StackMode::Perf),
            "raw" => Some(StackMode::Raw),
            _ => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            StackMode::Bpftrace => "bpftrace",
            StackMode::Perf => "perf",
            StackMode::Raw => "raw",
        }
    }
}

/// `kstack(mode, limit)` / `ustack(mode, limit)`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct StackType {
    pub user: bool,
    pub mode: StackMode,
    /// At most this many frames are kept.
    pub limit: u16,
}

impl StackType {
    /// bpftrace's default number of frames.
    pub const DEFAULT_LIMIT: u16 = 127;
    /// bpftrace's largest limit.
    pub const MAX_LIMIT: u16 = 1024;
}

/// How a map's value is built and merged.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum AggKind {
    Count,
    Sum,
    Min,
    Max,
    Avg,
    Stats,
    Hist,
    Lhist { min: i64, max: i64, step: i64 },
}

impl AggKind {
    pub fn function(self) -> &'static str {
        match self {
            AggKind::Count => "count",
            AggKind::Sum => "sum",
            AggKind::Min => "min",
            AggKind::Max => "max",
            AggKind::Avg => "avg",
            AggKind::Stats => "stats",
            AggKind::Hist => "hist",
            AggKind::Lhist { .. } => "lhist",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Type {
    /// Statements and calls that produce nothing (`printf`, `exit`).
    Void,
    Int(IntType),
    /// A NUL-terminated string in a buffer of this many bytes.
    Str(u32),
    /// The result of an aggregation function; only assignable to a map.
    Agg(AggKind),
    /// A pointer into kernel or user memory: tracepoint `char *` fields,
    /// BTF-typed arguments, casts such as `(struct path *)arg0`.
    Ptr(PtrType),
    /// A kernel struct, union or array that stays in memory: its address,
    /// from which `.field` and `[i]` read (`$task->signal->rlim` before
    /// the index). It never leaves the probe as a whole.
    Record(MemoryType),
    /// `(1, "abc", pid)`: fixed-size elements, each at an 8-aligned offset.
    Tuple(TupleType),
    /// A stack id (with the pid in the high half for user stacks), turned
    /// into frames by the runtime.
    Stack(StackType),
    /// An address printed as the symbol it falls in: `ksym(addr)` holds
    /// the address, `usym(addr)` the address and the pid.
    Sym {
        user: bool,
    },
    /// `buf(ptr, len)`: a length byte, then up to this many raw bytes.
    Buf(u32),
    /// `strftime(fmt, nsecs)`: the nanoseconds, then the format and its NUL
    /// in a buffer of this many bytes, formatted in user space.
    Timestamp(u32),
    /// `username`: a uid, printed as the user's name.
    Username,
    /// A byte array stored inline in a tracepoint record (`__u8 saddr[4]`),
    /// copied to the stack: what `ntop()` and `macaddr()` read.
    Bytes(u32),
    /// `ntop()`: an address family and address (see `INET_SIZE`), printed
    /// as text in user space.
    Inet,
    /// `macaddr()`: six bytes, printed as `AA:BB:CC:DD:EE:FF`.
    MacAddr,
}

impl Type {
    pub const U64: Type = Type::Int(IntType::U64);
    pub const I64: Type = Type::Int(IntType::I64);

    pub fn is_int(self) -> bool {
        matches!(self, Type::Int(_))
    }

    pub fn is_str(self) -> bool {
        matches!(self, Type::Str(_))
    }

    /// Values that live in a stack buffer rather than a register (see
    /// `buffer_size`).
    pub fn is_buffer(self) -> bool {
        self.buffer_size().is_some()
    }

    /// Values printed as text by `%s`: strings, stacks, symbols,
    /// timestamps, user names and network addresses.
    pub fn is_printable_as_str(self) -> bool {
        matches!(
            self,
            Type::Str(_)
                | Type::Stack(_)
                | Type::Sym { .. }
                | Type::Timestamp(_)
                | Type::Username
                | Type::Inet
                | Type::MacAddr
        )
    }

    /// Bytes this value takes as a map key, map value or event field.
    pub fn size(self) -> u32 {
        match self {
            Type::Void => 0,
            Type::Int(_)
            | Type::Ptr(_)
            | Type::Record(_)
            | Type::Stack(_)
            | Type::Sym { user: false }
            | Type::Username => 8,
            Type::Sym { user: true } => 16,
            Type::Str(n) => n,
            Type::Agg(_) => 0,
            Type::Tuple(t) => t.size(),
            Type::Buf(n) => n + 1,
            Type::Timestamp(n) => 8 + n,
            Type::Bytes(n) => n,
            Type::Inet => INET_SIZE,
            Type::MacAddr => MAC_SIZE,
        }
    }

    /// The size of a value that lives in a stack buffer rather than in a
    /// register: strings, buffers, timestamps, `usym` (address and pid),
    /// byte arrays and network addresses.
    pub fn buffer_size(self) -> Option<u32> {
        match self {
            Type::Str(_)
            | Type::Buf(_)
            | Type::Timestamp(_)
            | Type::Sym { user: true }
            | Type::Bytes(_)
            | Type::Inet
            | Type::MacAddr => Some(self.size()),
            _ => None,
        }
    }

    /// A pointer with nothing known about what it points to.
    pub fn untyped_ptr(user: bool) -> Type {
        Type::Ptr(PtrType::untyped(user))
    }

    /// The tuple type with these elements.
    pub fn tuple(elements: &[Type]) -> Type {
        Type::Tuple(TupleType::intern(elements))
    }
}

/// The element types of a tuple. They are interned (one leaked copy per
/// distinct tuple type, for the life of the process), so that `Type` stays
/// `Copy` and every pass keeps passing types by value; a program has a
/// handful of tuple types, so what is leaked is bounded and small.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct TupleType(&'static [Type]);

impl TupleType {
    fn intern(elements: &[Type]) -> TupleType {
        static INTERNED: OnceLock<Mutex<HashSet<&'static [Type]>>> = OnceLock::new();
        let mut set = INTERNED
            .get_or_init(Default::default)
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Some(&known) = set.get(elements) {
            return TupleType(known);
        }
        let leaked: &'static [Type] = Box::leak(elements.to_vec().into_boxed_slice());
        set.insert(leaked);
        TupleType(leaked)
    }

    pub fn elements(self) -> &'static [Type] {
        self.0
    }

    /// Each element with its byte offset in the tuple. Every element starts
    /// 8-aligned, so integers and nested tuples are aligned loads and
    /// stores, and strings copy with double-word moves.
    pub fn fields(self) -> impl Iterator<Item = (u32, Type)> {
        let mut offset = 0u32;
        self.0.iter().map(move |&t| {
            let at = offset;
            offset += t.size().next_multiple_of(8);
            (at, t)
        })
    }

    pub fn size(self) -> u32 {
        self.0.iter().map(|t| t.size().next_multiple_of(8)).sum()
    }
}

impl fmt::Debug for TupleType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.0).finish()
    }
}

impl fmt::Display for Type {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Type::Void => write!(f, "none"),
            Type::Int(i) => write!(f, "{}int{}", if i.signed { "" } else { "u" }, i.bits),
            Type::Str(n) => write!(f, "string[{n}]"),
            Type::Agg(kind) => write!(f, "{}()", kind.function()),
            Type::Ptr(p) => write!(f, "{p}"),
            Type::Record(m) => write!(f, "{}", m.ty.name()),
            // As bpftrace writes it: `(int64,string[4])`.
            Type::Tuple(t) => {
                let parts: Vec<String> = t.elements().iter().map(Type::to_string).collect();
                write!(f, "({})", parts.join(","))
            }
            Type::Stack(s) => {
                let name = if s.user { "ustack" } else { "kstack" };
                if s.mode == StackMode::Bpftrace && s.limit == StackType::DEFAULT_LIMIT {
                    write!(f, "{name}")
                } else {
                    write!(f, "{name}({}, {})", s.mode.name(), s.limit)
                }
            }
            Type::Sym { user } => write!(f, "{}", if *user { "usym" } else { "ksym" }),
            Type::Buf(n) => write!(f, "buffer[{n}]"),
            Type::Timestamp(_) => write!(f, "timestamp"),
            Type::Username => write!(f, "username"),
            Type::Bytes(n) => write!(f, "uint8[{n}]"),
            Type::Inet => write!(f, "inet"),
            Type::MacAddr => write!(f, "mac_address"),
        }
    }
}

/// A pointer: `depth` stars in front of `target`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct PtrType {
    /// Where it points: the traced process's memory or the kernel's.
    pub user: bool,
    /// 1 for `T *`, 2 for `T **`, ...
    pub depth: u8,
    pub target: Target,
}

impl PtrType {
    pub fn untyped(user: bool) -> PtrType {
        PtrType {
            user,
            depth: 1,
            target: Target::Void,
        }
    }

    /// The type `*p` has when it is a pointer again (`depth > 1`).
    pub fn deref_pointer(self) -> Option<PtrType> {
        (self.depth > 1).then_some(PtrType {
            depth: self.depth - 1,
            ..self
        })
    }
}

/// What a pointer points to, at the end of its stars.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Target {
    /// `void *`, or a pointer nothing is known about (`char *` fields of
    /// tracepoints, which `str()` reads).
    Void,
    Int(IntType),
    /// A type from the kernel's BTF.
    Kernel(KernelType),
}

/// A type of the kernel's BTF: its id, with its C spelling for messages.
/// The spelling is interned like tuple elements, so `Type` stays `Copy`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct KernelType {
    pub id: u32,
    name: &'static str,
}

impl KernelType {
    pub fn new(id: u32, name: &str) -> KernelType {
        KernelType {
            id,
            name: intern_str(name),
        }
    }

    /// How C spells it: `struct task_struct`, `u32[4]`.
    pub fn name(self) -> &'static str {
        self.name
    }
}

/// A kernel type in memory at a known address.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct MemoryType {
    pub ty: KernelType,
    pub user: bool,
}

fn intern_str(text: &str) -> &'static str {
    static INTERNED: OnceLock<Mutex<HashSet<&'static str>>> = OnceLock::new();
    let mut set = INTERNED
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    if let Some(&known) = set.get(text) {
        return known;
    }
    let leaked: &'static str = Box::leak(text.to_string().into_boxed_str());
    set.insert(leaked);
    leaked
}

impl fmt::Display for PtrType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let stars = "*".repeat(self.depth as usize);
        let space = if self.user { "user " } else { "" };
        match self.target {
            Target::Void => write!(f, "{space}void {stars}"),
            Target::Int(i) => write!(f, "{space}{} {stars}", Type::Int(i)),
            Target::Kernel(k) => write!(f, "{space}{} {stars}", k.name()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tuples_are_interned_by_their_elements() {
        let a = Type::tuple(&[Type::I64, Type::Str(4)]);
        let b = Type::tuple(&[Type::I64, Type::Str(4)]);
        assert_eq!(a, b);
        assert_ne!(a, Type::tuple(&[Type::I64, Type::Str(5)]));
        assert_eq!(a.to_string(), "(int64,string[4])");
    }

    #[test]
    fn tuple_elements_are_8_aligned() {
        let inner = Type::tuple(&[Type::Str(3), Type::U64]);
        let Type::Tuple(t) = Type::tuple(&[Type::Str(3), Type::I64, inner]) else {
            unreachable!()
        };
        let offsets: Vec<u32> = t.fields().map(|(at, _)| at).collect();
        assert_eq!(offsets, [0, 8, 16]);
        assert_eq!(t.size(), 32);
        assert_eq!(inner.size(), 16);
    }
}
