//! The one place that decides what the traced program's output contains,
//! in front of a back end that decides how it looks.

use super::folded::folded_lines;
use super::json::JsonBackend;
use super::text::TextBackend;
use super::view::{map_view, MapView};
use rtrace_stdlib::value::{MapSnapshot, Value};
use std::io::{self, Write};

/// The output formats of `-f`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Format {
    /// For people, as bpftrace prints it.
    #[default]
    Text,
    /// One JSON object per line, with bpftrace's `-f json` schema.
    Json,
}

/// How each kind of record looks. A back end writes whole records to its
/// writer; it neither filters nor reorders them.
pub trait Backend {
    /// The probes are about to be attached.
    fn attached_probes(&mut self, probes: usize) -> io::Result<()>;
    /// The text of one printf() call, formatted.
    fn printf(&mut self, text: &str) -> io::Result<()>;
    /// `print(value)`.
    fn value(&mut self, value: &Value) -> io::Result<()>;
    /// Text a builtin prints (`time()`, `join()`, `cat()`, `system()`), of
    /// a kind JSON names;
    /// text output ends it with a newline when `newline` says so.
    fn message(&mut self, kind: &str, text: &str, newline: bool) -> io::Result<()>;
    /// `print(@m)`, or a map left at exit.
    fn map(&mut self, map: &MapView) -> io::Result<()>;
    /// The same, for a map without entries.
    fn empty_map(&mut self, name: &str) -> io::Result<()>;
    /// The program has ended; the maps left follow.
    fn end_of_run(&mut self) -> io::Result<()>;
    /// Events the kernel side could not send since the last report.
    fn lost_events(&mut self, count: u64) -> io::Result<()>;
    fn flush(&mut self) -> io::Result<()>;
}

/// The traced program's output: records go to the back end of the chosen
/// format unless options leave them out. Diagnostics do not come here.
///
/// A write error does not stop tracing (the maps are still read and END
/// still runs); the first one is kept and returned by [`Output::finish`].
pub struct Output<'w> {
    backend: Box<dyn Backend + 'w>,
    /// `-q`: no "Attaching N probes..." record.
    quiet: bool,
    /// `--folded`: stack-keyed maps print as folded stacks.
    folded: bool,
    error: Option<io::Error>,
}

impl<'w> Output<'w> {
    pub fn new(format: Format, writer: impl Write + 'w, quiet: bool) -> Output<'w> {
        let backend: Box<dyn Backend + 'w> = match format {
            Format::Text => Box::new(TextBackend::new(writer)),
            Format::Json => Box::new(JsonBackend::new(writer)),
        };
        Output {
            backend,
            quiet,
            folded: false,
            error: None,
        }
    }

    /// `--folded`: maps keyed by stacks print as `frame;frame count` lines.
    pub fn set_folded(&mut self, folded: bool) {
        self.folded = folded;
    }

    fn keep_first_error(&mut self, result: io::Result<()>) {
        if let (Err(e), None) = (result, &self.error) {
            self.error = Some(e);
        }
    }

    pub fn attached_probes(&mut self, probes: usize) {
        if !self.quiet {
            let result = self.backend.attached_probes(probes);
            self.keep_first_error(result);
        }
    }

    pub fn printf(&mut self, text: &str) {
        let result = self.backend.printf(text);
        self.keep_first_error(result);
    }

    /// `time()`'s text, as formatted.
    pub fn time(&mut self, text: &str) {
        let result = self.backend.message("time", text, false);
        self.keep_first_error(result);
    }

    /// `join()`'s text: a line of its own.
    pub fn join(&mut self, text: &str) {
        let result = self.backend.message("join", text, true);
        self.keep_first_error(result);
    }

    /// What `cat()` read of a file.
    pub fn cat(&mut self, text: &str) {
        let result = self.backend.message("cat", text, false);
        self.keep_first_error(result);
    }

    /// What the command `system()` ran printed (bpftrace's JSON calls it
    /// a "syscall" record).
    pub fn system(&mut self, text: &str) {
        let result = self.backend.message("syscall", text, false);
        self.keep_first_error(result);
    }

    pub fn value(&mut self, value: &Value) {
        let result = self.backend.value(value);
        self.keep_first_error(result);
    }

    /// `print(@m, top, div)` (`top` 0 keeps every entry, `div` 1 divides
    /// nothing).
    pub fn map(&mut self, map: &MapSnapshot, top: usize, div: u64) {
        if let Some(lines) = self.folded.then(|| folded_lines(map)).flatten() {
            let text: String = lines.iter().map(|l| format!("{l}\n")).collect();
            let result = self.backend.printf(&text);
            self.keep_first_error(result);
            return;
        }
        let result = match map_view(map, top, div) {
            Some(view) => self.backend.map(&view),
            None => self.backend.empty_map(&map.name),
        };
        self.keep_first_error(result);
    }

    pub fn end_of_run(&mut self) {
        let result = self.backend.end_of_run();
        self.keep_first_error(result);
    }

    pub fn lost_events(&mut self, count: u64) {
        if count > 0 {
            let result = self.backend.lost_events(count);
            self.keep_first_error(result);
        }
    }

    pub fn flush(&mut self) {
        let result = self.backend.flush();
        self.keep_first_error(result);
    }

    /// Flushes, and returns the first write error of the whole run.
    pub fn finish(mut self) -> io::Result<()> {
        self.flush();
        self.error.map_or(Ok(()), Err)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::output::test_maps::*;
    use std::cell::RefCell;
    use std::rc::Rc;

    /// A writer the test can still read after the output took it.
    #[derive(Clone, Default)]
    struct Shared(Rc<RefCell<Vec<u8>>>);

    impl Write for Shared {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            self.0.borrow_mut().write(buf)
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    impl Shared {
        fn text(&self) -> String {
            String::from_utf8(self.0.borrow().clone()).expect("utf-8")
        }
    }

    fn run(format: Format, quiet: bool) -> String {
        let sink = Shared::default();
        let mut out = Output::new(format, sink.clone(), quiet);
        out.attached_probes(2);
        out.printf("hi\n");
        out.map(&map("@empty", true, vec![]), 0, 1);
        out.end_of_run();
        out.map(&scalar("@c", count(3)), 0, 1);
        out.lost_events(0);
        out.lost_events(4);
        out.finish().expect("no write error");
        sink.text()
    }

    #[test]
    fn text_records() {
        assert_eq!(
            run(Format::Text, false),
            "Attaching 2 probes...\nhi\n\n\n\n@c: 3\nLost 4 events\n"
        );
    }

    #[test]
    fn quiet_leaves_out_the_attaching_line_only() {
        assert_eq!(run(Format::Text, true), "hi\n\n\n\n@c: 3\nLost 4 events\n");
        assert_eq!(
            run(Format::Json, true),
            "{\"type\": \"printf\", \"data\": \"hi\\n\"}\n\
             {\"type\": \"map\", \"data\": {\"@c\": 3}}\n\
             {\"type\": \"lost_events\", \"data\": {\"events\": 4}}\n"
        );
    }

    struct Broken;

    impl Write for Broken {
        fn write(&mut self, _: &[u8]) -> io::Result<usize> {
            Err(io::Error::new(io::ErrorKind::BrokenPipe, "closed"))
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn first_write_error_is_kept() {
        let mut out = Output::new(Format::Json, Broken, false);
        out.printf("a");
        out.value(&int(1));
        let error = out.finish().expect_err("a write error");
        assert_eq!(error.kind(), io::ErrorKind::BrokenPipe);
    }
}
