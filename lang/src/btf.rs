//! A reader for the kernel's BPF Type Format (`/sys/kernel/btf/vmlinux`):
//! just enough to find a kernel function's prototype and type its
//! parameters and return value, for fentry/fexit `args.NAME` and `retval`
//! and for `rtrace -lv`.
//!
//! One pass over the type section records where each type starts and
//! where each function is; a prototype is decoded only when asked for.
//! The format is described in the kernel's Documentation/bpf/btf.rst.

use crate::types::IntType;
use std::collections::HashMap;

mod modules;
mod navigate;
pub use navigate::{Member, NameSpace, Shape};

const MAGIC: u16 = 0xeb9f;
const HEADER_LEN: usize = 24;
/// Guards against reference cycles in corrupt data.
const MAX_CHAIN: usize = 32;

pub mod kind {
    pub const INT: u32 = 1;
    pub const PTR: u32 = 2;
    pub const ARRAY: u32 = 3;
    pub const STRUCT: u32 = 4;
    pub const UNION: u32 = 5;
    pub const ENUM: u32 = 6;
    pub const FWD: u32 = 7;
    pub const TYPEDEF: u32 = 8;
    pub const VOLATILE: u32 = 9;
    pub const CONST: u32 = 10;
    pub const RESTRICT: u32 = 11;
    pub const FUNC: u32 = 12;
    pub const FUNC_PROTO: u32 = 13;
    pub const VAR: u32 = 14;
    pub const DATASEC: u32 = 15;
    pub const FLOAT: u32 = 16;
    pub const DECL_TAG: u32 = 17;
    pub const TYPE_TAG: u32 = 18;
    pub const ENUM64: u32 = 19;
}

/// Parsed BTF: the raw bytes plus an index of types and functions.
pub struct Btf {
    data: Vec<u8>,
    strings: std::ops::Range<usize>,
    /// Byte offset of type `id` at index `id - 1`.
    offsets: Vec<u32>,
    functions: HashMap<String, u32>,
    /// Whether the kernel was built with type tags: only then does a
    /// pointer without `__user` point into kernel memory for sure.
    has_type_tags: bool,
    /// Type names and enum constants looked up so far.
    lookups: std::sync::Mutex<navigate::Lookups>,
    /// Where the modules' BTF files are (`/sys/kernel/btf`), when this is
    /// the running kernel's vmlinux BTF.
    module_dir: Option<std::path::PathBuf>,
    /// The modules' types, read the first time vmlinux lacks a name.
    modules: std::sync::OnceLock<modules::Modules>,
}

/// A kernel function's prototype.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Prototype {
    pub params: Vec<Param>,
    /// `None` for `void`.
    pub ret: Option<CType>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Param {
    pub name: String,
    pub ty: CType,
}

/// A C type as far as tracing needs it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CType {
    /// How C spells it: `const char __user *`.
    pub text: String,
    pub size: u32,
    pub value: Value,
    /// For a pointer, what it points to (in kernel memory unless tagged
    /// `__user`).
    pub pointer: Option<crate::types::PtrType>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Value {
    Int(IntType),
    /// `user` is `None` when the kernel's BTF carries no address-space
    /// tags, so a pointer may point to user or kernel memory.
    Pointer {
        user: Option<bool>,
        /// The BTF id of the pointed-to type (0 for `void`).
        pointee: u32,
    },
    /// Structs, unions, arrays and floats passed by value.
    Other,
}

struct Raw {
    name_off: u32,
    kind: u32,
    vlen: u32,
    kind_flag: bool,
    size_or_type: u32,
    /// Offset of the kind-specific data that follows the common part.
    extra: usize,
}

