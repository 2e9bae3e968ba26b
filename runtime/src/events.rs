//! Ring-buffer events, decoded with the manifest and printed.

use crate::maps;
use crate::output::{self, Output};
use crate::session::Session;
use crate::symbols::{Decoder, Symbols};
use rtrace_codegen::manifest::{counter, Event, Manifest, MapSpec};
use rtrace_lang::format::{parse_format, Piece};
use rtrace_stdlib::value::MapSnapshot;
use std::io::Write;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Dispatch {
    Continue,
    Exit,
}

pub struct EventPrinter<'m> {
    manifest: &'m Manifest,
    /// Parsed printf formats, by event id.
    formats: Vec<Option<Vec<Piece>>>,
    cpus: usize,
    /// Lost events already reported.
    lost_reported: u64,
    symbols: Symbols,
}

impl<'m> EventPrinter<'m> {
    pub fn new(manifest: &'m Manifest, cpus: usize) -> EventPrinter<'m> {
        let formats = manifest
            .events
            .iter()
            .map(|e| match e {
                Event::Printf { format, .. } => parse_format(format).ok(),
                _ => None,
            })
            .collect();
        EventPrinter {
            manifest,
            formats,
            cpus,
            lost_reported: 0,
            symbols: Symbols::new(),
        }
    }

    /// Decodes values of this session, stacks included.
    pub fn decoder<'s>(&'s self, session: &'s Session) -> Decoder<'s> {
        Decoder::new(&self.symbols, self.manifest, |name| session.map_fd(name))
    }

    /// Acts on one ring-buffer record: prints it to `out`, or clears a map,
    /// or asks to exit. Problems reading maps go to `err`.
    pub fn dispatch(
        &mut self,
        record: &[u8],
        session: &Session,
        out: &mut Output,
        err: &mut dyn Write,
    ) -> Dispatch {
        let Some(id) = record
            .get(..8)
            .map(|b| u64::from_le_bytes(b.try_into().expect("8 bytes")))
        else {
            return Dispatch::Continue;
        };
        let Some(event) = self.manifest.events.get(id as usize) else {
            return Dispatch::Continue;
        };
        let decoder = self.decoder(session);
        match event {
            Event::Printf { args, .. } => {
                let values: Vec<_> = args
                    .iter()
                    .map(|p| maps::decode_part(record, p, &decoder))
                    .collect();
                if let Some(pieces) = &self.formats[id as usize] {
                    out.printf(&output::format_printf(pieces, &values));
                }
            }
            Event::PrintValue { value } => {
                let v = maps::decode_part(record, value, &decoder);
                out.value(&v);
            }
            Event::PrintMap { map, top, div } => {
                if let Some(spec) = self.manifest.maps.get(*map) {
                    self.print_map(spec, session, *top as usize, *div, out, err);
                }
            }
            Event::Clear { map } | Event::Zero { map } => {
                if let Some(spec) = self.manifest.maps.get(*map) {
                    if let Some(fd) = session.map_fd(&spec.object_name) {
                        let _ = if matches!(event, Event::Clear { .. }) {
                            maps::clear(spec, fd)
                        } else {
                            maps::zero(spec, fd, self.cpus)
                        };
                    }
                }
            }
            Event::Process => {
                if let Some(pid) = record.get(8..12) {
                    let pid = u32::from_le_bytes(pid.try_into().expect("4 bytes"));
                    self.symbols.remember_process(pid);
                }
            }
            Event::Exit => return Dispatch::Exit,
        }
        Dispatch::Continue
    }

    /// Reports the events lost since the last report: the kernel side
    /// counts every record the ring buffer had no room for.
    pub fn report_lost_events(&mut self, session: &Session, out: &mut Output) {
        let lost = session.problem_count(counter::LOST_EVENTS);
        if lost > self.lost_reported {
            out.lost_events(lost - self.lost_reported);
            self.lost_reported = lost;
        }
    }

    pub fn print_map(
        &self,
        spec: &MapSpec,
        session: &Session,
        top: usize,
        div: u64,
        out: &mut Output,
        err: &mut dyn Write,
    ) {
        if let Some(snapshot) = self.snapshot(spec, session, err) {
            out.map(&snapshot, top, div);
        }
    }

    /// Reads a map, decoded; a failure is reported to `err`.
    pub fn snapshot(
        &self,
        spec: &MapSpec,
        session: &Session,
        err: &mut dyn Write,
    ) -> Option<MapSnapshot> {
        let fd = session.map_fd(&spec.object_name)?;
        match maps::snapshot(spec, fd, session.cpus(), &self.decoder(session)) {
            Ok(snapshot) => Some(snapshot),
            Err(e) => {
                let _ = writeln!(err, "rtrace: cannot read {}: {e}", spec.name);
                None
            }
        }
    }
}
