//! Ctrl-C while `:print` runs. A map of thousands of entries takes a
//! while to reach a slow terminal, so the output checks for Ctrl-C before
//! each line it writes, and drops the rest of the print once it came.

use rtrace_runtime::session::Signals;
use std::cell::Cell;
use std::io::{self, Write};
use std::os::fd::RawFd;
use std::rc::Rc;

/// The session's Ctrl-C (at the prompt the editor takes it instead),
/// shared by the REPL and its output.
pub struct Interrupt {
    signals: Signals,
    /// A `:print` runs: Ctrl-C stops its output.
    printing: Cell<bool>,
    /// Ctrl-C came during this `:print`.
    stopped: Cell<bool>,
}

impl Interrupt {
    pub fn new() -> anyhow::Result<Rc<Interrupt>> {
        Ok(Rc::new(Interrupt {
            signals: Signals::new(&[libc::SIGINT])?,
            printing: Cell::new(false),
            stopped: Cell::new(false),
        }))
    }

    /// Readable when Ctrl-C was pressed.
    pub fn fd(&self) -> RawFd {
        self.signals.fd()
    }

    /// Forgets a Ctrl-C that came when there was nothing to stop.
    pub fn discard(&self) {
        self.signals.take();
    }

    /// A `:print` starts: Ctrl-C from now on stops it.
    pub fn start_print(&self) {
        self.discard();
        self.stopped.set(false);
        self.printing.set(true);
    }

    /// The `:print` is over; says whether Ctrl-C stopped it.
    pub fn end_print(&self) -> bool {
        self.printing.set(false);
        self.stopped.get()
    }

    /// Whether Ctrl-C stopped the `:print` running (false when none runs).
    pub fn stopped(&self) -> bool {
        if self.printing.get() && self.signals.take() {
            self.stopped.set(true);
        }
        self.printing.get() && self.stopped.get()
    }
}

/// The REPL's output. While a `:print` runs it hands lines over one at a
/// time, flushed, so that they reach the terminal as they are written and
/// Ctrl-C is seen between them; after Ctrl-C, the print's lines are
/// dropped. A line is never cut: a JSON record stays whole.
pub struct InterruptibleWriter<W> {
    inner: W,
    interrupt: Rc<Interrupt>,
    at_line_start: bool,
}

impl<W: Write> InterruptibleWriter<W> {
    pub fn new(inner: W, interrupt: Rc<Interrupt>) -> InterruptibleWriter<W> {
        InterruptibleWriter {
            inner,
            interrupt,
            at_line_start: true,
        }
    }
}

impl<W: Write> Write for InterruptibleWriter<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let printing = self.interrupt.printing.get();
        let mut rest = buf;
        while !rest.is_empty() {
            if self.at_line_start && self.interrupt.stopped() {
                break;
            }
            let end = match printing {
                true => rest
                    .iter()
                    .position(|&b| b == b'\n')
                    .map_or(rest.len(), |i| i + 1),
                false => rest.len(),
            };
            self.inner.write_all(&rest[..end])?;
            self.at_line_start = rest[end - 1] == b'\n';
            if self.at_line_start && printing {
                self.inner.flush()?;
            }
            rest = &rest[end..];
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Records each flush, to see the lines handed over one at a time.
    #[derive(Default)]
    struct Flushes {
        pending: Vec<u8>,
        flushed: Vec<String>,
    }

    impl Write for &mut Flushes {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            self.pending.extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> io::Result<()> {
            let text = String::from_utf8(std::mem::take(&mut self.pending)).expect("utf-8");
            self.flushed.push(text);
            Ok(())
        }
    }

    fn raise_sigint() {
        // SAFETY: raise has no preconditions; the handler Signals installed
        // only writes to its pipe.
        unsafe { libc::raise(libc::SIGINT) };
    }

    #[test]
    fn a_print_goes_line_by_line_and_stops_at_ctrl_c() {
        let interrupt = Interrupt::new().expect("signals");
        let mut sink = Flushes::default();
        let mut writer = InterruptibleWriter::new(&mut sink, interrupt.clone());
        // Outside a print, text passes as written.
        writer.write_all(b"event\nmore").expect("written");
        writer.write_all(b" of it\n").expect("written");
        interrupt.start_print();
        writer.write_all(b"@m[1]: 1\n@m[2]").expect("written");
        raise_sigint();
        // The line under way is finished; the next ones are dropped.
        writer.write_all(b": 2\n@m[3]: 3\n").expect("written");
        writer.write_all(b"@m[4]: 4\n").expect("written");
        assert!(interrupt.end_print());
        writer.write_all(b"later\n").expect("written");
        writer.flush().expect("flushed");
        drop(writer);
        assert_eq!(
            sink.flushed,
            ["event\nmore of it\n@m[1]: 1\n", "@m[2]: 2\n", "later\n"]
        );
        // Ctrl-C outside a print stops nothing.
        raise_sigint();
        assert!(!interrupt.stopped());
        interrupt.start_print();
        assert!(!interrupt.end_print());
    }
}
