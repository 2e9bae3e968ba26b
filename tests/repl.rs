//! The interactive session, driven the way a person uses it: in a real
//! pseudo-terminal, typing entries and commands, running a workload, and
//! reading what the terminal shows. Needs root (it traces); otherwise each
//! test says why it is skipped and passes.

use rexpect::session::PtySession;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Mutex, OnceLock};

const REPO: &str = env!("CARGO_MANIFEST_DIR");
/// How long one expectation may wait: attaching and detaching tracepoints
/// take a while on a busy machine.
const TIMEOUT_MS: u64 = 20_000;
const PROMPT: &str = "rtrace> ";
/// Counts only the workload's calls.
const COUNT_GETPPID: &str =
    r#"tracepoint:syscalls:sys_enter_getppid /comm == "rtrace-workload"/ { @m = count(); }"#;

/// The sessions trace the same workload: one at a time.
static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

/// The reason the tests cannot run here, if any.
fn skip_reason() -> Option<&'static str> {
    // SAFETY: geteuid has no preconditions.
    (unsafe { libc::geteuid() } != 0).then_some("needs root (it loads BPF programs)")
}

macro_rules! needs_root {
    () => {
        if let Some(reason) = skip_reason() {
            eprintln!("skipped: {reason}");
            return;
        }
    };
}

/// A session in a pseudo-terminal, with its own home (for the history).
struct Repl {
    pty: PtySession,
    home: PathBuf,
}

impl Repl {
    fn start(name: &str) -> Repl {
        let home =
            std::env::temp_dir().join(format!("rtrace-repl-test-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&home);
        std::fs::create_dir_all(&home).expect("temporary home");
        let mut command = Command::new(env!("CARGO_BIN_EXE_rtrace"));
        command.env("HOME", &home).env("TERM", "xterm");
        let pty = rexpect::spawn_with_options(
            command,
            rexpect::reader::Options::new()
                .timeout_ms(Some(TIMEOUT_MS))
                .strip_ansi_escape_codes(true),
        )
        .expect("rtrace starts in a terminal");
        let mut repl = Repl { pty, home };
        repl.expect(":help lists the commands");
        repl.expect(PROMPT);
        repl
    }

    /// Waits for `text`; returns what came before it.
    fn expect(&mut self, text: &str) -> String {
        match self.pty.exp_string(text) {
            Ok(before) => before,
            Err(e) => panic!("waiting for {text:?}: {e}"),
        }
    }

    /// Types a line and presses Enter.
    fn line(&mut self, text: &str) {
        self.pty.send_line(text).expect("typing");
    }

    /// Types an entry and waits until it is attached as entry `number`.
    fn attach(&mut self, text: &str, number: usize) {
        self.line(text);
        self.expect(&format!("[{number}] "));
        self.expect(PROMPT);
    }

    /// `:print @m`, whose value is expected.
    fn print(&mut self, map: &str, expected: &str) {
        self.line(&format!(":print {map}"));
        self.expect(expected);
        self.expect(PROMPT);
    }

    /// Ctrl-D, then everything printed until rtrace exits.
    fn end(mut self) -> String {
        self.pty.send_control('d').expect("Ctrl-D");
        let rest = self.pty.exp_eof().expect("rtrace exits");
        let status = self.pty.process_mut().wait().expect("exit status");
        assert!(
            matches!(status, rexpect::process::WaitStatus::Exited(_, 0)),
            "{status:?}\n{rest}"
        );
        rest
    }
}

impl Drop for Repl {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.home);
    }
}

/// Runs `rtrace-workload getppid N`.
fn getppid(n: u32) {
    let status = Command::new(workload())
        .args(["getppid", &n.to_string()])
        .status()
        .expect("the workload runs");
    assert!(status.success());
}

#[test]
fn count_print_detach_and_end() {
    needs_root!();
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let mut repl = Repl::start("count");
    repl.attach(COUNT_GETPPID, 1);
    getppid(12);
    repl.print("@m", "@m: 12");

    // A second entry over several lines updates the same map.
    repl.line("tracepoint:syscalls:sys_enter_getppid");
    repl.expect("...> ");
    repl.line("/comm == \"rtrace-workload\"/ {");
    repl.expect("...> ");
    repl.line("  @m = count(); @calls[comm] = count();");
    repl.expect("...> ");
    repl.attach("}", 2);
    getppid(5);
    repl.print("@m", "@m: 22");
    repl.print("@calls", "@calls[rtrace-workload]: 5");

    repl.line(":probes");
    repl.expect("[1] tracepoint:syscalls:sys_enter_getppid");
    repl.expect("[2] tracepoint:syscalls:sys_enter_getppid");
    repl.expect(PROMPT);
    repl.line(":detach 1");
    repl.expect("[1] detached");
    repl.expect(PROMPT);
    getppid(3);
    repl.print("@m", "@m: 25");

    // Ctrl-D prints the maps as the one-shot rtrace does at exit.
    let rest = repl.end();
    assert!(
        rest.contains("\r\n\r\n\r\n@calls[rtrace-workload]: 8\r\n@m: 25\r\n"),
        "{rest:?}"
    );
}

