//! Tracepoint format files (`/sys/kernel/tracing/events/CAT/NAME/format`)
//! parsed into typed fields, so `args.filename` is checked and read at the
//! right offset.

use crate::types::{IntType, PtrType, Type};

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TracepointFormat {
    pub fields: Vec<Field>,
    /// Where a kernel function probe finds the function's return value
    /// (fexit, kretprobe), when its context is typed from BTF.
    pub retval: Option<Field>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Field {
    pub name: String,
    /// The C declaration as the kernel wrote it, for `-lv` and messages.
    pub declaration: String,
    pub offset: u32,
    pub size: u32,
    pub kind: FieldKind,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FieldKind {
    Int(IntType),
    /// `char name[N]` stored inline in the record.
    InlineString,
    /// `__u8 name[N]` (any one-byte element other than `char`) stored
    /// inline in the record: bytes such as addresses, for `ntop()` and
    /// `macaddr()`.
    InlineBytes,
    /// `__data_loc char[] name`: a u32 whose low half is the string's
    /// offset in the record and high half its length.
    DataLocString,
    /// A pointer: into the traced process's memory when `user`; typed
    /// from BTF for kernel functions' arguments.
    Pointer(PtrType),
    /// `unsigned long args[6]`: `count` integers stored inline in the
    /// record, read one at a time as `args.NAME[i]`.
    IntArray {
        element: IntType,
        count: u32,
    },
    /// Flexible arrays, other arrays and anything else we cannot type yet.
    Unsupported,
}

impl Field {
    /// The rtrace type of `args.NAME`.
    pub fn value_type(&self) -> Option<Type> {
        match self.kind {
            FieldKind::Int(int) => Some(Type::Int(int)),
            FieldKind::InlineString => Some(Type::Str(self.size + 1)),
            FieldKind::InlineBytes => Some(Type::Bytes(self.size)),
            FieldKind::DataLocString => Some(Type::Str(crate::types::DEFAULT_STR_SIZE)),
            FieldKind::Pointer(p) => Some(Type::Ptr(p)),
            FieldKind::IntArray { .. } | FieldKind::Unsupported => None,
        }
    }

    /// The element type and count of a field read as `args.NAME[i]`:
    /// integer arrays, and byte arrays, which are also values of their own.
    pub fn elements(&self) -> Option<(IntType, u32)> {
        match self.kind {
            FieldKind::IntArray { element, count } => Some((element, count)),
            FieldKind::InlineBytes => Some((
                IntType {
                    bits: 8,
                    signed: false,
                },
                self.size,
            )),
            _ => None,
        }
    }
}

impl TracepointFormat {
    pub fn field(&self, name: &str) -> Option<&Field> {
        self.fields.iter().find(|f| f.name == name)
    }

    /// Parses a format file. `category` decides the address space of
    /// pointer fields: the arguments of `syscalls:*` point into user memory.
    pub fn parse(category: &str, text: &str) -> Result<TracepointFormat, String> {
        let user_pointers = category == "syscalls";
        let mut fields = Vec::new();
        for line in text.lines() {
            let line = line.trim();
            let Some(rest) = line.strip_prefix("field:") else {
                continue;
            };
            let field = parse_field(rest, user_pointers)
                .ok_or_else(|| format!("cannot parse tracepoint field line `{line}`"))?;
            // The common_* header fields are not the event's arguments.
            if !field.name.starts_with("common_") {
                fields.push(field);
            }
        }
        Ok(TracepointFormat {
            fields,
            retval: None,
        })
    }
}

/// `const char * filename; offset:24; size:8; signed:0;` (tab-separated)
fn parse_field(text: &str, user_pointers: bool) -> Option<Field> {
    let mut parts = text.split(';').map(str::trim);
    let declaration = parts.next()?.to_string();
    let mut offset = None;
    let mut size = None;
    let mut signed = false;
    for part in parts {
        if let Some(v) = part.strip_prefix("offset:") {
            offset = v.parse().ok();
        } else if let Some(v) = part.strip_prefix("size:") {
            size = v.parse().ok();
        } else if let Some(v) = part.strip_prefix("signed:") {
            signed = v == "1";
        }
    }
    let (offset, size) = (offset?, size?);
    let (name, kind) = classify(&declaration, size, signed, user_pointers)?;
    Some(Field {
        name,
        declaration,
        offset,
        size,
        kind,
    })
}

fn classify(decl: &str, size: u32, signed: bool, user: bool) -> Option<(String, FieldKind)> {
    if let Some(rest) = decl.strip_prefix("__data_loc") {
        return Some(classify_data_loc(rest));
    }
    let (head, array) = match decl.find('[') {
        Some(i) => (&decl[..i], Some(&decl[i..])),
        None => (decl, None),
    };
    let name = head
        .rsplit(|c: char| c.is_whitespace() || c == '*')
        .next()
        .filter(|n| !n.is_empty())?
        .to_string();
    let base = head[..head.len() - name.len()].trim();
    // Only `char` arrays are strings, as in bpftrace: `unsigned char
    // addr[6]` (bridge:br_fdb_add) holds bytes.
    let is_char = c_words(base) == ["char"];
    let kind = if let Some(brackets) = array {
        if is_char {
            FieldKind::InlineString
        } else if is_byte(base) && size > 0 {
            FieldKind::InlineBytes
        } else {
            int_array(brackets, size, signed)
        }
    } else if base.contains('*') {
        FieldKind::Pointer(PtrType::untyped(user))
    } else if matches!(size, 1 | 2 | 4 | 8) {
        FieldKind::Int(IntType {
            bits: (size * 8) as u8,
            signed,
        })
    } else {
        FieldKind::Unsupported
    };
    Some((name, kind))
}

/// `[6]` of `unsigned long args[6]` (48 bytes): six 8-byte integers.
/// Flexible arrays (`[]`, size 0) have no count to check an index against.
fn int_array(brackets: &str, size: u32, signed: bool) -> FieldKind {
    let count = brackets
        .strip_prefix('[')
        .and_then(|b| b.strip_suffix(']'))
        .and_then(|n| n.trim().parse::<u32>().ok())
        .filter(|&n| n > 0 && size % n == 0);
    match count {
        Some(count) if matches!(size / count, 1 | 2 | 4 | 8) => FieldKind::IntArray {
            element: IntType {
                bits: (size / count * 8) as u8,
                signed,
            },
            count,
        },
        _ => FieldKind::Unsupported,
    }
}

/// The words of a C type without its qualifiers.
fn c_words(base: &str) -> Vec<&str> {
    base.split_whitespace()
        .filter(|w| !matches!(*w, "const" | "volatile"))
        .collect()
}

/// One-byte integer types other than `char` (which makes strings), as
/// the kernel spells them in format files.
fn is_byte(base: &str) -> bool {
    matches!(
        c_words(base).as_slice(),
        ["u8" | "__u8" | "uint8_t" | "s8" | "__s8" | "int8_t"] | ["unsigned" | "signed", "char"]
    )
}

/// `__data_loc TYPE[] NAME`: the array brackets belong to the type, so the
/// name is the last word (`__data_loc char[] filename`, and older kernels'
/// `__data_loc char [] filename`).
fn classify_data_loc(rest: &str) -> (String, FieldKind) {
    let rest = rest.trim();
    let (base, name) = match rest.rsplit_once(char::is_whitespace) {
        Some((base, name)) => (base.trim(), name),
        None => ("", rest),
    };
    let element: String = base.chars().filter(|c| !c.is_whitespace()).collect();
    let kind = if element == "char[]" {
        FieldKind::DataLocString
    } else {
        FieldKind::Unsupported
    };
    (name.to_string(), kind)
}

#[cfg(test)]
mod tests {
    use super::*;

    const OPENAT: &str = "name: sys_enter_openat\nID: 782\nformat:\n\
        \tfield:unsigned short common_type;\toffset:0;\tsize:2;\tsigned:0;\n\
        \tfield:int common_pid;\toffset:4;\tsize:4;\tsigned:1;\n\n\
        \tfield:int __syscall_nr;\toffset:8;\tsize:4;\tsigned:1;\n\
        \tfield:int dfd;\toffset:16;\tsize:8;\tsigned:0;\n\
        \tfield:const char * filename;\toffset:24;\tsize:8;\tsigned:0;\n\
        \tfield:umode_t mode;\toffset:40;\tsize:8;\tsigned:0;\n\nprint fmt: \"\"\n";

    #[test]
    fn syscall_fields_are_typed_and_pointers_are_user() {
        let format = TracepointFormat::parse("syscalls", OPENAT).unwrap();
        let names: Vec<_> = format.fields.iter().map(|f| f.name.as_str()).collect();
        assert_eq!(names, ["__syscall_nr", "dfd", "filename", "mode"]);
        let filename = format.field("filename").unwrap();
        assert_eq!(filename.offset, 24);
        assert_eq!(filename.value_type(), Some(Type::untyped_ptr(true)));
        assert_eq!(
            format.field("mode").unwrap().kind,
            FieldKind::Int(IntType::U64)
        );
        assert_eq!(
            format.field("__syscall_nr").unwrap().kind,
            FieldKind::Int(IntType::I32)
        );
    }

    #[test]
    fn strings_inline_and_data_loc() {
        let text = "\tfield:char prev_comm[16];\toffset:8;\tsize:16;\tsigned:0;\n\
            \tfield:__data_loc char[] filename;\toffset:8;\tsize:4;\tsigned:0;\n\
            \tfield:unsigned long args[6];\toffset:16;\tsize:48;\tsigned:0;\n";
        let format = TracepointFormat::parse("sched", text).unwrap();
        assert_eq!(format.fields[0].kind, FieldKind::InlineString);
        assert_eq!(format.fields[0].value_type(), Some(Type::Str(17)));
        assert_eq!(format.fields[1].name, "filename");
        assert_eq!(format.fields[1].kind, FieldKind::DataLocString);
        assert_eq!(format.fields[2].name, "args");
        assert_eq!(
            format.fields[2].kind,
            FieldKind::IntArray {
                element: IntType::U64,
                count: 6
            }
        );
    }

    #[test]
    fn integer_arrays_take_their_element_from_size_and_sign() {
        let text = "\tfield:long sysctl_mem[3];\toffset:40;\tsize:24;\tsigned:1;\n\
            \tfield:unsigned int rc[10];\toffset:12;\tsize:40;\tsigned:0;\n\
            \tfield:u32 buf[];\toffset:24;\tsize:0;\tsigned:0;\n\
            \tfield:u16 grid[2][4];\toffset:64;\tsize:16;\tsigned:0;\n";
        let format = TracepointFormat::parse("x", text).unwrap();
        let elements: Vec<_> = format.fields.iter().map(Field::elements).collect();
        assert_eq!(
            elements,
            [
                Some((IntType::I64, 3)),
                Some((IntType::U32, 10)),
                None,
                None
            ]
        );
        assert_eq!(format.fields[0].value_type(), None);
    }

    #[test]
    fn byte_arrays_are_inline_bytes() {
        let text = "\tfield:__u8 saddr[4];\toffset:32;\tsize:4;\tsigned:0;\n\
            \tfield:__u8 daddr_v6[16];\toffset:56;\tsize:16;\tsigned:0;\n\
            \tfield:unsigned char dev_addr[6];\toffset:72;\tsize:6;\tsigned:0;\n\
            \tfield:const u8 key[8];\toffset:80;\tsize:8;\tsigned:0;\n\
            \tfield:u16 ports[2];\toffset:88;\tsize:4;\tsigned:0;\n";
        let format = TracepointFormat::parse("sock", text).unwrap();
        let kinds: Vec<_> = format.fields.iter().map(|f| f.kind).collect();
        assert_eq!(
            kinds,
            [
                FieldKind::InlineBytes,
                FieldKind::InlineBytes,
                FieldKind::InlineBytes,
                FieldKind::InlineBytes,
                FieldKind::IntArray {
                    element: IntType {
                        bits: 16,
                        signed: false
                    },
                    count: 2
                }
            ]
        );
        assert_eq!(format.fields[0].value_type(), Some(Type::Bytes(4)));
        assert_eq!(format.fields[1].value_type(), Some(Type::Bytes(16)));
        assert_eq!(format.fields[1].name, "daddr_v6");
    }

    #[test]
    fn data_loc_names_follow_the_brackets() {
        let text = "\tfield:__data_loc char [] name;\toffset:8;\tsize:4;\tsigned:0;\n\
            \tfield:__data_loc u8[] buf;\toffset:12;\tsize:4;\tsigned:0;\n";
        let format = TracepointFormat::parse("x", text).unwrap();
        assert_eq!(format.fields[0].name, "name");
        assert_eq!(format.fields[0].kind, FieldKind::DataLocString);
        assert_eq!(format.fields[1].name, "buf");
        assert_eq!(format.fields[1].kind, FieldKind::Unsupported);
    }
}
