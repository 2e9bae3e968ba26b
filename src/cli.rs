//! Command-line options, as close to bpftrace's as the features allow.

use clap::{Parser, ValueEnum};
use std::path::PathBuf;

/// The values of `-f`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, ValueEnum)]
pub enum OutputFormat {
    /// For people, as bpftrace prints it.
    #[default]
    Text,
    /// One JSON object per line, with bpftrace's schema.
    Json,
}

impl From<OutputFormat> for rtrace_runtime::output::Format {
    fn from(format: OutputFormat) -> Self {
        match format {
            OutputFormat::Text => Self::Text,
            OutputFormat::Json => Self::Json,
        }
    }
}

#[derive(Parser, Debug)]
#[command(
    name = "rtrace",
    version,
    about = "A high-level tracing language for Linux, compiled straight to eBPF",
    after_help = "EXAMPLES:\n  rtrace -e 'BEGIN { printf(\"hello world\\n\"); exit(); }'\n  rtrace -e 'tracepoint:raw_syscalls:sys_enter { @[comm] = count(); }'\n  rtrace -l 'tracepoint:sched:*'\n  rtrace script.rt ARG1 ARG2"
)]
pub struct Cli {
    /// Program text to run (instead of a script file).
    #[arg(short = 'e', value_name = "PROGRAM")]
    pub program: Option<String>,

    /// List probes matching the GLOB that follows (all when none), then
    /// exit. A flag, as in bpftrace, so that `-lv GLOB` works.
    #[arg(short = 'l')]
    pub list: bool,

    /// Output format of the program's output.
    #[arg(short = 'f', value_name = "FORMAT", value_enum, default_value_t)]
    pub format: OutputFormat,

    /// Write the program's output to FILE instead of standard output
    /// (diagnostics still go to standard error).
    #[arg(short = 'o', value_name = "FILE")]
    pub output: Option<PathBuf>,

    /// Quiet: leave out the "Attaching N probes..." message.
    #[arg(short = 'q')]
    pub quiet: bool,

    /// Trace process PID: user-space probes fire in it alone, and other
    /// probes (but BEGIN, END and interval) keep only its events.
    #[arg(short = 'p', value_name = "PID")]
    pub pid: Option<u32>,

    /// Run CMD and trace it: it starts once the probes are attached, its
    /// pid is `cpid`, and tracing ends when it exits. CMD is split on
    /// spaces, without shell quoting, as bpftrace does.
    #[arg(short = 'c', value_name = "CMD", conflicts_with = "pid")]
    pub command: Option<String>,

    /// Allow builtins that act on the system: system(), signal().
    #[arg(long = "unsafe")]
    pub unsafe_ok: bool,

    /// Bytes of a string read from memory, NUL included (default 64, or
    /// BPFTRACE_STRLEN / BPFTRACE_MAX_STRLEN).
    #[arg(long = "strlen", value_name = "BYTES", value_parser = clap::value_parser!(u32).range(1..))]
    pub strlen: Option<u32>,

    /// Verbose: print the emitted bytecode and the verifier's statistics.
    #[arg(short = 'v')]
    pub verbose: bool,

    /// Debug: dump tokens, the syntax tree and the typed program.
    #[arg(short = 'd')]
    pub debug: bool,

    /// Write the object file that is loaded into the kernel to FILE.
    #[arg(long = "emit-obj", value_name = "FILE")]
    pub emit_obj: Option<PathBuf>,

    /// Compile and check, but do not load anything into the kernel.
    #[arg(long = "dry-run")]
    pub dry_run: bool,

    /// Script file (`-` for standard input) followed by positional
    /// parameters; with -e, all are positional parameters ($1, $2, ...);
    /// with -l, the GLOB of the probes to list.
    #[arg(
        value_name = "FILE | ARGS",
        trailing_var_arg = true,
        allow_hyphen_values = true
    )]
    pub rest: Vec<String>,
}
