//! Attach-point text of the user-space probes: `uprobe:PATH:FUNCTION`,
//! `uprobe:PATH:FUNCTION+OFFSET`, `uprobe:PATH:ADDRESS`,
//! `usdt:PATH:[PROVIDER:]NAME`.

use super::AttachSpec;

/// Where in a binary a uprobe goes, as written.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum UprobeLocation {
    /// A function name or glob, plus a byte offset into the function.
    Function { pattern: String, offset: u64 },
    /// A virtual address in the binary, as `nm` and `objdump` print it.
    Address(u64),
}

/// One resolved uprobe.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct UprobeTarget {
    /// The binary, resolved (`libc` becomes the library's path).
    pub path: String,
    /// `readline`, `readline+16` or `0x4a9cc0`: as `probe` prints it.
    pub location: String,
    /// The function the location is in, for `func`.
    pub function: Option<String>,
    /// Where the kernel places the probe: an offset in the file.
    pub file_offset: u64,
}

pub(super) fn parse_uprobe(ret: bool, rest: Option<&str>) -> Result<AttachSpec, String> {
    let rest = rest.unwrap_or_default();
    let Some((path, location)) = rest.rsplit_once(':') else {
        return Err(format!("malformed uprobe '{rest}': expected PATH:FUNCTION"));
    };
    if path.is_empty() || location.is_empty() {
        return Err(format!("malformed uprobe '{rest}': expected PATH:FUNCTION"));
    }
    let location = if let Some(address) = parse_number(location) {
        UprobeLocation::Address(address)
    } else {
        let (pattern, offset) = match location.split_once('+') {
            Some((name, offset)) => {
                let offset = parse_number(offset)
                    .ok_or_else(|| format!("the offset in '{location}' is not a number"))?;
                if crate::kernel::is_glob(name) {
                    return Err("a function glob cannot take an offset".into());
                }
                (name, offset)
            }
            None => (location, 0),
        };
        if pattern.is_empty() {
            return Err(format!("malformed uprobe '{rest}': no function name"));
        }
        if ret && offset != 0 {
            return Err("a uretprobe fires on return: it takes no offset".into());
        }
        UprobeLocation::Function {
            pattern: pattern.to_string(),
            offset,
        }
    };
    Ok(AttachSpec::Uprobe {
        ret,
        path: path.to_string(),
        location,
    })
}

pub(super) fn parse_usdt(rest: Option<&str>) -> Result<AttachSpec, String> {
    let rest = rest.unwrap_or_default();
    let fields: Vec<&str> = rest.split(':').collect();
    let (path, provider, name) = match fields.as_slice() {
        [path, name] => (*path, None, *name),
        [path, provider, name] => (*path, Some(provider.to_string()), *name),
        _ => {
            return Err(format!(
                "malformed USDT probe '{rest}': expected PATH:PROVIDER:NAME or PATH:NAME"
            ))
        }
    };
    if path.is_empty() || name.is_empty() || provider.as_deref() == Some("") {
        return Err(format!(
            "malformed USDT probe '{rest}': expected PATH:PROVIDER:NAME or PATH:NAME"
        ));
    }
    Ok(AttachSpec::Usdt {
        path: path.to_string(),
        provider,
        name: name.to_string(),
    })
}

/// `0x1f` or `31`; names that merely start with a digit are not numbers.
fn parse_number(text: &str) -> Option<u64> {
    match text.strip_prefix("0x").or_else(|| text.strip_prefix("0X")) {
        Some(hex) => u64::from_str_radix(hex, 16).ok(),
        None if text.bytes().all(|b| b.is_ascii_digit()) => text.parse().ok(),
        None => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn uprobe(text: &str) -> Result<AttachSpec, String> {
        parse_uprobe(false, Some(text))
    }

    #[test]
    fn functions_offsets_and_addresses() {
        assert_eq!(
            uprobe("/bin/bash:readline").unwrap(),
            AttachSpec::Uprobe {
                ret: false,
                path: "/bin/bash".into(),
                location: UprobeLocation::Function {
                    pattern: "readline".into(),
                    offset: 0
                }
            }
        );
        let AttachSpec::Uprobe { location, .. } = uprobe("libc:malloc+0x10").unwrap() else {
            panic!()
        };
        assert_eq!(
            location,
            UprobeLocation::Function {
                pattern: "malloc".into(),
                offset: 16
            }
        );
        let AttachSpec::Uprobe { location, .. } = uprobe("./a.out:0x401000").unwrap() else {
            panic!()
        };
        assert_eq!(location, UprobeLocation::Address(0x401000));
        let AttachSpec::Uprobe { path, .. } = uprobe("/bin/bash:read*").unwrap() else {
            panic!()
        };
        assert_eq!(path, "/bin/bash");
    }

    #[test]
    fn malformed_uprobes() {
        assert!(uprobe("readline").is_err());
        assert!(uprobe(":readline").is_err());
        assert!(uprobe("/bin/bash:").is_err());
        assert!(uprobe("/bin/bash:read*+4").is_err());
        assert!(uprobe("/bin/bash:readline+x").is_err());
        assert!(parse_uprobe(true, Some("/bin/bash:readline+4")).is_err());
        assert!(parse_uprobe(false, None).is_err());
    }

    #[test]
    fn usdt_with_and_without_provider() {
        assert_eq!(
            parse_usdt(Some("/usr/bin/python3:python:function__entry")).unwrap(),
            AttachSpec::Usdt {
                path: "/usr/bin/python3".into(),
                provider: Some("python".into()),
                name: "function__entry".into()
            }
        );
        assert_eq!(
            parse_usdt(Some("./app:start")).unwrap(),
            AttachSpec::Usdt {
                path: "./app".into(),
                provider: None,
                name: "start".into()
            }
        );
        assert!(parse_usdt(Some("./app")).is_err());
        assert!(parse_usdt(Some("./app::x")).is_err());
        assert!(parse_usdt(Some("a:b:c:d")).is_err());
    }
}
