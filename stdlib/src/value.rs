//! The neutral value model: what a map or event holds once decoded from the
//! kernel's bytes. Text (and later JSON) renderers in the runtime consume
//! these; nothing here knows how values are printed.

use rtrace_lang::types::StackMode;

/// A scalar or composite value: a map key, a map value, a printf argument.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Value {
    Int(i64),
    UInt(u64),
    Str(String),
    /// Several key parts, as in `@m[pid, comm]`.
    Tuple(Vec<Value>),
    /// `kstack`, `ustack`: frames already symbolized.
    Stack(Stack),
    /// `ksym(addr)`, `usym(addr)`: an address as the symbol it is in.
    Sym(Symbol),
}

/// A stack read from its stack trace map.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Stack {
    /// The value the program stored: the stack id, and the pid in the high
    /// half for user stacks. Keys sort by it, as bpftrace sorts key bytes.
    pub key: u64,
    pub user: bool,
    pub mode: StackMode,
    /// `false` when the kernel had no stack to give (a kernel thread has no
    /// user stack) or the id was not found: the stack prints as nothing.
    pub found: bool,
    /// Innermost first.
    pub frames: Vec<Frame>,
}

/// One return address and what it resolved to.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Frame {
    pub address: u64,
    /// The function, when the address resolved.
    pub function: Option<String>,
    /// From the function's start.
    pub offset: u64,
    /// The binary (user space) the address is in.
    pub module: Option<String>,
}

/// `ksym(addr)`, `usym(addr)` once resolved.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Symbol {
    pub address: u64,
    /// The function, or `0x...` when the address is in none.
    pub text: String,
}

/// The merged (over CPUs) value of one aggregation entry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AggValue {
    Count(u64),
    Sum(i64),
    /// `None` when no CPU recorded a value (cannot happen for entries that
    /// exist, but merging must not invent one).
    Min(Option<i64>),
    Max(Option<i64>),
    Avg {
        count: u64,
        total: i64,
    },
    Stats {
        count: u64,
        total: i64,
    },
    /// Power-of-two buckets: index 0 counts negative values, 1 counts 0,
    /// `i >= 2` counts `[2^(i-2), 2^(i-1))`.
    Hist(Vec<u64>),
    /// Linear buckets: index 0 counts values below `min`, the last index
    /// values at or above `max`, `1 + (v - min) / step` the rest.
    Lhist {
        min: i64,
        max: i64,
        step: i64,
        buckets: Vec<u64>,
    },
}

/// The value side of a map entry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum MapValue {
    Plain(Value),
    Agg(AggValue),
}

/// A whole map read at one moment, entries in kernel iteration order
/// (renderers sort as bpftrace does).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MapSnapshot {
    /// With the `@`, as printed: `@`, `@bytes`.
    pub name: String,
    /// Whether the map is written with keys (`@x[k]`) or is a scalar (`@x`).
    pub keyed: bool,
    pub entries: Vec<(Value, MapValue)>,
}
