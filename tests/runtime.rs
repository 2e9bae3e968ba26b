//! Runtime tests: runs the cases in `tests/runtime/*.test` against the real
//! `rtrace` binary, one libtest trial per case. The format is described in
//! `tests/runtime/README.md`.
//!
//! Environment:
//! - `RTRACE_BIN`: the tracer to test instead of the one cargo built (for
//!   example `bpftrace`, to check that the expectations are bpftrace's).
//! - `RTRACE_WORKLOAD`: a prebuilt `rtrace-workload` instead of building it.
//! - `RTRACE_TEST_FILTER`: only cases whose `topic::name` contains it.
//! - `RTRACE_TEST_PENDING=1`: run the cases marked PENDING too.
//!
//! Tracing needs root: without it every case is reported as ignored.

use libtest_mimic::{Arguments, Completion, Failed, Trial};
use regex::Regex;
use std::collections::HashSet;
use std::fmt::Write as _;
use std::io::{BufRead, BufReader, Read};
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

const REPO: &str = env!("CARGO_MANIFEST_DIR");
const CASES_DIR: &str = "tests/runtime";
const DEFAULT_TIMEOUT: f64 = 10.0;
/// How long after the Attaching line the AFTER workload starts: bpftrace
/// prints that line just before it attaches, so events from a workload
/// started at once can be missed.
const DEFAULT_AFTER_DELAY: f64 = 0.2;
/// How long a tracer may take to exit once signalled at its timeout.
const KILL_GRACE: Duration = Duration::from_secs(5);
/// How long output is still collected from pipes after the tracer exited,
/// in case a leftover process holds them open.
const DRAIN_GRACE: Duration = Duration::from_secs(2);
const POLL: Duration = Duration::from_millis(10);
/// Lines kept per stream: a runaway tracer must not exhaust memory.
const MAX_LINES: usize = 100_000;

// ---------------------------------------------------------------------------
// The case format
// ---------------------------------------------------------------------------

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Stream {
    Stdout,
    Stderr,
}

impl Stream {
    fn name(self) -> &'static str {
        match self {
            Stream::Stdout => "stdout",
            Stream::Stderr => "stderr",
        }
    }
}

#[derive(Clone, Debug)]
enum Pattern {
    /// The whole line, trailing whitespace ignored.
    Line(String),
    Regex(String),
    /// Consecutive lines.
    Block(Vec<String>),
    /// A line that parses as this JSON document (its text, placeholders
    /// still in).
    Json(String),
    /// Nothing but JSON: every line parses.
    JsonLines,
}

#[derive(Clone, Debug)]
struct Check {
    key: &'static str,
    stream: Stream,
    pattern: Pattern,
    /// `false` for the `_NONE` keys: no line may match.
    present: bool,
}

#[derive(Clone, Debug)]
enum Program {
    Inline(String),
    File(String),
}

#[derive(Clone, Debug)]
struct Case {
    /// `topic::name`, the trial name.
    id: String,
    /// `file:line` of the NAME line, for failure messages.
    origin: String,
    program: Option<Program>,
    flags: Vec<String>,
    args: Vec<String>,
    run: Option<String>,
    after: Option<String>,
    after_delay: f64,
    interrupt: Option<f64>,
    signal: libc::c_int,
    timeout: f64,
    /// `None`: any non-zero exit code (`EXIT_CODE !0`).
    exit_code: Option<i32>,
    requires: Vec<String>,
    /// Known gap: the case is reported as ignored with this reason.
    pending: Option<String>,
    checks: Vec<Check>,
}