#[test]
fn mistakes_are_shown_and_the_session_goes_on() {
    needs_root!();
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let mut repl = Repl::start("mistakes");
    repl.line("BEGIN { @x = cuont(); }");
    repl.expect("error: unknown function 'cuont'");
    // (Only ASCII: the harness reads the terminal byte by byte.)
    repl.expect(" input:1:14");
    repl.expect("^^^^^ not a builtin");
    repl.expect("help: did you mean 'count()'?");
    repl.expect(PROMPT);
    repl.line(":detach 7");
    repl.expect("no entry 7 is running");
    repl.expect(PROMPT);
    repl.line(":load /nonexistent/script.rt");
    repl.expect("cannot read /nonexistent/script.rt");
    repl.expect(PROMPT);
    repl.line(":frobnicate");
    repl.expect("unknown command :frobnicate");
    repl.expect(PROMPT);
    // A map of an earlier entry keeps its type.
    repl.attach("BEGIN { @n = 1; }", 1);
    repl.line("BEGIN { @n = count(); }");
    repl.expect("@n is count() map here but an int64 map elsewhere");
    repl.expect("an earlier entry made @n an int64 map");
    repl.expect(PROMPT);
    repl.attach("BEGIN { @n = @n + 41; }", 2);
    repl.print("@n", "@n: 42");
    let rest = repl.end();
    assert!(rest.contains("@n: 42"), "{rest:?}");
}