impl Btf {
    pub fn parse(data: Vec<u8>) -> Result<Btf, String> {
        let u16_at = |at: usize| {
            data.get(at..at + 2)
                .map(|b| u16::from_le_bytes([b[0], b[1]]))
        };
        let u32_at = |at: usize| {
            data.get(at..at + 4)
                .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
        };
        if u16_at(0) != Some(MAGIC) {
            return Err("not BTF data (bad magic number)".into());
        }
        let field = |at: usize| u32_at(at).map(|v| v as usize).ok_or("truncated BTF header");
        let header_len = field(4)?.max(HEADER_LEN);
        let (type_off, type_len) = (field(8)?, field(12)?);
        let (str_off, str_len) = (field(16)?, field(20)?);
        let types = header_len + type_off..header_len + type_off + type_len;
        let strings = header_len + str_off..header_len + str_off + str_len;
        if types.end > data.len() || strings.end > data.len() {
            return Err("truncated BTF data".into());
        }
        let mut btf = Btf {
            data,
            strings,
            offsets: Vec::new(),
            functions: HashMap::new(),
            has_type_tags: false,
            lookups: Default::default(),
            module_dir: None,
            modules: Default::default(),
        };
        let mut at = types.start;
        while at < types.end {
            let raw = btf.raw_at(at).ok_or("truncated BTF type")?;
            btf.offsets.push(at as u32);
            let id = btf.offsets.len() as u32;
            match raw.kind {
                kind::FUNC => {
                    let name = btf.string(raw.name_off).to_string();
                    btf.functions.entry(name).or_insert(id);
                }
                kind::TYPE_TAG => btf.has_type_tags = true,
                _ => {}
            }
            at = raw.extra + extra_len(&raw)?;
        }
        Ok(btf)
    }

    /// Also finds the types of the kernel modules whose split BTF files
    /// are in `dir` (`/sys/kernel/btf`), once vmlinux lacks a name.
    pub fn with_modules(mut self, dir: impl Into<std::path::PathBuf>) -> Btf {
        self.module_dir = Some(dir.into());
        self
    }

