//! Kernel function probes (kprobe, kretprobe, fentry, fexit): expands
//! wildcards against the traceable functions, picks the mechanism the
//! kernel offers (a kprobe runs as fentry on a kernel without kprobes, and
//! the reverse), and types the arguments from BTF where the probe needs it.

use super::CheckedAttach;
use crate::ast::AttachPoint;
use crate::btf::{Prototype, Value};
use crate::diagnostic::{closest, Diagnostic};
use crate::kernel::{glob_match, is_glob, KernelInfo, TraceableFunction};
use crate::probes::{Attach, KernelFunction, Mechanism, ProbeKind};
use crate::pt_regs;
use crate::tracepoint::{Field, FieldKind, TracepointFormat};
use crate::types::{IntType, Target};
use std::collections::HashMap;
use std::rc::Rc;

pub(super) fn resolve(
    point: &AttachPoint,
    spec: KernelFunction,
    kernel: &dyn KernelInfo,
) -> Result<Vec<CheckedAttach>, Diagnostic> {
    let targets = expand(point, &spec, kernel)?;
    let plan = plan(point, &spec, &targets, kernel)?;
    let mut found = Vec::new();
    for (module, function) in targets {
        let target = KernelFunction {
            module,
            function,
            ..spec.clone()
        };
        let checked = match &plan {
            Plan::Kprobe { btf: false } => Some(CheckedAttach {
                attach: Attach::KernelFunction {
                    target,
                    via: Mechanism::Kprobe,
                },
                format: None,
            }),
            Plan::Kprobe { btf: true } => kernel.btf().ok().and_then(|btf| {
                let (_, proto) = btf.function(&target.function)?;
                Some(CheckedAttach {
                    format: Some(Rc::new(register_format(&proto, target.at_return()))),
                    attach: Attach::KernelFunction {
                        target,
                        via: Mechanism::Kprobe,
                    },
                })
            }),
            Plan::Trampoline => kernel.btf().ok().and_then(|btf| {
                let (btf_id, proto) = btf.function(&target.function)?;
                Some(CheckedAttach {
                    format: Some(Rc::new(trampoline_format(&proto))),
                    attach: Attach::KernelFunction {
                        target,
                        via: Mechanism::Trampoline { btf_id },
                    },
                })
            }),
        };
        // Under a wildcard, functions BTF does not describe are skipped;
        // a single function was checked by `plan`.
        found.extend(checked);
    }
    if found.is_empty() {
        return Err(Diagnostic::error(
            point.span,
            format!(
                "no function matching '{}' has BTF type information",
                spec.function
            ),
        )
        .with_label("cannot be traced with fentry")
        .with_hint("`rtrace -l 'fentry:*'` lists the functions fentry can trace"));
    }
    Ok(found)
}

/// Functions whose name appears more than once (static functions of
/// different files) cannot be probed by name.
fn expand(
    point: &AttachPoint,
    spec: &KernelFunction,
    kernel: &dyn KernelInfo,
) -> Result<Vec<(Option<String>, String)>, Diagnostic> {
    let listed = kernel.traceable_functions();
    let blacklist = kernel.kprobe_blacklist();
    if !is_glob(&spec.function) {
        if let Ok(list) = &listed {
            let known = list.iter().any(|f| {
                f.name == spec.function
                    && (spec.module.is_none() || f.module.as_deref() == spec.module.as_deref())
            });
            if !known && !list.is_empty() {
                return Err(unknown_function(point, spec, list));
            }
        }
        if blacklist.contains(&spec.function) {
            return Err(Diagnostic::error(
                point.span,
                format!("the kernel does not allow probing '{}'", spec.function),
            )
            .with_label("on the kernel's kprobe blacklist"));
        }
        return Ok(vec![(spec.module.clone(), spec.function.clone())]);
    }
    let list = listed.map_err(|e| {
        Diagnostic::error(
            point.span,
            format!("cannot expand '{}': {e}", spec.function),
        )
        .with_hint(
            "wildcards are matched against the kernel's available_filter_functions (tracefs)",
        )
    })?;
    let mut seen: HashMap<&str, usize> = HashMap::new();
    let matching: Vec<&TraceableFunction> = list
        .iter()
        .filter(|f| {
            glob_match(&spec.function, &f.name)
                && match (&spec.module, &f.module) {
                    (None, _) => true,
                    (Some(wanted), Some(module)) => glob_match(wanted, module),
                    (Some(_), None) => false,
                }
                && !blacklist.contains(&f.name)
                && !f.name.starts_with("__ftrace_invalid_address__")
        })
        .inspect(|f| *seen.entry(f.name.as_str()).or_default() += 1)
        .collect();
    let targets: Vec<(Option<String>, String)> = matching
        .into_iter()
        .filter(|f| seen[f.name.as_str()] == 1)
        .map(|f| (spec.module.as_ref().and(f.module.clone()), f.name.clone()))
        .collect();
    if targets.is_empty() {
        return Err(Diagnostic::error(
            point.span,
            format!("no kernel function matches '{}'", spec.function),
        )
        .with_label("nothing to attach to")
        .with_hint(format!(
            "`rtrace -l '{}:*'` lists the functions this kernel can trace",
            crate::probes::probe_type_of(spec.kind).name
        )));
    }
    Ok(targets)
}

