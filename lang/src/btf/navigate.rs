//! Walking kernel types: what a type is once typedefs and qualifiers are
//! looked through, the members of structs and unions (anonymous ones
//! included, as C sees them), named types and enum constants.
//!
//! Names are looked up by scanning the types when first asked for.

use super::{kind, Btf, MAX_CHAIN};
use crate::types::{IntType, KernelType, PtrType, Target};
use std::collections::HashMap;

/// A type as far as reading it from memory is concerned.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Shape {
    Void,
    Int {
        size: u32,
        signed: bool,
        /// C's `char`: arrays of it are strings.
        is_char: bool,
    },
    Enum {
        size: u32,
        signed: bool,
    },
    Pointer {
        pointee: u32,
    },
    Record {
        size: u32,
        union: bool,
    },
    Array {
        elem: u32,
        count: u32,
    },
    /// Functions, floats, forward declarations: nothing to read.
    Other,
}

/// A struct or union member, with its place in the outermost record.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Member {
    pub type_id: u32,
    /// From the start of the record the member was looked up in.
    pub bit_offset: u32,
    /// Non-zero for a bitfield: its width in bits.
    pub bitfield_bits: u32,
}

/// Which namespace a type name lives in, as C keeps them apart.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum NameSpace {
    /// `struct NAME` and `union NAME` (C shares one tag namespace).
    Tag,
    /// `enum NAME`.
    Enum,
    /// Typedefs and base types: `u32`, `pid_t`, `int`.
    Ordinary,
}

/// Answers already looked up. Lookups scan the type section (about a
/// millisecond for vmlinux), which is far cheaper than indexing every
/// name up front, since a program names a handful of types.
#[derive(Default)]
pub(super) struct Lookups {
    names: HashMap<(NameSpace, String), Option<u32>>,
    enum_constants: HashMap<String, Option<(i64, u32)>>,
}

fn space_of(kind: u32) -> Option<NameSpace> {
    match kind {
        kind::STRUCT | kind::UNION => Some(NameSpace::Tag),
        kind::ENUM | kind::ENUM64 => Some(NameSpace::Enum),
        kind::TYPEDEF | kind::INT | kind::FLOAT => Some(NameSpace::Ordinary),
        _ => None,
    }
}

