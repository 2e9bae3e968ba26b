//! override(): where the checker allows it, rendered whole, on a fake
//! kernel with or without kprobes; and the manifest flag the runtime
//! explains the kernel's refusals with.

mod common;

use rtrace_codegen::lower::{lower, LowerOptions};
use rtrace_lang::btf::build::{kind, Builder};
use rtrace_lang::btf::Btf;
use rtrace_lang::config::Config;
use rtrace_lang::kernel::{KernelInfo, TraceableFunction};
use rtrace_lang::tracepoint::TracepointFormat;
use rtrace_stdlib::Stdlib;

const FUNCTION: &str = "__x64_sys_getppid";

/// A kernel with one traceable function, `long __x64_sys_getppid(void)`,
/// described in BTF, one tracepoint, and kprobes or not.
struct Kernel {
    kprobes: bool,
    functions: Vec<TraceableFunction>,
    btf: Btf,
}

impl Kernel {
    fn new(kprobes: bool) -> Kernel {
        Kernel {
            kprobes,
            functions: vec![TraceableFunction {
                name: FUNCTION.into(),
                module: None,
            }],
            btf: Btf::parse(getppid_btf()).expect("valid BTF"),
        }
    }
}

/// BTF of `long __x64_sys_getppid(void)`: an int, a prototype, a function.
fn getppid_btf() -> Vec<u8> {
    let mut b = Builder::new();
    let long = b.int("long", 8, true);
    let proto = b.add("", kind::FUNC_PROTO, 0, false, long, &[]);
    // Global linkage.
    b.add(FUNCTION, kind::FUNC, 1, false, proto, &[]);
    b.finish()
}

impl KernelInfo for Kernel {
    fn tracepoints(&self) -> Result<Vec<(String, String)>, String> {
        Ok(vec![("syscalls".into(), "sys_enter_getppid".into())])
    }
    fn tracepoint_format(&self, c: &str, e: &str) -> Result<Option<TracepointFormat>, String> {
        Ok(
            (c == "syscalls" && e == "sys_enter_getppid").then(|| TracepointFormat {
                fields: vec![],
                retval: None,
            }),
        )
    }
    fn traceable_functions(&self) -> Result<&[TraceableFunction], String> {
        Ok(&self.functions)
    }
    fn kprobes_missing(&self) -> Option<String> {
        (!self.kprobes).then(|| "CONFIG_KPROBES is not set".into())
    }
    fn btf(&self) -> Result<&Btf, String> {
        Ok(&self.btf)
    }
    fn fentry_loads(&self, _btf_id: u32) -> Result<(), String> {
        Ok(())
    }
}

fn config(unsafe_ok: bool) -> Config {
    Config {
        unsafe_ok,
        ..Config::default()
    }
}

/// The rendered diagnostics of `source` (empty when it checks).
fn errors_on(kernel: &Kernel, source: &str, unsafe_ok: bool) -> String {
    common::checked_on(kernel, source, &config(unsafe_ok))
        .err()
        .unwrap_or_default()
}

/// With --unsafe, on a kernel with kprobes.
fn errors(source: &str) -> String {
    errors_on(&Kernel::new(true), source, true)
}

#[test]
fn a_kprobe_may_override() {
    assert_eq!(errors("kprobe:__x64_sys_getppid { override(-1); }"), "");
    assert_eq!(
        errors("k:__x64_sys_getppid /pid == 1/ { $rc = -12; override($rc); override(arg0 + 1); }"),
        ""
    );
}

#[test]
fn it_needs_unsafe_first() {
    assert_eq!(
        errors_on(
            &Kernel::new(true),
            "tracepoint:syscalls:sys_enter_getppid { override(-1); }",
            false
        ),
        "error: override() is an unsafe function being used in safe mode
  ┌─ -e:1:41
  │
1 │ tracepoint:syscalls:sys_enter_getppid { override(-1); }
  │                                         ^^^^^^^^^^^^ needs --unsafe
  │
  = help: run rtrace with --unsafe to allow it

"
    );
}

