//! The dynamic linker's cache, `/etc/ld.so.cache`: which file a library
//! name such as `libc.so.6` loads. Read directly (glibc's format, old and
//! new), or from `ldconfig -p` when the file cannot be read.

use std::path::PathBuf;

pub const LD_SO_CACHE: &str = "/etc/ld.so.cache";

const NEW_MAGIC: &[u8] = b"glibc-ld.so.cache1.1";
const OLD_MAGIC: &[u8] = b"ld.so-1.7.0";
/// `FLAG_ELF_LIBC6`: a glibc ELF library.
const FLAG_ELF_LIBC6: i32 = 0x0003;
const FLAG_TYPE_MASK: i32 = 0x00ff;
const FLAG_ARCH_MASK: i32 = 0xff00;
/// `FLAG_X8664_LIB64`
const FLAG_X8664: i32 = 0x0300;

/// One library the cache knows.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    /// The soname, `libc.so.6`.
    pub name: String,
    pub path: PathBuf,
}

/// The x86-64 libraries of the cache, in the cache's order (the linker's
/// preference order).
pub fn load() -> Result<Vec<Entry>, String> {
    match std::fs::read(LD_SO_CACHE) {
        Ok(data) => parse(&data),
        Err(file_error) => {
            let output = std::process::Command::new("ldconfig")
                .arg("-p")
                .output()
                .map_err(|e| {
                    format!("cannot read {LD_SO_CACHE} ({file_error}) nor run ldconfig -p ({e})")
                })?;
            Ok(parse_ldconfig_output(&String::from_utf8_lossy(
                &output.stdout,
            )))
        }
    }
}

/// Parses the binary cache. Files in the old format carry the new format
/// after the old table; only the new one is read then.
pub fn parse(data: &[u8]) -> Result<Vec<Entry>, String> {
    if data.starts_with(NEW_MAGIC) {
        return parse_new(data);
    }
    if data.starts_with(OLD_MAGIC) {
        let count = read_u32(data, 12).ok_or("truncated cache header")? as usize;
        // 16-byte header (11-byte magic, padding, count) and 12-byte entries;
        // the new format follows, aligned to 8 bytes.
        let end_of_old = 16 + count * 12;
        let new_start = end_of_old.next_multiple_of(8);
        return match data.get(new_start..) {
            Some(rest) if rest.starts_with(NEW_MAGIC) => parse_new(rest),
            _ => Err("old-format cache without the new format".into()),
        };
    }
    Err("not a glibc ld.so.cache".into())
}

fn parse_new(data: &[u8]) -> Result<Vec<Entry>, String> {
    // Header: magic and version (20 bytes), nlibs, len_strings, flags and
    // padding, extension offset, three unused words: 48 bytes. Entries of
    // 24 bytes: flags, key, value, osversion, hwcap (u64). Key and value
    // are offsets from the start of the file's new-format part.
    const HEADER: usize = 48;
    const ENTRY: usize = 24;
    let count = read_u32(data, 20).ok_or("truncated cache header")? as usize;
    if data.len() < HEADER + count.saturating_mul(ENTRY) {
        return Err(format!("cache claims {count} entries but is too short"));
    }
    let mut entries = Vec::new();
    for i in 0..count {
        let at = HEADER + i * ENTRY;
        let flags = read_u32(data, at).ok_or("truncated entry")? as i32;
        let key = read_u32(data, at + 4).ok_or("truncated entry")? as usize;
        let value = read_u32(data, at + 8).ok_or("truncated entry")? as usize;
        if flags & FLAG_TYPE_MASK != FLAG_ELF_LIBC6 || flags & FLAG_ARCH_MASK != FLAG_X8664 {
            continue;
        }
        let (Some(name), Some(path)) = (c_string(data, key), c_string(data, value)) else {
            return Err(format!("entry {i} points outside the cache"));
        };
        entries.push(Entry {
            name,
            path: PathBuf::from(path),
        });
    }
    Ok(entries)
}

/// Parses `ldconfig -p`: lines such as
/// `\tlibc.so.6 (libc6,x86-64) => /lib/x86_64-linux-gnu/libc.so.6`.
pub fn parse_ldconfig_output(text: &str) -> Vec<Entry> {
    text.lines()
        .filter_map(|line| {
            let (left, path) = line.split_once(" => ")?;
            let (name, flags) = left.trim().split_once(' ')?;
            flags.contains("x86-64").then(|| Entry {
                name: name.to_string(),
                path: PathBuf::from(path.trim()),
            })
        })
        .collect()
}

