//! The text back end: what bpftrace 0.17 prints for people.

use super::map_text::{render_value, render_view};
use super::sink::Backend;
use super::view::MapView;
use rtrace_stdlib::value::Value;
use std::io::{self, Write};

pub struct TextBackend<W: Write> {
    out: W,
}

impl<W: Write> TextBackend<W> {
    pub fn new(out: W) -> TextBackend<W> {
        TextBackend { out }
    }
}

impl<W: Write> Backend for TextBackend<W> {
    fn attached_probes(&mut self, probes: usize) -> io::Result<()> {
        let plural = if probes == 1 { "" } else { "s" };
        writeln!(self.out, "Attaching {probes} probe{plural}...")
    }

    fn printf(&mut self, text: &str) -> io::Result<()> {
        self.out.write_all(text.as_bytes())
    }

    fn message(&mut self, _kind: &str, text: &str, newline: bool) -> io::Result<()> {
        self.out.write_all(text.as_bytes())?;
        if newline {
            self.out.write_all(b"\n")?;
        }
        Ok(())
    }

    fn value(&mut self, value: &Value) -> io::Result<()> {
        writeln!(self.out, "{}", render_value(value))
    }

    fn map(&mut self, map: &MapView) -> io::Result<()> {
        self.out.write_all(render_view(map).as_bytes())
    }

    /// bpftrace prints an empty map as an empty line.
    fn empty_map(&mut self, _name: &str) -> io::Result<()> {
        self.out.write_all(b"\n")
    }

    /// Two blank lines set the maps printed at exit apart from the output
    /// before them.
    fn end_of_run(&mut self) -> io::Result<()> {
        self.out.write_all(b"\n\n")
    }

    fn lost_events(&mut self, count: u64) -> io::Result<()> {
        writeln!(self.out, "Lost {count} events")
    }

    fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }
}
