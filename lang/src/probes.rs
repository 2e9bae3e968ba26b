//! The probe types rtrace knows: one declarative table (names, aliases,
//! what the context offers) and the parser from attach-point text to a
//! typed description. Attaching lives in the runtime, one file per type.

use crate::ast::{AttachPoint, Span};
use crate::diagnostic::{closest, Diagnostic};

mod kernel_function;
pub use kernel_function::{KernelFunction, Mechanism};
mod perf;
mod user;

pub use perf::{PerfEvent, PerfEventType, PERF_EVENTS};
pub use rtrace_binary::UsdtProbe;
pub use user::{UprobeLocation, UprobeTarget};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ProbeKind {
    Begin,
    End,
    Tracepoint,
    Interval,
    Profile,
    Kprobe,
    Kretprobe,
    Fentry,
    Fexit,
    Uprobe,
    Uretprobe,
    Usdt,
    RawTracepoint,
    Software,
    Hardware,
}

impl ProbeKind {
    /// The probe fires in user space: pointers it reads are user memory.
    pub fn is_user_space(self) -> bool {
        matches!(
            self,
            ProbeKind::Uprobe | ProbeKind::Uretprobe | ProbeKind::Usdt
        )
    }
}

pub struct ProbeType {
    pub kind: ProbeKind,
    pub name: &'static str,
    /// Matched exactly, never by prefix.
    pub aliases: &'static [&'static str],
    pub usage: &'static str,
    pub summary: &'static str,
}

pub const PROBE_TYPES: &[ProbeType] = &[
    ProbeType {
        kind: ProbeKind::Begin,
        name: "BEGIN",
        aliases: &["begin"],
        usage: "BEGIN",
        summary: "runs once, before any other probe is attached",
    },
    ProbeType {
        kind: ProbeKind::End,
        name: "END",
        aliases: &["end"],
        usage: "END",
        summary: "runs once, after every other probe is detached",
    },
    ProbeType {
        kind: ProbeKind::Tracepoint,
        name: "tracepoint",
        aliases: &["t"],
        usage: "tracepoint:CATEGORY:EVENT (globs allowed)",
        summary: "a static kernel tracepoint; arguments as args.FIELD",
    },
    ProbeType {
        kind: ProbeKind::Interval,
        name: "interval",
        aliases: &["i"],
        usage: "interval:s|ms|us|hz:N",
        summary: "fires on one CPU at a fixed period",
    },
    ProbeType {
        kind: ProbeKind::Profile,
        name: "profile",
        aliases: &["p"],
        usage: "profile:hz|s|ms|us:N",
        summary: "fires on every CPU at a fixed period (sampling)",
    },
    ProbeType {
        kind: ProbeKind::Kprobe,
        name: "kprobe",
        aliases: &["k"],
        usage: "kprobe:[MODULE:]FUNCTION[+OFFSET] (globs allowed)",
        summary: "entry of a kernel function; arguments as arg0..arg5",
    },
    ProbeType {
        kind: ProbeKind::Kretprobe,
        name: "kretprobe",
        aliases: &["kr"],
        usage: "kretprobe:[MODULE:]FUNCTION (globs allowed)",
        summary: "return of a kernel function; its value as retval",
    },
    ProbeType {
        kind: ProbeKind::Fentry,
        name: "fentry",
        aliases: &["f", "kfunc"],
        usage: "fentry:FUNCTION (globs allowed)",
        summary: "entry of a kernel function through BTF; arguments as args.NAME",
    },
    ProbeType {
        kind: ProbeKind::Fexit,
        name: "fexit",
        aliases: &["fr", "kretfunc"],
        usage: "fexit:FUNCTION (globs allowed)",
        summary: "return of a kernel function through BTF; args.NAME and retval",
    },
    ProbeType {
        kind: ProbeKind::Uprobe,
        name: "uprobe",
        aliases: &["u"],
        usage: "uprobe:PATH:FUNCTION[+OFFSET] or uprobe:PATH:ADDRESS (globs allowed in FUNCTION)",
        summary: "the entry of a user-space function; arguments as arg0, arg1, ...",
    },
    ProbeType {
        kind: ProbeKind::Uretprobe,
        name: "uretprobe",
        aliases: &["ur"],
        usage: "uretprobe:PATH:FUNCTION or uretprobe:PATH:ADDRESS (globs allowed in FUNCTION)",
        summary: "the return of a user-space function; its return value as retval",
    },
    ProbeType {
        kind: ProbeKind::Usdt,
        name: "usdt",
        aliases: &["U"],
        usage: "usdt:PATH:[PROVIDER:]NAME (globs allowed)",
        summary: "a user-space static probe (.note.stapsdt); arguments as arg0, arg1, ...",
    },
    ProbeType {
        kind: ProbeKind::RawTracepoint,
        name: "rawtracepoint",
        aliases: &["rt"],
        usage: "rawtracepoint:NAME (globs allowed)",
        summary: "a kernel tracepoint before formatting; raw arguments as arg0, arg1, ...",
    },
    ProbeType {
        kind: ProbeKind::Software,
        name: "software",
        aliases: &["s"],
        usage: "software:EVENT[:PERIOD]",
        summary: "every PERIOD-th occurrence of a software perf event, on every CPU",
    },
    ProbeType {
        kind: ProbeKind::Hardware,
        name: "hardware",
        aliases: &["h"],
        usage: "hardware:EVENT[:PERIOD]",
        summary: "every PERIOD-th occurrence of a hardware perf event (needs a PMU), on every CPU",
    },
];