fn read_u32(data: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes(data.get(at..at + 4)?.try_into().ok()?))
}

fn c_string(data: &[u8], at: usize) -> Option<String> {
    let rest = data.get(at..)?;
    let end = rest.iter().position(|&b| b == 0)?;
    Some(String::from_utf8_lossy(&rest[..end]).into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Builds a new-format cache from (flags, name, path) triples.
    fn cache(entries: &[(i32, &str, &str)]) -> Vec<u8> {
        let strings_at = 48 + entries.len() * 24;
        let mut strings = Vec::new();
        let mut table = Vec::new();
        for &(flags, name, path) in entries {
            let key = strings_at + strings.len();
            strings.extend_from_slice(name.as_bytes());
            strings.push(0);
            let value = strings_at + strings.len();
            strings.extend_from_slice(path.as_bytes());
            strings.push(0);
            table.extend_from_slice(&flags.to_le_bytes());
            table.extend_from_slice(&(key as u32).to_le_bytes());
            table.extend_from_slice(&(value as u32).to_le_bytes());
            table.extend_from_slice(&0u32.to_le_bytes());
            table.extend_from_slice(&0u64.to_le_bytes());
        }
        let mut data = NEW_MAGIC.to_vec();
        data.extend_from_slice(&(entries.len() as u32).to_le_bytes());
        data.extend_from_slice(&(strings.len() as u32).to_le_bytes());
        data.resize(48, 0);
        data.extend(table);
        data.extend(strings);
        data
    }

    #[test]
    fn new_format_keeps_x86_64_glibc_entries() {
        let data = cache(&[
            (0x0303, "libc.so.6", "/lib/x86_64-linux-gnu/libc.so.6"),
            (0x0003, "libc.so.6", "/lib32/libc.so.6"),
            (0x0303, "libm.so.6", "/lib/x86_64-linux-gnu/libm.so.6"),
        ]);
        let entries = parse(&data).unwrap();
        assert_eq!(
            entries,
            vec![
                Entry {
                    name: "libc.so.6".into(),
                    path: "/lib/x86_64-linux-gnu/libc.so.6".into()
                },
                Entry {
                    name: "libm.so.6".into(),
                    path: "/lib/x86_64-linux-gnu/libm.so.6".into()
                },
            ]
        );
    }

    #[test]
    fn old_format_wrapping_the_new_one() {
        let new = cache(&[(0x0303, "libz.so.1", "/usr/lib/libz.so.1")]);
        let mut data = OLD_MAGIC.to_vec();
        data.resize(12, 0);
        data.extend_from_slice(&1u32.to_le_bytes());
        data.extend_from_slice(&[0u8; 12]);
        data.resize(32, 0);
        data.extend(new);
        let entries = parse(&data).unwrap();
        assert_eq!(entries[0].path, PathBuf::from("/usr/lib/libz.so.1"));
    }

    #[test]
    fn malformed_caches_are_errors_not_panics() {
        assert!(parse(b"").is_err());
        assert!(parse(b"glibc-ld.so.cache1.1").is_err());
        let mut data = cache(&[(0x0303, "a", "b")]);
        data.truncate(60);
        assert!(parse(&data).is_err());
        let mut data = cache(&[(0x0303, "a", "b")]);
        data[52..56].copy_from_slice(&u32::MAX.to_le_bytes());
        assert!(parse(&data).is_err());
    }

    #[test]
    fn ldconfig_output() {
        let text = "1234 libs found in cache `/etc/ld.so.cache'\n\
            \tlibc.so.6 (libc6,x86-64) => /lib/x86_64-linux-gnu/libc.so.6\n\
            \tlibc.so.6 (libc6) => /lib32/libc.so.6\n\
            \tlibz.so.1 (libc6,x86-64, OS ABI: Linux 3.2.0) => /lib/x86_64-linux-gnu/libz.so.1\n";
        let entries = parse_ldconfig_output(text);
        assert_eq!(entries.len(), 2);
        assert_eq!(entries[0].name, "libc.so.6");
        assert_eq!(
            entries[1].path,
            PathBuf::from("/lib/x86_64-linux-gnu/libz.so.1")
        );
    }

    #[test]
    fn this_machine_cache_has_libc() {
        // Every glibc system has the cache; skip quietly elsewhere (musl).
        let Ok(data) = std::fs::read(LD_SO_CACHE) else {
            return;
        };
        let entries = parse(&data).unwrap();
        assert!(entries.iter().any(|e| e.name == "libc.so.6"));
    }
}
