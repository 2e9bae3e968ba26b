//! Types that only kernel modules define (`struct tun_struct` lives in
//! `tun.ko`): the module BTF files in `/sys/kernel/btf/`.
//!
//! A module's BTF is "split" BTF: its type ids continue after vmlinux's
//! and its string offsets after vmlinux's string section, so every
//! module numbers its own types from the same id. To give every type one
//! id, the modules are read together, the first time a name is not found
//! in vmlinux, and their types are renumbered into one range that
//! follows vmlinux: module A's from vmlinux's count on, module B's after
//! A's, and so on. Their strings are concatenated the same way. After
//! that the rest of the reader sees one table of types and one of
//! strings, and type ids stay plain numbers.

use super::{extra_len, kind, Btf, HEADER_LEN, MAGIC};
use std::collections::HashMap;
use std::path::Path;

/// Every module's types and strings, renumbered to follow vmlinux's.
#[derive(Default)]
pub(super) struct Modules {
    /// Type records, back to back, their references rewritten.
    pub types: Vec<u8>,
    /// Where each type starts in `types`: type `first_id + i` at `i`.
    pub offsets: Vec<u32>,
    /// String sections, back to back: string offset `o` (at least
    /// vmlinux's string section's length) is at `o - that length`.
    pub strings: Vec<u8>,
    /// Which module each range of ids came from, for `-lv` and errors.
    pub names: Vec<(String, std::ops::Range<u32>)>,
    /// The modules' functions by name (raw tracepoint stubs are looked up
    /// for every event `-lv` lists), as vmlinux's are.
    pub functions: HashMap<String, u32>,
    /// Files that could not be read or were not split BTF, with why.
    pub skipped: Vec<String>,
}

impl Btf {
    /// The first id after vmlinux's types, where split BTF starts.
    pub(super) fn first_module_id(&self) -> u32 {
        self.offsets.len() as u32 + 1
    }

    /// The modules' types, read on first use: `None` when this BTF is not
    /// the running kernel's (a test's) or there are no modules.
    pub(super) fn modules(&self) -> Option<&Modules> {
        let dir = self.module_dir.as_deref()?;
        let modules = self.modules.get_or_init(|| self.read_modules(dir));
        (!modules.offsets.is_empty()).then_some(modules)
    }

    /// The modules' types if they have already been read.
    pub(super) fn loaded_modules(&self) -> Option<&Modules> {
        self.modules.get()
    }

    /// The number of type ids, modules' included once they are read.
    pub(super) fn type_id_end(&self) -> u32 {
        let modules = self.loaded_modules().map_or(0, |m| m.offsets.len());
        self.first_module_id() + modules as u32
    }

    /// A function only a module defines (a module's raw tracepoint stub).
    pub(super) fn module_function(&self, name: &str) -> Option<u32> {
        self.modules()?.functions.get(name).copied()
    }

    /// The module that defines type `id`, if a module does.
    pub fn module_of(&self, id: u32) -> Option<&str> {
        let modules = self.loaded_modules()?;
        modules
            .names
            .iter()
            .find(|(_, ids)| ids.contains(&id))
            .map(|(name, _)| name.as_str())
    }

    fn read_modules(&self, dir: &Path) -> Modules {
        let mut modules = Modules::default();
        let mut files: Vec<_> = match std::fs::read_dir(dir) {
            Ok(entries) => entries.flatten().map(|e| e.path()).collect(),
            Err(_) => return modules,
        };
        files.sort();
        for path in files {
            let Some(name) = path.file_name().and_then(|n| n.to_str()) else {
                continue;
            };
            if name == "vmlinux" {
                continue;
            }
            let name = name.to_string();
            let added = std::fs::read(&path)
                .map_err(|e| e.to_string())
                .and_then(|data| self.add_module(&mut modules, &name, &data));
            if let Err(why) = added {
                modules.skipped.push(format!("{}: {why}", path.display()));
            }
        }
        modules
    }

