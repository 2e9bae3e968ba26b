//! USDT probes from `.note.stapsdt` ELF notes (SystemTap's `sys/sdt.h`
//! format, also written by Rust's `probe` crate): where each probe is,
//! its semaphore, and how to find its arguments.

use crate::elf::Binary;
use crate::usdt_args::{parse_args, UsdtArg};

/// `NT_STAPSDT`
const NOTE_TYPE: u32 = 3;
const NOTE_NAME: &[u8] = b"stapsdt\0";

/// One probe site. A probe written once in the source may have several
/// sites (inlined or unrolled code), each with its own argument locations.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct UsdtProbe {
    pub provider: String,
    pub name: String,
    /// Virtual address of the probe's `nop`, adjusted for prelinking.
    pub address: u64,
    /// Where the uprobe goes: the address as a file offset.
    pub file_offset: u64,
    /// The semaphore's file offset, for probes that are only active while
    /// a tracer counts itself in it (`ref_ctr_offset` of the uprobe).
    pub semaphore_offset: Option<u64>,
    /// The argument string as written in the note.
    pub args_text: String,
    /// The decoded arguments, or why they could not be decoded.
    pub args: Result<Vec<UsdtArg>, String>,
}

/// A note as recorded, before its addresses are checked against the file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Note {
    pub pc: u64,
    pub base: u64,
    pub semaphore: u64,
    pub provider: String,
    pub name: String,
    pub args: String,
}

impl Note {
    /// Checks the note's addresses against the file's segments.
    pub fn locate(self, binary: &Binary) -> Result<UsdtProbe, String> {
        let probe = format!("{}:{}", self.provider, self.name);
        let file_offset = binary
            .file_offset(self.pc)
            .filter(|_| binary.is_code(self.pc))
            .ok_or_else(|| format!("probe {probe} is at {:#x}, outside the code", self.pc))?;
        let semaphore_offset = match self.semaphore {
            0 => None,
            address => Some(binary.file_offset(address).ok_or_else(|| {
                format!("the semaphore of {probe} ({address:#x}) is not stored in the file")
            })?),
        };
        Ok(UsdtProbe {
            provider: self.provider,
            name: self.name,
            address: self.pc,
            file_offset,
            semaphore_offset,
            args: parse_args(&self.args),
            args_text: self.args,
        })
    }
}

/// Parses the notes of a `.note.stapsdt` section. `base` is the address of
/// the `.stapsdt.base` section: when it differs from the base a note
/// recorded, the binary was prelinked and the note's addresses move by the
/// difference.
pub fn parse_notes(section: &[u8], base: Option<u64>) -> Result<Vec<Note>, String> {
    let mut notes = Vec::new();
    let mut at = 0usize;
    while at < section.len() {
        let word = |i: usize| -> Result<u32, String> {
            section
                .get(at + i * 4..at + i * 4 + 4)
                .map(|b| u32::from_le_bytes(b.try_into().expect("4 bytes")))
                .ok_or_else(|| format!("truncated note header at {at:#x}"))
        };
        let (name_size, desc_size, note_type) = (word(0)? as usize, word(1)? as usize, word(2)?);
        let name_start = at + 12;
        let desc_start = name_start + name_size.next_multiple_of(4);
        let next = desc_start + desc_size.next_multiple_of(4);
        let (Some(name), Some(desc)) = (
            section.get(name_start..name_start + name_size),
            section.get(desc_start..desc_start + desc_size),
        ) else {
            return Err(format!("note at {at:#x} overruns its section"));
        };
        at = next;
        if note_type != NOTE_TYPE || name != NOTE_NAME {
            continue;
        }
        let mut note = parse_desc(desc)?;
        if let Some(actual) = base {
            if note.base != 0 && actual != note.base {
                let moved = actual.wrapping_sub(note.base);
                note.pc = note.pc.wrapping_add(moved);
                if note.semaphore != 0 {
                    note.semaphore = note.semaphore.wrapping_add(moved);
                }
            }
        }
        notes.push(note);
    }
    Ok(notes)
}

