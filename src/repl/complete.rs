//! Tab completion: probe types, tracepoint names from tracefs, kernel
//! functions, a binary's functions for `uprobe:/path:`, builtins, map
//! names and the REPL's commands. [`complete`] decides what to offer from
//! the text alone; [`Sources`] says what exists.

use super::commands::COMMANDS;
use super::input::in_code;
use rtrace_lang::check::builtins::Builtins;
use rtrace_lang::kernel::KernelInfo;
use rtrace_lang::probes::{probe_type, PerfEventType, ProbeKind, PERF_EVENTS, PROBE_TYPES};
use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Mutex, OnceLock};

/// What exists to be completed.
pub trait Sources {
    /// `(category, event)` pairs.
    fn tracepoints(&self) -> &[(String, String)];
    fn kernel_functions(&self) -> &[String];
    /// The functions of a binary or library (`libc` is looked up).
    fn binary_functions(&self, target: &str) -> Vec<String>;
    /// Its USDT probes, `provider:name`.
    fn usdt_probes(&self, target: &str) -> Vec<String>;
    /// The maps of the session's entries, `@name`.
    fn map_names(&self) -> Vec<String>;
    /// Directory entries starting with `prefix` (a path); directories end
    /// with `/`.
    fn paths(&self, prefix: &str) -> Vec<String>;
}

/// Where the completed text starts in `line`, and what may replace it
/// (sorted, each once). `pending` is the entry's earlier lines, for
/// context.
pub fn complete(
    pending: &str,
    line: &str,
    pos: usize,
    sources: &dyn Sources,
) -> (usize, Vec<String>) {
    let before = &line[..pos];
    let (start, mut candidates) = if pending.is_empty() && before.trim_start().starts_with(':') {
        command(before, sources)
    } else {
        code(pending, before, sources)
    };
    candidates.sort();
    candidates.dedup();
    (start, candidates)
}

fn starting_with<'a>(
    prefix: &'a str,
    names: impl IntoIterator<Item = String> + 'a,
) -> impl Iterator<Item = String> + 'a {
    names.into_iter().filter(move |n| n.starts_with(prefix))
}

/// `:pr` → `:print`; `:print @c` → `@count`; `:load ./s` → a path.
fn command(before: &str, sources: &dyn Sources) -> (usize, Vec<String>) {
    let word_start = before.rfind(char::is_whitespace).map_or(0, |i| i + 1);
    let word = &before[word_start..];
    let name = before.split_whitespace().next().unwrap_or("");
    if word_start <= before.len() - before.trim_start().len() {
        let names = COMMANDS
            .iter()
            .map(|(usage, _)| usage.split(' ').next().unwrap_or(usage).to_string());
        return (word_start, starting_with(word, names).collect());
    }
    let candidates = match name {
        ":print" | ":clear" => starting_with(word, sources.map_names()).collect(),
        ":load" | ":l" => sources.paths(word),
        _ => Vec::new(),
    };
    (word_start, candidates)
}

/// Characters that end a word of code; attach points keep `:`, `/`, `.`,
/// `-` and `*`.
fn is_delimiter(c: char) -> bool {
    c.is_whitespace() || "{}()[];,=!&|+%^~<>\"".contains(c)
}

