//! The interactive session: each entry (probes, or a `:` command) is
//! compiled and attached at once while the earlier ones keep running; the
//! maps are shared by all entries. The line editor runs on its own thread
//! (editor.rs); this thread runs the event loop, as the one-shot session
//! does, and deals with each entry between two waits.

mod commands;
mod complete;
mod editor;
mod input;
mod interrupt;
mod printer;

use crate::cli::Cli;
use crate::{compile_with, error_text, monotonic_ns, print_listing, report_run_error, Source};
use anyhow::Context;
use commands::{Command, COMMANDS};
use editor::{Editor, Input};
use indexmap::IndexMap;
use interrupt::{Interrupt, InterruptibleWriter};
use printer::PromptWriter;
use rtrace_codegen::manifest::MapSpec;
use rtrace_lang::check::{MapInfo, MapValueType};
use rtrace_lang::config::Config;
use rtrace_runtime::events::Dispatch;
use rtrace_runtime::live::{Added, LiveSession, MapPrint};
use rtrace_runtime::output::Output;
use rtrace_runtime::session::{wait, Signals};
use std::io::Write;
use std::process::ExitCode;
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// What to do after an entry.
#[derive(PartialEq, Eq)]
enum Flow {
    Continue,
    Quit,
}

/// The session and what the REPL knows of its entries.
struct Repl<'a> {
    cli: &'a Cli,
    /// String size and unsafe builtins, from the options and environment.
    config: Config,
    session: LiveSession,
    /// The maps of the entries running, as the checker typed them.
    known: IndexMap<String, MapInfo>,
    /// Map names for completion, shared with the editor.
    map_names: Arc<Mutex<Vec<String>>>,
    /// `elapsed` counts from the start of the session.
    start_ns: u64,
    /// Ctrl-C while a command runs (at the prompt the editor takes it).
    interrupt: Rc<Interrupt>,
}

pub fn run(cli: &Cli) -> anyhow::Result<ExitCode> {
    let unsupported = [
        (cli.metrics.is_some(), "--metrics"),
        (cli.emit_obj.is_some(), "--emit-obj"),
        (cli.dry_run, "--dry-run"),
        (cli.command.is_some(), "-c"),
    ];
    if let Some((_, option)) = unsupported.iter().find(|(given, _)| *given) {
        anyhow::bail!("{option} needs a program: it does not work in the interactive session");
    }
    let terminal = SavedTerminal::save();
    let map_names = Arc::new(Mutex::new(Vec::new()));
    let editor = Editor::start(map_names.clone()).context("cannot start the line editor")?;
    let direct = Arc::new(AtomicBool::new(false));
    let interrupt = Interrupt::new()?;
    let writer: Box<dyn Write> = match &cli.output {
        Some(path) => Box::new(std::io::LineWriter::new(
            std::fs::File::create(path)
                .with_context(|| format!("cannot write {}", path.display()))?,
        )),
        None => Box::new(PromptWriter::new(editor.printer.clone(), direct.clone())),
    };
    let writer = InterruptibleWriter::new(writer, interrupt.clone());
    let mut out = Output::new(cli.format.into(), writer, cli.quiet);
    let mut err = PromptWriter::new(editor.printer.clone(), direct.clone());
    let terminate = Signals::new(&[libc::SIGTERM])?;
    let mut repl = Repl {
        cli,
        config: crate::config_of(cli)?,
        session: LiveSession::new(cli.pid, cli.verbose)?,
        known: IndexMap::new(),
        map_names,
        start_ns: monotonic_ns(),
        interrupt,
    };
    eprintln!(
        "rtrace {}: enter probes to attach them; :help lists the commands, Ctrl-D ends.",
        env!("CARGO_PKG_VERSION")
    );
    editor.ready();
    // Whether the editor is still reading a line when the session ends.
    let editor_reading = loop {
        let mut fds = repl.session.event_fds();
        fds.extend([editor.wake_fd(), terminate.fd(), repl.interrupt.fd()]);
        wait(&fds, Duration::from_millis(200));
        if repl.session.drain(&mut out, &mut err) == Dispatch::Exit {
            break true;
        }
        // Ctrl-C between commands has nothing to stop.
        repl.interrupt.discard();
        if terminate.take() {
            break true;
        }
        match editor.try_input() {
            Some(Input::Eof) => break false,
            Some(Input::Entry(text)) => {
                if repl.handle(&text, "input", &mut out, &mut err) == Flow::Quit {
                    break false;
                }
                editor.ready();
            }
            None => {}
        }
    };
    if editor_reading {
        // The editor cannot be stopped in the middle of a line: let it
        // print what it was handed, then take the terminal back and print
        // the rest directly.
        std::thread::sleep(Duration::from_millis(50));
        direct.store(true, Ordering::SeqCst);
        terminal.restore();
        print!("\r\x1b[K");
    }
    let result = repl.session.finish(&mut out, &mut err);
    let written = out.finish();
    drop(err);
    if let Err(e) = result {
        eprintln!("rtrace: {}", error_text(&e));
        return Ok(ExitCode::FAILURE);
    }
    if let Err(e) = written {
        eprintln!("rtrace: cannot write the output: {e}");
        return Ok(ExitCode::FAILURE);
    }
    Ok(ExitCode::SUCCESS)
}