/// The note's descriptor: three 8-byte addresses, then the provider, the
/// probe name and the argument string, each NUL-terminated.
fn parse_desc(desc: &[u8]) -> Result<Note, String> {
    let address = |i: usize| -> Result<u64, String> {
        desc.get(i * 8..i * 8 + 8)
            .map(|b| u64::from_le_bytes(b.try_into().expect("8 bytes")))
            .ok_or_else(|| "truncated note".to_string())
    };
    let (pc, base, semaphore) = (address(0)?, address(1)?, address(2)?);
    let mut strings = desc[24..].split(|&b| b == 0);
    let mut next = |what: &str| -> Result<String, String> {
        strings
            .next()
            .map(|s| String::from_utf8_lossy(s).into_owned())
            .ok_or_else(|| format!("note without its {what}"))
    };
    let provider = next("provider")?;
    let name = next("name")?;
    let args = next("arguments").unwrap_or_default();
    if provider.is_empty() || name.is_empty() {
        return Err("note with an empty provider or name".into());
    }
    Ok(Note {
        pc,
        base,
        semaphore,
        provider,
        name,
        args,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn note(pc: u64, base: u64, semaphore: u64, strings: &[&str]) -> Vec<u8> {
        let mut desc = Vec::new();
        desc.extend_from_slice(&pc.to_le_bytes());
        desc.extend_from_slice(&base.to_le_bytes());
        desc.extend_from_slice(&semaphore.to_le_bytes());
        for s in strings {
            desc.extend_from_slice(s.as_bytes());
            desc.push(0);
        }
        let mut out = Vec::new();
        out.extend_from_slice(&8u32.to_le_bytes());
        out.extend_from_slice(&(desc.len() as u32).to_le_bytes());
        out.extend_from_slice(&NOTE_TYPE.to_le_bytes());
        out.extend_from_slice(NOTE_NAME);
        let padded = desc.len().next_multiple_of(4);
        desc.resize(padded, 0);
        out.extend(desc);
        out
    }

    #[test]
    fn notes_in_order() {
        let mut section = note(0x1000, 0x5000, 0, &["app", "start", "-4@%edi 8@%rsi"]);
        section.extend(note(0x1010, 0x5000, 0x7000, &["app", "stop", ""]));
        let notes = parse_notes(&section, Some(0x5000)).unwrap();
        assert_eq!(notes.len(), 2);
        assert_eq!(
            notes[0],
            Note {
                pc: 0x1000,
                base: 0x5000,
                semaphore: 0,
                provider: "app".into(),
                name: "start".into(),
                args: "-4@%edi 8@%rsi".into()
            }
        );
        assert_eq!((notes[1].semaphore, notes[1].args.as_str()), (0x7000, ""));
    }

    #[test]
    fn prelinked_notes_move_with_the_base() {
        let section = note(0x1000, 0x5000, 0x7000, &["app", "start", ""]);
        let notes = parse_notes(&section, Some(0x405000)).unwrap();
        assert_eq!((notes[0].pc, notes[0].semaphore), (0x401000, 0x407000));
        // Without a semaphore, none is invented.
        let section = note(0x1000, 0x5000, 0, &["app", "start", ""]);
        assert_eq!(parse_notes(&section, Some(0x6000)).unwrap()[0].semaphore, 0);
    }

    #[test]
    fn other_notes_are_skipped_and_garbage_is_an_error() {
        let mut section = note(0x1000, 0, 0, &["app", "start", ""]);
        section[8] = 1; // another note type
        assert!(parse_notes(&section, None).unwrap().is_empty());
        let section = note(0x1000, 0, 0, &["app", "start", ""]);
        assert!(parse_notes(&section[..30], None).is_err());
        assert!(parse_notes(&section[..5], None).is_err());
        let empty = note(0x1000, 0, 0, &["", "x", ""]);
        assert!(parse_notes(&empty, None).is_err());
    }
}
