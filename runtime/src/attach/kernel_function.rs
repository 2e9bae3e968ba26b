//! Loading and attaching kernel function probes: kprobes and kretprobes
//! through the kprobe PMU (perf_event_open, so nothing is written to
//! tracefs and nothing outlives rtrace), fentry and fexit through BPF
//! trampolines.

use aya::programs::{Program, ProgramError};
use rtrace_lang::probes::{Attach, KernelFunction, Mechanism};

/// Loads a kernel function program. A trampoline program is loaded for
/// one function: the first (only) attach point of its spec.
pub fn load(program: &mut Program, attach: &[Attach]) -> Option<Result<(), ProgramError>> {
    let btf_id = attach.iter().find_map(|a| match a {
        Attach::KernelFunction {
            via: Mechanism::Trampoline { btf_id },
            ..
        } => Some(*btf_id),
        _ => None,
    });
    Some(match (program, btf_id) {
        (Program::KProbe(p), _) => p.load(),
        (Program::FEntry(p), Some(id)) => p.load_by_btf_id(id),
        (Program::FExit(p), Some(id)) => p.load_by_btf_id(id),
        _ => return None,
    })
}

/// The kernel's name for the probed function: `MODULE:FUNCTION` resolves
/// through the module's symbols.
fn symbol(target: &KernelFunction) -> String {
    match &target.module {
        Some(module) => format!("{module}:{}", target.function),
        None => target.function.clone(),
    }
}

pub fn attach(
    program: &mut Program,
    target: &KernelFunction,
    via: Mechanism,
) -> Option<Result<(), ProgramError>> {
    Some(match (program, via) {
        (Program::KProbe(p), Mechanism::Kprobe) => {
            p.attach(symbol(target), target.offset).map(drop)
        }
        (Program::FEntry(p), Mechanism::Trampoline { .. }) => p.attach().map(drop),
        (Program::FExit(p), Mechanism::Trampoline { .. }) => p.attach().map(drop),
        _ => return None,
    })
}