    /// Appends one module's split BTF, renumbering its references.
    pub(super) fn add_module(
        &self,
        modules: &mut Modules,
        name: &str,
        data: &[u8],
    ) -> Result<(), String> {
        let u32_at = |at: usize| -> Result<u32, String> {
            data.get(at..at + 4)
                .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
                .ok_or_else(|| "truncated BTF".to_string())
        };
        if data.get(0..2) != Some(&MAGIC.to_le_bytes()[..]) {
            return Err("not BTF data (bad magic number)".into());
        }
        let header_len = (u32_at(4)? as usize).max(HEADER_LEN);
        let (type_off, type_len) = (u32_at(8)? as usize, u32_at(12)? as usize);
        let (str_off, str_len) = (u32_at(16)? as usize, u32_at(20)? as usize);
        let types = header_len + type_off..header_len + type_off + type_len;
        let strings = header_len + str_off..header_len + str_off + str_len;
        if types.end > data.len() || strings.end > data.len() {
            return Err("truncated BTF data".into());
        }

        let base_ids = self.first_module_id();
        let base_strings = self.strings.len() as u32;
        let first_id = base_ids + modules.offsets.len() as u32;
        let first_string = base_strings + modules.strings.len() as u32;
        let type_ref = |id: u32| {
            if id < base_ids {
                id
            } else {
                first_id + (id - base_ids)
            }
        };
        let string_ref = |off: u32| {
            if off < base_strings {
                off
            } else {
                first_string + (off - base_strings)
            }
        };

        // A name's text, in this module's strings or vmlinux's.
        let name_at = |off: u32| -> Option<&[u8]> {
            let bytes = match off.checked_sub(base_strings) {
                Some(own) => data.get(strings.start + own as usize..strings.end)?,
                None => self.string(off).as_bytes(),
            };
            Some(&bytes[..bytes.iter().position(|&b| b == 0).unwrap_or(bytes.len())])
        };

        // Rewrite into a scratch copy so a corrupt file adds nothing.
        let mut records: Vec<u8> = Vec::with_capacity(type_len);
        let mut offsets = Vec::new();
        let mut functions = Vec::new();
        let mut at = types.start;
        while at < types.end {
            let info = u32_at(at + 4)?;
            let (record_kind, vlen) = ((info >> 24) & 0x1f, (info & 0xffff) as usize);
            let raw = super::Raw {
                name_off: u32_at(at)?,
                kind: record_kind,
                vlen: vlen as u32,
                kind_flag: info >> 31 == 1,
                size_or_type: u32_at(at + 8)?,
                extra: at + 12,
            };
            let end = raw.extra + extra_len(&raw)?;
            if end > types.end {
                return Err("truncated BTF type".into());
            }
            let mut words: Vec<u32> = (at..end).step_by(4).map(u32_at).collect::<Result<_, _>>()?;
            if record_kind == kind::FUNC {
                let name = name_at(words[0]).ok_or("a function's name is outside the strings")?;
                let id = first_id + offsets.len() as u32;
                functions.push((String::from_utf8_lossy(name).into_owned(), id));
            }
            words[0] = string_ref(words[0]);
            if size_or_type_is_a_type(record_kind) {
                words[2] = type_ref(words[2]);
            }
            let extra = &mut words[3..];
            match record_kind {
                kind::ARRAY => {
                    extra[0] = type_ref(extra[0]);
                    extra[1] = type_ref(extra[1]);
                }
                kind::STRUCT | kind::UNION => {
                    for member in extra.chunks_mut(3) {
                        member[0] = string_ref(member[0]);
                        member[1] = type_ref(member[1]);
                    }
                }
                kind::ENUM | kind::ENUM64 => {
                    for value in extra.chunks_mut(if record_kind == kind::ENUM { 2 } else { 3 }) {
                        value[0] = string_ref(value[0]);
                    }
                }
                kind::FUNC_PROTO => {
                    for param in extra.chunks_mut(2) {
                        param[0] = string_ref(param[0]);
                        param[1] = type_ref(param[1]);
                    }
                }
                kind::DATASEC => {
                    for var in extra.chunks_mut(3) {
                        var[0] = type_ref(var[0]);
                    }
                }
                _ => {}
            }
            offsets.push((modules.types.len() + records.len()) as u32);
            records.extend(words.iter().flat_map(|w| w.to_le_bytes()));
            at = end;
        }

        let ids = first_id..first_id + offsets.len() as u32;
        modules.types.extend_from_slice(&records);
        modules.offsets.extend_from_slice(&offsets);
        modules.strings.extend_from_slice(&data[strings]);
        modules.names.push((name.to_string(), ids));
        for (function, id) in functions {
            modules.functions.entry(function).or_insert(id);
        }
        Ok(())
    }
}

/// Whether the common header's third word names a type (rather than
/// holding a size).
fn size_or_type_is_a_type(record_kind: u32) -> bool {
    matches!(
        record_kind,
        kind::PTR
            | kind::TYPEDEF
            | kind::VOLATILE
            | kind::CONST
            | kind::RESTRICT
            | kind::FUNC
            | kind::FUNC_PROTO
            | kind::VAR
            | kind::DECL_TAG
            | kind::TYPE_TAG
    )
}

#[cfg(test)]
mod tests {
    use super::super::build::{kind, Builder};
    use super::super::{NameSpace, Shape};
    use super::*;

    /// vmlinux: `int`, `struct sock { int state; }`.
    fn vmlinux() -> Vec<u8> {
        let mut b = Builder::new();
        let int = b.int("int", 4, true); // 1
        let state = b.string("state");
        b.add("sock", kind::STRUCT, 1, false, 4, &[state, int, 0]); // 2
        b.finish()
    }

