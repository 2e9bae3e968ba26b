//! Ring-buffer events, decoded with the manifest and printed.

use crate::decode;
use crate::loaded::LoadedMaps;
use crate::output::{self, Output};
use crate::symbols::Decoder;
use rtrace_codegen::manifest::{counter, Event, Manifest, Part};
use rtrace_lang::format::{parse_format, Piece};
use rtrace_stdlib::value::Value;
use std::io::Write;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Dispatch {
    Continue,
    Exit,
}

/// How strings print: bpftrace marks a printf string that filled a whole
/// string buffer (`strlen` bytes with its NUL) as truncated, with
/// `BPFTRACE_STR_TRUNC_TRAILER` (default `..`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StringOptions {
    pub strlen: u32,
    pub trailer: String,
}

impl Default for StringOptions {
    fn default() -> StringOptions {
        StringOptions {
            strlen: rtrace_lang::types::DEFAULT_STR_SIZE,
            trailer: "..".into(),
        }
    }
}

/// bpftrace's default for BPFTRACE_CAT_BYTES_MAX.
pub const CAT_BYTES_MAX: u64 = 10 * 1024;

pub struct EventPrinter {
    strings: StringOptions,
    /// Parsed printf formats, by event id.
    formats: Vec<Option<Vec<Piece>>>,
    cpus: usize,
    /// Lost events already reported.
    lost_reported: u64,
}

impl EventPrinter {
    pub fn new(manifest: &Manifest, cpus: usize) -> EventPrinter {
        let formats = manifest
            .events
            .iter()
            .map(|e| match e {
                Event::Printf { format, .. }
                | Event::System { format, .. }
                | Event::Cat { format, .. } => parse_format(format).ok(),
                _ => None,
            })
            .collect();
        EventPrinter {
            strings: StringOptions::default(),
            formats,
            cpus,
            lost_reported: 0,
        }
    }

    pub fn set_string_options(&mut self, strings: StringOptions) {
        self.strings = strings;
    }

    /// Formats the printf-style arguments of event `id` (its format parsed
    /// once, up front), marking truncated strings.
    fn format(&self, id: usize, args: &[Part], record: &[u8], decoder: &Decoder) -> String {
        let values: Vec<_> = args
            .iter()
            .map(|p| {
                let v = crate::maps::decode_part(record, p, decoder);
                match v {
                    Value::Str(s)
                        if p.ty.is_str()
                            && s.len() as u64 + 1 == u64::from(self.strings.strlen) =>
                    {
                        Value::Str(s + &self.strings.trailer)
                    }
                    v => v,
                }
            })
            .collect();
        match &self.formats[id] {
            Some(pieces) => output::format_printf(pieces, &values),
            None => String::new(),
        }
    }

    /// Acts on one ring-buffer record: prints it to `out`, or clears a map,
    /// or asks to exit. Problems reading maps go to `err`.
    pub fn dispatch(
        &mut self,
        record: &[u8],
        maps: &LoadedMaps,
        out: &mut Output,
        err: &mut dyn Write,
    ) -> Dispatch {
        let Some(id) = record
            .get(..8)
            .map(|b| u64::from_le_bytes(b.try_into().expect("8 bytes")))
        else {
            return Dispatch::Continue;
        };
        let Some(event) = maps.manifest.events.get(id as usize) else {
            return Dispatch::Continue;
        };
        let decoder = maps.decoder();
        match event {
            Event::Printf { args, .. } => {
                out.printf(&self.format(id as usize, args, record, &decoder));
            }
            Event::Time { format } => out.time(&decode::format_now(format)),
            Event::System { args, .. } => {
                let command = self.format(id as usize, args, record, &decoder);
                out.flush();
                match run_system(&command) {
                    Ok(text) => out.system(&text),
                    Err(e) => {
                        let _ = writeln!(err, "ERROR: cannot run '{command}': {e}");
                    }
                }
            }
            Event::Cat { args, .. } => {
                let path = self.format(id as usize, args, record, &decoder);
                match read_head(&path, CAT_BYTES_MAX) {
                    Ok(text) => out.cat(&text),
                    Err(e) => {
                        let _ = writeln!(
                            err,
                            "ERROR: failed to open file '{path}': {}",
                            io_reason(&e)
                        );
                    }
                }
            }
            Event::Join { sep, count, size } => {
                let mut parts = Vec::new();
                for i in 0..*count as usize {
                    let at = 8 + i * *size as usize;
                    let raw = record.get(at..at + *size as usize).unwrap_or(&[]);
                    let end = raw.iter().position(|&b| b == 0).unwrap_or(raw.len());
                    if end == 0 {
                        break;
                    }
                    parts.push(String::from_utf8_lossy(&raw[..end]).into_owned());
                }
                out.join(&parts.join(sep));
            }
            Event::PrintValue { value } => {
                let v = crate::maps::decode_part(record, value, &decoder);
                out.value(&v);
            }
            Event::PrintMap { map, top, div } => {
                if let Some(spec) = maps.manifest.maps.get(*map) {
                    maps.print_map(spec, *top as usize, *div, out, err);
                }
            }
            Event::Clear { map } | Event::Zero { map } => {
                if let Some(spec) = maps.manifest.maps.get(*map) {
                    if let Some(fd) = maps.fd(&spec.object_name) {
                        let _ = if matches!(event, Event::Clear { .. }) {
                            crate::maps::clear(spec, fd)
                        } else {
                            crate::maps::zero(spec, fd, self.cpus)
                        };
                    }
                }
            }
            Event::Process => {
                if let Some(pid) = record.get(8..12) {
                    let pid = u32::from_le_bytes(pid.try_into().expect("4 bytes"));
                    maps.symbols.remember_process(pid);
                }
            }
            Event::Exit => return Dispatch::Exit,
        }
        Dispatch::Continue
    }

    /// Reports the events lost since the last report: the kernel side
    /// counts every record the ring buffer had no room for.
    pub fn report_lost_events(&mut self, maps: &LoadedMaps, out: &mut Output) {
        let lost = maps.problem_count(counter::LOST_EVENTS);
        if lost > self.lost_reported {
            out.lost_events(lost - self.lost_reported);
            self.lost_reported = lost;
        }
    }
}

/// `system()`: runs the command through the shell and returns what it
/// printed on standard output (standard error stays rtrace's).
fn run_system(command: &str) -> std::io::Result<String> {
    let output = std::process::Command::new("/bin/sh")
        .arg("-c")
        .arg(command)
        .stdin(std::process::Stdio::null())
        .stderr(std::process::Stdio::inherit())
        .output()?;
    Ok(String::from_utf8_lossy(&output.stdout).into_owned())
}

/// `cat()`: the first `max` bytes of a file.
fn read_head(path: &str, max: u64) -> std::io::Result<String> {
    use std::io::Read;
    let mut bytes = Vec::new();
    std::fs::File::open(path)?
        .take(max)
        .read_to_end(&mut bytes)?;
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}

/// An I/O error as strerror(3) words it, without Rust's "(os error N)".
fn io_reason(e: &std::io::Error) -> String {
    let text = e.to_string();
    match text.find(" (os error") {
        Some(i) => text[..i].to_string(),
        None => text,
    }
}
