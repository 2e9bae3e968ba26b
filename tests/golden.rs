//! Golden tests of the emitted bytecode: each `tests/golden/NAME.rt` is
//! compiled with the tracepoint formats in `tests/golden/formats/` (copies
//! from a 6.18 kernel, so no kernel is needed) and its `-v` listing must
//! equal `tests/golden/NAME.listing`.
//!
//! A change in code generation shows up here as a readable diff of the
//! instructions. When the change is intended, regenerate the files with
//! `RTRACE_BLESS=1 cargo test --test golden` and review the diff.

use std::fs;
use std::path::{Path, PathBuf};

use rtrace_codegen::lower::{lower, LowerOptions};
use rtrace_lang::btf::Btf;
use rtrace_lang::check::{check, CheckEnv};
use rtrace_lang::kernel::{KernelInfo, TraceableFunction};
use rtrace_lang::tracepoint::TracepointFormat;
use rtrace_stdlib::Stdlib;

const GOLDEN: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/golden");

/// Tracepoints from the saved format files, and a kernel with kprobes on
/// a few functions.
struct SavedFormats(PathBuf);

const KERNEL_FUNCTIONS: &[&str] = &["vfs_read", "vfs_readv", "vfs_write"];

impl KernelInfo for SavedFormats {
    fn tracepoints(&self) -> Result<Vec<(String, String)>, String> {
        let mut all = Vec::new();
        for category in fs::read_dir(&self.0).map_err(|e| e.to_string())? {
            let category = category.map_err(|e| e.to_string())?;
            for event in fs::read_dir(category.path()).map_err(|e| e.to_string())? {
                let event = event.map_err(|e| e.to_string())?;
                all.push((
                    category.file_name().to_string_lossy().into_owned(),
                    event.file_name().to_string_lossy().into_owned(),
                ));
            }
        }
        all.sort();
        Ok(all)
    }

    fn tracepoint_format(
        &self,
        category: &str,
        event: &str,
    ) -> Result<Option<TracepointFormat>, String> {
        match fs::read_to_string(self.0.join(category).join(event)) {
            Ok(text) => TracepointFormat::parse(category, &text).map(Some),
            Err(_) => Ok(None),
        }
    }

    fn traceable_functions(&self) -> Result<&[TraceableFunction], String> {
        static LIST: std::sync::OnceLock<Vec<TraceableFunction>> = std::sync::OnceLock::new();
        Ok(LIST.get_or_init(|| {
            KERNEL_FUNCTIONS
                .iter()
                .map(|name| TraceableFunction {
                    name: name.to_string(),
                    module: None,
                })
                .collect()
        }))
    }

    fn kprobes_missing(&self) -> Option<String> {
        None
    }

    fn btf(&self) -> Result<&Btf, String> {
        static BTF: std::sync::OnceLock<Btf> = std::sync::OnceLock::new();
        Ok(BTF.get_or_init(mini_btf))
    }
}

/// A kernel's BTF cut down to what the golden programs read:
/// `struct task_struct { int pid; unsigned int in_execve:1; char comm[16];
/// struct task_struct *real_parent; }`, with members where a 6.18 kernel
/// has them in spirit (small offsets keep the listings readable).
fn mini_btf() -> Btf {
    use rtrace_lang::btf::build::{kind, Builder};
    let mut b = Builder::new();
    let int = b.int("int", 4, true);
    let uint = b.int("unsigned int", 4, false);
    let char_ = b.int("char", 1, true);
    let index = b.int("__ARRAY_SIZE_TYPE__", 4, false);
    let comm = b.add("", kind::ARRAY, 0, false, 0, &[char_, index, 16]);
    let task_ptr = comm + 2;
    let names = ["pid", "in_execve", "comm", "real_parent"].map(|n| b.string(n));
    let task = b.add(
        "task_struct",
        kind::STRUCT,
        4,
        true,
        32,
        &[
            names[0],
            int,
            0, //
            names[1],
            uint,
            (1 << 24) | 37, //
            names[2],
            comm,
            64, //
            names[3],
            task_ptr,
            192,
        ],
    );
    let ptr = b.add("", kind::PTR, 0, false, task, &[]);
    assert_eq!(ptr, task_ptr);
    Btf::parse(b.finish()).expect("hand-built BTF")
}