impl Btf {
    fn lookups(&self) -> std::sync::MutexGuard<'_, Lookups> {
        self.lookups
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Every named type of a namespace, as `(id, name)`: vmlinux's, and
    /// the modules' once they have been read.
    fn named_types(&self, space: NameSpace) -> impl Iterator<Item = (u32, &str)> + '_ {
        self.named_types_in(1..self.type_id_end(), space)
    }

    fn named_types_in(
        &self,
        ids: std::ops::Range<u32>,
        space: NameSpace,
    ) -> impl Iterator<Item = (u32, &str)> + '_ {
        ids.filter_map(move |id| {
            let raw = self.raw(id)?;
            if space_of(raw.kind)? != space {
                return None;
            }
            // A forward declaration (an empty struct) is not the type.
            if space == NameSpace::Tag && raw.vlen == 0 && raw.size_or_type == 0 {
                return None;
            }
            Some((id, self.string(raw.name_off))).filter(|(_, n)| !n.is_empty())
        })
    }

    fn find_enum_constant(&self, wanted: &str, ids: std::ops::Range<u32>) -> Option<(i64, u32)> {
        for id in ids {
            let Some(raw) = self.raw(id) else { continue };
            if !matches!(raw.kind, kind::ENUM | kind::ENUM64) {
                continue;
            }
            let wide = raw.kind == kind::ENUM64;
            let step = if wide { 12 } else { 8 };
            for i in 0..raw.vlen as usize {
                let at = raw.extra + i * step;
                let (Some(name_off), Some(low)) = (self.u32_at(at), self.u32_at(at + 4)) else {
                    break;
                };
                if self.string(name_off) != wanted {
                    continue;
                }
                let value = if wide {
                    let high = self.u32_at(at + 8).unwrap_or(0);
                    ((u64::from(high) << 32) | u64::from(low)) as i64
                } else if raw.kind_flag {
                    i64::from(low as i32)
                } else {
                    i64::from(low)
                };
                return Some((value, id));
            }
        }
        None
    }

    /// The id of `struct NAME`, `enum NAME` or a typedef/base type:
    /// vmlinux's, else a module's.
    pub fn named_type(&self, space: NameSpace, name: &str) -> Option<u32> {
        let key = (space, name.to_string());
        if let Some(&known) = self.lookups().names.get(&key) {
            return known;
        }
        let find = |ids| {
            self.named_types_in(ids, space)
                .find(|(_, n)| *n == name)
                .map(|(id, _)| id)
        };
        let found = find(1..self.first_module_id()).or_else(|| {
            self.modules()?;
            find(self.first_module_id()..self.type_id_end())
        });
        self.lookups().names.insert(key, found);
        found
    }

    /// An enumerator's value and its enum's type id: `TASK_COMM_LEN`.
    pub fn enum_constant(&self, name: &str) -> Option<(i64, u32)> {
        if let Some(&known) = self.lookups().enum_constants.get(name) {
            return known;
        }
        let found = self
            .find_enum_constant(name, 1..self.first_module_id())
            .or_else(|| {
                self.modules()?;
                self.find_enum_constant(name, self.first_module_id()..self.type_id_end())
            });
        self.lookups()
            .enum_constants
            .insert(name.to_string(), found);
        found
    }

    /// The C spelling of a type: `struct task_struct *`.
    pub fn type_name(&self, id: u32) -> String {
        self.spell(id, 0)
    }

    /// Bytes a value of the type takes.
    pub fn type_size(&self, id: u32) -> u32 {
        self.size_of(id, 0)
    }

    /// What the type is once typedefs and qualifiers are looked through.
    pub fn shape(&self, id: u32) -> Shape {
        if id == 0 {
            return Shape::Void;
        }
        let Some(raw) = self.resolve(id) else {
            return Shape::Other;
        };
        match raw.kind {
            kind::INT => {
                let encoding = self.u32_at(raw.extra).unwrap_or(0);
                Shape::Int {
                    size: raw.size_or_type,
                    signed: (encoding >> 24) & 1 == 1,
                    is_char: self.string(raw.name_off) == "char",
                }
            }
            kind::ENUM | kind::ENUM64 => Shape::Enum {
                size: raw.size_or_type,
                signed: raw.kind_flag,
            },
            kind::PTR => Shape::Pointer {
                pointee: raw.size_or_type,
            },
            kind::STRUCT | kind::UNION => Shape::Record {
                size: raw.size_or_type,
                union: raw.kind == kind::UNION,
            },
            kind::ARRAY => Shape::Array {
                elem: self.u32_at(raw.extra).unwrap_or(0),
                count: self.u32_at(raw.extra + 8).unwrap_or(0),
            },
            _ => Shape::Other,
        }
    }

    /// Whether a pointer type points into user memory: `Some(true)` for
    /// `__user`, `None` when the kernel's BTF has no address-space tags.
    pub fn pointer_is_user(&self, pointer: u32) -> Option<bool> {
        let raw = self.resolve(pointer)?;
        if raw.kind != kind::PTR || !self.has_type_tags {
            return None;
        }
        Some(self.has_user_tag(raw.size_or_type))
    }

    /// A member of a struct or union by name, looking into anonymous
    /// members as C does (`sk->sk_daddr` is in an anonymous union).
    pub fn member(&self, record: u32, name: &str) -> Option<Member> {
        self.find_member(record, name, 0)
    }

    fn find_member(&self, record: u32, name: &str, depth: usize) -> Option<Member> {
        if depth > MAX_CHAIN {
            return None;
        }
        let raw = self.resolve(record)?;
        if !matches!(raw.kind, kind::STRUCT | kind::UNION) {
            return None;
        }
        for i in 0..raw.vlen as usize {
            let at = raw.extra + i * 12;
            let (name_off, type_id, offset) =
                (self.u32_at(at)?, self.u32_at(at + 4)?, self.u32_at(at + 8)?);
            // With the kind flag, the offset word also holds the bitfield
            // width in its top byte.
            let (bit_offset, bitfield_bits) = if raw.kind_flag {
                (offset & 0x00ff_ffff, offset >> 24)
            } else {
                (offset, 0)
            };
            let member_name = self.string(name_off);
            if member_name == name {
                return Some(Member {
                    type_id,
                    bit_offset,
                    bitfield_bits,
                });
            }
            if member_name.is_empty() {
                if let Some(inner) = self.find_member(type_id, name, depth + 1) {
                    return Some(Member {
                        bit_offset: bit_offset + inner.bit_offset,
                        ..inner
                    });
                }
            }
        }
        None
    }

    /// The names of a record's members (anonymous members' included), for
    /// "did you mean" hints.
    pub fn member_names(&self, record: u32) -> Vec<String> {
        let mut names = Vec::new();
        self.collect_member_names(record, &mut names, 0);
        names
    }

    fn collect_member_names(&self, record: u32, names: &mut Vec<String>, depth: usize) {
        let Some(raw) = self.resolve(record).filter(|_| depth <= MAX_CHAIN) else {
            return;
        };
        if !matches!(raw.kind, kind::STRUCT | kind::UNION) {
            return;
        }
        for i in 0..raw.vlen as usize {
            let at = raw.extra + i * 12;
            let (Some(name_off), Some(type_id)) = (self.u32_at(at), self.u32_at(at + 4)) else {
                return;
            };
            match self.string(name_off) {
                "" => self.collect_member_names(type_id, names, depth + 1),
                name => names.push(name.to_string()),
            }
        }
    }
}

