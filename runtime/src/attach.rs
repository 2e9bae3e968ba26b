//! Attaching programs to their probes, one function per probe type, and
//! detaching them all (in parallel: each detach waits for the kernel).

use aya::programs::perf_event::{PerfEventConfig, PerfEventScope, SamplePolicy, SoftwareEvent};
use aya::programs::Program;
use aya::Ebpf;
use rtrace_codegen::manifest::Manifest;
use rtrace_lang::probes::{Attach, Period, ProbeKind};

pub mod kernel_function;

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

pub fn attach_all(ebpf: &mut Ebpf, manifest: &Manifest) -> Result<(), AttachError> {
    for spec in &manifest.programs {
        let Some(program) = ebpf.program_mut(&spec.symbol) else {
            continue;
        };
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
                    match kernel_function::attach(program, target, *via) {
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
                _ => return Err(mismatch(attach)),
            }
        }
    }
    Ok(())
}

fn mismatch(attach: &Attach) -> AttachError {
    AttachError {
        probe: attach.name(),
        cause: "program type does not match the probe".into(),
    }
}

/// Detaches every program. The kernel waits for an RCU grace period per
/// link, so links are released from parallel threads.
pub fn detach_all(ebpf: &mut Ebpf) {
    std::thread::scope(|scope| {
        for (_, program) in ebpf.programs_mut() {
            scope.spawn(move || {
                let _ = match program {
                    Program::TracePoint(p) => p.unload(),
                    Program::PerfEvent(p) => p.unload(),
                    Program::KProbe(p) => p.unload(),
                    Program::FEntry(p) => p.unload(),
                    Program::FExit(p) => p.unload(),
                    _ => Ok(()),
                };
            });
        }
    });
}
