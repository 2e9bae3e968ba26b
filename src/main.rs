//! The `rtrace` command: read a program, compile it to eBPF, run it.

mod cli;
mod generate;
mod kprobe_links;
mod list;
mod repl;

use anyhow::Context;
use clap::Parser;
use cli::Cli;
use indexmap::IndexMap;
use rtrace_codegen::lower::{lower, Compiled, LowerError, LowerOptions};
use rtrace_lang::check::{check_with_maps, CheckEnv, MapInfo};
use rtrace_lang::config::{strlen_from_env, Config};
use rtrace_lang::diagnostic::{render, Diagnostic};
use rtrace_runtime::child::ChildCommand;
use rtrace_runtime::errors::RunError;
use rtrace_runtime::events::StringOptions;
use rtrace_runtime::output::Output;
use rtrace_runtime::session::{Session, SessionOptions};
use rtrace_runtime::tracefs::Tracefs;
use rtrace_stdlib::Stdlib;
use std::io::{IsTerminal, Read, Write};
use std::process::ExitCode;

/// The program text and the name diagnostics call it by.
struct Source {
    name: String,
    text: String,
    params: Vec<String>,
}

fn read_source(cli: &Cli) -> anyhow::Result<Option<Source>> {
    if let Some(program) = &cli.program {
        return Ok(Some(Source {
            name: "-e".into(),
            text: program.clone(),
            params: cli.rest.clone(),
        }));
    }
    let Some((path, params)) = cli.rest.split_first() else {
        return Ok(None);
    };
    let text = if path == "-" {
        let mut text = String::new();
        std::io::stdin()
            .read_to_string(&mut text)
            .context("cannot read the program from standard input")?;
        text
    } else {
        std::fs::read_to_string(path).with_context(|| format!("cannot read script {path}"))?
    };
    let name = if path == "-" {
        "stdin".to_string()
    } else {
        path.clone()
    };
    Ok(Some(Source {
        name,
        text,
        params: params.to_vec(),
    }))
}

fn monotonic_ns() -> u64 {
    let mut ts = libc_timespec();
    // SAFETY: `ts` is a valid timespec for clock_gettime to fill.
    unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC, &mut ts) };
    ts.tv_sec as u64 * 1_000_000_000 + ts.tv_nsec as u64
}

fn libc_timespec() -> libc::timespec {
    libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    }
}

fn print_diagnostics(diagnostics: &[Diagnostic], source: &Source) {
    let color = std::io::stderr().is_terminal();
    eprint!("{}", render(diagnostics, &source.name, &source.text, color));
}

fn compile(
    source: &Source,
    cli: &Cli,
    config: &Config,
    cpid: Option<u32>,
) -> Result<Compiled, ExitCode> {
    let earlier = IndexMap::new();
    compile_with(source, cli, config, cpid, &earlier, monotonic_ns()).map(|(compiled, _)| compiled)
}

/// Compiles a program that may use the maps of earlier ones (the REPL's
/// entries); `elapsed` counts from `start_ns`. Also returns the program's
/// maps, the earlier ones first.
fn compile_with(
    source: &Source,
    cli: &Cli,
    config: &Config,
    cpid: Option<u32>,
    earlier: &IndexMap<String, MapInfo>,
    start_ns: u64,
) -> Result<(Compiled, IndexMap<String, MapInfo>), ExitCode> {
    let program = rtrace_lang::parse(&source.text).map_err(|d| {
        print_diagnostics(&d, source);
        ExitCode::FAILURE
    })?;
    if cli.debug {
        eprintln!(
            "-- tokens\n{}",
            rtrace_lang::parser::dump_tokens(&source.text)
        );
        eprintln!("-- syntax tree\n{program:#?}");
    }
    let kernel = Tracefs::default();
    let env = CheckEnv {
        kernel: &kernel,
        builtins: &Stdlib,
        params: &source.params,
        pid: cli.pid,
        config,
    };
    let checked = check_with_maps(&program, &env, earlier).map_err(|d| {
        print_diagnostics(&d, source);
        ExitCode::FAILURE
    })?;
    if cli.debug {
        eprintln!("-- maps\n{:#?}", checked.maps);
        eprintln!("-- probes\n{:#?}", checked.probes);
        eprintln!("-- expression types\n{:?}", checked.types);
    }
    let kprobe_links = kprobe_links::plan(&checked);
    let options = LowerOptions {
        params: &source.params,
        start_ns,
        pid: cli.pid,
        cpid,
        kprobe_multi: kprobe_links.use_multi(),
    };
    let compiled = lower(&program, &checked, &Stdlib, &options).map_err(|e| {
        let diagnostic = match &e {
            LowerError::Stack { span, .. } => Diagnostic::error(*span, e.to_string())
                .with_label("stack limit reached here")
                .with_hint("use fewer or shorter strings in one probe"),
            _ => Diagnostic::error(e.span().unwrap_or_default(), e.to_string()),
        };
        print_diagnostics(&[diagnostic], source);
        ExitCode::FAILURE
    })?;
    if cli.verbose {
        kprobe_links.explain(&program, &compiled);
    }
    Ok((compiled, checked.maps))
}

