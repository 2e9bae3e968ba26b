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

#[derive(Parser, Debug)]
#[command(
    name = "rtrace",
    version,
    about = "A high-level tracing language for Linux, compiled straight to eBPF",
    after_help = "EXAMPLES:\n  rtrace -e 'BEGIN { printf(\"hello world\\n\"); exit(); }'\n  rtrace -e 'tracepoint:raw_syscalls:sys_enter { @[comm] = count(); }'\n  rtrace -l 'tracepoint:sched:*'\n  rtrace script.rt ARG1 ARG2\n  rtrace            (on a terminal: the interactive session; :help there)"
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

    /// Verbose: print the emitted bytecode and the verifier's statistics.
    #[arg(short = 'v')]
    pub verbose: bool,

    /// Debug: dump tokens, the syntax tree and the typed program.
    #[arg(short = 'd')]
    pub debug: bool,

    /// Write the object file that is loaded into the kernel to FILE.
    #[arg(long = "emit-obj", value_name = "FILE")]
    pub emit_obj: Option<PathBuf>,

    /// Serve the maps as Prometheus metrics over HTTP at ADDR while the
    /// program runs (`HOST:PORT`, or `:PORT` for every interface).
    #[arg(long = "metrics", value_name = "ADDR", value_parser = parse_listen_addr)]
    pub metrics: Option<SocketAddr>,

    /// Interactive session: enter probes one at a time while earlier ones
    /// run (the default without a program when standard input is a
    /// terminal).
    #[arg(short = 'i')]
    pub interactive: bool,

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
