//! Ring-buffer events, decoded with the manifest and printed.

use crate::loaded::LoadedMaps;
use crate::output::{self, Output};
use rtrace_codegen::manifest::{counter, Event, Manifest};
use rtrace_lang::format::{parse_format, Piece};
use std::io::Write;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Dispatch {
    Continue,
    Exit,
}

pub struct EventPrinter {
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
                Event::Printf { format, .. } => parse_format(format).ok(),
                _ => None,
            })
            .collect();
        EventPrinter {
            formats,
            cpus,
            lost_reported: 0,
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
        match event {
            Event::Printf { args, .. } => {
                let values: Vec<_> = args
                    .iter()
                    .map(|p| crate::maps::decode_part(record, p))
                    .collect();
                if let Some(pieces) = &self.formats[id as usize] {
                    out.printf(&output::format_printf(pieces, &values));
                }
            }
            Event::PrintValue { value } => {
                let v = crate::maps::decode_part(record, value);
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