#[test]
fn completion_streaming_and_history() {
    needs_root!();
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let mut repl = Repl::start("completion");
    // A tracepoint's name completed from tracefs.
    repl.pty
        .send("tracepoint:syscalls:sys_enter_getpp\t")
        .expect("typing");
    repl.pty.flush().expect("typing");
    repl.expect("sys_enter_getppid");
    // Only the workload's calls: other processes call getppid too.
    repl.line(" /comm == \"rtrace-workload\"/ { @c = count(); }");
    repl.expect("[1] tracepoint:syscalls:sys_enter_getppid");
    repl.expect(PROMPT);

    // printf output goes on while a line is being typed.
    repl.attach(r#"interval:ms:100 { printf("tick %d\n", 7); }"#, 2);
    repl.pty.send(":pri").expect("typing");
    repl.pty.flush().expect("typing");
    repl.expect("tick 7");
    repl.expect("tick 7");
    repl.line("nt @c");
    repl.expect("@c is empty");
    repl.expect(PROMPT);
    getppid(3);
    repl.line(":print @c");
    repl.expect("@c: ");
    repl.expect(PROMPT);
    repl.line(":detach 2");
    repl.expect("[2] detached");
    repl.expect(PROMPT);
    // Ctrl-C drops what is typed, not the session.
    repl.pty.send("@c = garbage").expect("typing");
    repl.pty.flush().expect("typing");
    repl.expect("garbage");
    repl.pty.send_control('c').expect("Ctrl-C");
    // The fresh prompt after the dropped line. rustyline drops keys typed
    // before it reads the next line, and a redraw of the old line also
    // shows a prompt: give it a moment before typing on.
    repl.expect(PROMPT);
    std::thread::sleep(std::time::Duration::from_millis(500));
    repl.line(":maps");
    repl.expect("@c: count()");
    repl.expect(PROMPT);
    let history = repl.home.join(".rtrace_history");
    let saved = std::fs::read_to_string(&history).expect("history saved");
    assert!(
        saved.contains(
            "tracepoint:syscalls:sys_enter_getppid /comm == \"rtrace-workload\"/ { @c = count(); }"
        ),
        "{saved}"
    );
    let rest = repl.end();
    assert!(rest.contains("@c: "), "{rest:?}");
}

#[test]
fn exit_in_an_entry_ends_the_session() {
    needs_root!();
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let mut repl = Repl::start("exit");
    repl.attach("BEGIN { @a = 1; }", 1);
    let script = repl.home.join("end.rt");
    std::fs::write(&script, "END {\n  printf(\"bye\\n\");\n}\n").expect("script written");
    repl.line(&format!(":load {}", script.display()));
    repl.expect("[2] END");
    repl.line("BEGIN { @b = 2; exit(); }");
    let rest = repl.pty.exp_eof().expect("rtrace exits");
    assert!(
        rest.contains("bye\r\n\r\n\r\n@a: 1\r\n@b: 2\r\n"),
        "{rest:?}"
    );
}

#[test]
fn help_clear_completion_and_quit() {
    needs_root!();
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let mut repl = Repl::start("help");
    repl.line(":help");
    for command in [
        ":help",
        ":probes",
        ":detach N",
        ":print",
        ":clear @map",
        ":maps",
        ":load FILE",
        ":quit",
    ] {
        repl.expect(command);
    }
    repl.expect("Ctrl-D ends the session");
    repl.expect(PROMPT);

    repl.attach("BEGIN { @m[1] = 10; @m[2] = 20; @n = 5; }", 1);
    repl.print("@m", "@m[2]: 20");
    repl.line(":clear @m");
    repl.expect(PROMPT);
    repl.print("@m", "@m is empty");
    repl.print("@n", "@n: 5");

    // A scheduler tracepoint's name, completed from the kernel's tracefs.
    repl.pty
        .send("tracepoint:sched:sched_swi\t")
        .expect("typing");
    repl.pty.flush().expect("typing");
    repl.expect("sched_switch");
    repl.line(" { @s = count(); }");
    repl.expect("[2] tracepoint:sched:sched_switch");
    repl.expect(PROMPT);

    // :quit ends the session as Ctrl-D does: the maps left are printed.
    repl.line(":quit");
    let rest = repl.pty.exp_eof().expect("rtrace exits");
    let status = repl.pty.process_mut().wait().expect("exit status");
    assert!(
        matches!(status, rexpect::process::WaitStatus::Exited(_, 0)),
        "{status:?}\n{rest}"
    );
    assert!(rest.contains("@n: 5\r\n"), "{rest:?}");
    assert!(rest.contains("@s: "), "{rest:?}");
    assert!(!rest.contains("@m["), "{rest:?}");
}

#[test]
fn ctrl_c_stops_a_long_print() {
    needs_root!();
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let mut repl = Repl::start("interrupt");
    // A key per call of the workload, each a histogram of about 60
    // lines: some 20 MB of text, far more than the terminal shows before
    // Ctrl-C reaches rtrace. (Under memory pressure the kernel refuses
    // some of the keys; thousands remain.)
    const CALLS: usize = 4000;
    repl.attach("BEGIN { @small = 7; }", 1);
    repl.attach(
        "tracepoint:syscalls:sys_enter_getppid /comm == \"rtrace-workload\"/ { \
         $k = nsecs; @big[$k] = hist(0); @big[$k] = hist(1 << 62); }",
        2,
    );
    getppid(CALLS as u32);
    repl.line(":print @big");
    repl.expect("@big[");
    repl.pty.send_control('c').expect("Ctrl-C");
    let printed = repl.expect("interrupted");
    let keys = printed.matches("@big[").count() + 1;
    assert!(keys < CALLS / 4, "{keys} keys of about {CALLS} printed");
    repl.expect(PROMPT);
    // The session goes on.
    repl.print("@small", "@small: 7");
    repl.line(":clear @big");
    repl.expect(PROMPT);
    let rest = repl.end();
    assert!(rest.contains("@small: 7"), "{rest:?}");
    assert!(!rest.contains("@big["), "{rest:?}");
}

#[test]
fn stack_keyed_maps_print_their_frames() {
    needs_root!();
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let mut repl = Repl::start("stacks");
    // Two entries store stacks in one map: they share its stack trace map.
    repl.attach(
        "tracepoint:syscalls:sys_enter_getppid /comm == \"rtrace-workload\"/ { @s[kstack] = count(); }",
        1,
    );
    repl.attach(
        "tracepoint:syscalls:sys_exit_getppid /comm == \"rtrace-workload\"/ { @s[kstack] = count(); }",
        2,
    );
    getppid(3);
    repl.line(":print @s");
    let printed = repl.expect(PROMPT);
    assert!(printed.contains("do_syscall_64"), "{printed:?}");
    assert!(!printed.contains("@s[]"), "{printed:?}");
    repl.end();
}

/// `rtrace-workload`, built as the runtime tests build it.
fn workload() -> &'static str {
    static PATH: OnceLock<String> = OnceLock::new();
    PATH.get_or_init(|| {
        if let Ok(path) = std::env::var("RTRACE_WORKLOAD") {
            return path;
        }
        // This test runs from <target>/<profile>/deps/.
        let exe = std::env::current_exe().expect("test path");
        let profile_dir = exe.parent().and_then(Path::parent).expect("target dir");
        let profile = profile_dir
            .file_name()
            .and_then(|n| n.to_str())
            .expect("profile");
        let target_dir = profile_dir.join("runtime-test-workload");
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| env!("CARGO").to_string());
        let profile_name = if profile == "debug" { "dev" } else { profile };
        let status = Command::new(cargo)
            .args([
                "build",
                "--quiet",
                "-p",
                "rtrace-workload",
                "--manifest-path",
            ])
            .arg(Path::new(REPO).join("Cargo.toml"))
            .arg("--target-dir")
            .arg(&target_dir)
            .args(["--profile", profile_name])
            .status()
            .expect("cargo runs");
        assert!(status.success(), "building rtrace-workload failed");
        target_dir
            .join(profile)
            .join("rtrace-workload")
            .to_string_lossy()
            .into_owned()
    })
}