impl Repl<'_> {
    /// Runs one entry: a command, or probes to compile and attach. Errors
    /// are printed; none ends the session.
    fn handle(&mut self, text: &str, name: &str, out: &mut Output, err: &mut dyn Write) -> Flow {
        let trimmed = text.trim();
        if trimmed.is_empty() {
            return Flow::Continue;
        }
        if trimmed.starts_with(':') {
            return match commands::parse(trimmed) {
                Ok(command) => self.command(command, out, err),
                Err(message) => {
                    eprintln!("{message}");
                    Flow::Continue
                }
            };
        }
        self.entry(text, name, out, err)
    }

    fn entry(&mut self, text: &str, name: &str, out: &mut Output, err: &mut dyn Write) -> Flow {
        let source = Source {
            name: name.to_string(),
            text: text.to_string(),
            params: self.cli.rest.clone(),
        };
        // Diagnostics are printed by the compiler.
        let Ok((compiled, maps)) = compile_with(
            &source,
            self.cli,
            &self.config,
            None,
            &self.known,
            self.start_ns,
        ) else {
            return Flow::Continue;
        };
        if self.cli.verbose {
            print_listing(&compiled);
        }
        match self.session.add(&compiled, text, out, err) {
            Ok(Added::Running(number)) => {
                self.known = maps;
                if let Ok(mut names) = self.map_names.lock() {
                    *names = self.session.maps().iter().map(|m| m.name.clone()).collect();
                }
                let entry = self.session.entries().last();
                let probes = entry.map(|e| e.probes().join(", ")).unwrap_or_default();
                eprintln!("[{number}] {probes}");
                Flow::Continue
            }
            Ok(Added::Exit) => Flow::Quit,
            Err(e) => {
                report_run_error(&e, &compiled, &source);
                Flow::Continue
            }
        }
    }

    fn command(&mut self, command: Command, out: &mut Output, err: &mut dyn Write) -> Flow {
        match command {
            Command::Help => help(),
            Command::Probes => self.probes(),
            Command::Detach(number) => match self.session.detach(number, out, err) {
                Ok(None) => eprintln!("no entry {number} is running (:probes lists them)"),
                Ok(Some(Dispatch::Exit)) => return Flow::Quit,
                Ok(Some(Dispatch::Continue)) => eprintln!("[{number}] detached"),
                Err(e) => eprintln!("rtrace: {}", error_text(&e)),
            },
            Command::Print(names) => self.print(names, out, err),
            Command::Clear(names) => {
                for name in names {
                    match self.session.clear_map(&name) {
                        Ok(true) => {}
                        Ok(false) => no_map(&name),
                        Err(e) => eprintln!("rtrace: cannot clear {name}: {}", error_text(&e)),
                    }
                }
            }
            Command::Maps => self.maps(),
            Command::Load(path) => match std::fs::read_to_string(&path) {
                Ok(text) => return self.handle(&text, &path, out, err),
                Err(e) => eprintln!("cannot read {path}: {e}"),
            },
            Command::Quit => return Flow::Quit,
        }
        Flow::Continue
    }

    fn probes(&self) {
        let entries = self.session.entries();
        if entries.is_empty() {
            eprintln!("no entries running");
        }
        for entry in entries {
            println!("[{}] {}", entry.number, entry.probes().join(", "));
            for line in entry.source.lines() {
                println!("    {line}");
            }
        }
    }

    /// `:print`: the maps named, or all; Ctrl-C stops it, before the next
    /// line (see interrupt.rs).
    fn print(&mut self, mut names: Vec<String>, out: &mut Output, err: &mut dyn Write) {
        if names.is_empty() {
            names = self.session.maps().iter().map(|m| m.name.clone()).collect();
            names.sort();
        }
        self.interrupt.start_print();
        for name in names {
            if self.interrupt.stopped() {
                break;
            }
            match self.session.print_map(&name, out, err) {
                MapPrint::Printed => {}
                MapPrint::Empty => eprintln!("{name} is empty"),
                MapPrint::Missing => no_map(&name),
            }
        }
        if self.interrupt.end_print() {
            eprintln!("interrupted");
        }
    }

    fn maps(&self) {
        let maps = self.session.maps();
        if maps.is_empty() {
            eprintln!("no maps yet");
        }
        for spec in maps {
            println!("{}", describe_map(spec));
        }
    }
}