    /// Positions from `data.len()` on are in the modules' type records.
    fn u32_at(&self, at: usize) -> Option<u32> {
        let bytes = match at.checked_sub(self.data.len()) {
            None => self.data.get(at..at + 4)?,
            Some(at) => self.loaded_modules()?.types.get(at..at + 4)?,
        };
        Some(u32::from_le_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]))
    }

    fn raw_at(&self, at: usize) -> Option<Raw> {
        let info = self.u32_at(at + 4)?;
        Some(Raw {
            name_off: self.u32_at(at)?,
            kind: (info >> 24) & 0x1f,
            vlen: info & 0xffff,
            kind_flag: info >> 31 == 1,
            size_or_type: self.u32_at(at + 8)?,
            extra: at + 12,
        })
    }

    fn raw(&self, id: u32) -> Option<Raw> {
        if let Some(index) = id.checked_sub(self.first_module_id()) {
            let at = *self.loaded_modules()?.offsets.get(index as usize)?;
            return self.raw_at(self.data.len() + at as usize);
        }
        let at = *self.offsets.get((id as usize).checked_sub(1)?)?;
        self.raw_at(at as usize)
    }

    fn string(&self, offset: u32) -> &str {
        let bytes = match (offset as usize).checked_sub(self.strings.len()) {
            None => {
                let start = self.strings.start + offset as usize;
                self.data.get(start..self.strings.end).unwrap_or_default()
            }
            Some(at) => self
                .loaded_modules()
                .and_then(|m| m.strings.get(at..))
                .unwrap_or_default(),
        };
        let end = bytes.iter().position(|&b| b == 0).unwrap_or(bytes.len());
        std::str::from_utf8(&bytes[..end]).unwrap_or("")
    }

    /// Names of every function the BTF describes.
    pub fn function_names(&self) -> impl Iterator<Item = &str> {
        self.functions.keys().map(String::as_str)
    }

    /// A kernel function's BTF type id (what an fentry program is loaded
    /// for) and prototype; `None` when BTF does not describe it.
    pub fn function(&self, name: &str) -> Option<(u32, Prototype)> {
        let id = *self.functions.get(name)?;
        Some((id, self.prototype_of(id)?))
    }

    /// The arguments of a raw tracepoint. The kernel's `__bpf_trace_NAME`
    /// stub has them with their names; failing that, the unnamed
    /// `btf_trace_NAME` typedef has their types. Either way the first
    /// parameter is the tracepoint's private data, not an argument.
    pub fn raw_tracepoint(&self, name: &str) -> Option<Prototype> {
        let stub = format!("__bpf_trace_{name}");
        let stub = self
            .functions
            .get(&stub)
            .copied()
            .or_else(|| self.module_function(&stub));
        let mut proto = match stub.and_then(|id| self.prototype_of(id)) {
            Some(proto) => proto,
            None => {
                let typedef = self.named_type(NameSpace::Ordinary, &format!("btf_trace_{name}"))?;
                let Shape::Pointer { pointee } = self.shape(typedef) else {
                    return None;
                };
                self.prototype(pointee)?
            }
        };
        if proto.params.is_empty() {
            return None;
        }
        proto.params.remove(0);
        for (i, param) in proto.params.iter_mut().enumerate() {
            if param.name.starts_with("arg") && param.name[3..].parse::<usize>().is_ok() {
                param.name = format!("arg{i}");
            }
        }
        Some(proto)
    }

    fn prototype_of(&self, func_id: u32) -> Option<Prototype> {
        self.prototype(self.raw(func_id)?.size_or_type)
    }

    fn prototype(&self, proto_id: u32) -> Option<Prototype> {
        let proto = self.raw(proto_id)?;
        if proto.kind != kind::FUNC_PROTO {
            return None;
        }
        let mut params = Vec::new();
        for i in 0..proto.vlen as usize {
            let at = proto.extra + i * 8;
            let (name_off, type_id) = (self.u32_at(at)?, self.u32_at(at + 4)?);
            // A trailing parameter of type 0 marks a variadic function.
            if type_id == 0 {
                break;
            }
            let name = match self.string(name_off) {
                "" => format!("arg{i}"),
                name => name.to_string(),
            };
            params.push(Param {
                name,
                ty: self.c_type(type_id),
            });
        }
        let ret = (proto.size_or_type != 0).then(|| self.c_type(proto.size_or_type));
        Some(Prototype { params, ret })
    }

    fn c_type(&self, id: u32) -> CType {
        let value = self.value_of(id, 0);
        let pointer = match value {
            Value::Pointer { user, pointee } => {
                Some(self.pointer_type(pointee, user == Some(true)))
            }
            _ => None,
        };
        CType {
            text: self.spell(id, 0),
            size: self.size_of(id, 0),
            value,
            pointer,
        }
    }

    /// Follows typedefs and qualifiers to the type that decides the value.
    fn resolve(&self, mut id: u32) -> Option<Raw> {
        for _ in 0..MAX_CHAIN {
            let raw = self.raw(id)?;
            match raw.kind {
                kind::TYPEDEF | kind::VOLATILE | kind::CONST | kind::RESTRICT | kind::TYPE_TAG => {
                    id = raw.size_or_type
                }
                _ => return Some(raw),
            }
        }
        None
    }

    fn value_of(&self, id: u32, depth: usize) -> Value {
        let Some(raw) = self.resolve(id) else {
            return Value::Other;
        };
        match raw.kind {
            kind::INT => {
                let encoding = self.u32_at(raw.extra).unwrap_or(0);
                let signed = (encoding >> 24) & 1 == 1;
                match raw.size_or_type {
                    size @ (1 | 2 | 4 | 8) => Value::Int(IntType {
                        bits: (size * 8) as u8,
                        signed,
                    }),
                    _ => Value::Other,
                }
            }
            kind::ENUM | kind::ENUM64 => match raw.size_or_type {
                size @ (1 | 2 | 4 | 8) => Value::Int(IntType {
                    bits: (size * 8) as u8,
                    signed: raw.kind_flag,
                }),
                _ => Value::Other,
            },
            kind::PTR => Value::Pointer {
                user: self
                    .has_type_tags
                    .then(|| depth < MAX_CHAIN && self.has_user_tag(raw.size_or_type)),
                pointee: raw.size_or_type,
            },
            _ => Value::Other,
        }
    }

    /// Whether the pointee carries the `user` type tag (`char __user *`).
    fn has_user_tag(&self, mut id: u32) -> bool {
        for _ in 0..MAX_CHAIN {
            match self.raw(id) {
                Some(raw) if raw.kind == kind::TYPE_TAG => {
                    if self.string(raw.name_off) == "user" {
                        return true;
                    }
                    id = raw.size_or_type;
                }
                Some(raw) if matches!(raw.kind, kind::CONST | kind::VOLATILE | kind::RESTRICT) => {
                    id = raw.size_or_type
                }
                _ => return false,
            }
        }
        false
    }

    fn size_of(&self, id: u32, depth: usize) -> u32 {
        if depth > MAX_CHAIN {
            return 0;
        }
        let Some(raw) = self.resolve(id) else {
            return 0;
        };
        match raw.kind {
            kind::INT | kind::ENUM | kind::ENUM64 | kind::STRUCT | kind::UNION | kind::FLOAT => {
                raw.size_or_type
            }
            kind::PTR => 8,
            kind::ARRAY => {
                let elem = self.u32_at(raw.extra).unwrap_or(0);
                let count = self.u32_at(raw.extra + 8).unwrap_or(0);
                self.size_of(elem, depth + 1).saturating_mul(count)
            }
            _ => 0,
        }
    }

    /// The C spelling of a type, as `-lv` shows it.
    fn spell(&self, id: u32, depth: usize) -> String {
        if id == 0 {
            return "void".into();
        }
        let Some(raw) = self.raw(id).filter(|_| depth < MAX_CHAIN) else {
            return "?".into();
        };
        let name = self.string(raw.name_off);
        let inner = || self.spell(raw.size_or_type, depth + 1);
        match raw.kind {
            kind::INT | kind::FLOAT | kind::TYPEDEF => name.to_string(),
            kind::STRUCT => format!("struct {name}"),
            kind::UNION => format!("union {name}"),
            kind::ENUM | kind::ENUM64 => format!("enum {name}"),
            kind::FWD if raw.kind_flag => format!("union {name}"),
            kind::FWD => format!("struct {name}"),
            kind::CONST => format!("const {}", inner()),
            kind::VOLATILE => format!("volatile {}", inner()),
            kind::RESTRICT => inner(),
            kind::TYPE_TAG => format!("{} __{name}", inner()),
            kind::PTR => {
                let pointee = self.raw(raw.size_or_type).map(|r| r.kind);
                if pointee == Some(kind::FUNC_PROTO) {
                    return "void (*)()".into();
                }
                let text = inner();
                if text.ends_with('*') {
                    format!("{text}*")
                } else {
                    format!("{text} *")
                }
            }
            kind::ARRAY => {
                let elem = self.u32_at(raw.extra).unwrap_or(0);
                let count = self.u32_at(raw.extra + 8).unwrap_or(0);
                format!("{}[{count}]", self.spell(elem, depth + 1))
            }
            _ => "?".into(),
        }
    }
}