fn code(pending: &str, before: &str, sources: &dyn Sources) -> (usize, Vec<String>) {
    let mut start = before
        .char_indices()
        .rev()
        .find(|(_, c)| is_delimiter(*c))
        .map_or(0, |(i, c)| i + c.len_utf8());
    let mut word = &before[start..];
    if word.starts_with('@') {
        return (start, starting_with(word, sources.map_names()).collect());
    }
    if let Some((kind, rest)) = word
        .split_once(':')
        .and_then(|(t, rest)| probe_type(t).map(|t| (t.kind, rest)))
    {
        let rest_start = start + word.len() - rest.len();
        return attach_point(kind, rest, rest_start, sources);
    }
    // A predicate's opening `/`.
    if let Some(stripped) = word.strip_prefix('/') {
        start += 1;
        word = stripped;
    }
    let context = format!("{pending}\n{}", &before[..start]);
    let candidates = if in_code(&context) {
        let builtins = rtrace_stdlib::Stdlib;
        let functions = builtins
            .function_names()
            .into_iter()
            .map(|f| format!("{f}("));
        let idents = builtins.ident_names().into_iter().map(String::from);
        starting_with(word, functions.chain(idents)).collect()
    } else {
        let types = PROBE_TYPES.iter().map(|t| match t.kind {
            ProbeKind::Begin | ProbeKind::End => t.name.to_string(),
            _ => format!("{}:", t.name),
        });
        starting_with(word, types).collect()
    };
    (start, candidates)
}

/// The part after `TYPE:`, which starts at `start`.
fn attach_point(
    kind: ProbeKind,
    rest: &str,
    start: usize,
    sources: &dyn Sources,
) -> (usize, Vec<String>) {
    // The segment being completed starts after the last `:`.
    let segment_start = |rest: &str| rest.rfind(':').map_or(0, |i| i + 1);
    let offset = segment_start(rest);
    let (parent, segment) = (&rest[..offset.saturating_sub(1)], &rest[offset..]);
    let at = start + offset;
    let candidates: Vec<String> = match kind {
        ProbeKind::Tracepoint if offset == 0 => {
            let categories = sources.tracepoints().iter().map(|(c, _)| format!("{c}:"));
            starting_with(segment, categories).collect()
        }
        ProbeKind::Tracepoint => {
            let events = sources
                .tracepoints()
                .iter()
                .filter(|(c, _)| c == parent)
                .map(|(_, e)| e.clone());
            starting_with(segment, events).collect()
        }
        ProbeKind::RawTracepoint => {
            let events = sources.tracepoints().iter().map(|(_, e)| e.clone());
            starting_with(segment, events).collect()
        }
        ProbeKind::Kprobe | ProbeKind::Kretprobe | ProbeKind::Fentry | ProbeKind::Fexit => {
            starting_with(segment, sources.kernel_functions().iter().cloned()).collect()
        }
        ProbeKind::Uprobe | ProbeKind::Uretprobe | ProbeKind::Usdt => {
            // uprobe:PATH:FUNC, usdt:PATH:[PROVIDER:]NAME
            let (target, name) = match rest.split_once(':') {
                Some((target, name)) => (target, Some(name)),
                None => (rest, None),
            };
            match name {
                None => {
                    let paths = sources
                        .paths(target)
                        .into_iter()
                        .map(|p| match p.ends_with('/') {
                            true => p,
                            false => format!("{p}:"),
                        });
                    return (start, paths.collect());
                }
                Some(name) if kind == ProbeKind::Usdt => {
                    let at = start + target.len() + 1;
                    return (
                        at,
                        starting_with(name, sources.usdt_probes(target)).collect(),
                    );
                }
                Some(_) => starting_with(segment, sources.binary_functions(target)).collect(),
            }
        }
        ProbeKind::Software | ProbeKind::Hardware => {
            let wanted = match kind {
                ProbeKind::Software => PerfEventType::Software,
                _ => PerfEventType::Hardware,
            };
            let names = PERF_EVENTS
                .iter()
                .filter(|e| e.kind == wanted)
                .flat_map(|e| std::iter::once(e.name).chain(e.aliases.iter().copied()))
                .map(String::from);
            match offset {
                0 => starting_with(segment, names).collect(),
                _ => Vec::new(),
            }
        }
        ProbeKind::Profile | ProbeKind::Interval if offset == 0 => {
            let units = ["hz:", "s:", "ms:", "us:"].map(String::from);
            starting_with(segment, units).collect()
        }
        _ => Vec::new(),
    };
    (at, candidates)
}