pub fn probe_type(name: &str) -> Option<&'static ProbeType> {
    PROBE_TYPES
        .iter()
        .find(|t| t.name == name || t.aliases.contains(&name))
}

pub fn probe_type_of(kind: ProbeKind) -> &'static ProbeType {
    PROBE_TYPES
        .iter()
        .find(|t| t.kind == kind)
        .expect("every kind is in the table")
}

/// How often a timer probe fires.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Period {
    Nanos(u64),
    Hz(u64),
}

/// An attach point as written, parsed but not yet expanded.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AttachSpec {
    Begin,
    End,
    /// Either part may be a glob.
    Tracepoint {
        category: String,
        event: String,
    },
    Timer {
        kind: ProbeKind,
        period: Period,
        text: String,
    },
    /// kprobe, kretprobe, fentry, fexit; the function may be a glob.
    KernelFunction(KernelFunction),
    /// `path` as written; `location` may hold a glob.
    Uprobe {
        ret: bool,
        path: String,
        location: UprobeLocation,
    },
    /// `path` as written; provider and name may be globs.
    Usdt {
        path: String,
        provider: Option<String>,
        name: String,
    },
    /// May be a glob.
    RawTracepoint {
        name: String,
    },
    PerfEvent {
        event: &'static PerfEvent,
        period: u64,
    },
}

/// How a probe's program reads `argN` and `retval`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ArgumentSource {
    /// `struct pt_regs` (kprobes, uprobes): the calling convention's
    /// registers, see `pt_regs`.
    Registers,
    /// A BPF trampoline's context (fentry, fexit): one 8-byte slot per
    /// argument, then the return value.
    Trampoline,
    /// `struct pt_regs` at a USDT probe: each argument where its note says
    /// (a register, memory, a constant).
    UsdtNote,
    /// A raw tracepoint's context: the tracepoint's arguments as an array
    /// of 8-byte words.
    RawTracepoint,
}

/// One concrete attach point: what a program is attached to.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Attach {
    Begin,
    End,
    Tracepoint {
        category: String,
        event: String,
    },
    Timer {
        kind: ProbeKind,
        period: Period,
        text: String,
    },
    KernelFunction {
        target: KernelFunction,
        via: Mechanism,
    },
    Uprobe {
        ret: bool,
        target: UprobeTarget,
    },
    /// One site of a USDT probe in the binary at `path`.
    Usdt {
        path: String,
        probe: UsdtProbe,
    },
    RawTracepoint {
        name: String,
    },
    PerfEvent {
        event: &'static PerfEvent,
        period: u64,
    },
}

