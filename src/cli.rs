//! Command-line options, as close to bpftrace's as the features allow.

use clap::{Parser, ValueEnum};
use std::net::{SocketAddr, ToSocketAddrs};
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

/// The environment variables rtrace reads, with what they change, for
/// the ENVIRONMENT part of `--help` and of the man page.
pub const ENVIRONMENT: &[(&str, &str)] = &[
    (
        "BPFTRACE_STRLEN",
        "bytes of a string read from memory, NUL included (default 64; --strlen wins)",
    ),
    (
        "BPFTRACE_MAX_STRLEN",
        "the same, under the name later bpftrace versions read (BPFTRACE_STRLEN wins)",
    ),
    (
        "BPFTRACE_STR_TRUNC_TRAILER",
        "what printf() appends to a string cut at the string size (default \"..\")",
    ),
    (
        "RTRACE_NO_UPROBE_MULTI",
        "1: attach uprobes one by one even where the kernel has uprobe_multi links",
    ),
    (
        "RTRACE_PRETEND_MISSING",
        "kprobes, fentry, kprobe_multi (comma-separated): act as on a kernel without them, to test the fallbacks",
    ),
    (
        "PATH",
        "where the command of -c and the programs uprobes and usdt probes name by a bare name are looked for",
    ),
    ("HOME", "the interactive session keeps its history in ~/.rtrace_history"),
];

/// Examples, as bpftrace's help ends with.
const EXAMPLES: &str = "\
Examples:
  rtrace -l '*sleep*'
      list probes containing \"sleep\"
  rtrace -e 'BEGIN { printf(\"hello world\\n\"); exit(); }'
      print \"hello world\" and exit
  rtrace -e 'tracepoint:raw_syscalls:sys_enter { @[comm] = count(); }'
      count system calls by process name until Ctrl-C
  rtrace -e 'tracepoint:syscalls:sys_enter_openat { printf(\"%s %s\\n\", comm, str(args.filename)); }'
      files opened, with the process opening them
  rtrace -e 'profile:hz:99 /pid == 189/ { @[cpu] = count(); }'
      sample process 189 on each CPU at 99 Hertz
  rtrace script.rt ARG1 ARG2
      run a script with positional parameters $1 and $2
  rtrace
      on a terminal: the interactive session (:help there)";

/// What `--help` prints after the options: the environment, then the
/// examples, as bpftrace's help does.
fn after_help() -> String {
    let width = ENVIRONMENT.iter().map(|(name, _)| name.len()).max();
    let mut text = String::from("Environment:\n");
    for (name, what) in ENVIRONMENT {
        let width = width.unwrap_or(0);
        text.push_str(&format!("  {name:width$}  {what}\n"));
    }
    text.push('\n');
    text.push_str(EXAMPLES);
    text
}

#[derive(Parser, Debug)]
#[command(
    name = "rtrace",
    version,
    about = "A high-level tracing language for Linux, compiled straight to eBPF",
    override_usage = "rtrace [OPTIONS] FILENAME [ARGS...]\n       rtrace [OPTIONS] - < PROGRAM\n       rtrace [OPTIONS] -e 'PROGRAM' [ARGS...]\n       rtrace -l [GLOB]",
    after_help = after_help(),
    // -h and -V are declared below, under a heading as every option is.
    disable_help_flag = true,
    disable_version_flag = true
)]
pub struct Cli {
    /// Program text to run (instead of a script file).
    #[arg(help_heading = "Program", short = 'e', value_name = "PROGRAM")]
    pub program: Option<String>,

    /// List probes matching the GLOB that follows (all when none), then
    /// exit. A flag, as in bpftrace, so that `-lv GLOB` works.
    #[arg(help_heading = "Program", short = 'l')]
    pub list: bool,