/// What the checker needs from the options and the environment.
fn config_of(cli: &Cli) -> anyhow::Result<Config> {
    Ok(Config {
        strlen: match cli.strlen {
            Some(n) => n,
            None => strlen_from_env(|name| std::env::var(name).ok())
                .map_err(anyhow::Error::msg)?
                .unwrap_or(Config::default().strlen),
        },
        unsafe_ok: cli.unsafe_ok,
        child: cli.command.is_some(),
    })
}

/// `-v`: kernel function probes that use the other mechanism than their
/// own because the kernel lacks it.
fn print_substitutions(compiled: &Compiled) {
    use rtrace_lang::probes::{Attach, Mechanism};
    for spec in &compiled.manifest.programs {
        for attach in &spec.attach {
            let Attach::KernelFunction { target, via } = attach else {
                continue;
            };
            let note = match (via, target.native_is_kprobe(), target.at_return()) {
                (Mechanism::Trampoline { .. }, true, false) => {
                    "runs as fentry: this kernel has no kprobes"
                }
                (Mechanism::Trampoline { .. }, true, true) => {
                    "runs as fexit: this kernel has no kprobes"
                }
                (Mechanism::Kprobe, false, false) => {
                    "runs as a kprobe: this kernel cannot run fentry programs"
                }
                (Mechanism::Kprobe, false, true) => {
                    "runs as a kretprobe: this kernel cannot run fexit programs"
                }
                _ => continue,
            };
            eprintln!(
                "note: {} {note}{}",
                attach.name(),
                missing_reason(target.native_is_kprobe())
            );
        }
    }
}

/// Why the kernel has no kprobes, in parentheses.
fn missing_reason(kprobes: bool) -> String {
    let reason = if kprobes {
        rtrace_runtime::kernel_functions::kprobes_missing()
    } else {
        None
    };
    reason.map(|r| format!(" ({r})")).unwrap_or_default()
}

fn print_listing(compiled: &Compiled) {
    let names: Vec<&str> = compiled.map_names.iter().map(String::as_str).collect();
    for (spec, code) in compiled.manifest.programs.iter().zip(&compiled.code) {
        let attached: Vec<String> = spec.attach.iter().map(|a| a.name()).collect();
        eprintln!(
            "{} ({}) <{}>:",
            spec.symbol,
            spec.section,
            attached.join(", ")
        );
        eprint!("{}", code.listing(&names));
    }
}

/// Points a verifier rejection at the source: the last instruction the
/// log mentions carries the span of the code that emitted it.
fn explain_verifier(compiled: &Compiled, program: usize, log: &str, source: &Source) {
    let last_insn = log.lines().rev().find_map(|l| {
        l.split(':')
            .next()
            .and_then(|n| n.trim().parse::<usize>().ok())
    });
    let origin = last_insn.and_then(|i| compiled.code[program].origins.get(i).copied());
    let tail: Vec<&str> = log
        .lines()
        .rev()
        .take(12)
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    if let Some(start) = origin {
        let span = rtrace_lang::ast::Span::new(start as usize, start as usize + 1);
        // The verifier walks every path of a loop; one it cannot bound
        // exhausts its budget of a million instructions.
        let too_large = log.contains("BPF program is too large");
        let (message, label) = if too_large {
            (
                "the kernel's verifier gave up: it could not prove that this loop ends",
                "still looping here after a million instructions",
            )
        } else {
            (
                "the kernel's verifier rejected the code generated for this",
                "rejected here",
            )
        };
        let mut hint = format!("verifier log (last lines):\n{}", tail.join("\n"));
        if too_large {
            hint = format!(
                "give the loop a bound the verifier can see, e.g. `while ($i < 100)`\n{hint}"
            );
        }
        let d = Diagnostic::error(span, message)
            .with_label(label)
            .with_hint(hint);
        print_diagnostics(&[d], source);
    } else {
        eprintln!("verifier log (last lines):\n{}", tail.join("\n"));
    }
}