/// Bytes of kind-specific data after a type's common 12 bytes.
fn extra_len(raw: &Raw) -> Result<usize, String> {
    let vlen = raw.vlen as usize;
    Ok(match raw.kind {
        kind::INT | kind::VAR | kind::DECL_TAG => 4,
        kind::PTR
        | kind::FWD
        | kind::TYPEDEF
        | kind::VOLATILE
        | kind::CONST
        | kind::RESTRICT
        | kind::FUNC
        | kind::FLOAT
        | kind::TYPE_TAG => 0,
        kind::ARRAY => 12,
        kind::STRUCT | kind::UNION | kind::DATASEC | kind::ENUM64 => 12 * vlen,
        kind::ENUM | kind::FUNC_PROTO => 8 * vlen,
        other => return Err(format!("unknown BTF type kind {other}")),
    })
}

/// Builds BTF data by hand, for tests (here and in the golden tests,
/// which compile kernel-type accesses without a kernel).
#[doc(hidden)]
pub mod build {
    use super::*;

    #[derive(Default)]
    pub struct Builder {
        types: Vec<u8>,
        strings: Vec<u8>,
        next_id: u32,
        /// For split BTF, the base's string section's length.
        first_string: u32,
    }

    impl Builder {
        pub fn new() -> Builder {
            Builder {
                strings: vec![0],
                next_id: 1,
                ..Default::default()
            }
        }

        /// Split BTF on top of `base`, as a kernel module's is: ids and
        /// string offsets continue after the base's.
        pub fn split(base: &Btf) -> Builder {
            Builder {
                strings: vec![0],
                next_id: base.first_module_id(),
                first_string: base.strings.len() as u32,
                ..Default::default()
            }
        }

        pub fn string(&mut self, s: &str) -> u32 {
            if s.is_empty() {
                return 0;
            }
            let at = self.first_string + self.strings.len() as u32;
            self.strings.extend_from_slice(s.as_bytes());
            self.strings.push(0);
            at
        }

        /// Adds a type; returns its id.
        pub fn add(
            &mut self,
            name: &str,
            kind: u32,
            vlen: u32,
            flag: bool,
            size_or_type: u32,
            extra: &[u32],
        ) -> u32 {
            let name_off = self.string(name);
            let info = (kind << 24) | vlen | if flag { 1 << 31 } else { 0 };
            for word in [name_off, info, size_or_type].iter().chain(extra) {
                self.types.extend_from_slice(&word.to_le_bytes());
            }
            self.next_id += 1;
            self.next_id - 1
        }