fn unknown_function(
    point: &AttachPoint,
    spec: &KernelFunction,
    list: &[TraceableFunction],
) -> Diagnostic {
    let mut d = Diagnostic::error(
        point.span,
        format!("no traceable kernel function '{}'", spec.function),
    )
    .with_label("not found in this kernel");
    if let Some(best) = closest(&spec.function, list.iter().map(|f| f.name.as_str())) {
        d = d.with_hint(format!(
            "did you mean '{}:{best}'?",
            crate::probes::probe_type_of(spec.kind).name
        ));
    }
    d.with_hint("`rtrace -l 'kprobe:*'` lists the functions this kernel can trace")
}

/// How every function of one attach point will be probed.
enum Plan {
    /// `btf`: arguments are typed from BTF (an fentry running as a kprobe).
    Kprobe {
        btf: bool,
    },
    Trampoline,
}

fn plan(
    point: &AttachPoint,
    spec: &KernelFunction,
    targets: &[(Option<String>, String)],
    kernel: &dyn KernelInfo,
) -> Result<Plan, Diagnostic> {
    let kprobes = kernel.kprobes_missing();
    let first = &targets[0].1;
    // A trampoline needs the function in vmlinux BTF and a kernel that
    // loads fentry programs; the reason it cannot is kept for the error.
    let trampoline = || -> Result<(), String> {
        if spec.module.is_some() {
            return Err("fentry on module functions is not supported".into());
        }
        let btf = kernel.btf()?;
        let (btf_id, _) = btf
            .function(first)
            .ok_or_else(|| format!("the kernel's BTF does not describe {first}"))?;
        kernel.fentry_loads(btf_id)
    };
    let fallback_allowed = match spec.kind {
        // fentry has no offsets into a function.
        ProbeKind::Kprobe => spec.offset == 0,
        _ => true,
    };
    if spec.native_is_kprobe() {
        let Some(no_kprobes) = kprobes else {
            return Ok(Plan::Kprobe { btf: false });
        };
        let no_fentry = match fallback_allowed.then(trampoline) {
            Some(Ok(())) => return Ok(Plan::Trampoline),
            Some(Err(e)) => e,
            None => "an offset into a function needs a kprobe".into(),
        };
        return Err(neither(point, spec, kernel, &no_kprobes, &no_fentry));
    }
    let no_fentry = match trampoline() {
        Ok(()) => return Ok(Plan::Trampoline),
        Err(e) => e,
    };
    match kprobes {
        None => Ok(Plan::Kprobe {
            btf: kernel.btf().is_ok(),
        }),
        Some(no_kprobes) => Err(neither(point, spec, kernel, &no_kprobes, &no_fentry)),
    }
}

/// The error of a kernel that has neither kprobes nor fentry.
fn neither(
    point: &AttachPoint,
    spec: &KernelFunction,
    kernel: &dyn KernelInfo,
    no_kprobes: &str,
    no_fentry: &str,
) -> Diagnostic {
    let mut d = Diagnostic::error(
        point.span,
        format!(
            "this kernel cannot trace kernel functions: it has no kprobes ({no_kprobes}) and cannot run fentry programs ({no_fentry})"
        ),
    )
    .with_label("needs kprobes or fentry");
    if let Some(tracepoint) = equivalent_tracepoint(&spec.function, spec.at_return(), kernel) {
        d = d.with_hint(format!(
            "the tracepoint {tracepoint} traces the same events"
        ));
    }
    d
}

