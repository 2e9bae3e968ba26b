//! `--flamegraph FILE.svg`: the stack-keyed maps left at exit, folded and
//! drawn as an SVG flame graph by the `inferno` crate.

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::Path;

/// Draws folded stack lines (`frame;frame count`) into `path`.
pub fn write(path: &Path, folded: &[String], title: &str) -> io::Result<()> {
    let mut options = inferno::flamegraph::Options::default();
    options.title = title.to_string();
    let file = File::create(path)?;
    let mut out = BufWriter::new(file);
    inferno::flamegraph::from_lines(&mut options, folded.iter().map(String::as_str), &mut out)?;
    out.flush()
}