/// Parses one `.test` file into cases. Errors name the file and line.
fn parse_file(path: &Path, text: &str) -> Result<Vec<Case>, String> {
    let topic = path
        .file_stem()
        .and_then(|s| s.to_str())
        .ok_or_else(|| format!("{}: bad file name", path.display()))?;
    let display = path
        .strip_prefix(REPO)
        .unwrap_or(path)
        .display()
        .to_string();
    let lines: Vec<&str> = text.lines().collect();
    let mut cases = Vec::new();
    let mut current: Option<Case> = None;
    let mut i = 0;
    while i < lines.len() {
        let line_no = i + 1;
        let line = lines[i];
        i += 1;
        let at = |message: String| format!("{display}:{line_no}: {message}");
        if line.trim().is_empty() {
            if let Some(case) = current.take() {
                cases.push(finish(case).map_err(at)?);
            }
            continue;
        }
        if line.starts_with('#') {
            continue;
        }
        let (key, rest) = match line.split_once(' ') {
            Some((key, rest)) => (key, rest),
            None => (line, ""),
        };
        // `KEY <<TAG` takes the following lines up to one that is exactly TAG.
        let value = match rest.strip_prefix("<<") {
            Some(tag) if !tag.is_empty() && !tag.contains(char::is_whitespace) => {
                let start = i;
                while i < lines.len() && lines[i] != tag {
                    i += 1;
                }
                if i == lines.len() {
                    return Err(at(format!("here-document not closed by {tag}")));
                }
                let body = lines[start..i].join("\n");
                i += 1;
                body
            }
            _ => rest.to_string(),
        };
        if key == "NAME" {
            if let Some(case) = current.take() {
                cases.push(finish(case).map_err(at)?);
            }
            if value.trim().is_empty() {
                return Err(at("NAME needs a value".into()));
            }
            current = Some(Case {
                id: format!("{topic}::{}", value.trim()),
                origin: format!("{display}:{line_no}"),
                program: None,
                flags: Vec::new(),
                args: Vec::new(),
                run: None,
                after: None,
                after_delay: DEFAULT_AFTER_DELAY,
                interrupt: None,
                signal: libc::SIGINT,
                timeout: DEFAULT_TIMEOUT,
                exit_code: Some(0),
                requires: Vec::new(),
                pending: None,
                checks: Vec::new(),
            });
            continue;
        }
        let case = current
            .as_mut()
            .ok_or_else(|| at(format!("{key} before the case's NAME")))?;
        apply(case, key, value).map_err(at)?;
    }
    if let Some(case) = current.take() {
        cases.push(finish(case).map_err(|e| format!("{display}: {e}"))?);
    }
    Ok(cases)
}

fn apply(case: &mut Case, key: &str, value: String) -> Result<(), String> {
    let seconds = |v: &str| -> Result<f64, String> {
        v.trim()
            .parse::<f64>()
            .ok()
            .filter(|s| s.is_finite() && *s >= 0.0)
            .ok_or_else(|| format!("{key}: not a number of seconds: {v:?}"))
    };
    let once = |slot_is_set: bool| {
        if slot_is_set {
            Err(format!("{key} given twice"))
        } else {
            Ok(())
        }
    };
    if let Some(&(key, stream, kind, present)) = CHECK_KEYS.iter().find(|c| c.0 == key) {
        let pattern = match kind {
            Kind::Line => Pattern::Line(value),
            Kind::Regex => {
                // Placeholders are filled in at run time; meanwhile check the
                // expression with stand-ins.
                let sample = fill_check_placeholders(&value, &Placeholders::default(), true);
                Regex::new(&sample).map_err(|e| format!("{key}: {e}"))?;
                Pattern::Regex(value)
            }
            Kind::Block => {
                let lines: Vec<String> = value.lines().map(|l| l.trim_end().to_string()).collect();
                if lines.is_empty() {
                    return Err(format!("{key}: a block needs at least one line"));
                }
                Pattern::Block(lines)
            }
            Kind::Json => {
                let sample = fill_json_placeholders(&value, &Placeholders::default());
                serde_json::from_str::<serde_json::Value>(&sample)
                    .map_err(|e| format!("{key}: not JSON: {e}"))?;
                Pattern::Json(value)
            }
            Kind::JsonLines => {
                if !value.trim().is_empty() {
                    return Err(format!("{key} takes no value"));
                }
                Pattern::JsonLines
            }
        };
        case.checks.push(Check {
            key,
            stream,
            pattern,
            present,
        });
        return Ok(());
    }
    match key {
        "PROG" => {
            once(case.program.is_some())?;
            case.program = Some(Program::Inline(value));
        }
        "PROG_FILE" => {
            once(case.program.is_some())?;
            case.program = Some(Program::File(value.trim().to_string()));
        }
        "FLAGS" => case.flags.extend(split_words(&value)?),
        "ARGS" => case.args.extend(split_words(&value)?),
        "RUN" => {
            once(case.run.is_some())?;
            case.run = Some(value);
        }
        "AFTER" => {
            once(case.after.is_some())?;
            case.after = Some(value);
        }
        "AFTER_DELAY" => case.after_delay = seconds(&value)?,
        "INTERRUPT" => case.interrupt = Some(seconds(&value)?),
        "SIGNAL" => {
            case.signal = match value.trim().trim_start_matches("SIG") {
                "INT" => libc::SIGINT,
                "TERM" => libc::SIGTERM,
                "HUP" => libc::SIGHUP,
                "QUIT" => libc::SIGQUIT,
                "KILL" => libc::SIGKILL,
                other => return Err(format!("SIGNAL: unknown signal {other:?}")),
            }
        }
        "TIMEOUT" => case.timeout = seconds(&value)?,
        "EXIT_CODE" => {
            case.exit_code = match value.trim() {
                "!0" => None,
                code => Some(
                    code.parse()
                        .map_err(|_| format!("EXIT_CODE: not a number or !0: {value:?}"))?,
                ),
            }
        }
        "REQUIRES" => case.requires.push(value),
        "PENDING" => case.pending = Some(value),
        other => return Err(format!("unknown key {other:?}")),
    }
    Ok(())
}