impl Btf {
    /// The pointer type whose pointee is BTF type `pointee`, counting the
    /// stars of pointers to pointers.
    pub fn pointer_type(&self, mut pointee: u32, user: bool) -> PtrType {
        let mut depth = 1u8;
        for _ in 0..8 {
            match self.shape(pointee) {
                Shape::Pointer { pointee: next } => {
                    depth += 1;
                    pointee = next;
                }
                _ => break,
            }
        }
        let target = match self.shape(pointee) {
            Shape::Int { size, signed, .. } | Shape::Enum { size, signed } => match size {
                1 | 2 | 4 | 8 => Target::Int(IntType {
                    bits: (size * 8) as u8,
                    signed,
                }),
                _ => Target::Void,
            },
            Shape::Record { .. } | Shape::Array { .. } => {
                Target::Kernel(KernelType::new(pointee, &self.type_name(pointee)))
            }
            Shape::Void | Shape::Pointer { .. } | Shape::Other => Target::Void,
        };
        PtrType {
            user,
            depth,
            target,
        }
    }

    /// The known type name closest to a misspelled one, for hints.
    pub fn closest_type_name(&self, space: NameSpace, wanted: &str) -> Option<&str> {
        crate::diagnostic::closest(wanted, self.named_types(space).map(|(_, n)| n))
    }
}

#[cfg(test)]
mod tests {
    use super::super::build::{kind, Builder};
    use super::*;