/// The `-v` listing of a program, with the parameters `ARGS` lines give,
/// the `-p` a `PID` line gives, wildcard kprobes compiled for
/// kprobe_multi links after a `KPROBE_MULTI` line, and `--unsafe` after an
/// `UNSAFE` line.
fn listing(source: &str) -> String {
    let params: Vec<String> = source
        .lines()
        .filter_map(|l| l.strip_prefix("// ARGS "))
        .flat_map(|l| l.split_whitespace().map(String::from))
        .collect();
    let pid = source
        .lines()
        .find_map(|l| l.strip_prefix("// PID "))
        .map(|p| p.trim().parse().expect("a pid"));
    let program = rtrace_lang::parse(source).unwrap_or_else(|d| panic!("parse: {d:?}"));
    let kernel = SavedFormats(Path::new(GOLDEN).join("formats"));
    let env = CheckEnv {
        kernel: &kernel,
        builtins: &Stdlib,
        params: &params,
        pid,
        config: &rtrace_lang::config::Config {
            unsafe_ok: source.lines().any(|l| l == "// UNSAFE"),
            ..Default::default()
        },
    };
    let checked = check(&program, &env).unwrap_or_else(|d| panic!("check: {d:?}"));
    let options = LowerOptions {
        params: &params,
        start_ns: 0,
        pid,
        cpid: None,
        kprobe_multi: source.lines().any(|l| l == "// KPROBE_MULTI"),
    };
    let compiled = lower(&program, &checked, &Stdlib, &options).expect("lower");
    let names: Vec<&str> = compiled.map_names.iter().map(String::as_str).collect();
    let mut out = String::new();
    for (spec, code) in compiled.manifest.programs.iter().zip(&compiled.code) {
        let attached: Vec<String> = spec.attach.iter().map(|a| a.name()).collect();
        out.push_str(&format!(
            "{} ({}) <{}>:\n",
            spec.symbol,
            spec.section,
            attached.join(", ")
        ));
        out.push_str(&code.listing(&names));
    }
    out
}

#[test]
fn emitted_listings_match_the_golden_files() {
    let bless = std::env::var_os("RTRACE_BLESS").is_some_and(|v| v == "1");
    let mut sources: Vec<PathBuf> = fs::read_dir(GOLDEN)
        .expect("tests/golden")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "rt"))
        .collect();
    sources.sort();
    assert!(sources.len() >= 10, "golden programs missing");
    let mut mismatches = Vec::new();
    for path in &sources {
        let source = fs::read_to_string(path).expect("read program");
        let actual = listing(&source);
        let expected_path = path.with_extension("listing");
        if bless {
            fs::write(&expected_path, &actual).expect("write listing");
            continue;
        }
        let expected = fs::read_to_string(&expected_path).unwrap_or_default();
        if expected != actual {
            mismatches.push(format!(
                "{}:\n{}",
                path.display(),
                line_diff(&expected, &actual)
            ));
        }
    }
    assert!(
        mismatches.is_empty(),
        "emitted code differs from the golden listings \
         (RTRACE_BLESS=1 cargo test --test golden regenerates them):\n\n{}",
        mismatches.join("\n")
    );
}

/// The first differing lines, enough to see what changed.
fn line_diff(expected: &str, actual: &str) -> String {
    let (e, a): (Vec<&str>, Vec<&str>) = (expected.lines().collect(), actual.lines().collect());
    let first = e
        .iter()
        .zip(&a)
        .position(|(x, y)| x != y)
        .unwrap_or(e.len().min(a.len()));
    let mut out = format!("  first difference at line {}\n", first + 1);
    for line in e.iter().skip(first).take(6) {
        out.push_str(&format!("  - {line}\n"));
    }
    for line in a.iter().skip(first).take(6) {
        out.push_str(&format!("  + {line}\n"));
    }
    out
}
