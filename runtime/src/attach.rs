//! Attaching programs to their probes, one function per probe type, and
//! detaching them all (in parallel: each detach waits for the kernel).

mod error_injection;
pub mod kernel_function;
mod kprobe_multi;
mod perf_counter;
pub mod uprobe;
mod uprobe_multi;

use aya::programs::perf_event::{PerfEventConfig, PerfEventScope, SamplePolicy, SoftwareEvent};
use aya::programs::{Program, ProgramError};
use aya::Ebpf;
use rtrace_codegen::manifest::Manifest;
use rtrace_lang::probes::{Attach, Period, ProbeKind};
use std::os::fd::AsFd;
use uprobe::{Uprobe, UprobeLink};

/// Links rtrace holds itself (aya keeps the others in its programs).
#[derive(Default)]
pub struct Links {
    uprobes: Vec<UprobeLink>,
    /// kprobe_multi links, one per program.
    kprobes: Vec<std::os::fd::OwnedFd>,
    /// Functions of a wildcard the kernel would not probe, skipped (as
    /// bpftrace skips them) rather than failing the whole wildcard.
    pub skipped: Vec<AttachError>,
}

#[derive(Debug, thiserror::Error)]
#[error("cannot attach {probe}: {cause}")]
pub struct AttachError {
    pub probe: String,
    pub cause: String,
}

fn error_chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
}

/// Attaches every program; `pid` restricts user-space probes to one
/// process. With `uprobe_multi`, uprobe programs were loaded for
/// uprobe_multi links and attach with one link per binary.
pub fn attach_all(
    ebpf: &mut Ebpf,
    manifest: &Manifest,
    pid: Option<u32>,
    uprobe_multi: bool,
) -> Result<Links, AttachError> {
    let mut links = Links::default();
    for spec in &manifest.programs {
        let Some(program) = ebpf.program_mut(&spec.symbol) else {
            continue;
        };
        if let (Some(_), Program::KProbe(p)) = (&spec.kprobe_multi, &mut *program) {
            let ret = matches!(p.kind(), aya::programs::ProbeKind::Return);
            let fd = p.fd().map_err(|e| AttachError {
                probe: spec.symbol.clone(),
                cause: error_chain(&e),
            })?;
            links
                .kprobes
                .push(kprobe_multi::attach(fd.as_fd(), spec, ret)?);
            continue;
        }
        if let (true, Program::UProbe(p)) = (uprobe_multi, &mut *program) {
            let fd = p.fd().map_err(|e| AttachError {
                probe: spec.symbol.clone(),
                cause: error_chain(&e),
            })?;
            links
                .uprobes
                .extend(uprobe_multi::attach(fd.as_fd(), &spec.attach, pid)?);
            continue;
        }
        for attach in &spec.attach {
            let fail = |e: &dyn std::error::Error| AttachError {
                probe: attach.name(),
                cause: error_chain(e),
            };
            match (attach, &mut *program) {
                (Attach::Begin | Attach::End, _) => {}
                (Attach::Tracepoint { category, event }, Program::TracePoint(p)) => {
                    p.attach(category, event).map_err(|e| fail(&e))?;
                }
                (Attach::KernelFunction { target, via }, program) => {
                    let fail = |e: &ProgramError| {
                        let mut error = fail(e);
                        if spec.overrides_return {
                            error.cause = error_injection::explain(
                                Some(&target.function),
                                error_injection::errno(e),
                                error.cause,
                            );
                        }
                        error
                    };
                    match kernel_function::attach(program, target, *via) {
                        // One function of several (a wildcard) may be one
                        // the kernel refuses, e.g. a name kallsyms has
                        // twice: skip it, unless nothing attaches at all.
                        // A program that overrides return values stops
                        // instead, as a kprobe_multi link does.
                        Some(Err(e)) if spec.attach.len() > 1 && !spec.overrides_return => {
                            links.skipped.push(fail(&e));
                            if links.skipped.len() >= spec.attach.len() {
                                return Err(links.skipped.swap_remove(0));
                            }
                        }
                        Some(result) => result.map_err(|e| fail(&e))?,
                        None => return Err(mismatch(attach)),
                    }
                }
                (Attach::Timer { kind, period, .. }, Program::PerfEvent(p)) => {
                    let policy = match *period {
                        Period::Hz(hz) => SamplePolicy::Frequency(hz),
                        Period::Nanos(ns) => SamplePolicy::Period(ns),
                    };
                    // interval fires on one CPU, profile on all of them.
                    let cpus = if *kind == ProbeKind::Interval {
                        vec![0]
                    } else {
                        aya::util::online_cpus().map_err(|(what, e)| AttachError {
                            probe: attach.name(),
                            cause: format!("{what}: {e}"),
                        })?
                    };
                    for cpu in cpus {
                        p.attach(
                            PerfEventConfig::Software(SoftwareEvent::CpuClock),
                            PerfEventScope::AllProcessesOneCpu { cpu },
                            policy,
                            false,
                        )
                        .map_err(|e| fail(&e))?;
                    }
                }
                (Attach::Uprobe { ret, target }, Program::UProbe(p)) => {
                    let fd = p.fd().map_err(|e| fail(&e))?;
                    let probe = Uprobe {
                        path: &target.path,
                        file_offset: target.file_offset,
                        ret: *ret,
                        semaphore: None,
                        pid,
                    };
                    links
                        .uprobes
                        .push(
                            uprobe::attach(fd.as_fd(), &probe).map_err(|cause| AttachError {
                                probe: attach.name(),
                                cause,
                            })?,
                        );
                }
                (Attach::Usdt { path, probe: usdt }, Program::UProbe(p)) => {
                    let fd = p.fd().map_err(|e| fail(&e))?;
                    let probe = Uprobe {
                        path,
                        file_offset: usdt.file_offset,
                        ret: false,
                        semaphore: usdt.semaphore_offset,
                        pid,
                    };
                    links
                        .uprobes
                        .push(
                            uprobe::attach(fd.as_fd(), &probe).map_err(|cause| AttachError {
                                probe: attach.name(),
                                cause,
                            })?,
                        );
                }
                (Attach::RawTracepoint { name }, Program::RawTracePoint(p)) => {
                    p.attach(name).map_err(|e| fail(&e))?;
                }
                (Attach::PerfEvent { event, period }, Program::PerfEvent(p)) => {
                    perf_counter::attach(p, event, *period).map_err(|cause| AttachError {
                        probe: attach.name(),
                        cause,
                    })?;
                }
                _ => return Err(mismatch(attach)),
            }
        }
    }
    Ok(links)
}

