//! Kernel function probes: `kprobe:`, `kretprobe:`, `fentry:` and `fexit:`
//! attach points, written `[MODULE:]FUNCTION[+OFFSET]`.

use super::ProbeKind;

/// A kernel function probe as written; `function` may be a glob until the
/// checker expands it.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct KernelFunction {
    /// `Kprobe`, `Kretprobe`, `Fentry` or `Fexit`: what the user asked for,
    /// and the name the `probe` builtin prints.
    pub kind: ProbeKind,
    pub module: Option<String>,
    pub function: String,
    /// Bytes into the function (kprobes only).
    pub offset: u64,
}

/// How the kernel runs the program of a kernel function probe. A kprobe
/// may run as fentry (and the reverse) on a kernel that has only the other.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Mechanism {
    /// A kprobe or kretprobe: the program sees `struct pt_regs`.
    Kprobe,
    /// A BPF trampoline (fentry or fexit): the program sees the arguments
    /// as 8-byte slots, and at return the return value after them.
    Trampoline {
        /// The function's type id in the kernel's BTF, which the program is
        /// loaded for.
        btf_id: u32,
    },
}

impl KernelFunction {
    /// Whether the probe fires when the function returns.
    pub fn at_return(&self) -> bool {
        matches!(self.kind, ProbeKind::Kretprobe | ProbeKind::Fexit)
    }

    /// `kprobe:vfs_read`, `kprobe:ext4:ext4_sync_file`, `kprobe:vfs_read+4`.
    pub fn name(&self) -> String {
        let kind = super::probe_type_of(self.kind).name;
        let module = self
            .module
            .as_deref()
            .map(|m| format!("{m}:"))
            .unwrap_or_default();
        let offset = match self.offset {
            0 => String::new(),
            n => format!("+{n}"),
        };
        format!("{kind}:{module}{}{offset}", self.function)
    }

    /// The mechanism a probe of this kind uses when the kernel has it.
    pub fn native_is_kprobe(&self) -> bool {
        matches!(self.kind, ProbeKind::Kprobe | ProbeKind::Kretprobe)
    }
}

/// Parses the text after `kprobe:` (and the other kinds'), returning a
/// message for the diagnostic on failure.
pub fn parse(kind: ProbeKind, rest: Option<&str>) -> Result<KernelFunction, String> {
    let rest = rest
        .filter(|r| !r.is_empty())
        .ok_or("the function is missing")?;
    let (module, target) = match rest.split_once(':') {
        Some((module, target)) => (Some(module), target),
        None => (None, rest),
    };
    if module.is_some_and(|m| m.is_empty() || !is_symbol(m)) {
        return Err(format!("malformed module name in '{rest}'"));
    }
    let (function, offset) = match target.split_once('+') {
        Some((function, offset)) => (function, Some(offset)),
        None => (target, None),
    };
    let globbed = function.contains(['*', '?']);
    if function.is_empty()
        || !function
            .chars()
            .all(|c| is_symbol_char(c) || c == '*' || c == '?')
    {
        return Err(format!("malformed function name '{function}'"));
    }
    let offset = match offset {
        None => 0,
        Some(text) => {
            if kind != ProbeKind::Kprobe {
                return Err("only kprobes take an offset (FUNCTION+OFFSET)".into());
            }
            if globbed {
                return Err("an offset cannot follow a wildcard".into());
            }
            parse_offset(text).ok_or_else(|| format!("malformed offset '{text}'"))?
        }
    };
    Ok(KernelFunction {
        kind,
        module: module.map(str::to_string),
        function: function.to_string(),
        offset,
    })
}

fn parse_offset(text: &str) -> Option<u64> {
    match text.strip_prefix("0x").or_else(|| text.strip_prefix("0X")) {
        Some(hex) => u64::from_str_radix(hex, 16).ok(),
        None => text.parse().ok(),
    }
}

fn is_symbol_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_' || c == '.'
}

fn is_symbol(text: &str) -> bool {
    text.chars().all(|c| is_symbol_char(c) || c == '-')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_module_offset_and_glob() {
        let f = parse(ProbeKind::Kprobe, Some("do_sys_open")).unwrap();
        assert_eq!(
            (f.module, f.function.as_str(), f.offset),
            (None, "do_sys_open", 0)
        );
        let f = parse(ProbeKind::Kprobe, Some("ext4:ext4_sync_file")).unwrap();
        assert_eq!(f.module.as_deref(), Some("ext4"));
        assert_eq!(f.name(), "kprobe:ext4:ext4_sync_file");
        let f = parse(ProbeKind::Kprobe, Some("vfs_read+0x10")).unwrap();
        assert_eq!(f.offset, 16);
        assert_eq!(f.name(), "kprobe:vfs_read+16");
        let f = parse(ProbeKind::Fexit, Some("vfs_*")).unwrap();
        assert_eq!(f.name(), "fexit:vfs_*");
        assert!(f.at_return());
    }

    #[test]
    fn malformed() {
        assert!(parse(ProbeKind::Kprobe, None).is_err());
        assert!(parse(ProbeKind::Kprobe, Some("")).is_err());
        assert!(parse(ProbeKind::Kprobe, Some(":f")).is_err());
        assert!(parse(ProbeKind::Kprobe, Some("f+x")).is_err());
        assert!(parse(ProbeKind::Kprobe, Some("f*+4")).is_err());
        assert!(parse(ProbeKind::Kretprobe, Some("f+4")).is_err());
        assert!(parse(ProbeKind::Fentry, Some("f+4")).is_err());
        assert!(parse(ProbeKind::Kprobe, Some("a b")).is_err());
    }
}