impl Attach {
    pub fn kind(&self) -> ProbeKind {
        match self {
            Attach::Begin => ProbeKind::Begin,
            Attach::End => ProbeKind::End,
            Attach::Tracepoint { .. } => ProbeKind::Tracepoint,
            Attach::Timer { kind, .. } => *kind,
            Attach::KernelFunction { target, .. } => target.kind,
            Attach::Uprobe { ret: false, .. } => ProbeKind::Uprobe,
            Attach::Uprobe { ret: true, .. } => ProbeKind::Uretprobe,
            Attach::Usdt { .. } => ProbeKind::Usdt,
            Attach::RawTracepoint { .. } => ProbeKind::RawTracepoint,
            Attach::PerfEvent { event, .. } => event.kind(),
        }
    }

    /// Where `argN` and `retval` come from, `None` for probes without them.
    pub fn argument_source(&self) -> Option<ArgumentSource> {
        match self {
            Attach::KernelFunction {
                via: Mechanism::Kprobe,
                ..
            } => Some(ArgumentSource::Registers),
            Attach::KernelFunction {
                via: Mechanism::Trampoline { .. },
                ..
            } => Some(ArgumentSource::Trampoline),
            Attach::Uprobe { .. } => Some(ArgumentSource::Registers),
            Attach::Usdt { .. } => Some(ArgumentSource::UsdtNote),
            Attach::RawTracepoint { .. } => Some(ArgumentSource::RawTracepoint),
            _ => None,
        }
    }

    /// Whether the probe fires when a function returns.
    pub fn at_return(&self) -> bool {
        match self {
            Attach::KernelFunction { target, .. } => target.at_return(),
            Attach::Uprobe { ret, .. } => *ret,
            _ => false,
        }
    }

    /// The probed function, for the `func` builtin.
    pub fn function(&self) -> Option<&str> {
        match self {
            Attach::KernelFunction { target, .. } => Some(&target.function),
            Attach::Uprobe { target, .. } => target.function.as_deref(),
            _ => None,
        }
    }

    /// The full name, as the `probe` builtin and `-l` print it.
    pub fn name(&self) -> String {
        match self {
            Attach::Begin => "BEGIN".into(),
            Attach::End => "END".into(),
            Attach::Tracepoint { category, event } => format!("tracepoint:{category}:{event}"),
            Attach::Timer { text, .. } => text.clone(),
            Attach::KernelFunction { target, .. } => target.name(),
            Attach::Uprobe { ret, target } => format!(
                "{}:{}:{}",
                if *ret { "uretprobe" } else { "uprobe" },
                target.path,
                target.location
            ),
            Attach::Usdt { path, probe } => {
                format!("usdt:{path}:{}:{}", probe.provider, probe.name)
            }
            Attach::RawTracepoint { name } => format!("rawtracepoint:{name}"),
            Attach::PerfEvent { event, period } => {
                format!("{}:{}:{period}", event.kind_name(), event.name)
            }
        }
    }
}

