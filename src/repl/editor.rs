//! The line editor, on a thread of its own so that the main thread can
//! keep streaming events while a line is typed. It reads one entry at a
//! time (lines are added while the entry is incomplete, under a
//! continuation prompt), hands it over, and waits until the main thread
//! has dealt with it before showing the prompt again.

use super::complete::{complete, SystemSources};
use super::input::is_incomplete;
use super::printer::SharedPrinter;
use rustyline::completion::Completer;
use rustyline::error::ReadlineError;
use rustyline::highlight::Highlighter;
use rustyline::hint::Hinter;
use rustyline::history::FileHistory;
use rustyline::validate::Validator;
use rustyline::{CompletionType, Config, Context, Helper};
use std::io::Write;
use std::os::fd::{AsRawFd, RawFd};
use std::os::unix::net::UnixStream;
use std::path::PathBuf;
use std::sync::mpsc::{self, Receiver, Sender};
use std::sync::{Arc, Mutex};

pub const PROMPT: &str = "rtrace> ";
pub const CONTINUATION: &str = "   ...> ";

/// What the editor hands over.
pub enum Input {
    Entry(String),
    /// Ctrl-D at an empty prompt.
    Eof,
}

/// The main thread's side of the editor.
pub struct Editor {
    inputs: Receiver<Input>,
    /// Readable when an input is waiting.
    wake: UnixStream,
    ready: Sender<()>,
    pub printer: SharedPrinter,
}

impl Editor {
    /// Starts the editor thread; it shows no prompt before [`Editor::ready`].
    /// `maps` is what map names completion offers.
    pub fn start(maps: Arc<Mutex<Vec<String>>>) -> anyhow::Result<Editor> {
        let config = Config::builder()
            .completion_type(CompletionType::List)
            .auto_add_history(false)
            .build();
        let mut rl = rustyline::Editor::<ReplHelper, FileHistory>::with_config(config)?;
        let pending = Arc::new(Mutex::new(String::new()));
        rl.set_helper(Some(ReplHelper {
            sources: SystemSources::new(maps),
            pending: pending.clone(),
        }));
        let history = history_path();
        if let Some(path) = &history {
            // A missing history file is the first session's.
            let _ = rl.load_history(path);
        }
        // Fails when standard input is not a terminal.
        let printer: SharedPrinter = match rl.create_external_printer() {
            Ok(printer) => Some(Arc::new(Mutex::new(Box::new(printer)))),
            Err(_) => None,
        };
        let (input_tx, inputs) = mpsc::channel();
        let (ready, ready_rx) = mpsc::channel();
        let (wake, mut wake_tx) = UnixStream::pair()?;
        wake.set_nonblocking(true)?;
        std::thread::spawn(move || {
            while ready_rx.recv().is_ok() {
                let input = read_entry(&mut rl, &pending);
                if let (Input::Entry(text), Some(path)) = (&input, &history) {
                    let _ = rl.add_history_entry(text.as_str());
                    let _ = rl.save_history(path);
                }
                let eof = matches!(input, Input::Eof);
                if input_tx.send(input).is_err() || wake_tx.write_all(b"!").is_err() || eof {
                    break;
                }
            }
        });
        Ok(Editor {
            inputs,
            wake,
            ready,
            printer,
        })
    }

    /// Lets the editor show the prompt and read the next entry.
    pub fn ready(&self) {
        let _ = self.ready.send(());
    }

    pub fn wake_fd(&self) -> RawFd {
        self.wake.as_raw_fd()
    }

    /// The entry typed, if one is waiting.
    pub fn try_input(&self) -> Option<Input> {
        use std::io::Read;
        let mut buf = [0u8; 16];
        let _ = (&self.wake).read(&mut buf);
        self.inputs.try_recv().ok()
    }
}

/// `~/.rtrace_history`.
fn history_path() -> Option<PathBuf> {
    std::env::var_os("HOME")
        .filter(|h| !h.is_empty())
        .map(|home| PathBuf::from(home).join(".rtrace_history"))
}

/// Reads lines until they form a complete entry. Ctrl-C drops what was
/// typed of the entry; Ctrl-D ends the session at an empty prompt and
/// hands over an unfinished entry as it is (its error is then shown).
fn read_entry(
    rl: &mut rustyline::Editor<ReplHelper, FileHistory>,
    pending: &Mutex<String>,
) -> Input {
    let mut text = String::new();
    let set_pending = |text: &str| {
        if let Ok(mut p) = pending.lock() {
            *p = text.to_string();
        }
    };
    loop {
        set_pending(&text);
        let prompt = if text.is_empty() {
            PROMPT
        } else {
            CONTINUATION
        };
        match rl.readline(prompt) {
            Ok(line) => {
                if !text.is_empty() {
                    text.push('\n');
                }
                text.push_str(&line);
                if text.trim().is_empty() {
                    text.clear();
                } else if !is_incomplete(&text) {
                    set_pending("");
                    return Input::Entry(text);
                }
            }
            Err(ReadlineError::Interrupted) => text.clear(),
            Err(ReadlineError::Eof) if !text.is_empty() => {
                set_pending("");
                return Input::Entry(text);
            }
            Err(_) => return Input::Eof,
        }
    }
}

/// Completion for rustyline; no hints, highlighting or validation (entries
/// are completed line by line, see [`read_entry`]).
struct ReplHelper {
    sources: SystemSources,
    /// The entry's lines before the one being edited.
    pending: Arc<Mutex<String>>,
}

impl Completer for ReplHelper {
    type Candidate = String;

    fn complete(
        &self,
        line: &str,
        pos: usize,
        _ctx: &Context<'_>,
    ) -> rustyline::Result<(usize, Vec<String>)> {
        let pending = self.pending.lock().map(|p| p.clone()).unwrap_or_default();
        Ok(complete(&pending, line, pos, &self.sources))
    }
}

impl Hinter for ReplHelper {
    type Hint = String;
}

impl Highlighter for ReplHelper {}

impl Validator for ReplHelper {}

impl Helper for ReplHelper {}
