//! The checker's diagnostics for the string builtins and the small
//! helpers, rendered whole, on programs that need no kernel.

use rtrace_lang::check::{check, CheckEnv};
use rtrace_lang::config::Config;
use rtrace_lang::diagnostic::render;
use rtrace_lang::kernel::KernelInfo;
use rtrace_lang::tracepoint::TracepointFormat;
use rtrace_stdlib::Stdlib;

struct NoTracepoints;

impl KernelInfo for NoTracepoints {
    fn tracepoints(&self) -> Result<Vec<(String, String)>, String> {
        Ok(vec![])
    }
    fn tracepoint_format(&self, _: &str, _: &str) -> Result<Option<TracepointFormat>, String> {
        Ok(None)
    }
}

/// The rendered diagnostics of `source` under `config` (empty when it
/// checks).
fn errors_with(source: &str, config: &Config) -> String {
    let program = rtrace_lang::parse(source).expect("parses");
    let env = CheckEnv {
        kernel: &NoTracepoints,
        builtins: &Stdlib,
        params: &[],
        pid: None,
        config,
    };
    match check(&program, &env) {
        Ok(_) => String::new(),
        Err(d) => render(&d, "-e", source, false),
    }
}

fn errors(source: &str) -> String {
    errors_with(source, &Config::default())
}

fn unsafe_config() -> Config {
    Config {
        unsafe_ok: true,
        ..Config::default()
    }
}

#[test]
fn the_new_builtins_check_when_used_right() {
    let ok = [
        "BEGIN { printf(\"%s %d %d\\n\", str(0, 4), strncmp(\"a\", \"b\", 1), strcontains(\"ab\", \"b\")); }",
        "BEGIN { $n = 3; printf(\"%s %r\\n\", str(0, $n), buf(0, $n)); }",
        "BEGIN { time(); time(\"%H\\n\"); printf(\"%s %s\\n\", strftime(\"%Y\", nsecs), username); }",
        "BEGIN { @[username] = rand + jiffies + numaid + cgroup; cat(\"/etc/%s\", \"hostname\"); }",
        "BEGIN { @t = strftime(\"%H\", nsecs); @b = buf(\"abc\", 2); print(@t); print(@b); }",
    ];
    for source in ok {
        assert_eq!(errors(source), "", "{source}");
    }
}

#[test]
fn unsafe_builtins_need_unsafe() {
    assert_eq!(
        errors("BEGIN { system(\"ls\"); }"),
        "error: system() is an unsafe function being used in safe mode
  ┌─ -e:1:9
  │
1 │ BEGIN { system(\"ls\"); }
  │         ^^^^^^^^^^^^ needs --unsafe
  │
  = help: run rtrace with --unsafe to allow it

"
    );
    assert_eq!(
        errors_with("BEGIN { system(\"ls %d\", 1); }", &unsafe_config()),
        ""
    );
}

#[test]
fn signal_arguments_and_probes() {
    let config = unsafe_config();
    assert_eq!(
        errors_with("BEGIN { signal(\"KILL\"); }", &config),
        "error: signal can not be used with \"BEGIN\" probes
  ┌─ -e:1:9
  │
1 │ BEGIN { signal(\"KILL\"); }
  │         ^^^^^^^^^^^^^^ in BEGIN

"
    );
    let e = errors_with("interval:s:1 { signal(0); }", &config);
    assert!(
        e.starts_with("error: 0 is not a valid signal, allowed range: [1,64]"),
        "{e}"
    );
    let e = errors_with("profile:hz:99 { signal(\"SIGNOPE\"); }", &config);
    assert!(e.starts_with("error: SIGNOPE is not a valid signal"), "{e}");
    let e = errors_with("profile:hz:99 { signal(comm); }", &config);
    assert!(
        e.starts_with("error: signal only accepts string literals or integers"),
        "{e}"
    );
    assert_eq!(errors_with("profile:hz:99 { signal(\"USR1\"); signal(\"SIGTERM\"); signal(9); $s = 2; signal($s); }", &config), "");
}

#[test]
fn cpid_needs_a_command() {
    let e = errors("BEGIN { printf(\"%d\\n\", cpid); }");
    assert!(
        e.starts_with("error: cpid cannot be used without child command"),
        "{e}"
    );
    let config = Config {
        child: true,
        ..Config::default()
    };
    assert_eq!(
        errors_with("BEGIN { printf(\"%d\\n\", cpid); }", &config),
        ""
    );
}

#[test]
fn string_size_must_fit_the_stack() {
    let config = Config {
        strlen: 600,
        ..Config::default()
    };
    assert_eq!(
        errors_with("BEGIN { printf(\"%s\\n\", str(0)); }", &config),
        "error: a string of 600 bytes (BPFTRACE_STRLEN) does not fit in the 512-byte BPF stack
  ┌─ -e:1:24
  │
1 │ BEGIN { printf(\"%s\\n\", str(0)); }
  │                        ^^^^^^ needs a string of that size
  │
  = help: set BPFTRACE_STRLEN or --strlen to at most 504

"
    );
}

#[test]
fn strings_and_buffers_keep_to_their_conversions() {
    let e = errors("BEGIN { printf(\"%r\\n\", \"abc\"); }");
    assert!(
        e.starts_with(
            "error: printf() conversion 1 of the format expects a buffer (buf()), found string[4]"
        ),
        "{e}"
    );
    assert!(
        e.contains("= help: %r prints a buffer: buf(pointer, length)"),
        "{e}"
    );
    let e = errors("BEGIN { printf(\"%s\\n\", buf(0, 1)); }");
    assert!(
        e.starts_with(
            "error: printf() conversion 1 of the format expects a string, found buffer[1]"
        ),
        "{e}"
    );
    let e = errors("BEGIN { printf(\"%d\\n\", username); }");
    assert!(
        e.starts_with(
            "error: printf() conversion 1 of the format expects an integer, found username"
        ),
        "{e}"
    );
}

#[test]
fn string_functions_want_strings_and_literals() {
    let e = errors("BEGIN { $n = 2; @ = strncmp(\"a\", \"b\", $n); }");
    assert!(
        e.starts_with("error: strncmp() length must be a non-negative integer literal"),
        "{e}"
    );
    let e = errors("BEGIN { @ = strcontains(\"a\", 1); }");
    assert!(
        e.starts_with("error: strcontains() expects a string here, found int64"),
        "{e}"
    );
    let e = errors("BEGIN { join(0, comm); }");
    assert!(
        e.starts_with("error: join() separator must be a string literal"),
        "{e}"
    );
    let e = errors("BEGIN { $f = \"%H\"; time($f); }");
    assert!(
        e.starts_with("error: time() needs a string literal as its format"),
        "{e}"
    );
    let e = errors("BEGIN { printf(\"%s\", strftime(\"%H\", comm)); }");
    assert!(
        e.starts_with("error: strftime() expects an integer here, found string[16]"),
        "{e}"
    );
    let e = errors("BEGIN { @ = cgroupid(\"/nonexistent-cgroup\"); }");
    assert!(e.starts_with("error: failed to get cgroupid for path \"/nonexistent-cgroup\": No such file or directory"), "{e}");
    let e = errors("BEGIN { @ = str(0, -1); }");
    assert!(
        e.starts_with("error: str() length must not be negative"),
        "{e}"
    );
}
