//! A process's memory map (`/proc/PID/maps`), kept so that its user-space
//! addresses still resolve once it has exited.

use std::path::PathBuf;

/// A file mapped into the process.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Mapping {
    pub start: u64,
    pub end: u64,
    /// Where `start` is in the file.
    pub file_offset: u64,
    pub path: PathBuf,
}

/// The file-backed mappings of a `/proc/PID/maps` text, in address order.
/// Anonymous memory, the stack, the heap and the vDSO have no file to read
/// symbols from.
pub fn parse_maps(text: &str) -> Vec<Mapping> {
    text.lines()
        .filter_map(|line| {
            let (fields, path) = split_fields(line, 5);
            let [range, _perms, offset, _device, _inode] = fields.as_slice() else {
                return None;
            };
            let (start, end) = range.split_once('-')?;
            // The path may hold spaces; only absolute paths are files.
            let path = path.filter(|p| p.starts_with('/'))?;
            Some(Mapping {
                start: u64::from_str_radix(start, 16).ok()?,
                end: u64::from_str_radix(end, 16).ok()?,
                file_offset: u64::from_str_radix(offset, 16).ok()?,
                path: PathBuf::from(path),
            })
        })
        .collect()
}

/// The first `n` whitespace-separated fields of a line, and the rest of
/// it without its leading and trailing whitespace.
fn split_fields(line: &str, n: usize) -> (Vec<&str>, Option<&str>) {
    let mut fields = Vec::with_capacity(n);
    let mut rest = line;
    for _ in 0..n {
        rest = rest.trim_start();
        let end = rest.find(char::is_whitespace).unwrap_or(rest.len());
        if end == 0 {
            break;
        }
        fields.push(&rest[..end]);
        rest = &rest[end..];
    }
    let rest = rest.trim();
    (fields, (!rest.is_empty()).then_some(rest))
}

/// The mapping that holds `address`.
pub fn find(mappings: &[Mapping], address: u64) -> Option<&Mapping> {
    let after = mappings.partition_point(|m| m.start <= address);
    let m = &mappings[after.checked_sub(1)?];
    (address < m.end).then_some(m)
}

/// Reads a live process's mappings; `None` once it has exited.
pub fn read(pid: u32) -> Option<Vec<Mapping>> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/maps")).ok()?;
    let mappings = parse_maps(&text);
    // A zombie's maps are empty: nothing worth keeping.
    (!mappings.is_empty()).then_some(mappings)
}

#[cfg(test)]
mod tests {
    use super::*;

    const MAPS: &str = "\
55d0c7a00000-55d0c7a05000 r--p 00000000 fe:01 1234   /usr/bin/my prog
55d0c7a05000-55d0c7a20000 r-xp 00005000 fe:01 1234   /usr/bin/my prog
55d0c8a00000-55d0c8a21000 rw-p 00000000 00:00 0      [heap]
7f1e2a000000-7f1e2a028000 r--p 00000000 fe:01 99     /usr/lib/libc.so.6
7f1e2a028000-7f1e2a1bd000 r-xp 00028000 fe:01 99     /usr/lib/libc.so.6
7ffd1c000000-7ffd1c021000 rw-p 00000000 00:00 0      [stack]
7ffd1c1fe000-7ffd1c200000 r-xp 00000000 00:00 0      [vdso]
";

    #[test]
    fn keeps_file_mappings_with_their_offsets() {
        let m = parse_maps(MAPS);
        assert_eq!(m.len(), 4);
        assert_eq!(m[1].path, PathBuf::from("/usr/bin/my prog"));
        assert_eq!(m[1].file_offset, 0x5000);
        let libc = find(&m, 0x7f1e2a028010).expect("in libc");
        assert_eq!(libc.path, PathBuf::from("/usr/lib/libc.so.6"));
        assert_eq!(0x7f1e2a028010 - libc.start + libc.file_offset, 0x28010);
        assert_eq!(find(&m, 0x55d0c8a00010), None);
        assert_eq!(find(&m, 0x1000), None);
    }
}