#[derive(Clone, Copy)]
enum Kind {
    Line,
    Regex,
    Block,
    Json,
    JsonLines,
}

/// The expectation keys: the stream they look at, how they match, and
/// whether a match is wanted (`false` for the `_NONE` keys).
const CHECK_KEYS: &[(&str, Stream, Kind, bool)] = &[
    ("EXPECT", Stream::Stdout, Kind::Line, true),
    ("EXPECT_REGEX", Stream::Stdout, Kind::Regex, true),
    ("EXPECT_NONE", Stream::Stdout, Kind::Line, false),
    ("EXPECT_NONE_REGEX", Stream::Stdout, Kind::Regex, false),
    ("EXPECT_BLOCK", Stream::Stdout, Kind::Block, true),
    ("EXPECT_JSON", Stream::Stdout, Kind::Json, true),
    ("EXPECT_JSON_LINES", Stream::Stdout, Kind::JsonLines, true),
    ("EXPECT_STDERR", Stream::Stderr, Kind::Line, true),
    ("EXPECT_STDERR_REGEX", Stream::Stderr, Kind::Regex, true),
    ("EXPECT_STDERR_NONE", Stream::Stderr, Kind::Line, false),
    (
        "EXPECT_STDERR_NONE_REGEX",
        Stream::Stderr,
        Kind::Regex,
        false,
    ),
    ("EXPECT_STDERR_BLOCK", Stream::Stderr, Kind::Block, true),
];

fn finish(case: Case) -> Result<Case, String> {
    let name = &case.id;
    if case.run.is_some()
        && (case.program.is_some() || !case.flags.is_empty() || !case.args.is_empty())
    {
        return Err(format!(
            "case {name}: RUN replaces the invocation; it cannot be combined with PROG, PROG_FILE, FLAGS or ARGS"
        ));
    }
    if case.run.is_none() && case.program.is_none() && case.flags.is_empty() {
        return Err(format!(
            "case {name}: nothing to run (give PROG, PROG_FILE, FLAGS or RUN)"
        ));
    }
    if case.checks.is_empty() {
        return Err(format!("case {name}: no EXPECT of any kind"));
    }
    Ok(case)
}

/// Splits a command line into words the way a POSIX shell would for quotes
/// and backslashes (no expansions).
fn split_words(text: &str) -> Result<Vec<String>, String> {
    let mut words = Vec::new();
    let mut word = String::new();
    let mut in_word = false;
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        match c {
            c if c.is_whitespace() => {
                if in_word {
                    words.push(std::mem::take(&mut word));
                    in_word = false;
                }
            }
            '\'' => {
                in_word = true;
                loop {
                    match chars.next() {
                        Some('\'') => break,
                        Some(c) => word.push(c),
                        None => return Err(format!("unclosed ' in {text:?}")),
                    }
                }
            }
            '"' => {
                in_word = true;
                loop {
                    match chars.next() {
                        Some('"') => break,
                        Some('\\') => match chars.next() {
                            Some(c @ ('"' | '\\' | '$' | '`')) => word.push(c),
                            Some(c) => {
                                word.push('\\');
                                word.push(c);
                            }
                            None => return Err(format!("unclosed \" in {text:?}")),
                        },
                        Some(c) => word.push(c),
                        None => return Err(format!("unclosed \" in {text:?}")),
                    }
                }
            }
            '\\' => {
                in_word = true;
                if let Some(c) = chars.next() {
                    word.push(c);
                }
            }
            c => {
                in_word = true;
                word.push(c);
            }
        }
    }
    if in_word {
        words.push(word);
    }
    Ok(words)
}

fn shell_quote(word: &str) -> String {
    format!("'{}'", word.replace('\'', r"'\''"))
}

