//! What the diagnostic tests share: a fake kernel (the tracepoint formats
//! the golden tests use, copies from a 6.18 kernel; two kprobe-able
//! functions; a small BTF with `struct task_struct`) and a table runner
//! that checks each program's first rendered diagnostic: its message, the
//! text its caret points at, and optionally one of its help lines.

#![allow(dead_code)] // Each test file uses its own part.

use std::collections::HashSet;
use std::fs;
use std::path::PathBuf;

use rtrace_lang::btf::build::{kind, Builder};
use rtrace_lang::btf::Btf;
use rtrace_lang::check::{check, CheckEnv, Checked};
use rtrace_lang::config::Config;
use rtrace_lang::diagnostic::render;
use rtrace_lang::kernel::{KernelInfo, TraceableFunction};
use rtrace_lang::tracepoint::TracepointFormat;
use rtrace_stdlib::Stdlib;

/// One diagnostic: `(program, message, caret text, help)`. The caret text
/// is the part of the program the `^^^` line underlines; `help` is a
/// substring of one `= help:` line, or "" to check none.
pub type Case = (&'static str, &'static str, &'static str, &'static str);

/// Two made-up tracepoints, `test:a` and `test:b`, where one field name
/// has two types, and with fields rtrace cannot read or reads as bytes.
const TEST_A: &str = "format:\n\
    \tfield:int x;\toffset:8;\tsize:4;\tsigned:1;\n\
    \tfield:int vals[4];\toffset:12;\tsize:16;\tsigned:1;\n\
    \tfield:__u8 mac[6];\toffset:28;\tsize:6;\tsigned:0;\n\
    \tfield:const void * p;\toffset:40;\tsize:8;\tsigned:0;\n\
    \tfield:int rest[];\toffset:48;\tsize:0;\tsigned:1;\n";
const TEST_B: &str = "format:\n\tfield:char x[8];\toffset:8;\tsize:8;\tsigned:0;\n";

fn formats_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/golden/formats")
}

pub struct FakeKernel {
    functions: Vec<TraceableFunction>,
    /// `vfs_write` is on it.
    blacklist: HashSet<String>,
    kprobes: bool,
    btf: Option<Btf>,
    /// Whether tracefs can be read: without it there are no tracepoints
    /// and no list of traceable functions.
    tracefs: bool,
}

impl FakeKernel {
    pub fn new() -> FakeKernel {
        FakeKernel {
            functions: ["vfs_read", "vfs_write"]
                .map(|name| TraceableFunction {
                    name: name.into(),
                    module: None,
                })
                .to_vec(),
            blacklist: HashSet::from(["vfs_write".to_string()]),
            kprobes: true,
            btf: Some(task_btf()),
            tracefs: true,
        }
    }

    /// A kernel whose tracefs cannot be read.
    pub fn without_tracefs() -> FakeKernel {
        FakeKernel {
            tracefs: false,
            ..FakeKernel::new()
        }
    }

    /// A kernel built without BTF type information.
    pub fn without_btf() -> FakeKernel {
        FakeKernel {
            btf: None,
            ..FakeKernel::new()
        }
    }

    /// A kernel built without kprobes, which cannot run fentry either.
    pub fn without_kprobes() -> FakeKernel {
        FakeKernel {
            kprobes: false,
            ..FakeKernel::new()
        }
    }
}

impl KernelInfo for FakeKernel {
    fn tracepoints(&self) -> Result<Vec<(String, String)>, String> {
        if !self.tracefs {
            return Err("Permission denied".into());
        }
        let mut all = Vec::new();
        for category in fs::read_dir(formats_dir()).map_err(|e| e.to_string())? {
            let category = category.map_err(|e| e.to_string())?;
            for event in fs::read_dir(category.path()).map_err(|e| e.to_string())? {
                let event = event.map_err(|e| e.to_string())?;
                all.push((
                    category.file_name().to_string_lossy().into_owned(),
                    event.file_name().to_string_lossy().into_owned(),
                ));
            }
        }
        all.extend([("test".into(), "a".into()), ("test".into(), "b".into())]);
        all.sort();
        Ok(all)
    }

    fn tracepoint_format(
        &self,
        category: &str,
        event: &str,
    ) -> Result<Option<TracepointFormat>, String> {
        if !self.tracefs {
            return Err("Permission denied".into());
        }
        match (category, event) {
            ("test", "a") => return TracepointFormat::parse(category, TEST_A).map(Some),
            ("test", "b") => return TracepointFormat::parse(category, TEST_B).map(Some),
            _ => {}
        }
        match fs::read_to_string(formats_dir().join(category).join(event)) {
            Ok(text) => TracepointFormat::parse(category, &text).map(Some),
            Err(_) => Ok(None),
        }
    }

    fn traceable_functions(&self) -> Result<&[TraceableFunction], String> {
        if !self.tracefs {
            return Err("Permission denied".into());
        }
        Ok(&self.functions)
    }

    fn kprobe_blacklist(&self) -> &HashSet<String> {
        &self.blacklist
    }

    fn kprobes_missing(&self) -> Option<String> {
        (!self.kprobes).then(|| "CONFIG_KPROBES is not set".into())
    }

    fn btf(&self) -> Result<&Btf, String> {
        self.btf
            .as_ref()
            .ok_or_else(|| "No such file or directory".into())
    }
}

