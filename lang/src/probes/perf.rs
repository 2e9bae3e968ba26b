//! Perf counter events: `software:EVENT[:PERIOD]` and
//! `hardware:EVENT[:PERIOD]`, with perf's and bpftrace's names.

use super::{AttachSpec, ProbeKind};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum PerfEventType {
    /// `PERF_TYPE_HARDWARE`: counted by the CPU's PMU.
    Hardware = 0,
    /// `PERF_TYPE_SOFTWARE`: counted by the kernel.
    Software = 1,
}

/// One perf counter event.
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct PerfEvent {
    pub kind: PerfEventType,
    /// perf's name (`page-faults`).
    pub name: &'static str,
    /// Short names bpftrace accepts too (`faults`).
    pub aliases: &'static [&'static str],
    /// The event's id (`PERF_COUNT_SW_*`, `PERF_COUNT_HW_*`): the config.
    pub config: u64,
    /// The period when none is given, as bpftrace's.
    pub default_period: u64,
    pub summary: &'static str,
}

impl PerfEvent {
    pub fn kind(&self) -> ProbeKind {
        match self.kind {
            PerfEventType::Software => ProbeKind::Software,
            PerfEventType::Hardware => ProbeKind::Hardware,
        }
    }

    pub fn kind_name(&self) -> &'static str {
        match self.kind {
            PerfEventType::Software => "software",
            PerfEventType::Hardware => "hardware",
        }
    }
}

const fn software(
    name: &'static str,
    aliases: &'static [&'static str],
    config: u64,
    default_period: u64,
    summary: &'static str,
) -> PerfEvent {
    PerfEvent {
        kind: PerfEventType::Software,
        name,
        aliases,
        config,
        default_period,
        summary,
    }
}

const fn hardware(
    name: &'static str,
    aliases: &'static [&'static str],
    config: u64,
    default_period: u64,
    summary: &'static str,
) -> PerfEvent {
    PerfEvent {
        kind: PerfEventType::Hardware,
        name,
        aliases,
        config,
        default_period,
        summary,
    }
}

/// Every event, sorted by type then name (the order `-l` lists them in).
pub static PERF_EVENTS: &[PerfEvent] = &[
    hardware(
        "backend-stalls",
        &[],
        8,
        1_000_000,
        "cycles stalled in the back end",
    ),
    hardware(
        "branch-instructions",
        &["branches"],
        4,
        100_000,
        "retired branch instructions",
    ),
    hardware("branch-misses", &[], 5, 100_000, "mispredicted branches"),
    hardware("bus-cycles", &[], 6, 100_000, "bus cycles"),
    hardware("cache-misses", &[], 3, 1_000_000, "last-level cache misses"),
    hardware(
        "cache-references",
        &[],
        2,
        1_000_000,
        "last-level cache accesses",
    ),
    hardware("cpu-cycles", &["cycles"], 0, 1_000_000, "CPU cycles"),
    hardware(
        "frontend-stalls",
        &[],
        7,
        1_000_000,
        "cycles stalled in the front end",
    ),
    hardware("instructions", &[], 1, 1_000_000, "retired instructions"),
    hardware(
        "ref-cycles",
        &[],
        9,
        1_000_000,
        "CPU cycles not affected by frequency scaling",
    ),
    software(
        "alignment-faults",
        &[],
        7,
        1,
        "unaligned accesses the kernel fixed up",
    ),
    software(
        "bpf-output",
        &[],
        10,
        1,
        "output of BPF programs to perf buffers",
    ),
    software("context-switches", &["cs"], 3, 1000, "context switches"),
    software(
        "cpu-clock",
        &["cpu"],
        0,
        1_000_000,
        "CPU time in nanoseconds (a timer)",
    ),
    software(
        "cpu-migrations",
        &[],
        4,
        1,
        "migrations of a task to another CPU",
    ),
    software("dummy", &[], 9, 1, "an event that never counts"),
    software(
        "emulation-faults",
        &[],
        8,
        1,
        "instructions the kernel emulated",
    ),
    software("major-faults", &[], 6, 1, "page faults that needed I/O"),
    software(
        "minor-faults",
        &[],
        5,
        100,
        "page faults served from memory",
    ),
    software("page-faults", &["faults"], 2, 100, "page faults"),
    software(
        "task-clock",
        &[],
        1,
        1_000_000,
        "task time in nanoseconds (a timer)",
    ),
];

