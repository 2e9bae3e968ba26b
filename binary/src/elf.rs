//! One ELF file: its functions and the mapping from virtual addresses
//! (what symbols and notes hold) to file offsets (what the kernel's uprobe
//! interface takes).

use crate::usdt::{self, UsdtProbe};
use object::elf::PF_X;
use object::{
    Architecture, Object, ObjectSection, ObjectSegment, ObjectSymbol, SegmentFlags, SymbolKind,
};
use std::path::{Path, PathBuf};

#[derive(Debug, thiserror::Error)]
pub enum BinaryError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path} is not an ELF file: {reason}")]
    NotElf { path: PathBuf, reason: String },
    #[error("{path} is a {arch} binary; rtrace attaches to x86-64 binaries only")]
    Architecture { path: PathBuf, arch: String },
    #[error("{path}: malformed USDT note: {reason}")]
    BadNote { path: PathBuf, reason: String },
}

/// A function symbol defined in the binary.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Function {
    pub name: String,
    /// Virtual address, as `nm` prints it.
    pub address: u64,
    pub size: u64,
}

/// A loadable segment: where a range of virtual addresses sits in the file.
#[derive(Clone, Copy, Debug)]
struct Segment {
    address: u64,
    size: u64,
    file_offset: u64,
    file_size: u64,
    executable: bool,
}

pub struct Binary {
    path: PathBuf,
    data: Vec<u8>,
    segments: Vec<Segment>,
    /// Sorted by name, then address; a name defined in both the symbol
    /// table and the dynamic symbol table appears once.
    functions: Vec<Function>,
}

impl Binary {
    pub fn open(path: &Path) -> Result<Binary, BinaryError> {
        let data = std::fs::read(path).map_err(|source| BinaryError::Read {
            path: path.to_owned(),
            source,
        })?;
        Binary::parse(path, data)
    }