// ---------------------------------------------------------------------------
// Placeholders
// ---------------------------------------------------------------------------

/// What `{...}` placeholders stand for.
#[derive(Clone, Debug, Default)]
struct Placeholders {
    rtrace: String,
    workload: String,
    repo: String,
    rtrace_pid: Option<u32>,
    after_pid: Option<u32>,
}

/// Fills `{rtrace}`, `{workload}` and `{repo}`, shell-quoted when the text is
/// a shell command.
fn fill_command_placeholders(text: &str, p: &Placeholders, shell: bool) -> String {
    let quote = |s: &str| if shell { shell_quote(s) } else { s.to_string() };
    text.replace("{rtrace}", &quote(&p.rtrace))
        .replace("{workload}", &quote(&p.workload))
        .replace("{repo}", &quote(&p.repo))
}

/// Fills the run-time placeholders of an expectation. In a regex the values
/// are matched literally.
fn fill_check_placeholders(text: &str, p: &Placeholders, regex: bool) -> String {
    let value = |v: Option<u32>| v.map_or_else(|| "PID_UNKNOWN".to_string(), |v| v.to_string());
    let literal = |s: &str| {
        if regex {
            regex::escape(s)
        } else {
            s.to_string()
        }
    };
    text.replace("{rtrace_pid}", &value(p.rtrace_pid))
        .replace("{after_pid}", &value(p.after_pid))
        .replace("{workload}", &literal(&p.workload))
        .replace("{repo}", &literal(&p.repo))
}

/// Fills the placeholders of an `EXPECT_JSON` document: pids are numbers
/// (0 when unknown), the other values go inside the document's strings, so
/// they are escaped as JSON string contents.
fn fill_json_placeholders(text: &str, p: &Placeholders) -> String {
    let pid = |v: Option<u32>| v.unwrap_or(0).to_string();
    let escaped = |s: &str| {
        let quoted = serde_json::to_string(s).expect("a string serializes");
        quoted[1..quoted.len() - 1].to_string()
    };
    text.replace("{rtrace_pid}", &pid(p.rtrace_pid))
        .replace("{after_pid}", &pid(p.after_pid))
        .replace("{workload}", &escaped(&p.workload))
        .replace("{repo}", &escaped(&p.repo))
}

/// The stdout lines that are not JSON, with why, for the `EXPECT_JSON` keys.
fn non_json_lines(lines: &[String]) -> Vec<String> {
    lines
        .iter()
        .enumerate()
        .filter_map(|(i, line)| {
            serde_json::from_str::<serde_json::Value>(line)
                .err()
                .map(|e| format!("stdout line {} is not JSON ({e}): {line:?}", i + 1))
        })
        .collect()
}

// ---------------------------------------------------------------------------
// Running a case
// ---------------------------------------------------------------------------

struct Env {
    rtrace: String,
    /// Built when the first case runs, so that listing or filtering
    /// everything out costs no build.
    workload: OnceLock<Result<String, String>>,
    /// `RTRACE_TEST_PENDING=1`: run PENDING cases too, to see which gaps
    /// have closed.
    run_pending: bool,
}

struct Outcome {
    stdout: Vec<String>,
    stderr: Vec<String>,
    status: Option<ExitStatus>,
    notes: Vec<String>,
    placeholders: Placeholders,
    command: String,
}

fn run_case(case: &Case, env: &Env) -> Result<Completion, Failed> {
    if let (Some(reason), false) = (&case.pending, env.run_pending) {
        return Ok(Completion::ignored_with(format!("pending: {reason}")));
    }
    let workload = env
        .workload
        .get_or_init(workload_binary)
        .clone()
        .map_err(|e| Failed::from(format!("the workload binary is not available: {e}")))?;
    let mut placeholders = Placeholders {
        rtrace: env.rtrace.clone(),
        workload,
        repo: REPO.to_string(),
        rtrace_pid: None,
        after_pid: None,
    };
    for requirement in &case.requires {
        let command = fill_command_placeholders(requirement, &placeholders, true);
        let ok = Command::new("sh")
            .args(["-c", &command])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .map(|s| s.success())
            .unwrap_or(false);
        if !ok {
            return Ok(Completion::ignored_with(format!(
                "requirement not met: {requirement}"
            )));
        }
    }

    let (mut command, shown) = build_command(case, &placeholders);
    let outcome = execute(case, &mut command, shown, &mut placeholders)?;
    let failures = evaluate(case, &outcome);
    if failures.is_empty() {
        Ok(Completion::Completed)
    } else {
        Err(report(case, &outcome, &failures).into())
    }
}

