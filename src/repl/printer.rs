//! Output that arrives while the prompt is shown: whole lines go through
//! rustyline's external printer, which prints them above the prompt and
//! redraws what is being typed (or straight to the terminal when no line
//! is being read).

use rustyline::ExternalPrinter;
use std::io::{self, Write};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

/// `None` when standard input is not a terminal: nothing is edited then,
/// and output goes straight to standard output.
pub type SharedPrinter = Option<Arc<Mutex<Box<dyn ExternalPrinter + Send>>>>;

/// A writer for the REPL's output. Text is handed over a line at a time,
/// on flush; a line not finished yet waits for its end.
pub struct PromptWriter {
    printer: SharedPrinter,
    /// Set when the session ends while a line is being read: the editor is
    /// left behind, and text goes straight to standard output.
    direct: Arc<AtomicBool>,
    pending: Vec<u8>,
}

impl PromptWriter {
    pub fn new(printer: SharedPrinter, direct: Arc<AtomicBool>) -> PromptWriter {
        PromptWriter {
            printer,
            direct,
            pending: Vec::new(),
        }
    }
}

impl Write for PromptWriter {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.pending.extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        let printer = match &self.printer {
            Some(printer) if !self.direct.load(Ordering::SeqCst) => printer,
            _ => {
                let mut stdout = io::stdout().lock();
                stdout.write_all(&self.pending)?;
                self.pending.clear();
                return stdout.flush();
            }
        };
        let Some(end) = self.pending.iter().rposition(|&b| b == b'\n') else {
            return Ok(());
        };
        let lines: Vec<u8> = self.pending.drain(..=end).collect();
        let text = String::from_utf8_lossy(&lines).into_owned();
        let mut printer = printer.lock().unwrap_or_else(|e| e.into_inner());
        printer.print(text).map_err(io::Error::other)
    }
}

impl Drop for PromptWriter {
    fn drop(&mut self) {
        // The end of an unfinished line, at the end of the session.
        if !self.pending.is_empty() {
            self.pending.push(b'\n');
            let _ = self.flush();
        }
    }
}
