//! Writes programs and maps into the ELF relocatable object aya 0.14 loads:
//! one executable section per program, legacy `maps` definitions, map
//! relocations, and a `license` section. No BTF.

use object::write::{Object, Relocation, SectionId, Symbol, SymbolId, SymbolSection};
use object::{
    elf, Architecture, BinaryFormat, Endianness, RelocationFlags, SectionKind, SymbolFlags,
    SymbolKind, SymbolScope,
};

use crate::asm::{Code, SLOT_BYTES};

/// Kernel map types (`enum bpf_map_type`) the compiler uses.
pub mod map_type {
    pub const HASH: u32 = 1;
    pub const ARRAY: u32 = 2;
    pub const PERCPU_HASH: u32 = 5;
    pub const PERCPU_ARRAY: u32 = 6;
    pub const STACK_TRACE: u32 = 7;
    pub const LRU_HASH: u32 = 9;
    pub const RINGBUF: u32 = 27;
}

/// Map flag: allocate hash entries on insert instead of all at creation,
/// which makes loading large hash maps cheap.
pub const BPF_F_NO_PREALLOC: u32 = 1;

/// One map, as a legacy `struct bpf_map_def`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MapDef {
    /// Letters, digits, `_` and `.`; the kernel sees the first 15 bytes,
    /// aya finds the map by the whole name.
    pub name: String,
    pub map_type: u32,
    pub key_size: u32,
    pub value_size: u32,
    pub max_entries: u32,
    pub flags: u32,
}

impl MapDef {
    /// The 28-byte legacy definition: type, key size, value size, max
    /// entries, flags, id, pinning (the last two unused, zero).
    fn to_bytes(&self) -> [u8; MAP_DEF_BYTES] {
        let fields = [
            self.map_type,
            self.key_size,
            self.value_size,
            self.max_entries,
            self.flags,
            0,
            0,
        ];
        let mut out = [0; MAP_DEF_BYTES];
        for (chunk, field) in out.chunks_exact_mut(4).zip(fields) {
            chunk.copy_from_slice(&field.to_le_bytes());
        }
        out
    }
}

const MAP_DEF_BYTES: usize = 28;

/// One program and where it goes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProgramSection {
    /// Tells aya the program type: `tracepoint/syscalls/sys_enter_openat`,
    /// `perf_event`, `raw_tp/x`... Several programs may share a section name.
    pub section: String,
    /// The symbol aya finds the program by: unique, `[A-Za-z0-9_]`.
    pub name: String,
    pub code: Code,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ObjectError {
    #[error("map name {name:?}: only letters, digits, `_` and `.` are allowed")]
    BadMapName { name: String },
    #[error("map name {name:?} is used twice")]
    DuplicateMap { name: String },
    #[error("program name {name:?}: only letters, digits and `_` are allowed")]
    BadProgramName { name: String },
    #[error("program name {name:?} is already used by another program or map")]
    DuplicateProgram { name: String },
    #[error("program {program}: section name {section:?} does not name a program section")]
    BadSection { program: String, section: String },
    #[error("program {program} has no instructions")]
    EmptyProgram { program: String },
    #[error(
        "program {program}: instruction {slot} loads map #{map}, but there are only {count} maps"
    )]
    UnknownMap {
        program: String,
        slot: usize,
        map: u32,
        count: usize,
    },
    #[error("cannot lay out the ELF object: {0}")]
    Write(String),
}

/// Builds the object file. Validates names and map references first, so a
/// bad object is reported here and not as an obscure loader error.
pub fn write_object(programs: &[ProgramSection], maps: &[MapDef]) -> Result<Vec<u8>, ObjectError> {
    validate(programs, maps)?;
    let mut obj = Object::new(BinaryFormat::Elf, Architecture::Bpf, Endianness::Little);

    let license = obj.add_section(Vec::new(), b"license".to_vec(), SectionKind::Data);
    obj.append_section_data(license, b"GPL\0", 1);

    let map_symbols = add_maps(&mut obj, maps);
    for program in programs {
        add_program(&mut obj, program, &map_symbols)?;
    }
    obj.write().map_err(|e| ObjectError::Write(e.to_string()))
}