/// The running system as [`Sources`]: tracefs, kallsyms, ELF files, and
/// the map names the REPL shares.
pub struct SystemSources {
    maps: Arc<Mutex<Vec<String>>>,
    tracefs: rtrace_runtime::tracefs::Tracefs,
    tracepoints: OnceLock<Vec<(String, String)>>,
    functions: OnceLock<Vec<String>>,
    /// Functions per binary target, read once.
    binaries: Mutex<HashMap<String, Vec<String>>>,
}

impl SystemSources {
    pub fn new(maps: Arc<Mutex<Vec<String>>>) -> SystemSources {
        SystemSources {
            maps,
            tracefs: Default::default(),
            tracepoints: OnceLock::new(),
            functions: OnceLock::new(),
            binaries: Mutex::new(HashMap::new()),
        }
    }

    fn binary(&self, target: &str) -> Option<rtrace_binary::Binary> {
        let path = rtrace_binary::resolve(target, None).ok()?;
        rtrace_binary::Binary::open(&path).ok()
    }
}

impl Sources for SystemSources {
    fn tracepoints(&self) -> &[(String, String)] {
        self.tracepoints
            .get_or_init(|| self.tracefs.tracepoints().unwrap_or_default())
    }

    fn kernel_functions(&self) -> &[String] {
        self.functions.get_or_init(|| {
            let mut names: Vec<String> = match self.tracefs.traceable_functions() {
                Ok(functions) => functions.iter().map(|f| f.name.clone()).collect(),
                // Without function tracing (or permission to read its
                // list), the kernel's text symbols.
                Err(_) => kallsyms_functions(),
            };
            names.sort();
            names.dedup();
            names
        })
    }

    fn binary_functions(&self, target: &str) -> Vec<String> {
        let mut cache = self.binaries.lock().unwrap_or_else(|e| e.into_inner());
        cache
            .entry(target.to_string())
            .or_insert_with(|| {
                self.binary(target)
                    .map(|b| b.functions().iter().map(|f| f.name.clone()).collect())
                    .unwrap_or_default()
            })
            .clone()
    }

    fn usdt_probes(&self, target: &str) -> Vec<String> {
        self.binary(target)
            .and_then(|b| b.usdt_probes().ok())
            .map(|probes| {
                probes
                    .iter()
                    .map(|p| format!("{}:{}", p.provider, p.name))
                    .collect()
            })
            .unwrap_or_default()
    }

    fn map_names(&self) -> Vec<String> {
        self.maps.lock().map(|m| m.clone()).unwrap_or_default()
    }

    fn paths(&self, prefix: &str) -> Vec<String> {
        let (dir, file) = match prefix.rfind('/') {
            Some(i) => (&prefix[..=i], &prefix[i + 1..]),
            None => ("", prefix),
        };
        let Ok(entries) = std::fs::read_dir(if dir.is_empty() { "." } else { dir }) else {
            return Vec::new();
        };
        entries
            .flatten()
            .filter_map(|e| {
                let name = e.file_name().to_string_lossy().into_owned();
                if !name.starts_with(file) || (file.is_empty() && name.starts_with('.')) {
                    return None;
                }
                let is_dir = Path::new(dir).join(&name).is_dir();
                Some(format!("{dir}{name}{}", if is_dir { "/" } else { "" }))
            })
            .collect()
    }
}

