//! `rtrace --generate WHAT`: the man page, shell completions and the
//! builtin reference, all from the definitions the program itself uses
//! (the clap CLI, the probe table, the builtin table), so none can drift.

use clap::{CommandFactory, ValueEnum};
use rtrace_lang::probes::PROBE_TYPES;
use rtrace_stdlib::builtin::{Builtin, Form};
use rtrace_stdlib::BUILTINS;
use std::io::{self, Write};

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Generate {
    /// The man page, rtrace.1 (roff).
    Man,
    /// Completions for bash.
    Bash,
    /// Completions for zsh.
    Zsh,
    /// Completions for fish.
    Fish,
    /// The probe and builtin reference in Markdown (docs/builtins.md).
    Reference,
}

pub fn generate(what: Generate, out: &mut dyn Write) -> io::Result<()> {
    let mut cmd = crate::cli::Cli::command();
    match what {
        Generate::Man => man_page(cmd, out),
        Generate::Bash => complete(clap_complete::Shell::Bash, &mut cmd, out),
        Generate::Zsh => complete(clap_complete::Shell::Zsh, &mut cmd, out),
        Generate::Fish => complete(clap_complete::Shell::Fish, &mut cmd, out),
        Generate::Reference => out.write_all(reference().as_bytes()),
    }
}

fn complete(
    shell: clap_complete::Shell,
    cmd: &mut clap::Command,
    out: &mut dyn Write,
) -> io::Result<()> {
    let mut buffer = Vec::new();
    clap_complete::generate(shell, cmd, "rtrace", &mut buffer);
    out.write_all(&buffer)
}

/// clap_mangen's sections for the options, then the language's own.
fn man_page(cmd: clap::Command, out: &mut dyn Write) -> io::Result<()> {
    let man = clap_mangen::Man::new(cmd)
        .section("1")
        .manual("rtrace manual");
    let mut page = Vec::new();
    man.render_title(&mut page)?;
    man.render_name_section(&mut page)?;
    man.render_synopsis_section(&mut page)?;
    page.extend_from_slice(DESCRIPTION.as_bytes());
    man.render_options_section(&mut page)?;
    page.extend_from_slice(language_sections().as_bytes());
    man.render_version_section(&mut page)?;
    out.write_all(&page)
}

const DESCRIPTION: &str = r#".SH DESCRIPTION
rtrace runs a tracing program written in a high\-level language like
bpftrace's: it compiles it to eBPF, loads it into the kernel, attaches its
probes, prints what it prints while it runs, and prints its maps when it
ends (exit(), Ctrl\-C, SIGTERM, or the end of the process given with \fB\-p\fR).
.PP
A program is a list of probes, each with an optional predicate and a body:
.PP
.nf
.RS
PROBE[, PROBE...] [/predicate/] { statements }
PROBE[, PROBE...] [/predicate/] < statements >
.RE
.fi
.PP
Without a program on the command line and on a terminal, rtrace opens an
interactive session.
"#;

/// Escapes text for roff: backslashes, and a leading dot or quote that
/// would make a line a request.
fn roff(text: &str) -> String {
    let escaped = text.replace('\\', "\\e").replace('-', "\\-");
    if escaped.starts_with('.') || escaped.starts_with('\'') {
        format!("\\&{escaped}")
    } else {
        escaped
    }
}

fn language_sections() -> String {
    let mut page = String::from(".SH PROBES\n");
    for probe in PROBE_TYPES {
        page.push_str(&format!(".TP\n\\fB{}\\fR", roff(probe.usage)));
        if !probe.aliases.is_empty() {
            page.push_str(&format!(" (alias {})", roff(&probe.aliases.join(", "))));
        }
        page.push_str(&format!("\n{}\n", roff(probe.summary)));
    }
    page.push_str(".SH BUILTINS\n");
    for builtin in distinct_builtins() {
        page.push_str(&format!(
            ".TP\n\\fB{}\\fR\n{}\n",
            roff(builtin.usage()),
            roff(builtin.summary())
        ));
    }
    page.push_str(&environment_section());
    page.push_str(EXAMPLES);
    page
}

/// The environment variables rtrace reads, as `--help` lists them.
fn environment_section() -> String {
    let mut section = String::from(".SH ENVIRONMENT\n");
    for (name, what) in crate::cli::ENVIRONMENT {
        section.push_str(&format!(".TP\n\\fB{}\\fR\n{}\n", roff(name), roff(what)));
    }
    section
}

