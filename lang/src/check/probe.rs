//! Attach points: parse each, expand globs against the kernel's tracepoint
//! list, and load the format of every tracepoint a probe attaches to.
//! User-space and raw tracepoint probes are resolved in their own files.

mod raw_tracepoint;
mod uprobe;
mod usdt;

use super::{CheckEnv, CheckedAttach};
use crate::ast::{AttachPoint, ExprKind, Program};
use crate::diagnostic::{closest, Diagnostic, Diagnostics};
use crate::kernel::{glob_match, is_glob, KernelInfo};
use crate::probes::{parse_attach_point, Attach, AttachSpec};
use std::rc::Rc;

pub(super) fn resolve_all(
    program: &Program,
    env: &CheckEnv,
) -> Result<Vec<Vec<CheckedAttach>>, Diagnostics> {
    let kernel = env.kernel;
    let mut diagnostics = Vec::new();
    let mut all_tracepoints = None;
    let mut resolved = Vec::new();
    for probe in &program.probes {
        let mut attaches = Vec::new();
        for point in &probe.attach_points {
            match resolve_one(point, kernel, env.pid, &mut all_tracepoints) {
                Ok(mut found) => attaches.append(&mut found),
                Err(d) => diagnostics.push(d),
            }
        }
        // Raw tracepoints' typed arguments come from BTF, parsed only for
        // a probe that reads `args`.
        if probe.any_expr(&|e| matches!(&e.kind, ExprKind::Ident(n) if n == "args")) {
            raw_tracepoint::type_arguments(&mut attaches, kernel);
        }
        resolved.push(attaches);
    }
    if diagnostics.is_empty() {
        Ok(resolved)
    } else {
        Err(diagnostics)
    }
}

type TracepointList = Option<Result<Vec<(String, String)>, String>>;

/// Attach points that need nothing beyond themselves (no format file).
fn plain_all(attaches: Vec<Attach>) -> Vec<CheckedAttach> {
    attaches
        .into_iter()
        .map(|attach| CheckedAttach {
            attach,
            format: None,
        })
        .collect()
}

fn resolve_one(
    point: &AttachPoint,
    kernel: &dyn KernelInfo,
    pid: Option<u32>,
    all: &mut TracepointList,
) -> Result<Vec<CheckedAttach>, Diagnostic> {
    let plain = |attach| {
        Ok(vec![CheckedAttach {
            attach,
            format: None,
        }])
    };
    match parse_attach_point(point)? {
        AttachSpec::Begin => plain(Attach::Begin),
        AttachSpec::End => plain(Attach::End),
        AttachSpec::Timer { kind, period, text } => plain(Attach::Timer { kind, period, text }),
        AttachSpec::KernelFunction(spec) => super::kernel_function::resolve(point, spec, kernel),
        AttachSpec::PerfEvent { event, period } => plain(Attach::PerfEvent { event, period }),
        AttachSpec::Uprobe {
            ret,
            path,
            location,
        } => Ok(plain_all(uprobe::resolve(
            point, ret, &path, &location, pid,
        )?)),
        AttachSpec::Usdt {
            path,
            provider,
            name,
        } => Ok(plain_all(usdt::resolve(
            point,
            &path,
            provider.as_deref(),
            &name,
            pid,
        )?)),
        AttachSpec::RawTracepoint { name } => Ok(plain_all(raw_tracepoint::resolve(
            point, &name, kernel, all,
        )?)),
        AttachSpec::Tracepoint { category, event } => {
            let kernel_error = |e: String| {
                Diagnostic::error(
                    point.span,
                    format!("cannot read the kernel's tracepoints: {e}"),
                )
                .with_hint("rtrace needs root and tracefs (/sys/kernel/tracing)")
            };
            let targets: Vec<(String, String)> = if is_glob(&category) || is_glob(&event) {
                let list = all
                    .get_or_insert_with(|| kernel.tracepoints())
                    .clone()
                    .map_err(kernel_error)?;
                list.into_iter()
                    .filter(|(c, e)| glob_match(&category, c) && glob_match(&event, e))
                    .collect()
            } else {
                vec![(category.clone(), event.clone())]
            };
            let mut found = Vec::new();
            for (c, e) in targets {
                if let Some(format) = kernel.tracepoint_format(&c, &e).map_err(kernel_error)? {
                    found.push(CheckedAttach {
                        attach: Attach::Tracepoint {
                            category: c,
                            event: e,
                        },
                        format: Some(Rc::new(format)),
                    });
                }
            }
            if found.is_empty() {
                let mut d = Diagnostic::error(
                    point.span,
                    format!("no tracepoint matches '{category}:{event}'"),
                )
                .with_label("not found in this kernel");
                if let Ok(list) = all.get_or_insert_with(|| kernel.tracepoints()) {
                    let names: Vec<String> = list.iter().map(|(c, e)| format!("{c}:{e}")).collect();
                    let wanted = format!("{category}:{event}");
                    if let Some(best) = closest(&wanted, names.iter().map(String::as_str)) {
                        d = d.with_hint(format!("did you mean 'tracepoint:{best}'?"));
                    }
                }
                return Err(
                    d.with_hint("`rtrace -l 'tracepoint:*'` lists the tracepoints of this kernel")
                );
            }
            Ok(found)
        }
    }
}