fn build_command(case: &Case, p: &Placeholders) -> (Command, String) {
    if let Some(run) = &case.run {
        let script = fill_command_placeholders(run, p, true);
        let mut command = Command::new("sh");
        command.args(["-c", &script]);
        return (command, script);
    }
    let mut argv: Vec<String> = case
        .flags
        .iter()
        .map(|f| fill_command_placeholders(f, p, false))
        .collect();
    match &case.program {
        Some(Program::Inline(source)) => {
            argv.push("-e".into());
            argv.push(fill_command_placeholders(source, p, false));
        }
        Some(Program::File(file)) => argv.push(format!("{REPO}/{file}")),
        None => {}
    }
    argv.extend(
        case.args
            .iter()
            .map(|a| fill_command_placeholders(a, p, false)),
    );
    let shown = std::iter::once(p.rtrace.as_str())
        .chain(argv.iter().map(String::as_str))
        .map(shell_quote)
        .collect::<Vec<_>>()
        .join(" ");
    let mut command = Command::new(&p.rtrace);
    command.args(&argv);
    (command, shown)
}

/// Spawns a command as the leader of a new process group, so that it and
/// everything it starts can be signalled and cleaned up together.
fn spawn_group(command: &mut Command, capture: bool) -> std::io::Result<Child> {
    command.stdin(Stdio::null()).process_group(0);
    if capture {
        command.stdout(Stdio::piped()).stderr(Stdio::piped());
    } else {
        command.stdout(Stdio::null()).stderr(Stdio::piped());
    }
    command.spawn()
}

fn signal_group(pgid: u32, signal: libc::c_int) {
    // ESRCH (the group is gone) is the common, harmless case.
    // SAFETY: kill has no memory-safety preconditions.
    unsafe { libc::kill(-(pgid as libc::pid_t), signal) };
}

/// Makes sure a process group is gone when a case ends, however it ends.
struct GroupGuard(u32);

impl Drop for GroupGuard {
    fn drop(&mut self) {
        signal_group(self.0, libc::SIGKILL);
    }
}

/// Sends each line of `reader` to `tx`, then `None` at the end. Past
/// MAX_LINES lines the rest is read and dropped, so that a runaway tracer
/// neither blocks on a full pipe nor fills memory.
fn read_lines(
    reader: impl Read + Send + 'static,
    stream: Stream,
    tx: mpsc::Sender<(Stream, Option<String>)>,
) {
    std::thread::spawn(move || {
        let mut reader = BufReader::new(reader);
        let mut buffer = Vec::new();
        let mut sent = 0;
        loop {
            buffer.clear();
            match reader.read_until(b'\n', &mut buffer) {
                Ok(0) | Err(_) => break,
                Ok(_) if sent >= MAX_LINES => {}
                Ok(_) => {
                    let line = String::from_utf8_lossy(&buffer);
                    let line = line.strip_suffix('\n').unwrap_or(&line);
                    if tx.send((stream, Some(line.to_string()))).is_err() {
                        return;
                    }
                    sent += 1;
                }
            }
        }
        let _ = tx.send((stream, None));
    });
}

/// bpftrace's "Attaching N probes..." line, or its JSON record
/// `{"type": "attached_probes", ...}`.
fn is_attach_line(line: &str) -> bool {
    if line.starts_with('{') {
        return serde_json::from_str::<serde_json::Value>(line)
            .is_ok_and(|record| record["type"] == "attached_probes");
    }
    line.starts_with("Attaching ") && line.trim_end().ends_with("...")
}