const EXAMPLES: &str = r#".SH EXAMPLES
.TP
rtrace \-e 'tracepoint:raw_syscalls:sys_enter { @[comm] = count(); }'
System calls by process name until Ctrl\-C.
.TP
rtrace \-e 'tracepoint:syscalls:sys_enter_openat { printf("%s %s\en", comm, str(args.filename)); }'
Files opened, as they are opened.
.TP
rtrace \-e 'tracepoint:syscalls:sys_exit_read /args.ret > 0/ { @bytes = hist(args.ret); }'
A histogram of the sizes of successful reads.
.TP
rtrace \-e 'profile:hz:99 { @[cpu] = count(); }'
Samples per CPU.
.TP
rtrace \-l 'tracepoint:sched:*'
The scheduler's tracepoints; \fB\-lv\fR adds their arguments.
.SH EXIT STATUS
0 when the program ran and its output was written; 1 when it could not be
compiled, loaded or attached (a diagnostic on standard error says where and
why); 2 for a usage error.
.SH SEE ALSO
bpftrace(8), bpf(2), perf_event_open(2)
"#;

/// Markdown tables of the probe types and builtins, in the order the
/// tables list them.
pub fn reference() -> String {
    let mut text = String::from(
        "# Probes and builtins\n\n\
         Generated by `rtrace --generate reference` from the probe and builtin\n\
         tables; a test fails when this copy is stale.\n\n\
         ## Probe types\n\n\
         | probe | aliases | what fires it |\n| --- | --- | --- |\n",
    );
    for probe in PROBE_TYPES {
        let aliases: Vec<String> = probe.aliases.iter().map(|a| format!("`{a}:`")).collect();
        text.push_str(&format!(
            "| `{}` | {} | {} |\n",
            cell(probe.usage),
            aliases.join(", "),
            cell(probe.summary)
        ));
    }
    for (title, form) in [("Variables", Form::Variable), ("Functions", Form::Function)] {
        text.push_str(&format!(
            "\n## {title}\n\n| builtin | meaning |\n| --- | --- |\n"
        ));
        for builtin in distinct_builtins().filter(|b| b.form() == form) {
            text.push_str(&format!(
                "| `{}` | {} |\n",
                cell(builtin.usage()),
                cell(builtin.summary())
            ));
        }
    }
    text
}

/// The builtins, each usage once: `arg0` ... `arg11` are one entry each
/// in the table but one `argN` in the reference.
fn distinct_builtins() -> impl Iterator<Item = &'static dyn Builtin> {
    let mut seen = std::collections::HashSet::new();
    BUILTINS
        .iter()
        .copied()
        .filter(move |b| seen.insert((b.usage(), b.form() == Form::Function)))
}

/// A Markdown table cell: pipes would end it.
fn cell(text: &str) -> String {
    text.replace('|', "\\|")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// docs/builtins.md is this generator's output; regenerate it with
    /// `cargo run --release -- --generate reference > docs/builtins.md`.
    #[test]
    fn checked_in_reference_is_current() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/docs/builtins.md");
        let checked_in = std::fs::read_to_string(path).unwrap_or_default();
        assert!(
            checked_in == reference(),
            "docs/builtins.md is stale: run `cargo run --release -- --generate reference > docs/builtins.md`"
        );
    }

    #[test]
    fn man_page_has_every_builtin_and_probe() {
        let mut page = Vec::new();
        generate(Generate::Man, &mut page).unwrap();
        let page = String::from_utf8(page).unwrap();
        assert!(page.starts_with(".ie \\n(.g .ds Aq \\(aq") || page.contains(".TH rtrace 1"));
        for section in [
            ".SH NAME",
            ".SH SYNOPSIS",
            ".SH OPTIONS",
            ".SH PROBES",
            ".SH BUILTINS",
            ".SH ENVIRONMENT",
            ".SH EXAMPLES",
        ] {
            assert!(page.contains(section), "{section} missing");
        }
        for (name, _) in crate::cli::ENVIRONMENT {
            assert!(
                page.contains(&format!("\\fB{}\\fR", roff(name))),
                "{name} missing"
            );
        }
        for builtin in BUILTINS {
            assert!(
                page.contains(&roff(builtin.usage())),
                "{} missing",
                builtin.name()
            );
        }
        // No line may start a roff request by accident.
        for line in page.lines().filter(|l| l.starts_with('.')) {
            let request: String = line[1..]
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric())
                .collect();
            assert!(
                [
                    "TH", "SH", "TP", "PP", "RS", "RE", "nf", "fi", "IP", "B", "I", "br", "ie",
                    "el", "ds", "sp", "SS", "PD", "in"
                ]
                .contains(&request.as_str()),
                "unexpected request line: {line}"
            );
        }
    }

    #[test]
    fn completions_name_the_options() {
        for shell in [Generate::Bash, Generate::Zsh, Generate::Fish] {
            let mut script = Vec::new();
            generate(shell, &mut script).unwrap();
            let script = String::from_utf8(script).unwrap();
            assert!(
                script.contains("dry-run") && script.contains("metrics"),
                "{shell:?}"
            );
        }
    }
}
