//! `rtrace -l [GLOB]`: the probes this kernel offers.

use rtrace_lang::kernel::{glob_match, KernelInfo};
use rtrace_lang::probes::{ProbeKind, PROBE_TYPES};
use rtrace_runtime::tracefs::Tracefs;
use std::process::ExitCode;

mod kernel_function;

pub fn list(glob: &str, verbose: bool) -> anyhow::Result<ExitCode> {
    let kernel = Tracefs::default();
    let mut names = Vec::new();
    for probe in PROBE_TYPES {
        match probe.kind {
            ProbeKind::Begin | ProbeKind::End => names.push(probe.name.to_string()),
            ProbeKind::Interval | ProbeKind::Profile => {
                names.push(format!("{}:{}", probe.name, "hz|s|ms|us:N"))
            }
            ProbeKind::Tracepoint
            | ProbeKind::Kprobe
            | ProbeKind::Kretprobe
            | ProbeKind::Fentry
            | ProbeKind::Fexit => {}
        }
    }
    // Listing tracepoints needs tracefs; without it, still list the rest.
    let tracepoints = kernel.tracepoints().unwrap_or_default();
    let mut out = String::new();
    for name in names {
        if glob_match(glob, &name) {
            out.push_str(&name);
            out.push('\n');
        }
    }
    for (category, event) in tracepoints {
        let name = format!("tracepoint:{category}:{event}");
        if !glob_match(glob, &name) {
            continue;
        }
        out.push_str(&name);
        out.push('\n');
        if verbose {
            if let Ok(Some(format)) = kernel.tracepoint_format(&category, &event) {
                for field in format.fields {
                    out.push_str(&format!("    {};\n", field.declaration));
                }
            }
        }
    }
    for probe in PROBE_TYPES {
        // Reading the kernel's function list and BTF is skipped when the
        // glob names another probe type.
        let type_glob = glob.split(':').next().unwrap_or(glob);
        if glob.contains(':') && !glob_match(type_glob, probe.name) {
            continue;
        }
        kernel_function::list(probe, glob, verbose, &kernel, &mut out);
    }
    print!("{out}");
    Ok(ExitCode::SUCCESS)
}