pub fn parse_attach_point(point: &AttachPoint) -> Result<AttachSpec, Diagnostic> {
    let text = point.text.as_str();
    let mut parts = text.splitn(2, ':');
    let type_name = parts.next().unwrap_or_default();
    let rest = parts.next();
    let type_span = Span::new(
        point.span.start as usize,
        point.span.start as usize + type_name.len(),
    );
    let Some(probe) = probe_type(type_name) else {
        let mut d = Diagnostic::error(type_span, format!("unknown probe type '{type_name}'"))
            .with_label("not a probe type");
        let names = PROBE_TYPES
            .iter()
            .flat_map(|t| std::iter::once(t.name).chain(t.aliases.iter().copied()));
        if let Some(best) = closest(type_name, names) {
            d = d.with_hint(format!("did you mean '{best}'?"));
        }
        return Err(d.with_hint("`rtrace -l` lists the probe types and their probes"));
    };
    let usage = || format!("expected {}", probe.usage);
    let bad = |message: String| {
        Diagnostic::error(point.span, message)
            .with_label(usage())
            .with_hint(format!("{} probes are written {}", probe.name, probe.usage))
    };
    match probe.kind {
        ProbeKind::Begin | ProbeKind::End => match rest {
            None => Ok(if probe.kind == ProbeKind::Begin {
                AttachSpec::Begin
            } else {
                AttachSpec::End
            }),
            Some(_) => Err(bad(format!("{} takes no arguments", probe.name))),
        },
        ProbeKind::Tracepoint => {
            let fields: Vec<&str> = rest.map(|r| r.split(':').collect()).unwrap_or_default();
            match fields.as_slice() {
                [category, event] if !category.is_empty() && !event.is_empty() => {
                    Ok(AttachSpec::Tracepoint {
                        category: category.to_string(),
                        event: event.to_string(),
                    })
                }
                _ => Err(bad(format!("malformed tracepoint '{text}'"))),
            }
        }
        ProbeKind::Interval | ProbeKind::Profile => {
            let period = rest
                .and_then(parse_period)
                .ok_or_else(|| bad(format!("malformed {} probe '{text}'", probe.name)))?;
            let canonical = match period {
                Period::Hz(n) => format!("{}:hz:{n}", probe.name),
                Period::Nanos(_) => format!("{}:{}", probe.name, rest.unwrap_or_default()),
            };
            Ok(AttachSpec::Timer {
                kind: probe.kind,
                period,
                text: canonical,
            })
        }
        ProbeKind::Kprobe | ProbeKind::Kretprobe | ProbeKind::Fentry | ProbeKind::Fexit => {
            kernel_function::parse(probe.kind, rest)
                .map(AttachSpec::KernelFunction)
                .map_err(|message| bad(format!("{message} in '{text}'")))
        }
        ProbeKind::Uprobe | ProbeKind::Uretprobe => {
            user::parse_uprobe(probe.kind == ProbeKind::Uretprobe, rest).map_err(bad)
        }
        ProbeKind::Usdt => user::parse_usdt(rest).map_err(bad),
        ProbeKind::RawTracepoint => match rest {
            Some(name) if !name.is_empty() && !name.contains(':') => {
                Ok(AttachSpec::RawTracepoint { name: name.into() })
            }
            _ => Err(bad(format!("malformed raw tracepoint '{text}'"))),
        },
        ProbeKind::Software | ProbeKind::Hardware => {
            let kind = if probe.kind == ProbeKind::Software {
                PerfEventType::Software
            } else {
                PerfEventType::Hardware
            };
            perf::parse(kind, rest).map_err(|message| {
                Diagnostic::error(point.span, message)
                    .with_label(usage())
                    .with_hint(format!("`rtrace -l '{}:*'` lists the events", probe.name))
            })
        }
    }
}