/// `struct task_struct { int pid; char comm[16]; struct task_struct
/// *real_parent; int ints[4]; }`, `union u { int i; }` and `struct holder
/// { struct key *key; }` where `struct key {}` is empty.
fn task_btf() -> Btf {
    let mut b = Builder::new();
    let int = b.int("int", 4, true); // 1
    let char_ = b.int("char", 1, true); // 2
    let index = b.int("__ARRAY_SIZE_TYPE__", 4, false); // 3
    let comm = b.add("", kind::ARRAY, 0, false, 0, &[char_, index, 16]); // 4
    let ints = b.add("", kind::ARRAY, 0, false, 0, &[int, index, 4]); // 5
    let task_ptr = ints + 2;
    let names = ["pid", "comm", "real_parent", "ints"].map(|n| b.string(n));
    let task = b.add(
        "task_struct",
        kind::STRUCT,
        4,
        false,
        48,
        &[
            names[0], int, 0, //
            names[1], comm, 32, //
            names[2], task_ptr, 192, //
            names[3], ints, 256,
        ],
    ); // 6
    let ptr = b.add("", kind::PTR, 0, false, task, &[]); // 7
    assert_eq!(ptr, task_ptr);
    let i = b.string("i");
    b.add("u", kind::UNION, 1, false, 4, &[i, int, 0]);
    let key = b.add("key", kind::STRUCT, 0, false, 0, &[]);
    let key_ptr = b.add("", kind::PTR, 0, false, key, &[]);
    let key_name = b.string("key");
    b.add("holder", kind::STRUCT, 1, false, 8, &[key_name, key_ptr, 0]);
    Btf::parse(b.finish()).expect("hand-built BTF")
}

/// Checks `source` on any fake kernel, with every diagnostic rendered
/// when it does not check.
pub fn checked_on(
    kernel: &dyn KernelInfo,
    source: &str,
    config: &Config,
) -> Result<Checked, String> {
    let program = rtrace_lang::parse(source).expect("parses");
    let env = CheckEnv {
        kernel,
        builtins: &Stdlib,
        params: &[],
        pid: None,
        config,
    };
    check(&program, &env).map_err(|d| render(&d, "-e", source, false))
}

/// The diagnostics of `source`, rendered, or "" when it checks.
pub fn rendered(source: &str, config: &Config) -> String {
    rendered_on(&FakeKernel::new(), source, config)
}

pub fn rendered_on(kernel: &FakeKernel, source: &str, config: &Config) -> String {
    let program = match rtrace_lang::parse(source) {
        Ok(p) => p,
        Err(d) => return format!("PARSE ERROR\n{}", render(&d, "-e", source, false)),
    };
    let env = CheckEnv {
        kernel,
        builtins: &Stdlib,
        params: &["7".to_string(), "text".to_string()],
        pid: None,
        config,
    };
    match check(&program, &env) {
        Ok(_) => String::new(),
        Err(d) => render(&d[..1], "-e", source, false),
    }
}

/// The text the first `^^^` line of a rendered diagnostic underlines in
/// the source line above it.
fn caret_text(rendered: &str) -> Option<String> {
    let lines: Vec<&str> = rendered.lines().collect();
    let caret_line = lines
        .iter()
        .position(|l| l.split_once('│').is_some_and(|(_, r)| r.contains('^')))?;
    let source_line = lines[..caret_line]
        .iter()
        .rev()
        .find(|l| l.split_once('│').is_some_and(|(n, _)| !n.trim().is_empty()))?;
    let after_bar = |l: &str| -> Vec<char> { l.split_once('│').unwrap().1.chars().collect() };
    let carets = after_bar(lines[caret_line]);
    let source = after_bar(source_line);
    let first = carets.iter().position(|&c| c == '^')?;
    let last = carets.iter().rposition(|&c| c == '^')?;
    Some(
        source
            .get(first..=last.min(source.len() - 1))?
            .iter()
            .collect(),
    )
}

/// Checks every case, and reports all mismatches at once.
pub fn expect_all(cases: &[Case], config: &Config) {
    expect_all_on(&FakeKernel::new(), cases, config);
}

pub fn expect_all_on(kernel: &FakeKernel, cases: &[Case], config: &Config) {
    let mut failures = Vec::new();
    for &(source, message, caret, help) in cases {
        let text = rendered_on(kernel, source, config);
        let first = text.lines().next().unwrap_or("");
        let mut wrong = Vec::new();
        if first != format!("error: {message}") {
            wrong.push(format!("message: want {message:?}"));
        }
        if caret_text(&text).as_deref() != Some(caret) {
            wrong.push(format!(
                "caret: want {caret:?}, got {:?}",
                caret_text(&text)
            ));
        }
        if !help.is_empty()
            && !text
                .lines()
                .any(|l| l.contains("= help:") && l.contains(help))
        {
            wrong.push(format!("help: want {help:?}"));
        }
        if !wrong.is_empty() {
            failures.push(format!("{source}\n  {}\n{text}", wrong.join("\n  ")));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} diagnostics differ:\n\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}

/// Checks that each program passes the checker.
pub fn expect_ok(sources: &[&str], config: &Config) {
    for source in sources {
        assert_eq!(rendered(source, config), "", "{source}");
    }
}

pub fn unsafe_config() -> Config {
    Config {
        unsafe_ok: true,
        ..Config::default()
    }
}