fn add_maps(obj: &mut Object<'_>, maps: &[MapDef]) -> Vec<SymbolId> {
    if maps.is_empty() {
        return Vec::new();
    }
    let section = obj.add_section(Vec::new(), b"maps".to_vec(), SectionKind::Data);
    maps.iter()
        .map(|map| {
            let offset = obj.append_section_data(section, &map.to_bytes(), 4);
            obj.add_symbol(Symbol {
                name: map.name.as_bytes().to_vec(),
                value: offset,
                size: MAP_DEF_BYTES as u64,
                kind: SymbolKind::Data,
                scope: SymbolScope::Dynamic,
                weak: false,
                section: SymbolSection::Section(section),
                flags: SymbolFlags::None,
            })
        })
        .collect()
}

fn add_program(
    obj: &mut Object<'_>,
    program: &ProgramSection,
    map_symbols: &[SymbolId],
) -> Result<(), ObjectError> {
    // A program section must be executable: aya silently skips one that
    // is not.
    let section: SectionId = obj.add_section(
        Vec::new(),
        program.section.as_bytes().to_vec(),
        SectionKind::Text,
    );
    let offset = obj.append_section_data(section, &program.code.bytes, SLOT_BYTES as u64);
    obj.add_symbol(Symbol {
        name: program.name.as_bytes().to_vec(),
        value: offset,
        // aya slices the program out of its section by this size; with 0 the
        // kernel gets no instructions and fails with E2BIG.
        size: program.code.bytes.len() as u64,
        kind: SymbolKind::Text,
        scope: SymbolScope::Dynamic,
        weak: false,
        section: SymbolSection::Section(section),
        flags: SymbolFlags::None,
    });
    for reloc in &program.code.map_relocs {
        obj.add_relocation(
            section,
            Relocation {
                offset: offset + (reloc.slot * SLOT_BYTES) as u64,
                // The map's own symbol, not the section's: aya finds the map
                // by symbol first.
                symbol: map_symbols[reloc.map.0 as usize],
                // Always 0: ELF for BPF uses REL relocations, and a non-zero
                // addend would be written into the instruction bytes.
                addend: 0,
                flags: RelocationFlags::Elf {
                    r_type: elf::R_BPF_64_64,
                },
            },
        )
        .map_err(|e| ObjectError::Write(e.to_string()))?;
    }
    Ok(())
}

/// Section names aya gives another meaning, whatever follows them.
const RESERVED_SECTION_PREFIXES: &[&str] = &[
    "license", "version", "maps", ".maps", ".text", ".bss", ".data", ".rodata", ".BTF",
];

fn validate(programs: &[ProgramSection], maps: &[MapDef]) -> Result<(), ObjectError> {
    let mut seen = std::collections::HashSet::new();
    for map in maps {
        if !is_name(&map.name, true) {
            return Err(ObjectError::BadMapName {
                name: map.name.clone(),
            });
        }
        if !seen.insert(map.name.as_str()) {
            return Err(ObjectError::DuplicateMap {
                name: map.name.clone(),
            });
        }
    }
    // Program and map symbols share one symbol table.
    for p in programs {
        if !is_name(&p.name, false) {
            return Err(ObjectError::BadProgramName {
                name: p.name.clone(),
            });
        }
        if !seen.insert(p.name.as_str()) {
            return Err(ObjectError::DuplicateProgram {
                name: p.name.clone(),
            });
        }
        let reserved = RESERVED_SECTION_PREFIXES
            .iter()
            .any(|r| p.section.starts_with(r));
        if p.section.is_empty() || p.section.contains('\0') || reserved {
            return Err(ObjectError::BadSection {
                program: p.name.clone(),
                section: p.section.clone(),
            });
        }
        if p.code.bytes.is_empty() {
            return Err(ObjectError::EmptyProgram {
                program: p.name.clone(),
            });
        }
        if let Some(r) = p
            .code
            .map_relocs
            .iter()
            .find(|r| r.map.0 as usize >= maps.len())
        {
            return Err(ObjectError::UnknownMap {
                program: p.name.clone(),
                slot: r.slot,
                map: r.map.0,
                count: maps.len(),
            });
        }
    }
    Ok(())
}