fn execute(
    case: &Case,
    command: &mut Command,
    shown: String,
    placeholders: &mut Placeholders,
) -> Result<Outcome, Failed> {
    let mut child = spawn_group(command, true).map_err(|e| format!("cannot run `{shown}`: {e}"))?;
    let _guard = GroupGuard(child.id());
    if case.run.is_none() {
        placeholders.rtrace_pid = Some(child.id());
    }
    let (tx, rx) = mpsc::channel();
    read_lines(
        child.stdout.take().expect("piped"),
        Stream::Stdout,
        tx.clone(),
    );
    read_lines(child.stderr.take().expect("piped"), Stream::Stderr, tx);

    let start = Instant::now();
    let deadline = start + Duration::from_secs_f64(case.timeout);
    let mut stdout = Vec::new();
    let mut stderr = Vec::new();
    let mut notes = Vec::new();
    let mut open_streams = 2;
    let mut attached: Option<Instant> = None;
    let mut after: Option<(Child, GroupGuard)> = None;
    let mut after_started = false;
    let mut after_done: Option<Instant> = None;
    let mut signalled = false;
    let mut timed_out: Option<Instant> = None;
    let mut killed = false;
    let mut status = None;

    while status.is_none() {
        // Collect what the tracer prints for one poll period: bounded in
        // time, so that a tracer printing without pause is still signalled.
        let poll_end = Instant::now() + POLL;
        loop {
            let left = poll_end.saturating_duration_since(Instant::now());
            match rx.recv_timeout(left) {
                Ok((_, None)) => open_streams -= 1,
                Ok((Stream::Stdout, Some(line))) => {
                    if attached.is_none() && is_attach_line(&line) {
                        attached = Some(Instant::now());
                    }
                    stdout.push(line);
                }
                Ok((Stream::Stderr, Some(line))) => stderr.push(line),
                Err(mpsc::RecvTimeoutError::Timeout) => break,
                Err(mpsc::RecvTimeoutError::Disconnected) => {
                    // Both pipes closed but the tracer still runs.
                    std::thread::sleep(left);
                    break;
                }
            }
        }
        let now = Instant::now();

        // Start the workload once the probes are attached.
        let settled =
            attached.is_some_and(|at| now >= at + Duration::from_secs_f64(case.after_delay));
        if let (Some(after_command), true, false) = (&case.after, settled, after_started) {
            let mut script = fill_command_placeholders(after_command, placeholders, true);
            // A single command replaces the shell, so that `{after_pid}` is
            // the workload's own pid.
            if !script.contains([';', '&', '|', '\n', '(', '`', '$']) {
                script = format!("exec {script}");
            }
            let mut command = Command::new("sh");
            command.args(["-c", &script]);
            let workload = spawn_group(&mut command, false)
                .map_err(|e| format!("cannot run AFTER `{script}`: {e}"))?;
            placeholders.after_pid = Some(workload.id());
            let guard = GroupGuard(workload.id());
            after = Some((workload, guard));
            after_started = true;
        }
        if let Some((workload, _)) = &mut after {
            if let Some(code) = workload.try_wait().map_err(|e| e.to_string())? {
                if !code.success() {
                    let mut message = String::new();
                    if let Some(mut err) = workload.stderr.take() {
                        let _ = err.read_to_string(&mut message);
                    }
                    // The first line says what went wrong; a usage text may follow.
                    notes.push(format!(
                        "AFTER command failed ({}): {}",
                        describe(code),
                        message.lines().next().unwrap_or("").trim()
                    ));
                }
                after = None;
                after_done = Some(now);
            }
        }

        // The case's intended way of stopping the tracer.
        if let (Some(delay), false) = (case.interrupt, signalled) {
            let reference = if case.after.is_some() {
                after_done
            } else {
                attached
            };
            if reference.is_some_and(|r| now >= r + Duration::from_secs_f64(delay)) {
                signal_group(child.id(), case.signal);
                signalled = true;
            }
        }

        // The safety net: interrupt, then kill.
        match timed_out {
            None if now >= deadline => {
                notes.push(format!(
                    "still running after TIMEOUT {}s: sent SIGINT",
                    case.timeout
                ));
                signal_group(child.id(), libc::SIGINT);
                timed_out = Some(now);
            }
            Some(at) if now >= at + KILL_GRACE && !killed => {
                notes.push(format!(
                    "still running {}s after SIGINT: killed",
                    KILL_GRACE.as_secs()
                ));
                signal_group(child.id(), libc::SIGKILL);
                killed = true;
            }
            _ => {}
        }

        status = child.try_wait().map_err(|e| e.to_string())?;
    }

    if case.after.is_some() && !after_started {
        notes.push(
            "the tracer exited before the AFTER command started (no Attaching line, or too early)"
                .into(),
        );
    }
    // Whatever the tracer left behind goes, then the pipes close.
    drop(after);
    signal_group(child.id(), libc::SIGKILL);
    let drain_deadline = Instant::now() + DRAIN_GRACE;
    while open_streams > 0 {
        let left = drain_deadline.saturating_duration_since(Instant::now());
        match rx.recv_timeout(left) {
            Ok((_, None)) => open_streams -= 1,
            Ok((Stream::Stdout, Some(line))) => stdout.push(line),
            Ok((Stream::Stderr, Some(line))) => stderr.push(line),
            Err(_) => {
                notes.push("output pipes still open after the tracer exited".into());
                break;
            }
        }
    }
    for (name, lines) in [("stdout", &stdout), ("stderr", &stderr)] {
        if lines.len() >= MAX_LINES {
            notes.push(format!("{name} cut at {MAX_LINES} lines, the rest dropped"));
        }
    }
    if timed_out.is_some() {
        // A timeout fails the case whatever else matched.
        status = None;
    }
    Ok(Outcome {
        stdout,
        stderr,
        status,
        notes,
        placeholders: placeholders.clone(),
        command: shown,
    })
}