#[test]
fn not_at_a_function_return() {
    assert_eq!(
        errors("kretprobe:__x64_sys_getppid { override(-1); }"),
        "error: override can only be used with kprobes
  ┌─ -e:1:31
  │
1 │ kretprobe:__x64_sys_getppid { override(-1); }
  │                               ^^^^^^^^^^^^ in kretprobe:__x64_sys_getppid
  │
  = help: kretprobe runs after the function has returned; override it from kprobe:__x64_sys_getppid instead

"
    );
    let e = errors("fexit:__x64_sys_getppid { override(-1); }");
    assert!(
        e.contains("help: fexit runs after the function has returned; override it from kprobe:__x64_sys_getppid instead"),
        "{e}"
    );
}

#[test]
fn not_in_trampolines_or_other_probes() {
    let e = errors("fentry:__x64_sys_getppid { override(-1); }");
    assert!(
        e.starts_with("error: override can only be used with kprobes")
            && e.contains("help: fentry runs as a trampoline, which cannot change the return value; override it from kprobe:__x64_sys_getppid instead"),
        "{e}"
    );
    for source in [
        "tracepoint:syscalls:sys_enter_getppid { override(-1); }",
        "BEGIN { override(-1); }",
        "kprobe:__x64_sys_getppid, tracepoint:syscalls:sys_enter_getppid { override(-1); }",
    ] {
        let e = errors(source);
        assert!(
            e.starts_with("error: override can only be used with kprobes")
                && e.contains("help: override() changes a kernel function's return value: use it in kprobe:FUNCTION"),
            "{source}: {e}"
        );
    }
}

#[test]
fn a_kprobe_run_as_fentry_cannot_override() {
    assert_eq!(
        errors_on(
            &Kernel::new(false),
            "kprobe:__x64_sys_getppid { override(-1); }",
            true
        ),
        "error: override() needs kprobes, which this kernel does not have
  ┌─ -e:1:28
  │
1 │ kprobe:__x64_sys_getppid { override(-1); }
  │                            ^^^^^^^^^^^^ kprobe:__x64_sys_getppid runs as an fentry program here
  │
  = help: fentry programs cannot override a return value: run on a kernel with CONFIG_KPROBES

"
    );
}

#[test]
fn only_at_the_entry() {
    let e = errors("kprobe:__x64_sys_getppid+4 { override(-1); }");
    assert!(
        e.starts_with("error: override() needs a kprobe at the function's entry")
            && e.contains("kprobe:__x64_sys_getppid+4 fires inside the function")
            && e.contains("help: probe kprobe:__x64_sys_getppid instead"),
        "{e}"
    );
}

#[test]
fn one_integer_argument_and_no_value() {
    let e = errors("kprobe:__x64_sys_getppid { override(); }");
    assert!(
        e.starts_with("error: override() takes 1 argument, 0 given"),
        "{e}"
    );
    let e = errors("kprobe:__x64_sys_getppid { override(1, 2); }");
    assert!(
        e.starts_with("error: override() takes 1 argument, 2 given"),
        "{e}"
    );
    let e = errors("kprobe:__x64_sys_getppid { override(\"x\"); }");
    assert!(
        e.starts_with("error: override() expects an integer here, found string"),
        "{e}"
    );
    let e = errors("kprobe:__x64_sys_getppid { @r = override(1); }");
    assert!(
        e.starts_with("error: override() should not be used in an assignment"),
        "{e}"
    );
}

#[test]
fn the_manifest_marks_programs_that_override() {
    let source =
        "kprobe:__x64_sys_getppid { override(-1); } kprobe:__x64_sys_getppid { @ = count(); }";
    let program = rtrace_lang::parse(source).expect("parses");
    let checked = common::checked_on(&Kernel::new(true), source, &config(true)).expect("checks");
    let options = LowerOptions {
        params: &[],
        start_ns: 0,
        pid: None,
        cpid: None,
        kprobe_multi: false,
    };
    let compiled = lower(&program, &checked, &Stdlib, &options).expect("lowers");
    let flags: Vec<bool> = compiled
        .manifest
        .programs
        .iter()
        .map(|p| p.overrides_return)
        .collect();
    assert_eq!(flags, [true, false]);
}