/// A tracepoint that sees what a kernel function probe would: the system
/// call tracepoints for the functions behind a system call, or a
/// tracepoint named like the function.
pub fn equivalent_tracepoint(
    function: &str,
    at_return: bool,
    kernel: &dyn KernelInfo,
) -> Option<String> {
    let tracepoints = kernel.tracepoints().ok()?;
    const SYSCALL_PREFIXES: &[&str] = &[
        "__x64_sys_",
        "__ia32_sys_",
        "__se_sys_",
        "__do_sys_",
        "do_sys_",
        "ksys_",
        "sys_",
    ];
    let phase = if at_return { "exit" } else { "enter" };
    for prefix in SYSCALL_PREFIXES {
        let Some(call) = function.strip_prefix(prefix) else {
            continue;
        };
        let event = format!("sys_{phase}_{call}");
        let matches = tracepoints
            .iter()
            .filter(|(c, e)| c == "syscalls" && e.starts_with(&event))
            .count();
        match matches {
            0 => {}
            1 => return Some(format!("tracepoint:syscalls:{event}")),
            _ => return Some(format!("tracepoint:syscalls:{event}*")),
        }
    }
    tracepoints
        .iter()
        .find(|(_, e)| e == function)
        .map(|(c, e)| format!("tracepoint:{c}:{e}"))
}

/// The fentry/fexit context: one 8-byte slot per argument (two for a
/// 16-byte struct), then the return value.
pub fn trampoline_format(proto: &Prototype) -> TracepointFormat {
    let mut slot = 0;
    let mut fields = Vec::new();
    for param in &proto.params {
        fields.push(field(&param.name, &param.ty, slot * 8));
        slot += param.ty.size.div_ceil(8).max(1);
    }
    let retval = proto.ret.as_ref().map(|ret| field("retval", ret, slot * 8));
    TracepointFormat { fields, retval }
}

/// An fentry probe running as a kprobe: arguments are read from the
/// registers the calling convention passes them in; at return they are
/// gone.
fn register_format(proto: &Prototype, at_return: bool) -> TracepointFormat {
    let mut fields = Vec::new();
    for (i, param) in proto.params.iter().enumerate() {
        let mut f = field(&param.name, &param.ty, pt_regs::arg_offset(i).unwrap_or(0));
        if at_return || pt_regs::arg_offset(i).is_none() || param.ty.size > 8 {
            f.kind = FieldKind::Unsupported;
        }
        fields.push(f);
    }
    let retval = proto
        .ret
        .as_ref()
        .map(|ret| field("retval", ret, pt_regs::RETURN_VALUE));
    TracepointFormat { fields, retval }
}

fn field(name: &str, ty: &crate::btf::CType, offset: u32) -> Field {
    let kind = match ty.value {
        Value::Int(int) => FieldKind::Int(int),
        Value::Pointer { user: Some(_), .. } => match ty.pointer {
            Some(p) => FieldKind::Pointer(p),
            None => FieldKind::Unsupported,
        },
        // Without address-space tags, a pointer to a struct points into
        // the kernel; any other pointer is an address, which str() reads
        // letting the kernel tell user from kernel memory.
        Value::Pointer { user: None, .. } => match ty.pointer {
            Some(p) if matches!(p.target, Target::Kernel(_)) => FieldKind::Pointer(p),
            _ => FieldKind::Int(IntType::U64),
        },
        Value::Other => FieldKind::Unsupported,
    };
    let size = match kind {
        FieldKind::Int(int) => int.bits as u32 / 8,
        _ => 8,
    };
    // As bpftrace 0.17 lists them (libbpf's declaration of the type, a
    // space, the name): `const char * filename`.
    let declaration = format!("{} {name}", ty.text);
    Field {
        name: name.to_string(),
        declaration,
        offset,
        size,
        kind,
    }
}