fn describe(status: ExitStatus) -> String {
    match (status.code(), status.signal()) {
        (Some(code), _) => format!("exit code {code}"),
        (None, Some(signal)) => format!("killed by signal {signal}"),
        _ => status.to_string(),
    }
}

fn evaluate(case: &Case, outcome: &Outcome) -> Vec<String> {
    let mut failures: Vec<String> = outcome.notes.clone();
    match outcome.status {
        None => failures.push("the tracer did not exit by itself in time".into()),
        Some(status) => {
            let ok = match case.exit_code {
                Some(code) => status.code() == Some(code),
                None => status.code().is_some_and(|c| c != 0),
            };
            if !ok {
                let wanted = case.exit_code.map_or_else(
                    || "a non-zero exit code".to_string(),
                    |c| format!("exit code {c}"),
                );
                failures.push(format!("expected {wanted}, got {}", describe(status)));
            }
        }
    }
    let trimmed = |lines: &[String]| -> Vec<String> {
        lines.iter().map(|l| l.trim_end().to_string()).collect()
    };
    let stdout = trimmed(&outcome.stdout);
    let stderr = trimmed(&outcome.stderr);
    let wants_json = case
        .checks
        .iter()
        .any(|c| matches!(c.pattern, Pattern::Json(_) | Pattern::JsonLines));
    let not_json = if wants_json {
        non_json_lines(&stdout)
    } else {
        Vec::new()
    };
    for check in &case.checks {
        let lines = match check.stream {
            Stream::Stdout => &stdout,
            Stream::Stderr => &stderr,
        };
        let p = &outcome.placeholders;
        let (found, shown) = match &check.pattern {
            Pattern::Line(text) => {
                let text = fill_check_placeholders(text.trim_end(), p, false);
                (lines.contains(&text), text)
            }
            Pattern::Regex(re) => {
                let re = fill_check_placeholders(re, p, true);
                match Regex::new(&re) {
                    Ok(compiled) => (lines.iter().any(|l| compiled.is_match(l)), re),
                    Err(e) => {
                        failures.push(format!("{} {re}: bad regex: {e}", check.key));
                        continue;
                    }
                }
            }
            Pattern::Block(block) => {
                let block: Vec<String> = block
                    .iter()
                    .map(|l| fill_check_placeholders(l, p, false))
                    .collect();
                let found = lines.windows(block.len()).any(|w| w == block.as_slice());
                (found, format!("\n    {}", block.join("\n    ")))
            }
            Pattern::Json(document) => {
                let document = fill_json_placeholders(document, p);
                let expected: serde_json::Value = match serde_json::from_str(&document) {
                    Ok(value) => value,
                    Err(e) => {
                        failures.push(format!("{} {document}: not JSON: {e}", check.key));
                        continue;
                    }
                };
                let found = lines.iter().any(|line| {
                    serde_json::from_str::<serde_json::Value>(line).is_ok_and(|v| v == expected)
                });
                (found, document)
            }
            // Every line is checked once, after the loop, for all the
            // JSON keys of the case.
            Pattern::JsonLines => continue,
        };
        if found != check.present {
            let verdict = if check.present {
                "missing from"
            } else {
                "present in"
            };
            failures.push(format!(
                "{} {shown}\n  -> {verdict} {}",
                check.key,
                check.stream.name()
            ));
        }
    }
    failures.extend(not_json);
    failures
}

fn report(case: &Case, outcome: &Outcome, failures: &[String]) -> String {
    const SHOWN_LINES: usize = 200;
    let mut text = String::new();
    let _ = writeln!(text, "case {} ({})", case.id, case.origin);
    let _ = writeln!(text, "command: {}", outcome.command);
    if let Some(status) = outcome.status {
        let _ = writeln!(text, "status: {}", describe(status));
    }
    for failure in failures {
        let _ = writeln!(text, "FAILED: {failure}");
    }
    for (name, lines) in [("stdout", &outcome.stdout), ("stderr", &outcome.stderr)] {
        let _ = writeln!(text, "--- {name} ({} lines) ---", lines.len());
        for line in lines.iter().take(SHOWN_LINES) {
            let _ = writeln!(text, "{line}");
        }
        if lines.len() > SHOWN_LINES {
            let _ = writeln!(text, "[... {} more lines]", lines.len() - SHOWN_LINES);
        }
    }
    text
}