    pub fn parse(path: &Path, data: Vec<u8>) -> Result<Binary, BinaryError> {
        let file = object::File::parse(&*data).map_err(|e| BinaryError::NotElf {
            path: path.to_owned(),
            reason: e.to_string(),
        })?;
        if file.format() != object::BinaryFormat::Elf {
            return Err(BinaryError::NotElf {
                path: path.to_owned(),
                reason: format!("it is {:?}", file.format()),
            });
        }
        if file.architecture() != Architecture::X86_64 {
            return Err(BinaryError::Architecture {
                path: path.to_owned(),
                arch: format!("{:?}", file.architecture()),
            });
        }
        let segments = file
            .segments()
            .map(|s| {
                let (file_offset, file_size) = s.file_range();
                Segment {
                    address: s.address(),
                    size: s.size(),
                    file_offset,
                    file_size,
                    executable: matches!(s.flags(), SegmentFlags::Elf { p_flags } if p_flags & PF_X != 0),
                }
            })
            .collect();
        let mut functions: Vec<Function> = file
            .symbols()
            .chain(file.dynamic_symbols())
            .filter(|s| s.kind() == SymbolKind::Text && s.is_definition() && s.address() != 0)
            .filter_map(|s| {
                Some(Function {
                    name: s.name().ok().filter(|n| !n.is_empty())?.to_string(),
                    address: s.address(),
                    size: s.size(),
                })
            })
            .collect();
        functions.sort_by(|a, b| (&a.name, a.address).cmp(&(&b.name, b.address)));
        functions.dedup_by(|a, b| a.name == b.name && a.address == b.address);
        drop(file);
        Ok(Binary {
            path: path.to_owned(),
            data,
            segments,
            functions,
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Every function symbol, sorted by name.
    pub fn functions(&self) -> &[Function] {
        &self.functions
    }

    /// The functions with this exact name (usually one; local symbols of
    /// different files may share a name).
    pub fn functions_named<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Function> {
        let start = self.functions.partition_point(|f| f.name.as_str() < name);
        self.functions[start..]
            .iter()
            .take_while(move |f| f.name == name)
    }

    /// The function whose body holds `address`, preferring a global name
    /// over a local alias only by order (the first by name).
    pub fn function_containing(&self, address: u64) -> Option<&Function> {
        self.functions
            .iter()
            .filter(|f| address >= f.address && address < f.address + f.size.max(1))
            .min_by_key(|f| (address - f.address, f.name.len()))
    }

    /// The address and size of a defined data or function symbol, as
    /// `uaddr()` reads it: the symbol's value, before any relocation.
    pub fn symbol(&self, name: &str) -> Option<(u64, u64)> {
        let file = object::File::parse(&*self.data).ok()?;
        file.symbols()
            .chain(file.dynamic_symbols())
            .filter(|s| matches!(s.kind(), SymbolKind::Data | SymbolKind::Text))
            .find(|s| s.is_definition() && s.address() != 0 && s.name() == Ok(name))
            .map(|s| (s.address(), s.size()))
    }

    /// The file offset of a virtual address in a loadable segment.
    pub fn file_offset(&self, address: u64) -> Option<u64> {
        self.segments
            .iter()
            .find(|s| address >= s.address && address < s.address + s.file_size.min(s.size))
            .map(|s| address - s.address + s.file_offset)
    }

    /// Whether the address is in an executable segment: where a uprobe
    /// can be placed.
    pub fn is_code(&self, address: u64) -> bool {
        self.segments
            .iter()
            .any(|s| s.executable && address >= s.address && address < s.address + s.size)
    }

    /// The USDT probes of the `.note.stapsdt` section, in note order.
    pub fn usdt_probes(&self) -> Result<Vec<UsdtProbe>, BinaryError> {
        let bad = |reason: String| BinaryError::BadNote {
            path: self.path.clone(),
            reason,
        };
        let file = object::File::parse(&*self.data).map_err(|e| bad(e.to_string()))?;
        let Some(notes) = file.section_by_name(".note.stapsdt") else {
            return Ok(Vec::new());
        };
        let notes = notes.data().map_err(|e| bad(e.to_string()))?;
        // Prelink may move the binary after the notes were written: the
        // notes record where `.stapsdt.base` was, the section where it is.
        let base = file.section_by_name(".stapsdt.base").map(|s| s.address());
        usdt::parse_notes(notes, base)
            .map_err(bad)?
            .into_iter()
            .map(|note| note.locate(self).map_err(bad))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The C library this test runs with: its dynamic symbols survive
    /// stripping, unlike this test program's own.
    fn libc() -> Binary {
        let path = crate::resolve("libc", Some(std::process::id())).expect("libc is mapped");
        Binary::open(&path).unwrap()
    }

    #[test]
    fn finds_functions_and_their_file_offsets() {
        let binary = libc();
        let f = binary
            .functions_named("getppid")
            .next()
            .expect("libc defines getppid");
        assert!(f.size > 0);
        assert!(binary.is_code(f.address));
        let offset = binary.file_offset(f.address).unwrap();
        // The bytes at the offset are the function's code: compare with
        // the code as mapped in this process.
        let here = libc::getppid as *const u8;
        // SAFETY: reading the first bytes of a function mapped in this process.
        let mapped = unsafe { std::slice::from_raw_parts(here, 8) };
        let data = std::fs::read(binary.path()).unwrap();
        assert_eq!(&data[offset as usize..offset as usize + 8], mapped);
        assert_eq!(
            binary.function_containing(f.address + 1).map(|f| f.address),
            Some(f.address)
        );
    }

    #[test]
    fn functions_are_sorted_and_unique() {
        let binary = libc();
        let fs = binary.functions();
        assert!(fs.len() > 100);
        assert!(fs
            .windows(2)
            .all(|w| (&w[0].name, w[0].address) < (&w[1].name, w[1].address)));
    }

    #[test]
    fn rejects_what_is_not_elf() {
        let e = Binary::parse(Path::new("x.txt"), b"#!/bin/sh\necho hi\n".to_vec())
            .err()
            .unwrap();
        assert!(matches!(e, BinaryError::NotElf { .. }), "{e}");
        let e = Binary::open(Path::new("/nonexistent/rtrace"))
            .err()
            .unwrap();
        assert!(e.to_string().starts_with("cannot read /nonexistent/rtrace"));
    }
}
