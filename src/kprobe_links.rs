//! Whether wildcard kprobes attach through kprobe_multi links, and the
//! `-v` note that says how each probe's kprobes were attached.

use rtrace_codegen::lower::kprobe_multi::multi_probes;
use rtrace_codegen::lower::Compiled;
use rtrace_lang::ast::Program;
use rtrace_lang::check::Checked;

pub struct KprobeLinks {
    /// Per probe: whether its kprobes qualify for kprobe_multi links.
    wanted: Vec<bool>,
    /// Why the kernel has no kprobe_multi links, asked only when a probe
    /// wants them.
    missing: Option<String>,
}

pub fn plan(checked: &Checked) -> KprobeLinks {
    let wanted = multi_probes(checked);
    let missing = if wanted.contains(&true) {
        rtrace_runtime::kernel_functions::kprobe_multi_missing()
    } else {
        None
    };
    KprobeLinks { wanted, missing }
}

impl KprobeLinks {
    pub fn use_multi(&self) -> bool {
        self.wanted.contains(&true) && self.missing.is_none()
    }

    /// One note per probe with kprobes on several functions.
    pub fn explain(&self, program: &Program, compiled: &Compiled) {
        for (index, probe) in program.probes.iter().enumerate() {
            if !self.wanted.get(index).copied().unwrap_or(false) {
                continue;
            }
            let written: Vec<&str> = probe
                .attach_points
                .iter()
                .map(|a| a.text.as_str())
                .collect();
            let specs = compiled
                .manifest
                .programs
                .iter()
                .filter(|s| s.probe == index);
            let (mut links, mut functions) = (0, 0);
            for spec in specs.filter(|s| s.kprobe_multi.is_some()) {
                links += 1;
                functions += spec.attach.len();
            }
            let note = match &self.missing {
                None => format!(
                    "{functions} kprobes attached with {links} kprobe_multi link{}",
                    if links == 1 { "" } else { "s" }
                ),
                Some(why) => format!(
                    "kprobes attached one by one: this kernel has no kprobe_multi links ({why})"
                ),
            };
            eprintln!("note: {}: {note}", written.join(", "));
        }
    }
}
