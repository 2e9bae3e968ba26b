//! Every tool in `examples/` compiles: `rtrace --dry-run examples/X.rt`
//! must succeed, and each file must carry the header that documents it
//! (what it shows, how to run it, an example of its output) and be listed
//! in `examples/README.md`. Runs without root: tracepoint arguments are
//! typed from tracefs, which only root may read, so as another user the
//! one error accepted is rtrace's "cannot read the kernel's tracepoints"
//! (syntax and every check that does not need the kernel still run). Their
//! real output is checked, as root, by tests/runtime/examples.test.

use std::path::{Path, PathBuf};
use std::process::Command;

fn examples() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("examples/ is readable")
        .map(|entry| entry.expect("examples/ entry").path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "rt"))
        .collect();
    files.sort();
    files
}

fn is_root() -> bool {
    // SAFETY: geteuid has no preconditions and cannot fail.
    unsafe { libc::geteuid() == 0 }
}

/// The error lines of a failed dry run that are not the tracefs
/// permission error an unprivileged user gets.
fn unexpected_errors(stderr: &str) -> Vec<&str> {
    stderr
        .lines()
        .filter(|line| line.starts_with("error"))
        .filter(|line| is_root() || !line.contains("cannot read the kernel's tracepoints"))
        .collect()
}

#[test]
fn there_are_at_least_fifteen_examples() {
    let count = examples().len();
    assert!(
        count >= 15,
        "examples/ holds {count} tools, want 15 or more"
    );
}

#[test]
fn every_example_compiles() {
    let mut failures = Vec::new();
    for file in examples() {
        let output = Command::new(env!("CARGO_BIN_EXE_rtrace"))
            .arg("--dry-run")
            .arg(&file)
            .output()
            .expect("rtrace runs");
        let stderr = String::from_utf8_lossy(&output.stderr);
        let errors = unexpected_errors(&stderr);
        if !output.status.success() && (!errors.is_empty() || !stderr.contains("error")) {
            failures.push(format!("{}:\n{stderr}", file.display()));
        }
    }
    assert!(
        failures.is_empty(),
        "examples that do not compile:\n{}",
        failures.join("\n")
    );
}

#[test]
fn every_example_is_documented() {
    let readme =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/README.md"))
            .expect("examples/README.md exists");
    let mut missing = Vec::new();
    for file in examples() {
        let name = file.file_stem().unwrap().to_string_lossy().into_owned();
        let text = std::fs::read_to_string(&file).unwrap();
        for needle in [
            format!("// {name}: "),
            "// Probes: ".to_string(),
            "// Run: ".to_string(),
            "// Example output".to_string(),
        ] {
            if !text.contains(&needle) {
                missing.push(format!("{}: no `{needle}` in the header", file.display()));
            }
        }
        if !readme.contains(&format!("[{name}]({name}.rt)")) {
            missing.push(format!("{name} is not in examples/README.md"));
        }
    }
    assert!(missing.is_empty(), "{}", missing.join("\n"));
}
