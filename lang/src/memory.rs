//! What the checker tells codegen about values read from memory through
//! kernel types: where each one is (an offset from a base address, plus an
//! index times a stride) and how to read it. Codegen needs no BTF.

use std::collections::BTreeMap;

/// How one `p->field`, `record.field`, `p[i]` or `*p` is read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MemoryRead {
    /// Bytes added to the base's address: a member's offset.
    pub offset: u32,
    /// For `[i]`: bytes per element.
    pub stride: u32,
    /// Read from the traced process's memory rather than the kernel's.
    pub user: bool,
    pub read: ReadKind,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReadKind {
    /// Structs, unions and arrays stay in memory: the value is the address.
    Address,
    /// An integer, pointer or enum of 1, 2, 4 or 8 bytes.
    Int { size: u8, signed: bool },
    /// `bits` bits, `shift` bits into the `bytes` bytes at the offset.
    Bitfield {
        bytes: u8,
        shift: u8,
        bits: u8,
        signed: bool,
    },
    /// A `char[N]` array, read as a string of `N` bytes.
    Str(u32),
}

/// Offsets of kernel structure members that builtins (`ppid`, `pcomm`)
/// were compiled against, and sizes of the kernel types they read whole
/// (`ntop` of a `__u8[16]`), looked up in BTF by the checker.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct KernelLayout {
    offsets: BTreeMap<(String, String), u32>,
    /// By BTF type id.
    sizes: BTreeMap<u32, u32>,
}

impl KernelLayout {
    pub fn insert(&mut self, record: &str, member: &str, offset: u32) {
        self.offsets
            .insert((record.to_string(), member.to_string()), offset);
    }

    /// The byte offset of `record.member`, if the checker recorded it.
    pub fn offset(&self, record: &str, member: &str) -> Option<u32> {
        self.offsets
            .get(&(record.to_string(), member.to_string()))
            .copied()
    }

    pub fn insert_size(&mut self, type_id: u32, size: u32) {
        self.sizes.insert(type_id, size);
    }

    /// The size in bytes of kernel type `type_id`, if the checker recorded
    /// it.
    pub fn size(&self, type_id: u32) -> Option<u32> {
        self.sizes.get(&type_id).copied()
    }
}
