//! What the front end needs to know about the running kernel, behind one
//! trait so the checker is tested with a fake.

use crate::btf::Btf;
use crate::tracepoint::TracepointFormat;
use std::collections::HashSet;

/// A function kprobes and fentry can trace.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TraceableFunction {
    pub name: String,
    /// `None` for the kernel image itself.
    pub module: Option<String>,
}

pub trait KernelInfo {
    /// Every tracepoint as `(category, event)`.
    fn tracepoints(&self) -> Result<Vec<(String, String)>, String>;
    /// The parsed format of one tracepoint, or `Ok(None)` when it does not
    /// exist.
    fn tracepoint_format(
        &self,
        category: &str,
        event: &str,
    ) -> Result<Option<TracepointFormat>, String>;

    // Kernel functions. The defaults describe a kernel that cannot trace
    // them, so a fake need not implement what its tests do not use.

    /// The functions kprobes and fentry can trace.
    fn traceable_functions(&self) -> Result<&[TraceableFunction], String> {
        Err("no traceable functions".into())
    }
    /// Functions the kernel refuses to kprobe.
    fn kprobe_blacklist(&self) -> &HashSet<String> {
        static EMPTY: std::sync::OnceLock<HashSet<String>> = std::sync::OnceLock::new();
        EMPTY.get_or_init(HashSet::new)
    }
    /// `None` when kprobes work, otherwise the reason they do not.
    fn kprobes_missing(&self) -> Option<String> {
        Some("not supported".into())
    }
    /// The kernel's BTF, parsed on first use.
    fn btf(&self) -> Result<&Btf, String> {
        Err("no BTF".into())
    }
    /// Whether an fentry program loads for the function with this BTF id,
    /// or why not.
    fn fentry_loads(&self, _btf_id: u32) -> Result<(), String> {
        Err("not supported".into())
    }
}

/// Shell-style glob matching (`*` and `?`), used to expand attach points.
pub fn glob_match(pattern: &str, text: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let t: Vec<char> = text.chars().collect();
    let (mut pi, mut ti) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == t[ti]) {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some((pi, ti));
            pi += 1;
        } else if let Some((sp, st)) = star {
            pi = sp + 1;
            ti = st + 1;
            star = Some((sp, st + 1));
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|&c| c == '*')
}

pub fn is_glob(text: &str) -> bool {
    text.contains(['*', '?'])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs() {
        assert!(glob_match("sched_*", "sched_switch"));
        assert!(glob_match("*", ""));
        assert!(glob_match("sys_enter_open*", "sys_enter_openat"));
        assert!(glob_match("sys_?nter_*at", "sys_enter_openat"));
        assert!(!glob_match("sched_*", "sys_enter"));
        assert!(!glob_match("sys_enter_open", "sys_enter_openat"));
    }
}