pub fn find(kind: PerfEventType, name: &str) -> Option<&'static PerfEvent> {
    PERF_EVENTS
        .iter()
        .find(|e| e.kind == kind && (e.name == name || e.aliases.contains(&name)))
}

pub(super) fn parse(kind: PerfEventType, rest: Option<&str>) -> Result<AttachSpec, String> {
    let type_name = match kind {
        PerfEventType::Software => "software",
        PerfEventType::Hardware => "hardware",
    };
    let rest = rest.unwrap_or_default();
    let (name, period) = match rest.split_once(':') {
        Some((name, period)) => (name, Some(period)),
        None => (rest, None),
    };
    let Some(event) = find(kind, name) else {
        let names = PERF_EVENTS
            .iter()
            .filter(|e| e.kind == kind)
            .flat_map(|e| std::iter::once(e.name).chain(e.aliases.iter().copied()));
        let hint = crate::diagnostic::closest(name, names)
            .map(|best| format!(" (did you mean '{best}'?)"))
            .unwrap_or_default();
        return Err(format!("unknown {type_name} event '{name}'{hint}"));
    };
    let period = match period {
        None => event.default_period,
        Some(text) => parse_period(text).ok_or_else(|| {
            format!("the period of {type_name}:{name} must be a positive count, not '{text}'")
        })?,
    };
    Ok(AttachSpec::PerfEvent { event, period })
}

/// A positive count, plain (`100`) or with an exponent as in bpftrace's
/// examples (`1e6`).
fn parse_period(text: &str) -> Option<u64> {
    let value = match text.split_once(['e', 'E']) {
        Some((mantissa, exponent)) => {
            let m: u64 = mantissa.parse().ok()?;
            let e: u32 = exponent.parse().ok()?;
            m.checked_mul(10u64.checked_pow(e)?)?
        }
        None => text.parse().ok()?,
    };
    (value > 0).then_some(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_aliases_and_periods() {
        let AttachSpec::PerfEvent { event, period } =
            parse(PerfEventType::Software, Some("faults:10")).unwrap()
        else {
            panic!()
        };
        assert_eq!((event.name, event.config, period), ("page-faults", 2, 10));
        let AttachSpec::PerfEvent { event, period } =
            parse(PerfEventType::Software, Some("cs")).unwrap()
        else {
            panic!()
        };
        assert_eq!((event.name, period), ("context-switches", 1000));
        let AttachSpec::PerfEvent { event, period } =
            parse(PerfEventType::Hardware, Some("cycles:1e6")).unwrap()
        else {
            panic!()
        };
        assert_eq!(
            (event.name, event.config, period),
            ("cpu-cycles", 0, 1_000_000)
        );
    }

    #[test]
    fn errors() {
        let e = parse(PerfEventType::Software, Some("page-fault:1")).unwrap_err();
        assert_eq!(
            e,
            "unknown software event 'page-fault' (did you mean 'page-faults'?)"
        );
        // Hardware names are not software events.
        assert!(parse(PerfEventType::Software, Some("cycles")).is_err());
        assert!(parse(PerfEventType::Software, Some("faults:0")).is_err());
        assert!(parse(PerfEventType::Software, Some("faults:x")).is_err());
        assert!(parse(PerfEventType::Software, None).is_err());
    }

    #[test]
    fn table_is_sorted_and_unique() {
        assert!(PERF_EVENTS
            .windows(2)
            .all(|w| (w[0].kind as u8, w[0].name) < (w[1].kind as u8, w[1].name)));
    }
}