// ---------------------------------------------------------------------------
// Setup
// ---------------------------------------------------------------------------

fn load_cases() -> Result<Vec<Case>, String> {
    let dir = Path::new(REPO).join(CASES_DIR);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .map_err(|e| format!("{}: {e}", dir.display()))?
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|path| path.extension().is_some_and(|e| e == "test"))
        .collect();
    files.sort();
    let mut cases = Vec::new();
    let mut seen = HashSet::new();
    for file in files {
        let text =
            std::fs::read_to_string(&file).map_err(|e| format!("{}: {e}", file.display()))?;
        for case in parse_file(&file, &text)? {
            if !seen.insert(case.id.clone()) {
                return Err(format!("{}: duplicate case name {}", case.origin, case.id));
            }
            cases.push(case);
        }
    }
    Ok(cases)
}

/// The `rtrace-workload` binary: `RTRACE_WORKLOAD`, or built by cargo with
/// the profile of this test into a target directory of its own (the
/// workspace's may be locked by the cargo that runs these tests).
fn workload_binary() -> Result<String, String> {
    if let Ok(path) = std::env::var("RTRACE_WORKLOAD") {
        return Ok(path);
    }
    // This test runs from <target>/<profile>/deps/.
    let exe = std::env::current_exe().map_err(|e| e.to_string())?;
    let profile_dir = exe
        .parent()
        .and_then(Path::parent)
        .ok_or("cannot locate the target directory")?;
    let profile = profile_dir
        .file_name()
        .and_then(|n| n.to_str())
        .ok_or("cannot tell the build profile")?;
    let target_dir = profile_dir.join("runtime-test-workload");
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| env!("CARGO").to_string());
    let mut command = Command::new(cargo);
    command
        .args([
            "build",
            "--quiet",
            "-p",
            "rtrace-workload",
            "--manifest-path",
        ])
        .arg(Path::new(REPO).join("Cargo.toml"))
        .arg("--target-dir")
        .arg(&target_dir);
    let profile_name = match profile {
        "debug" => "dev",
        other => other,
    };
    command.args(["--profile", profile_name]);
    let output = command
        .output()
        .map_err(|e| format!("cannot run cargo: {e}"))?;
    if !output.status.success() {
        return Err(format!(
            "building rtrace-workload failed:\n{}",
            String::from_utf8_lossy(&output.stderr)
        ));
    }
    let binary = target_dir.join(profile).join("rtrace-workload");
    if !binary.exists() {
        return Err(format!("{} was not built", binary.display()));
    }
    Ok(binary.display().to_string())
}

fn main() {
    let mut args = Arguments::from_args();
    // Tracing cases see each other's events and compete for the CPU: one at
    // a time.
    args.test_threads = Some(1);

    let filter = std::env::var("RTRACE_TEST_FILTER").unwrap_or_default();
    let cases = match load_cases() {
        Ok(cases) => cases,
        Err(e) => {
            let trial = Trial::test("runtime::load_cases", move || Err(e.into()));
            libtest_mimic::run(&args, vec![trial]).exit();
        }
    };
    let cases: Vec<Case> = cases
        .into_iter()
        .filter(|c| c.id.contains(&filter))
        .collect();

    // SAFETY: geteuid cannot fail.
    let root = unsafe { libc::geteuid() } == 0;
    let env = if root && !args.list {
        Some(Arc::new(Env {
            rtrace: std::env::var("RTRACE_BIN")
                .unwrap_or_else(|_| env!("CARGO_BIN_EXE_rtrace").to_string()),
            workload: OnceLock::new(),
            run_pending: std::env::var_os("RTRACE_TEST_PENDING").is_some_and(|v| v == "1"),
        }))
    } else {
        None
    };

    let trials = cases
        .into_iter()
        .map(|case| {
            let env = env.clone();
            Trial::ignorable_test(case.id.clone(), move || match env {
                Some(env) => run_case(&case, &env),
                None => Ok(Completion::ignored_with("needs root")),
            })
        })
        .collect();
    libtest_mimic::run(&args, trials).exit();
}