    /// struct task { int pid; union { long a; char name[8]; }; unsigned int
    /// flag:1, state:3; struct task *parent; };  enum color { RED = 2 };
    /// and the raw tracepoint `tick(void *, struct task *prev)`.
    fn sample() -> Btf {
        let mut b = Builder::new();
        let int = b.int("int", 4, true); // 1
        let long = b.int("long", 8, true); // 2
        let char_ = b.int("char", 1, true); // 3
        let uint = b.int("unsigned int", 4, false); // 4
        let index = b.int("__ARRAY_SIZE_TYPE__", 4, false); // 5
        let name_array = b.add("", kind::ARRAY, 0, false, 0, &[char_, index, 8]); // 6
        let (a, name) = (b.string("a"), b.string("name"));
        let anon = b.add(
            "",
            kind::UNION,
            2,
            false,
            8,
            &[a, long, 0, name, name_array, 0],
        ); // 7
        let task_ptr = 9;
        let (pid, flag, state, parent) = (
            b.string("pid"),
            b.string("flag"),
            b.string("state"),
            b.string("parent"),
        );
        let task = b.add(
            "task",
            kind::STRUCT,
            5,
            true,
            32,
            &[
                pid,
                int,
                0,
                0,
                anon,
                64,
                flag,
                uint,
                (1 << 24) | 128,
                state,
                uint,
                (3 << 24) | 129,
                parent,
                task_ptr,
                192,
            ],
        ); // 8
        let ptr = b.add("", kind::PTR, 0, false, task, &[]); // 9
        assert_eq!(ptr, task_ptr);
        let red = b.string("RED");
        b.add("color", kind::ENUM, 1, false, 4, &[red, 2]); // 10
        let void_ptr = b.add("", kind::PTR, 0, false, 0, &[]); // 11
        let (data, prev) = (b.string("__data"), b.string("prev"));
        let proto = b.add(
            "",
            kind::FUNC_PROTO,
            2,
            false,
            0,
            &[data, void_ptr, prev, ptr],
        );
        b.add("__bpf_trace_tick", kind::FUNC, 1, false, proto, &[]);
        Btf::parse(b.finish()).unwrap()
    }

    #[test]
    fn members_anonymous_ones_and_bitfields() {
        let btf = sample();
        let task = btf.named_type(NameSpace::Tag, "task").unwrap();
        assert_eq!(
            btf.shape(task),
            Shape::Record {
                size: 32,
                union: false
            }
        );
        let pid = btf.member(task, "pid").unwrap();
        assert_eq!((pid.bit_offset, pid.bitfield_bits), (0, 0));
        // In the anonymous union at byte 8.
        let name = btf.member(task, "name").unwrap();
        assert_eq!(name.bit_offset, 64);
        assert_eq!(btf.shape(name.type_id), Shape::Array { elem: 3, count: 8 });
        let state = btf.member(task, "state").unwrap();
        assert_eq!((state.bit_offset, state.bitfield_bits), (129, 3));
        assert!(btf.member(task, "nope").is_none());
        assert_eq!(
            btf.member_names(task),
            ["pid", "a", "name", "flag", "state", "parent"]
        );
        let parent = btf.member(task, "parent").unwrap();
        let Shape::Pointer { pointee } = btf.shape(parent.type_id) else {
            panic!("parent is a pointer");
        };
        let p = btf.pointer_type(pointee, false);
        assert_eq!(p.depth, 1);
        assert_eq!(
            p.target,
            Target::Kernel(KernelType::new(task, "struct task"))
        );
        assert_eq!(btf.type_size(task), 32);
    }

    #[test]
    fn names_enum_constants_and_raw_tracepoints() {
        let btf = sample();
        assert_eq!(btf.named_type(NameSpace::Enum, "color"), Some(10));
        assert_eq!(btf.named_type(NameSpace::Tag, "color"), None);
        assert_eq!(btf.named_type(NameSpace::Ordinary, "int"), Some(1));
        assert_eq!(btf.enum_constant("RED"), Some((2, 10)));
        assert_eq!(btf.enum_constant("BLUE"), None);
        assert_eq!(btf.closest_type_name(NameSpace::Tag, "tsak"), Some("task"));
        let proto = btf.raw_tracepoint("tick").unwrap();
        let names: Vec<&str> = proto.params.iter().map(|p| p.name.as_str()).collect();
        assert_eq!(names, ["prev"]);
        assert!(btf.raw_tracepoint("tock").is_none());
    }
}