fn mismatch(attach: &Attach) -> AttachError {
    AttachError {
        probe: attach.name(),
        cause: "program type does not match the probe".into(),
    }
}

/// Detaches every program but BEGIN's and END's (END still has to run).
/// The kernel waits for an RCU grace period per link, so links are
/// released from parallel threads.
pub fn detach_all(ebpf: &mut Ebpf, manifest: &Manifest, links: Links) {
    /// Enough threads to overlap the kernel's waits without a thread per
    /// probe when a glob attached thousands.
    const UPROBE_THREADS: usize = 16;
    let attached: std::collections::HashSet<&str> = manifest
        .programs
        .iter()
        .filter(|spec| {
            spec.attach
                .iter()
                .any(|a| !matches!(a, Attach::Begin | Attach::End))
        })
        .map(|spec| spec.symbol.as_str())
        .collect();
    let mut uprobes = links.uprobes;
    let kprobes = links.kprobes;
    let per_thread = uprobes.len().div_ceil(UPROBE_THREADS).max(1);
    std::thread::scope(|scope| {
        while !uprobes.is_empty() {
            let chunk: Vec<UprobeLink> = uprobes.drain(..per_thread.min(uprobes.len())).collect();
            scope.spawn(move || drop(chunk));
        }
        for link in kprobes {
            scope.spawn(move || drop(link));
        }
        for (name, program) in ebpf.programs_mut() {
            if !attached.contains(name) {
                continue;
            }
            scope.spawn(move || {
                let _ = match program {
                    Program::TracePoint(p) => p.unload(),
                    Program::PerfEvent(p) => p.unload(),
                    Program::RawTracePoint(p) => p.unload(),
                    Program::UProbe(p) => p.unload(),
                    Program::KProbe(p) => p.unload(),
                    Program::FEntry(p) => p.unload(),
                    Program::FExit(p) => p.unload(),
                    _ => Ok(()),
                };
            });
        }
    });
}