fn no_map(name: &str) {
    eprintln!("no map {name} (:maps lists them)");
}

fn help() {
    println!("Enter probes as in a script, e.g.");
    println!("  tracepoint:syscalls:sys_enter_openat {{ @opens[comm] = count(); }}");
    println!("Each entry is attached at once and runs until detached; entries share");
    println!("their maps. An entry goes on over several lines while a body, a");
    println!("parenthesis or a string is open. Tab completes probes and names.");
    println!();
    let width = COMMANDS.iter().map(|(u, _)| u.len()).max().unwrap_or(0);
    for (usage, what) in COMMANDS {
        println!("  {usage:width$}  {what}");
    }
    println!();
    println!("Ctrl-C clears the line (or stops :print); Ctrl-D ends the session as :quit.");
}

/// `@m[string[16], int64]: count()`.
fn describe_map(spec: &MapSpec) -> String {
    let keys = match &spec.key.parts {
        None => String::new(),
        Some(parts) => {
            let types: Vec<String> = parts.iter().map(|p| p.ty.to_string()).collect();
            format!("[{}]", types.join(", "))
        }
    };
    let value = match spec.value {
        MapValueType::Agg(kind) => format!("{}()", kind.function()),
        MapValueType::Plain(ty) => ty.to_string(),
    };
    format!("{}{keys}: {value}", spec.name)
}

/// The terminal's settings at start, to put back if the session ends
/// while the editor has it in raw mode.
struct SavedTerminal(Option<libc::termios>);

impl SavedTerminal {
    fn save() -> SavedTerminal {
        // SAFETY: an all-zero termios is a valid value for tcgetattr to fill.
        let mut termios: libc::termios = unsafe { std::mem::zeroed() };
        // SAFETY: `termios` is valid for writes for the call's duration.
        let ok = unsafe { libc::tcgetattr(libc::STDIN_FILENO, &mut termios) } == 0;
        SavedTerminal(ok.then_some(termios))
    }

    fn restore(&self) {
        if let Some(termios) = &self.0 {
            // SAFETY: `termios` came from tcgetattr on the same descriptor.
            unsafe { libc::tcsetattr(libc::STDIN_FILENO, libc::TCSANOW, termios) };
        }
    }
}