    /// Output format of the program's output.
    #[arg(
        help_heading = "Output",
        short = 'f',
        value_name = "FORMAT",
        value_enum,
        default_value_t
    )]
    pub format: OutputFormat,

    /// Write the program's output to FILE instead of standard output
    /// (diagnostics still go to standard error).
    #[arg(help_heading = "Output", short = 'o', value_name = "FILE")]
    pub output: Option<PathBuf>,

    /// Quiet: leave out the "Attaching N probes..." message.
    #[arg(help_heading = "Output", short = 'q')]
    pub quiet: bool,

    /// Trace process PID: user-space probes fire in it alone, and other
    /// probes (but BEGIN, END and interval) keep only its events.
    #[arg(help_heading = "Tracing", short = 'p', value_name = "PID")]
    pub pid: Option<u32>,

    /// Run CMD and trace it: it starts once the probes are attached, its
    /// pid is `cpid`, and tracing ends when it exits. CMD is split on
    /// spaces, without shell quoting, as bpftrace does.
    #[arg(
        help_heading = "Tracing",
        short = 'c',
        value_name = "CMD",
        conflicts_with = "pid"
    )]
    pub command: Option<String>,

    /// Allow builtins that act on the system: system(), signal(), override().
    #[arg(help_heading = "Tracing", long = "unsafe")]
    pub unsafe_ok: bool,

    /// Bytes of a string read from memory, NUL included (default 64, or
    /// BPFTRACE_STRLEN / BPFTRACE_MAX_STRLEN).
    #[arg(help_heading = "Tracing", long = "strlen", value_name = "BYTES", value_parser = clap::value_parser!(u32).range(1..))]
    pub strlen: Option<u32>,

    /// Verbose: print the emitted bytecode and the verifier's statistics.
    #[arg(help_heading = "Debugging", short = 'v')]
    pub verbose: bool,

    /// Debug: dump tokens, the syntax tree and the typed program.
    #[arg(help_heading = "Debugging", short = 'd')]
    pub debug: bool,

    /// Write the object file that is loaded into the kernel to FILE.
    #[arg(help_heading = "Debugging", long = "emit-obj", value_name = "FILE")]
    pub emit_obj: Option<PathBuf>,

    /// Serve the maps as Prometheus metrics over HTTP at ADDR while the
    /// program runs (`HOST:PORT`, or `:PORT` for every interface).
    #[arg(help_heading = "Output", long = "metrics", value_name = "ADDR", value_parser = parse_listen_addr)]
    pub metrics: Option<SocketAddr>,

    /// Print the man page, shell completions or the probe and builtin
    /// reference, then exit (see "Installing" in README.md).
    #[arg(
        help_heading = "Other",
        long = "generate",
        value_name = "WHAT",
        value_enum
    )]
    pub generate: Option<crate::generate::Generate>,

    /// Print help (a summary with -h), then exit.
    #[arg(help_heading = "Other", short = 'h', long = "help", action = clap::ArgAction::Help)]
    pub help: Option<bool>,

    /// Print the version, then exit.
    #[arg(help_heading = "Other", short = 'V', long = "version", action = clap::ArgAction::Version)]
    pub version: Option<bool>,

    /// Print maps keyed by stacks as folded stacks, `frame;frame;frame
    /// count`, outermost frame first (for flame graph tools).
    #[arg(help_heading = "Output", long = "folded", conflicts_with = "format")]
    pub folded: bool,

    /// At exit, draw the maps keyed by stacks as an SVG flame graph in FILE.
    #[arg(help_heading = "Output", long = "flamegraph", value_name = "FILE")]
    pub flamegraph: Option<PathBuf>,
    /// Interactive session: enter probes one at a time while earlier ones
    /// run (the default without a program when standard input is a
    /// terminal).
    #[arg(help_heading = "Program", short = 'i')]
    pub interactive: bool,

    /// Compile and check, but do not load anything into the kernel.
    #[arg(help_heading = "Debugging", long = "dry-run")]
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

/// `HOST:PORT` (a name, an IPv4 or a bracketed IPv6 address), or `:PORT`
/// for every interface, as exporters are usually told where to listen.
pub fn parse_listen_addr(text: &str) -> Result<SocketAddr, String> {
    let full = match text.strip_prefix(':') {
        Some(port) => format!("0.0.0.0:{port}"),
        None => text.to_string(),
    };
    full.to_socket_addrs()
        .map_err(|e| format!("'{text}' is not HOST:PORT or :PORT ({e})"))?
        .next()
        .ok_or_else(|| format!("'{text}' names no address"))
}

#[cfg(test)]
mod tests {
    use super::parse_listen_addr;

    #[test]
    fn listen_addresses() {
        assert_eq!(
            parse_listen_addr(":9090").unwrap().to_string(),
            "0.0.0.0:9090"
        );
        assert_eq!(
            parse_listen_addr("127.0.0.1:0").unwrap().to_string(),
            "127.0.0.1:0"
        );
        assert_eq!(
            parse_listen_addr("[::1]:9100").unwrap().to_string(),
            "[::1]:9100"
        );
        assert!(parse_listen_addr("9090").is_err());
        assert!(parse_listen_addr(":http").is_err());
    }
}
