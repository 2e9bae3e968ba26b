//! `software:` and `hardware:` probes: a sampling perf event on every CPU.

use aya::programs::perf_event::{PerfEventConfig, PerfEventScope, SamplePolicy};
use aya::programs::PerfEvent as PerfEventProgram;
use rtrace_lang::probes::{PerfEvent, PerfEventType};

pub(super) fn attach(
    program: &mut PerfEventProgram,
    event: &PerfEvent,
    period: u64,
) -> Result<(), String> {
    let cpus = aya::util::online_cpus().map_err(|(what, e)| format!("{what}: {e}"))?;
    for cpu in cpus {
        program
            .attach(
                PerfEventConfig::Pmu {
                    pmu_type: event.kind as u32,
                    config: event.config,
                },
                PerfEventScope::AllProcessesOneCpu { cpu },
                SamplePolicy::Period(period),
                false,
            )
            .map_err(|e| explain(event, &e))?;
    }
    Ok(())
}

/// The kernel says ENOENT when a hardware event has no counter behind
/// it: on virtual machines without a virtual PMU, for one.
fn explain(event: &PerfEvent, e: &(dyn std::error::Error + 'static)) -> String {
    let os_error = std::iter::successors(Some(e), |e| e.source())
        .find_map(|e| e.downcast_ref::<std::io::Error>())
        .and_then(|io| io.raw_os_error());
    match (event.kind, os_error) {
        (PerfEventType::Hardware, Some(libc::ENOENT | libc::EOPNOTSUPP)) => format!(
            "this machine has no hardware performance counters (no PMU) for {}; \
             software events such as software:cpu-clock work without one",
            event.name
        ),
        _ => super::error_chain(e),
    }
}
