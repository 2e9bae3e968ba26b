//! `rtrace -l [GLOB]`: the probes this kernel offers, and with a binary in
//! the glob (`uprobe:/bin/bash:*`, `usdt:./app:*`) the probes of that
//! binary. `-lv` adds what each probe offers: tracepoint fields, fentry
//! arguments, USDT argument locations, perf event periods.

mod kernel_function;
mod user;

use rtrace_lang::kernel::{glob_match, KernelInfo};
use rtrace_lang::probes::{probe_type, ProbeKind, PERF_EVENTS, PROBE_TYPES};
use rtrace_runtime::tracefs::Tracefs;
use std::process::ExitCode;

pub fn list(glob: &str, verbose: bool, pid: Option<u32>) -> anyhow::Result<ExitCode> {
    let glob = canonical_type(glob);
    let mut out = String::new();
    if let Some((type_name, rest)) = glob.split_once(':') {
        match probe_type(type_name).map(|t| t.kind) {
            Some(ProbeKind::Uprobe | ProbeKind::Uretprobe) => {
                user::functions(type_name, rest, pid, &mut out)?
            }
            Some(ProbeKind::Usdt) => user::usdt(rest, verbose, pid, &mut out)?,
            _ => kernel_probes(&glob, verbose, &mut out),
        }
    } else {
        kernel_probes(&glob, verbose, &mut out);
    }
    print!("{out}");
    Ok(ExitCode::SUCCESS)
}

/// A raw tracepoint's arguments as `-lv` shows them: `struct task_struct * p;`.
fn raw_tracepoint_arguments(kernel: &Tracefs, event: &str) -> Vec<String> {
    let Some(proto) = kernel.btf().ok().and_then(|btf| btf.raw_tracepoint(event)) else {
        return Vec::new();
    };
    rtrace_lang::check::kernel_function_format(&proto)
        .fields
        .into_iter()
        .map(|f| format!("{};", f.declaration))
        .collect()
}

/// `u:...` lists what `uprobe:...` does: aliases name the same probes.
fn canonical_type(glob: &str) -> String {
    match glob.split_once(':') {
        Some((type_name, rest)) => match probe_type(type_name) {
            Some(t) => format!("{}:{rest}", t.name),
            None => glob.to_string(),
        },
        None => glob.to_string(),
    }
}

/// Every probe that needs no binary: fixed ones, perf events, and the
/// kernel's tracepoints (plain and raw).
fn kernel_probes(glob: &str, verbose: bool, out: &mut String) {
    let mut emit = |name: &str, details: &[String]| {
        if glob_match(glob, name) {
            out.push_str(name);
            out.push('\n');
            if verbose {
                for line in details {
                    out.push_str(&format!("    {line}\n"));
                }
            }
        }
    };
    for probe in PROBE_TYPES {
        match probe.kind {
            ProbeKind::Begin | ProbeKind::End => emit(probe.name, &[]),
            ProbeKind::Interval | ProbeKind::Profile => {
                emit(&format!("{}:hz|s|ms|us:N", probe.name), &[])
            }
            _ => {}
        }
    }
    for event in PERF_EVENTS {
        let mut details = vec![
            event.summary.to_string(),
            format!("default period: {}", event.default_period),
        ];
        if !event.aliases.is_empty() {
            details.push(format!("also: {}", event.aliases.join(", ")));
        }
        emit(&format!("{}:{}:", event.kind_name(), event.name), &details);
    }
    // Listing tracepoints needs tracefs; without it, still list the rest.
    let kernel = Tracefs::default();
    let tracepoints = kernel.tracepoints().unwrap_or_default();
    for (category, event) in &tracepoints {
        let name = format!("tracepoint:{category}:{event}");
        if !glob_match(glob, &name) {
            continue;
        }
        let fields = if verbose {
            match kernel.tracepoint_format(category, event) {
                Ok(Some(format)) => format
                    .fields
                    .into_iter()
                    .map(|f| format!("{};", f.declaration))
                    .collect(),
                _ => Vec::new(),
            }
        } else {
            Vec::new()
        };
        emit(&name, &fields);
    }
    // The syscalls events are made from sys_enter and sys_exit; they have
    // no raw tracepoint of their own.
    let mut raw: Vec<&str> = tracepoints
        .iter()
        .filter(|(category, _)| category != "syscalls")
        .map(|(_, event)| event.as_str())
        .collect();
    raw.sort_unstable();
    raw.dedup();
    for event in raw {
        let name = format!("rawtracepoint:{event}");
        // Arguments come from BTF, read only when a listing shows them.
        let arguments = if verbose && glob_match(glob, &name) {
            raw_tracepoint_arguments(&kernel, event)
        } else {
            Vec::new()
        };
        emit(&name, &arguments);
    }
    for probe in PROBE_TYPES {
        // Reading the kernel's function list and BTF is skipped when the
        // glob names another probe type.
        let type_glob = glob.split(':').next().unwrap_or(glob);
        if glob.contains(':') && !glob_match(type_glob, probe.name) {
            continue;
        }
        kernel_function::list(probe, glob, verbose, &kernel, out);
    }
}