fn is_name(name: &str, allow_dot: bool) -> bool {
    !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || (allow_dot && b == b'.'))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::asm::{Asm, MapId, Reg};

    fn code(maps: &[MapId]) -> Code {
        let mut asm = Asm::new();
        for &map in maps {
            asm.load_map_fd(Reg::R1, map);
        }
        asm.mov(Reg::R0, 0);
        asm.exit();
        asm.finish().unwrap()
    }

    fn prog(section: &str, name: &str, code: Code) -> ProgramSection {
        ProgramSection {
            section: section.to_string(),
            name: name.to_string(),
            code,
        }
    }

    fn map(name: &str) -> MapDef {
        MapDef {
            name: name.to_string(),
            map_type: map_type::HASH,
            key_size: 8,
            value_size: 8,
            max_entries: 16,
            flags: 0,
        }
    }

    #[test]
    fn map_def_is_28_little_endian_bytes() {
        let def = MapDef {
            name: "m".into(),
            map_type: 6,
            key_size: 4,
            value_size: 8,
            max_entries: 1,
            flags: 1,
        };
        let mut want = Vec::new();
        for v in [6u32, 4, 8, 1, 1, 0, 0] {
            want.extend_from_slice(&v.to_le_bytes());
        }
        assert_eq!(def.to_bytes().as_slice(), want);
    }

    #[test]
    fn writes_an_elf_for_bpf() {
        let bytes = write_object(&[prog("raw_tp/x", "p", code(&[MapId(0)]))], &[map("m")]).unwrap();
        assert_eq!(&bytes[..4], b"\x7fELF");
        // e_machine, little-endian, at offset 18: EM_BPF.
        assert_eq!(u16::from_le_bytes([bytes[18], bytes[19]]), elf::EM_BPF);
    }

    #[test]
    fn rejects_bad_names_and_references() {
        let ok = || prog("tracepoint/a/b", "p", code(&[]));
        let cases: Vec<(Vec<ProgramSection>, Vec<MapDef>, ObjectError)> = vec![
            (
                vec![ok()],
                vec![map("@counts")],
                ObjectError::BadMapName {
                    name: "@counts".into(),
                },
            ),
            (
                vec![ok()],
                vec![map("")],
                ObjectError::BadMapName {
                    name: String::new(),
                },
            ),
            (
                vec![ok()],
                vec![map("a"), map("a")],
                ObjectError::DuplicateMap { name: "a".into() },
            ),
            (
                vec![prog("tracepoint/a/b", "p.1", code(&[]))],
                vec![],
                ObjectError::BadProgramName { name: "p.1".into() },
            ),
            (
                vec![ok(), ok()],
                vec![],
                ObjectError::DuplicateProgram { name: "p".into() },
            ),
            (
                vec![ok()],
                vec![map("p")],
                // Map and program names share the symbol table.
                ObjectError::DuplicateProgram { name: "p".into() },
            ),
            (
                vec![prog("maps/x", "p", code(&[]))],
                vec![],
                ObjectError::BadSection {
                    program: "p".into(),
                    section: "maps/x".into(),
                },
            ),
            (
                vec![prog("", "p", code(&[]))],
                vec![],
                ObjectError::BadSection {
                    program: "p".into(),
                    section: String::new(),
                },
            ),
            (
                vec![prog("tracepoint/a/b", "p", Asm::new().finish().unwrap())],
                vec![],
                ObjectError::EmptyProgram {
                    program: "p".into(),
                },
            ),
            (
                vec![prog("tracepoint/a/b", "p", code(&[MapId(1)]))],
                vec![map("m")],
                ObjectError::UnknownMap {
                    program: "p".into(),
                    slot: 0,
                    map: 1,
                    count: 1,
                },
            ),
        ];
        for (programs, maps, want) in cases {
            assert_eq!(write_object(&programs, &maps), Err(want));
        }
    }

    #[test]
    fn error_text_names_the_problem() {
        let err = write_object(&[], &[map("@x")]).unwrap_err();
        assert_eq!(
            err.to_string(),
            "map name \"@x\": only letters, digits, `_` and `.` are allowed"
        );
    }
}
