//! What the kernel offers for kernel function probes: the traceable
//! functions, the kprobe blacklist, whether kprobes and kprobe_multi links
//! exist, kernel BTF and whether fentry programs load. Each is read on
//! first use only.

use rtrace_lang::btf::Btf;
use rtrace_lang::kernel::TraceableFunction;
use std::collections::HashSet;
use std::os::fd::AsFd;
use std::path::Path;

const KPROBE_PMU_TYPE: &str = "/sys/bus/event_source/devices/kprobe/type";
const KPROBE_BLACKLIST: &str = "/sys/kernel/debug/kprobes/blacklist";
const VMLINUX_BTF: &str = "/sys/kernel/btf/vmlinux";
/// Where each loaded module's split BTF is, next to vmlinux's.
const MODULES_BTF: &str = "/sys/kernel/btf";
/// `RTRACE_PRETEND_MISSING=kprobes`, `=fentry`, `=kprobe_multi` or
/// several, comma-separated: act as on a kernel without them. The
/// fallbacks between kprobes and fentry, and from kprobe_multi links to
/// single kprobes, are tested this way on kernels that have both.
const PRETEND_MISSING: &str = "RTRACE_PRETEND_MISSING";

fn pretend_missing(feature: &str) -> Option<String> {
    let value = std::env::var(PRETEND_MISSING).ok()?;
    value
        .split(',')
        .any(|f| f.trim() == feature)
        .then(|| format!("{PRETEND_MISSING}={value}"))
}

/// `available_filter_functions`: one function a line, `name [module]`.
pub fn traceable_functions(tracefs: &Path) -> Result<Vec<TraceableFunction>, String> {
    let path = tracefs.join("available_filter_functions");
    let text = std::fs::read_to_string(&path).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => {
            "this kernel lists no traceable functions (it was built without CONFIG_FUNCTION_TRACER)"
                .to_string()
        }
        _ => format!("{}: {e}", path.display()),
    })?;
    Ok(parse_function_list(&text))
}

fn parse_function_list(text: &str) -> Vec<TraceableFunction> {
    text.lines()
        .filter_map(|line| {
            let mut words = line.split_whitespace();
            let name = words.next()?.to_string();
            let module = words
                .next()
                .map(|m| m.trim_start_matches('[').trim_end_matches(']').to_string());
            Some(TraceableFunction { name, module })
        })
        .collect()
}

/// Functions kprobes may not be placed on. The list is in debugfs; when
/// debugfs is not mounted the kernel still refuses them at attach time.
pub fn kprobe_blacklist() -> HashSet<String> {
    std::fs::read_to_string(KPROBE_BLACKLIST)
        .map(|text| parse_blacklist(&text))
        .unwrap_or_default()
}

/// `0xffffffff81001000-0xffffffff81001020\tsymbol [module]`
fn parse_blacklist(text: &str) -> HashSet<String> {
    text.lines()
        .filter_map(|line| line.split_whitespace().nth(1).map(str::to_string))
        .collect()
}

/// `None` when kprobes can be created, otherwise why not.
pub fn kprobes_missing() -> Option<String> {
    if let Some(pretend) = pretend_missing("kprobes") {
        return Some(pretend);
    }
    if Path::new(KPROBE_PMU_TYPE).exists() {
        None
    } else {
        Some("CONFIG_KPROBES is not set".into())
    }
}

/// `None` when kprobe programs attach through kprobe_multi links (Linux
/// 5.18+ with CONFIG_FPROBE), otherwise why not. The probe asks for a link
/// to a function that does not exist: a kernel that knows these links
/// looks the name up and fails with ESRCH, without attaching anything.
pub fn kprobe_multi_missing() -> Option<String> {
    if let Some(pretend) = pretend_missing("kprobe_multi") {
        return Some(pretend);
    }
    let program = match crate::sys::load_empty_kprobe_multi() {
        Ok(fd) => fd,
        Err(e) => return Some(format!("loading a kprobe_multi program fails: {e}")),
    };
    let nowhere = std::ffi::CString::new("rtrace_feature_probe_no_such_function")
        .expect("no NUL in the name");
    match crate::sys::kprobe_multi_link(program.as_fd(), &[nowhere], &[], false) {
        Ok(_) => None,
        Err(e) => match e.raw_os_error() {
            Some(libc::ESRCH | libc::ENOENT) => None,
            Some(libc::EOPNOTSUPP) => Some("CONFIG_FPROBE is not set".into()),
            Some(libc::EINVAL) => Some(format!(
                "BPF_LINK_CREATE refuses them: Linux 5.18 added them ({e})"
            )),
            _ => Some(format!("BPF_LINK_CREATE (kprobe_multi): {e}")),
        },
    }
}

pub fn read_btf() -> Result<Btf, String> {
    let data = std::fs::read(VMLINUX_BTF).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => {
            "no kernel BTF: CONFIG_DEBUG_INFO_BTF is not set".to_string()
        }
        _ => format!("{VMLINUX_BTF}: {e}"),
    })?;
    let btf = Btf::parse(data).map_err(|e| format!("{VMLINUX_BTF}: {e}"))?;
    Ok(btf.with_modules(MODULES_BTF))
}

/// Loads an empty fentry program for the function `btf_id`: whether this
/// kernel runs BPF trampolines at all.
pub fn fentry_loads(btf_id: u32) -> Result<(), String> {
    if let Some(pretend) = pretend_missing("fentry") {
        return Err(pretend);
    }
    crate::sys::load_empty_fentry(btf_id).map_err(|e| format!("loading one fails: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn function_list_with_modules() {
        let list = parse_function_list("vfs_read\nvfs_write\next4_sync_file [ext4]\n\n");
        assert_eq!(list.len(), 3);
        assert_eq!(list[0].name, "vfs_read");
        assert_eq!(list[0].module, None);
        assert_eq!(list[2].module.as_deref(), Some("ext4"));
    }

    #[test]
    fn blacklist_symbols() {
        let set = parse_blacklist(
            "0xffffffff81001000-0xffffffff81001020\tdo_int3\n0xffffffffc0001000-0xffffffffc0001010\tfoo [mod]\n",
        );
        assert!(set.contains("do_int3"));
        assert!(set.contains("foo"));
        assert_eq!(set.len(), 2);
    }
}