fn run() -> anyhow::Result<ExitCode> {
    let cli = Cli::parse();
    if let Some(what) = cli.generate {
        generate::generate(what, &mut std::io::stdout().lock())?;
        return Ok(ExitCode::SUCCESS);
    }
    if cli.list {
        let glob = cli.rest.first().map_or("*", String::as_str);
        return list::list(glob, cli.verbose, cli.pid);
    }
    if let Some(pid) = cli.pid {
        check_process(pid)?;
    }
    // No program on a terminal: the interactive session (with -i, the
    // arguments are its positional parameters).
    let no_program = cli.program.is_none() && cli.rest.is_empty();
    if cli.interactive || (no_program && std::io::stdin().is_terminal()) {
        if cli.program.is_some() {
            anyhow::bail!("-i takes no -e program: enter it in the session (or :load FILE)");
        }
        return repl::run(&cli);
    }
    let Some(source) = read_source(&cli)? else {
        eprintln!(
            "rtrace: no program given; use -e 'PROGRAM', a script file or -i (rtrace --help)"
        );
        return Ok(ExitCode::FAILURE);
    };
    let config = config_of(&cli)?;
    let strings = StringOptions {
        strlen: config.strlen,
        trailer: std::env::var("BPFTRACE_STR_TRUNC_TRAILER")
            .unwrap_or_else(|_| StringOptions::default().trailer),
    };
    // The command is forked before compiling: its pid is `cpid`.
    let child = match &cli.command {
        Some(command) if !cli.dry_run => Some(
            ChildCommand::spawn(command)
                .with_context(|| format!("cannot run the command of -c '{command}'"))?,
        ),
        _ => None,
    };
    let cpid = match &child {
        Some(c) => Some(c.pid()),
        // --dry-run compiles with a placeholder pid and runs nothing.
        None => cli.command.as_ref().map(|_| 0),
    };
    let compiled = match compile(&source, &cli, &config, cpid) {
        Ok(c) => c,
        Err(code) => return Ok(code),
    };
    if cli.verbose {
        print_substitutions(&compiled);
        print_listing(&compiled);
    }
    if let Some(path) = &cli.emit_obj {
        std::fs::write(path, &compiled.object)
            .with_context(|| format!("cannot write {}", path.display()))?;
    }
    if cli.dry_run {
        return Ok(ExitCode::SUCCESS);
    }
    let writer = output_writer(&cli)?;
    let mut out = Output::new(cli.format.into(), writer, cli.quiet);
    out.set_folded(cli.folded);
    let mut err = std::io::stderr();
    let result = Session::load(
        &compiled,
        &SessionOptions {
            verbose: cli.verbose,
            pid: cli.pid,
            metrics: cli.metrics,
            flamegraph: cli.flamegraph.clone(),
            strings,
        },
        &mut err,
    )
    .and_then(|session| session.with_child(child).run(&mut out, &mut err));
    let written = out.finish();
    match result {
        Ok(()) => match written {
            Ok(()) => Ok(ExitCode::SUCCESS),
            Err(e) => {
                eprintln!("rtrace: cannot write the output: {e}");
                Ok(ExitCode::FAILURE)
            }
        },
        Err(e) => {
            report_run_error(&e, &compiled, &source);
            Ok(ExitCode::FAILURE)
        }
    }
}

/// A load or run failure: a verifier rejection mapped back to the source,
/// anything else as one sentence with its causes.
fn report_run_error(e: &RunError, compiled: &Compiled, source: &Source) {
    match e {
        RunError::Verifier {
            probe,
            program,
            log,
        } => {
            eprintln!("rtrace: the kernel's verifier rejected the program for {probe}");
            explain_verifier(compiled, *program, log, source);
        }
        e => eprintln!("rtrace: {}", error_text(e)),
    }
}

/// Where the program's output goes: the file of `-o` (created or
/// truncated), or standard output, flushed line by line for whoever
/// watches it.
fn output_writer(cli: &Cli) -> anyhow::Result<Box<dyn Write>> {
    Ok(match &cli.output {
        Some(path) => {
            let file = std::fs::File::create(path)
                .with_context(|| format!("cannot write {}", path.display()))?;
            Box::new(std::io::BufWriter::new(file))
        }
        None => Box::new(std::io::LineWriter::new(std::io::stdout())),
    })
}

/// `-p PID` names a running process.
fn check_process(pid: u32) -> anyhow::Result<()> {
    // /proc/PID exists for processes (and, unlisted, for their threads).
    if pid == 0 || !std::path::Path::new(&format!("/proc/{pid}")).exists() {
        anyhow::bail!("no process has pid {pid} (-p PID must name a running process)");
    }
    Ok(())
}

/// The error and its causes, each once.
fn error_text(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        let s_text = s.to_string();
        if !text.contains(&s_text) {
            text.push_str(": ");
            text.push_str(&s_text);
        }
        source = s.source();
    }
    text
}

fn main() -> ExitCode {
    match run() {
        Ok(code) => code,
        Err(e) => {
            eprintln!("rtrace: {}", error_text(e.as_ref()));
            ExitCode::FAILURE
        }
    }
}
