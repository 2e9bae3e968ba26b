//! override() (bpf_override_return) works only on functions that allow
//! error injection (ALLOW_ERROR_INJECTION in the kernel's source, listed in
//! debugfs). The kernel refuses to attach such a program anywhere else
//! with a bare EINVAL; this says why.

use std::error::Error;

const LIST: &str = "/sys/kernel/debug/error_injection/list";

/// The cause of a refused attach of a program that calls override():
/// the reason, then the kernel's own words. `function` is the refused
/// function when it is known.
pub(super) fn explain(function: Option<&str>, errno: Option<i32>, cause: String) -> String {
    if errno != Some(libc::EINVAL) {
        return cause;
    }
    // A listed function was refused for another reason: say nothing more.
    if let (Some(function), Ok(list)) = (function, std::fs::read_to_string(LIST)) {
        if list
            .lines()
            .any(|line| line.split_whitespace().next() == Some(function))
        {
            return cause;
        }
    }
    let refused = match function {
        Some(f) => format!("'{f}' does not"),
        None => "one of these does not".to_string(),
    };
    format!(
        "override() needs a function that allows error injection, and {refused} (see {LIST}): {cause}"
    )
}

/// The errno behind an error, from the first I/O error in its chain.
pub(super) fn errno(e: &(dyn Error + 'static)) -> Option<i32> {
    let mut current = Some(e);
    while let Some(e) = current {
        if let Some(io) = e.downcast_ref::<std::io::Error>() {
            return io.raw_os_error();
        }
        current = e.source();
    }
    None
}
