//! Wildcard kprobes on Linux 5.18+: one kprobe_multi link attaches a
//! program to all its functions at once (one ftrace update), where one
//! perf event per function took minutes for a thousand functions; closing
//! the link detaches them all, even when rtrace is killed.

use super::{error_chain, AttachError};
use rtrace_codegen::manifest::ProgramSpec;
use rtrace_lang::probes::Attach;
use std::ffi::CString;
use std::os::fd::{BorrowedFd, OwnedFd};

/// Attaches `program` (loaded for kprobe_multi links) to the functions of
/// `spec`, each with its cookie.
pub(super) fn attach(
    program: BorrowedFd,
    spec: &ProgramSpec,
    ret: bool,
) -> Result<OwnedFd, AttachError> {
    let cookies = spec.kprobe_multi.clone().unwrap_or_default();
    let mut functions = Vec::with_capacity(spec.attach.len());
    for attach in &spec.attach {
        let Attach::KernelFunction { target, .. } = attach else {
            return Err(super::mismatch(attach));
        };
        functions.push(
            CString::new(target.function.as_str()).map_err(|_| AttachError {
                probe: attach.name(),
                cause: "the name contains a NUL byte".into(),
            })?,
        );
    }
    crate::sys::kprobe_multi_link(program, &functions, &cookies, ret).map_err(|e| {
        let mut cause = explain(&e);
        // One refused function fails the whole link: name it.
        let refused = first_refused(program, &functions, ret);
        if spec.overrides_return {
            let function = refused.or((functions.len() == 1).then_some(0));
            let function = function.and_then(|i| functions[i].to_str().ok());
            cause = super::error_injection::explain(function, e.raw_os_error(), cause);
        }
        let probe = match refused {
            Some(i) => spec.attach[i].name(),
            None => match spec.attach.as_slice() {
                [one] => one.name(),
                [first, rest @ ..] => format!("{} and {} more", first.name(), rest.len()),
                [] => spec.symbol.clone(),
            },
        };
        AttachError { probe, cause }
    })
}

fn explain(e: &std::io::Error) -> String {
    let text = format!("BPF_LINK_CREATE (kprobe_multi): {}", error_chain(e));
    match e.raw_os_error() {
        Some(libc::ESRCH) => format!("{text}: the kernel has no such symbol"),
        _ => text,
    }
}

/// The function the kernel refuses, by bisection: each half that attaches
/// is released again, so this runs only on failure.
fn first_refused(program: BorrowedFd, functions: &[CString], ret: bool) -> Option<usize> {
    let refused = |range: std::ops::Range<usize>| {
        crate::sys::kprobe_multi_link(program, &functions[range], &[], ret).is_err()
    };
    let (mut lo, mut hi) = (0, functions.len());
    if hi < 2 {
        return None;
    }
    while hi - lo > 1 {
        let mid = (lo + hi) / 2;
        if refused(lo..mid) {
            hi = mid;
        } else {
            lo = mid;
        }
    }
    refused(lo..hi).then_some(lo)
}