        pub fn int(&mut self, name: &str, size: u32, signed: bool) -> u32 {
            let encoding = if signed { 1 << 24 } else { 0 };
            self.add(name, kind::INT, 0, false, size, &[encoding | (size * 8)])
        }

        pub fn finish(self) -> Vec<u8> {
            let mut data = Vec::new();
            data.extend_from_slice(&MAGIC.to_le_bytes());
            data.extend_from_slice(&[1, 0]);
            for word in [
                HEADER_LEN as u32,
                0,
                self.types.len() as u32,
                self.types.len() as u32,
                self.strings.len() as u32,
            ] {
                data.extend_from_slice(&word.to_le_bytes());
            }
            data.extend_from_slice(&self.types);
            data.extend_from_slice(&self.strings);
            data
        }
    }

    pub use super::kind;
}

#[cfg(test)]
mod tests {
    use super::build::{kind, Builder};
    use super::*;

    /// `long do_sys_openat2(int dfd, const char __user *filename, struct open_how *how)`
    fn openat2(with_tags: bool) -> Vec<u8> {
        let mut b = Builder::new();
        let int = b.int("int", 4, true);
        let long = b.int("long", 8, true);
        let char_ = b.int("char", 1, true);
        let const_char = b.add("", kind::CONST, 0, false, char_, &[]);
        let pointee = if with_tags {
            b.add("user", kind::TYPE_TAG, 0, false, const_char, &[])
        } else {
            const_char
        };
        let char_ptr = b.add("", kind::PTR, 0, false, pointee, &[]);
        let how = b.add("open_how", kind::STRUCT, 0, false, 24, &[]);
        let how_ptr = b.add("", kind::PTR, 0, false, how, &[]);
        let (dfd, filename, how_name) = (b.string("dfd"), b.string("filename"), b.string("how"));
        let proto = b.add(
            "",
            kind::FUNC_PROTO,
            3,
            false,
            long,
            &[dfd, int, filename, char_ptr, how_name, how_ptr],
        );
        b.add("do_sys_openat2", kind::FUNC, 1, false, proto, &[]);
        b.finish()
    }

    #[test]
    fn prototype_with_type_tags() {
        let btf = Btf::parse(openat2(true)).unwrap();
        let (id, proto) = btf.function("do_sys_openat2").unwrap();
        assert_eq!(id, 10);
        let names: Vec<_> = proto.params.iter().map(|p| p.name.as_str()).collect();
        assert_eq!(names, ["dfd", "filename", "how"]);
        assert_eq!(proto.params[0].ty.value, Value::Int(IntType::I32));
        assert_eq!(proto.params[1].ty.text, "const char __user *");
        assert_eq!(
            proto.params[1].ty.value,
            Value::Pointer {
                user: Some(true),
                pointee: 5
            }
        );
        assert_eq!(proto.params[2].ty.text, "struct open_how *");
        assert_eq!(
            proto.params[2].ty.value,
            Value::Pointer {
                user: Some(false),
                pointee: 7
            }
        );
        let ret = proto.ret.unwrap();
        assert_eq!((ret.text.as_str(), ret.size), ("long", 8));
        assert!(btf.function("do_sys_open").is_none());
        assert_eq!(btf.function_names().collect::<Vec<_>>(), ["do_sys_openat2"]);
    }

    #[test]
    fn without_type_tags_the_address_space_is_unknown() {
        let btf = Btf::parse(openat2(false)).unwrap();
        let (_, proto) = btf.function("do_sys_openat2").unwrap();
        assert_eq!(proto.params[1].ty.text, "const char *");
        assert_eq!(
            proto.params[1].ty.value,
            Value::Pointer {
                user: None,
                pointee: 4
            }
        );
    }

    #[test]
    fn bad_data_is_an_error_not_a_panic() {
        assert!(Btf::parse(vec![]).is_err());
        assert!(Btf::parse(vec![0x9f, 0xeb, 1, 0, 24, 0, 0, 0]).is_err());
        let mut data = openat2(true);
        data.truncate(data.len() - 40);
        assert!(Btf::parse(data).is_err());
        for cut in 0..openat2(true).len() {
            let mut data = openat2(true);
            data.truncate(cut);
            let _ = Btf::parse(data).map(|b| b.function("do_sys_openat2"));
        }
    }
}
