//! `rtrace -l 'kprobe:*'` and the other kernel function probes: the
//! functions this kernel can trace, and with `-v` the arguments fentry and
//! fexit see, from BTF.

use rtrace_lang::check::kernel_function_format;
use rtrace_lang::kernel::{glob_match, KernelInfo};
use rtrace_lang::probes::{ProbeKind, ProbeType};

pub fn list(
    probe: &ProbeType,
    glob: &str,
    verbose: bool,
    kernel: &dyn KernelInfo,
    out: &mut String,
) {
    if !matches!(
        probe.kind,
        ProbeKind::Kprobe | ProbeKind::Kretprobe | ProbeKind::Fentry | ProbeKind::Fexit
    ) {
        return;
    }
    let blacklist = kernel.kprobe_blacklist();
    let mut lines = Vec::new();
    match probe.kind {
        ProbeKind::Kprobe | ProbeKind::Kretprobe => {
            // Without the function list, the other probe types are still
            // listed; a glob that names this type says why there are none.
            let functions = match kernel.traceable_functions() {
                Ok(functions) => functions,
                Err(e) => {
                    if glob.contains(':') {
                        eprintln!("rtrace: cannot list {} probes: {e}", probe.name);
                    }
                    return;
                }
            };
            for f in functions.iter().filter(|f| !blacklist.contains(&f.name)) {
                let name = match &f.module {
                    Some(module) => format!("{}:{module}:{}", probe.name, f.name),
                    None => format!("{}:{}", probe.name, f.name),
                };
                if glob_match(glob, &name) {
                    lines.push(name);
                }
            }
        }
        ProbeKind::Fentry | ProbeKind::Fexit => {
            let Ok(btf) = kernel.btf() else {
                return;
            };
            // The functions ftrace can patch; where tracefs refuses to say,
            // every function BTF describes, as the kernel checks the rest
            // when a program is loaded.
            let names: Vec<&str> = match kernel.traceable_functions() {
                Ok(functions) => functions
                    .iter()
                    .filter(|f| f.module.is_none())
                    .map(|f| f.name.as_str())
                    .collect(),
                Err(e) => {
                    if glob.contains(':') {
                        eprintln!(
                            "rtrace: note: {e}; listing every function in the kernel's BTF instead"
                        );
                    }
                    btf.function_names().collect()
                }
            };
            for f in names {
                let name = format!("{}:{f}", probe.name);
                if !glob_match(glob, &name) {
                    continue;
                }
                let Some((_, proto)) = btf.function(f) else {
                    continue;
                };
                if verbose {
                    let format = kernel_function_format(&proto);
                    let mut text = name;
                    for field in &format.fields {
                        text.push_str(&format!("\n    {};", field.declaration));
                    }
                    if let (ProbeKind::Fexit, Some(retval)) = (probe.kind, &format.retval) {
                        text.push_str(&format!("\n    {};", retval.declaration));
                    }
                    lines.push(text);
                } else {
                    lines.push(name);
                }
            }
        }
        _ => return,
    }
    lines.sort();
    lines.dedup();
    for line in lines {
        out.push_str(&line);
        out.push('\n');
    }
}
