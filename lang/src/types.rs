//! The types of rtrace values, decided by the checker before codegen.

use std::fmt;

/// Default capacity of strings read from memory (`str()`), including the
/// terminating NUL, as in bpftrace.
pub const DEFAULT_STR_SIZE: u32 = 64;
/// `comm` is `TASK_COMM_LEN` bytes.
pub const COMM_SIZE: u32 = 16;

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
    /// A pointer into kernel or user memory (tracepoint `char *` fields).
    Ptr {
        user: bool,
    },
    /// `buf(ptr, len)`: a length byte, then up to this many raw bytes.
    Buf(u32),
    /// `strftime(fmt, nsecs)`: the nanoseconds, then the format and its NUL
    /// in a buffer of this many bytes, formatted in user space.
    Timestamp(u32),
    /// `username`: a uid, printed as the user's name.
    Username,
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

    /// Bytes this value takes as a map key, map value or event field.
    pub fn size(self) -> u32 {
        match self {
            Type::Void => 0,
            Type::Int(_) | Type::Ptr { .. } | Type::Username => 8,
            Type::Str(n) => n,
            Type::Agg(_) => 0,
            Type::Buf(n) => n + 1,
            Type::Timestamp(n) => 8 + n,
        }
    }

    /// The size of a value that lives in a stack buffer rather than in a
    /// register: strings, buffers, timestamps.
    pub fn buffer_size(self) -> Option<u32> {
        match self {
            Type::Str(_) | Type::Buf(_) | Type::Timestamp(_) => Some(self.size()),
            _ => None,
        }
    }
}

impl fmt::Display for Type {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Type::Void => write!(f, "none"),
            Type::Int(i) => write!(f, "{}int{}", if i.signed { "" } else { "u" }, i.bits),
            Type::Str(n) => write!(f, "string[{n}]"),
            Type::Agg(kind) => write!(f, "{}()", kind.function()),
            Type::Ptr { user: true } => write!(f, "user pointer"),
            Type::Ptr { user: false } => write!(f, "kernel pointer"),
            Type::Buf(n) => write!(f, "buffer[{n}]"),
            Type::Timestamp(_) => write!(f, "timestamp"),
            Type::Username => write!(f, "username"),
        }
    }
}
