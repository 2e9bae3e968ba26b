//! `rawtracepoint:NAME`: a tracepoint by its bare event name, checked
//! against the kernel's tracepoints (globs expand over them).

use super::TracepointList;
use crate::ast::AttachPoint;
use crate::check::CheckedAttach;
use crate::diagnostic::{closest, Diagnostic};
use crate::kernel::{glob_match, KernelInfo};
use crate::probes::Attach;
use std::rc::Rc;

pub(super) fn resolve(
    point: &AttachPoint,
    name: &str,
    kernel: &dyn KernelInfo,
    all: &mut TracepointList,
) -> Result<Vec<Attach>, Diagnostic> {
    let list = all
        .get_or_insert_with(|| kernel.tracepoints())
        .as_ref()
        .map_err(|e| {
            Diagnostic::error(
                point.span,
                format!("cannot read the kernel's tracepoints: {e}"),
            )
            .with_hint("rtrace needs root and tracefs (/sys/kernel/tracing)")
        })?;
    // The `syscalls` events are made up from the raw `sys_enter` and
    // `sys_exit` tracepoints; they have no raw tracepoint of their own.
    let mut names: Vec<&str> = list
        .iter()
        .filter(|(category, _)| category != "syscalls")
        .map(|(_, event)| event.as_str())
        .collect();
    names.sort_unstable();
    names.dedup();
    let found: Vec<Attach> = names
        .iter()
        .filter(|event| glob_match(name, event))
        .map(|event| Attach::RawTracepoint {
            name: event.to_string(),
        })
        .collect();
    if found.is_empty() {
        let mut d = Diagnostic::error(point.span, format!("no raw tracepoint matches '{name}'"))
            .with_label("not found in this kernel");
        if let Some(best) = closest(name, names.iter().copied()) {
            d = d.with_hint(format!("did you mean 'rawtracepoint:{best}'?"));
        }
        return Err(
            d.with_hint("`rtrace -l 'rawtracepoint:*'` lists the raw tracepoints of this kernel")
        );
    }
    Ok(found)
}

/// Gives raw tracepoint attaches the format of their arguments, from the
/// `btf_trace_NAME` prototype: one 8-byte slot per argument, as the
/// context (`struct bpf_raw_tracepoint_args`) holds them.
pub(super) fn type_arguments(attaches: &mut [CheckedAttach], kernel: &dyn KernelInfo) {
    for checked in attaches.iter_mut() {
        let Attach::RawTracepoint { name } = &checked.attach else {
            continue;
        };
        let Ok(btf) = kernel.btf() else { return };
        if let Some(proto) = btf.raw_tracepoint(name) {
            let mut format = super::super::kernel_function_format(&proto);
            format.retval = None;
            checked.format = Some(Rc::new(format));
        }
    }
}