/// `s:5`, `ms:100`, `us:10`, `hz:99`, and the short forms `5s`, `99`
/// (a bare number means hertz, as in `profile:99`).
fn parse_period(text: &str) -> Option<Period> {
    let (unit, number) = match text.split_once(':') {
        Some((unit, number)) => (unit, number),
        None => {
            let digits = text
                .find(|c: char| !c.is_ascii_digit())
                .unwrap_or(text.len());
            let (number, unit) = text.split_at(digits);
            (if unit.is_empty() { "hz" } else { unit }, number)
        }
    };
    let n: u64 = number.parse().ok().filter(|n| *n > 0)?;
    Some(match unit {
        "s" => Period::Nanos(n.checked_mul(1_000_000_000)?),
        "ms" => Period::Nanos(n.checked_mul(1_000_000)?),
        "us" => Period::Nanos(n.checked_mul(1_000)?),
        "ns" => Period::Nanos(n),
        "hz" => Period::Hz(n),
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<AttachSpec, Diagnostic> {
        parse_attach_point(&AttachPoint {
            text: text.into(),
            span: Span::new(0, text.len()),
        })
    }

    #[test]
    fn names_and_aliases() {
        assert_eq!(parse("BEGIN").unwrap(), AttachSpec::Begin);
        assert_eq!(parse("end").unwrap(), AttachSpec::End);
        assert_eq!(
            parse("t:sched:sched_*").unwrap(),
            AttachSpec::Tracepoint {
                category: "sched".into(),
                event: "sched_*".into()
            }
        );
    }

    #[test]
    fn timers() {
        let AttachSpec::Timer { period, text, .. } = parse("interval:s:5").unwrap() else {
            panic!()
        };
        assert_eq!(period, Period::Nanos(5_000_000_000));
        assert_eq!(text, "interval:s:5");
        let AttachSpec::Timer { period, .. } = parse("profile:hz:99").unwrap() else {
            panic!()
        };
        assert_eq!(period, Period::Hz(99));
        let AttachSpec::Timer { period, .. } = parse("interval:ms:500").unwrap() else {
            panic!()
        };
        assert_eq!(period, Period::Nanos(500_000_000));
        assert!(parse("interval:s:0").is_err());
        assert!(parse("interval:parsec:1").is_err());
    }

    #[test]
    fn unknown_type_suggests() {
        let d = parse("tracepiont:a:b").unwrap_err();
        assert_eq!(d.message, "unknown probe type 'tracepiont'");
        assert_eq!(d.span, Span::new(0, 10));
        assert!(d.hints[0].contains("'tracepoint'"));
    }

    #[test]
    fn user_space_and_perf_aliases() {
        assert!(matches!(
            parse("u:/bin/sh:main").unwrap(),
            AttachSpec::Uprobe { ret: false, .. }
        ));
        assert!(matches!(
            parse("ur:/bin/sh:main").unwrap(),
            AttachSpec::Uprobe { ret: true, .. }
        ));
        assert!(matches!(
            parse("U:/bin/app:prov:name").unwrap(),
            AttachSpec::Usdt { .. }
        ));
        assert_eq!(
            parse("rt:sched_switch").unwrap(),
            AttachSpec::RawTracepoint {
                name: "sched_switch".into()
            }
        );
        let AttachSpec::PerfEvent { event, period } = parse("s:cs:10").unwrap() else {
            panic!()
        };
        assert_eq!((event.name, period), ("context-switches", 10));
        let AttachSpec::PerfEvent { event, .. } = parse("h:cycles").unwrap() else {
            panic!()
        };
        assert_eq!(event.kind(), ProbeKind::Hardware);
    }

    #[test]
    fn malformed_new_probes_point_at_the_attach_point() {
        for text in [
            "rt:",
            "rt:a:b",
            "u:/bin/sh",
            "usdt:/bin/sh",
            "software:nope:1",
        ] {
            let d = parse(text).unwrap_err();
            assert_eq!(d.span, Span::new(0, text.len()), "{text}");
        }
    }

    #[test]
    fn attach_names_are_what_probe_prints() {
        let uprobe = Attach::Uprobe {
            ret: true,
            target: UprobeTarget {
                path: "/bin/bash".into(),
                location: "readline".into(),
                function: Some("readline".into()),
                file_offset: 0x1000,
            },
        };
        assert_eq!(uprobe.name(), "uretprobe:/bin/bash:readline");
        assert_eq!(uprobe.kind(), ProbeKind::Uretprobe);
        assert_eq!(uprobe.function(), Some("readline"));
        let AttachSpec::PerfEvent { event, period } = parse("software:faults").unwrap() else {
            panic!()
        };
        assert_eq!(
            Attach::PerfEvent { event, period }.name(),
            "software:page-faults:100"
        );
    }

    #[test]
    fn prefixes_are_not_aliases() {
        assert!(parse("trace:a:b").is_err());
    }
}