    /// A module split on vmlinux: `struct NAME { struct sock *sk; struct
    /// NAME *next; int id; }`, `enum NAME_mode { NAME_ON = value }` and
    /// the raw tracepoint `NAME_event(void *, struct NAME *)`.
    fn module(base: &Btf, name: &str, value: u32) -> Vec<u8> {
        let mut b = Builder::split(base);
        let first = base.first_module_id();
        let sock_ptr = b.add("", kind::PTR, 0, false, 2, &[]); // first
        let own_ptr = first + 2;
        let (sk, next, id) = (b.string("sk"), b.string("next"), b.string("id"));
        let record = b.add(
            name,
            kind::STRUCT,
            3,
            false,
            24,
            &[sk, sock_ptr, 0, next, own_ptr, 64, id, 1, 128],
        );
        assert_eq!(b.add("", kind::PTR, 0, false, record, &[]), own_ptr);
        let on = b.string(&format!("{name}_ON"));
        b.add(
            &format!("{name}_mode"),
            kind::ENUM,
            1,
            false,
            4,
            &[on, value],
        );
        let void_ptr = b.add("", kind::PTR, 0, false, 0, &[]);
        let (data, arg) = (b.string("__data"), b.string("item"));
        let proto = b.add(
            "",
            kind::FUNC_PROTO,
            2,
            false,
            0,
            &[data, void_ptr, arg, own_ptr],
        );
        b.add(
            &format!("__bpf_trace_{name}_event"),
            kind::FUNC,
            1,
            false,
            proto,
            &[],
        );
        b.finish()
    }

    /// vmlinux plus the modules `alpha` and `beta` in a directory, as
    /// `/sys/kernel/btf` holds them.
    fn kernel_with_modules(dir_name: &str) -> (Btf, std::path::PathBuf) {
        let dir =
            std::env::temp_dir().join(format!("rtrace-btf-{}-{dir_name}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let base = Btf::parse(vmlinux()).unwrap();
        std::fs::write(dir.join("vmlinux"), vmlinux()).unwrap();
        std::fs::write(dir.join("alpha"), module(&base, "alpha", 7)).unwrap();
        std::fs::write(dir.join("beta"), module(&base, "beta", 9)).unwrap();
        std::fs::write(dir.join("broken"), b"not btf").unwrap();
        (base.with_modules(&dir), dir)
    }

    #[test]
    fn module_types_get_ids_of_their_own() {
        let (btf, dir) = kernel_with_modules("ids");
        assert_eq!(btf.named_type(NameSpace::Tag, "sock"), Some(2));
        assert!(
            btf.loaded_modules().is_none(),
            "vmlinux names need no module"
        );

        let alpha = btf.named_type(NameSpace::Tag, "alpha").unwrap();
        let beta = btf.named_type(NameSpace::Tag, "beta").unwrap();
        assert_ne!(alpha, beta, "both modules number from the same split id");
        assert_eq!(btf.module_of(alpha), Some("alpha"));
        assert_eq!(btf.module_of(beta), Some("beta"));
        assert_eq!(btf.module_of(2), None);
        assert_eq!(btf.type_name(beta), "struct beta");
        assert_eq!(btf.member_names(beta), ["sk", "next", "id"]);

        // A reference into vmlinux stays one.
        let sk = btf.member(beta, "sk").unwrap();
        let Shape::Pointer { pointee } = btf.shape(sk.type_id) else {
            panic!("sk is a pointer")
        };
        assert_eq!(pointee, 2);
        assert_eq!(btf.type_name(sk.type_id), "struct sock *");
        // A reference within the module is renumbered with it.
        let next = btf.member(beta, "next").unwrap();
        assert_eq!(btf.type_name(next.type_id), "struct beta *");
        assert_eq!(btf.shape(next.type_id), Shape::Pointer { pointee: beta });
        let id = btf.member(beta, "id").unwrap();
        assert_eq!(
            (id.bit_offset, btf.type_name(id.type_id)),
            (128, "int".into())
        );

        assert_eq!(btf.enum_constant("beta_ON").map(|(v, _)| v), Some(9));
        assert_eq!(btf.enum_constant("alpha_ON").map(|(v, _)| v), Some(7));
        let proto = btf.raw_tracepoint("beta_event").unwrap();
        assert_eq!(proto.params[0].name, "item");
        assert_eq!(proto.params[0].ty.text, "struct beta *");

        let modules = btf.loaded_modules().unwrap();
        assert_eq!(modules.skipped.len(), 1, "{:?}", modules.skipped);
        assert!(modules.skipped[0].contains("broken"));
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn without_a_module_directory_only_vmlinux_is_searched() {
        let btf = Btf::parse(vmlinux()).unwrap();
        assert_eq!(btf.named_type(NameSpace::Tag, "alpha"), None);
        assert!(btf.loaded_modules().is_none());
    }

    #[test]
    fn corrupt_module_data_adds_nothing() {
        let base = Btf::parse(vmlinux()).unwrap();
        let good = module(&base, "alpha", 7);
        for cut in 0..good.len() {
            let mut modules = Modules::default();
            if base
                .add_module(&mut modules, "alpha", &good[..cut])
                .is_err()
            {
                assert!(modules.offsets.is_empty() && modules.strings.is_empty());
            }
        }
    }
}
