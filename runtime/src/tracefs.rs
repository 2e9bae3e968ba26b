//! tracefs: mounted on demand, and the kernel's tracepoints read from it.
//! `Tracefs` is the front end's view of the running kernel: kernel
//! function facts come from `kernel_functions`, each read on first use.

use crate::kernel_functions;
use rtrace_lang::btf::Btf;
use rtrace_lang::kernel::{KernelInfo, TraceableFunction};
use rtrace_lang::tracepoint::TracepointFormat;
use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

const TRACEFS: &str = "/sys/kernel/tracing";
const DEBUGFS_TRACING: &str = "/sys/kernel/debug/tracing";

/// Finds tracefs, mounting it at /sys/kernel/tracing when no one has.
pub fn ensure_mounted() -> Result<PathBuf, String> {
    for dir in [TRACEFS, DEBUGFS_TRACING] {
        if Path::new(dir).join("events").is_dir() {
            return Ok(PathBuf::from(dir));
        }
    }
    let target = std::ffi::CString::new(TRACEFS).expect("no NUL");
    let fstype = std::ffi::CString::new("tracefs").expect("no NUL");
    let source = std::ffi::CString::new("nodev").expect("no NUL");
    // SAFETY: all pointers are valid NUL-terminated strings for the call.
    let rc = unsafe {
        libc::mount(
            source.as_ptr(),
            target.as_ptr(),
            fstype.as_ptr(),
            0,
            std::ptr::null(),
        )
    };
    if rc != 0 {
        let err = std::io::Error::last_os_error();
        return Err(format!(
            "tracefs is not mounted and mounting it at {TRACEFS} failed: {err}"
        ));
    }
    Ok(PathBuf::from(TRACEFS))
}

/// The running kernel, as seen through tracefs.
#[derive(Default)]
pub struct Tracefs {
    root: OnceLock<Result<PathBuf, String>>,
    functions: OnceLock<Result<Vec<TraceableFunction>, String>>,
    blacklist: OnceLock<HashSet<String>>,
    btf: OnceLock<Result<Btf, String>>,
    /// Whether fentry programs load: asked once, for the first function.
    fentry: OnceLock<Result<(), String>>,
}

impl Tracefs {
    fn root(&self) -> Result<&Path, String> {
        self.root
            .get_or_init(ensure_mounted)
            .as_deref()
            .map_err(Clone::clone)
    }
}

impl KernelInfo for Tracefs {
    fn tracepoints(&self) -> Result<Vec<(String, String)>, String> {
        let events = self.root()?.join("events");
        let mut all = Vec::new();
        let categories =
            std::fs::read_dir(&events).map_err(|e| format!("{}: {e}", events.display()))?;
        for category in categories.flatten() {
            if !category.path().is_dir() {
                continue;
            }
            let cat = category.file_name().to_string_lossy().into_owned();
            for event in std::fs::read_dir(category.path())
                .into_iter()
                .flatten()
                .flatten()
            {
                if event.path().join("format").is_file() {
                    all.push((
                        cat.clone(),
                        event.file_name().to_string_lossy().into_owned(),
                    ));
                }
            }
        }
        all.sort();
        Ok(all)
    }

    fn tracepoint_format(
        &self,
        category: &str,
        event: &str,
    ) -> Result<Option<TracepointFormat>, String> {
        if category.contains(['/', '.']) || event.contains(['/', '.']) {
            return Ok(None);
        }
        let path = self
            .root()?
            .join("events")
            .join(category)
            .join(event)
            .join("format");
        match std::fs::read_to_string(&path) {
            Ok(text) => TracepointFormat::parse(category, &text).map(Some),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(format!("{}: {e}", path.display())),
        }
    }

    fn traceable_functions(&self) -> Result<&[TraceableFunction], String> {
        self.functions
            .get_or_init(|| kernel_functions::traceable_functions(self.root()?))
            .as_deref()
            .map_err(Clone::clone)
    }

    fn kprobe_blacklist(&self) -> &HashSet<String> {
        self.blacklist
            .get_or_init(kernel_functions::kprobe_blacklist)
    }

    fn kprobes_missing(&self) -> Option<String> {
        kernel_functions::kprobes_missing()
    }

    fn btf(&self) -> Result<&Btf, String> {
        self.btf
            .get_or_init(kernel_functions::read_btf)
            .as_ref()
            .map_err(Clone::clone)
    }

    fn fentry_loads(&self, btf_id: u32) -> Result<(), String> {
        self.fentry
            .get_or_init(|| kernel_functions::fentry_loads(btf_id))
            .clone()
    }
}