/// Text symbols of `/proc/kallsyms` (addresses may read as zero; the
/// names do not).
fn kallsyms_functions() -> Vec<String> {
    let text = std::fs::read_to_string("/proc/kallsyms").unwrap_or_default();
    text.lines()
        .filter_map(|line| {
            let mut words = line.split_whitespace();
            let (_, kind, name) = (words.next()?, words.next()?, words.next()?);
            matches!(kind, "t" | "T").then(|| name.to_string())
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Fake {
        tracepoints: Vec<(String, String)>,
        functions: Vec<String>,
    }

    impl Fake {
        fn new() -> Fake {
            let tp = |c: &str, e: &str| (c.to_string(), e.to_string());
            Fake {
                tracepoints: vec![
                    tp("sched", "sched_switch"),
                    tp("sched", "sched_wakeup"),
                    tp("syscalls", "sys_enter_getppid"),
                    tp("signal", "signal_deliver"),
                ],
                functions: vec!["vfs_read".into(), "vfs_write".into(), "do_exit".into()],
            }
        }
    }

    impl Sources for Fake {
        fn tracepoints(&self) -> &[(String, String)] {
            &self.tracepoints
        }
        fn kernel_functions(&self) -> &[String] {
            &self.functions
        }
        fn binary_functions(&self, target: &str) -> Vec<String> {
            match target {
                "/bin/app" => vec!["main".into(), "malloc_wrapper".into(), "run".into()],
                _ => vec![],
            }
        }
        fn usdt_probes(&self, _: &str) -> Vec<String> {
            vec!["app:start".into(), "app:stop".into()]
        }
        fn map_names(&self) -> Vec<String> {
            vec!["@count".into(), "@bytes".into()]
        }
        fn paths(&self, prefix: &str) -> Vec<String> {
            ["/bin/", "/bin/app", "/boot/"]
                .iter()
                .filter(|p| p.starts_with(prefix))
                .map(|p| p.to_string())
                .collect()
        }
    }

    fn run(line: &str) -> (String, Vec<String>) {
        run_after("", line)
    }

    /// The text replaced, and the candidates.
    fn run_after(pending: &str, line: &str) -> (String, Vec<String>) {
        let (start, candidates) = complete(pending, line, line.len(), &Fake::new());
        (line[start..].to_string(), candidates)
    }

    #[test]
    fn tracepoints_by_category_then_event() {
        assert_eq!(
            run("tracepoint:sched:sch"),
            (
                "sch".into(),
                vec!["sched_switch".into(), "sched_wakeup".into()]
            )
        );
        assert_eq!(
            run("t:s"),
            (
                "s".into(),
                vec!["sched:".into(), "signal:".into(), "syscalls:".into()]
            )
        );
        assert_eq!(run("rt:sys_e").1, ["sys_enter_getppid"]);
    }

    #[test]
    fn probe_types_between_probes_builtins_inside_bodies() {
        assert_eq!(run("tra").1, ["tracepoint:"]);
        assert_eq!(run("BEGIN { @x = 1; } E").1, ["END"]);
        assert_eq!(run("BEGIN { @x = cou").1, ["count("]);
        assert_eq!(run("t:sched:sched_switch /com").1, ["comm"]);
        assert_eq!(run_after("BEGIN {", "  printf(\"%d\", pi").1, ["pid"]);
    }

    #[test]
    fn kernel_and_user_functions() {
        assert_eq!(run("kprobe:vfs_").1, ["vfs_read", "vfs_write"]);
        assert_eq!(run("fexit:do").1, ["do_exit"]);
        assert_eq!(run("uprobe:/bi").1, ["/bin/", "/bin/app:"]);
        assert_eq!(
            run("uprobe:/bin/app:ma"),
            ("ma".into(), vec!["main".into(), "malloc_wrapper".into()])
        );
        assert_eq!(run("usdt:/bin/app:app:st").1, ["app:start", "app:stop"]);
    }

    #[test]
    fn maps_and_commands() {
        assert_eq!(run("BEGIN { print(@c").1, ["@count"]);
        assert_eq!(run(":pr").1, [":print", ":probes"]);
        assert_eq!(run(":print @b"), ("@b".into(), vec!["@bytes".into()]));
        assert_eq!(run(":load /bin/a").1, ["/bin/app"]);
        assert_eq!(
            run("software:cpu").1,
            ["cpu", "cpu-clock", "cpu-migrations"]
        );
        assert_eq!(run("interval:m").1, ["ms:"]);
    }
}
