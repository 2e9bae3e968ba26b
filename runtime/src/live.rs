//! A session that grows while it runs: the REPL's. Each entry is compiled
//! on its own and loaded as one more object, attached at once while the
//! earlier ones keep running; all share the same kernel maps. Detaching
//! an entry ends it (its END block runs); ending the session ends every
//! entry still attached, then prints the maps as the one-shot session does.

use crate::attach;
use crate::errors::RunError;
use crate::events::Dispatch;
use crate::loaded::{LoadOptions, Loaded, LoadedMaps};
use crate::output::Output;
use rtrace_codegen::lower::Compiled;
use rtrace_codegen::manifest::MapSpec;
use rtrace_lang::probes::Attach;
use std::collections::HashMap;
use std::io::Write;
use std::os::fd::RawFd;

/// One entry the session runs.
pub struct Entry {
    /// Numbered from 1 in the order entered; never reused.
    pub number: usize,
    /// The entry's text, as typed.
    pub source: String,
    loaded: Loaded,
}

impl Entry {
    /// The places its programs attach to, BEGIN and END included.
    pub fn probes(&self) -> Vec<String> {
        self.loaded
            .manifest()
            .programs
            .iter()
            .flat_map(|p| p.attach.iter().map(Attach::name))
            .collect()
    }
}

pub struct LiveSession {
    entries: Vec<Entry>,
    /// Every user map of the session, whichever entry created it; kept
    /// after that entry is detached.
    maps: LoadedMaps,
    pid: Option<u32>,
    load_options: LoadOptions,
    next_number: usize,
}

/// What printing a map did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MapPrint {
    Printed,
    /// It has no entries (print() would print an empty line).
    Empty,
    /// No entry uses a map of that name.
    Missing,
}

/// What adding an entry did.
pub enum Added {
    /// The entry runs, under this number.
    Running(usize),
    /// Its BEGIN block called exit(): the session is to end.
    Exit,
}

impl LiveSession {
    pub fn new(pid: Option<u32>, verbose: bool) -> Result<LiveSession, RunError> {
        Ok(LiveSession {
            entries: Vec::new(),
            maps: LoadedMaps::empty()?,
            pid,
            load_options: LoadOptions {
                verbose,
                uprobe_multi: attach::uprobe::use_multi_links(),
            },
            next_number: 1,
        })
    }

    pub fn entries(&self) -> &[Entry] {
        &self.entries
    }

    /// The user maps, in the order entries created them.
    pub fn maps(&self) -> &[MapSpec] {
        &self.maps.manifest.maps
    }

    /// Loads an entry over the session's existing maps, runs its BEGIN
    /// block and attaches it.
    pub fn add(
        &mut self,
        compiled: &Compiled,
        source: &str,
        out: &mut Output,
        err: &mut dyn Write,
    ) -> Result<Added, RunError> {
        let mut existing = HashMap::new();
        for spec in &compiled.manifest.maps {
            let fd = self
                .maps
                .spec(&spec.name)
                .and_then(|known| self.maps.fd(&known.object_name))
                .map(|fd| fd.try_clone_to_owned())
                .transpose()
                .map_err(|e| RunError::Internal(e.to_string()))?;
            if let Some(fd) = fd {
                existing.insert(spec.object_name.clone(), fd);
            }
        }
        // Stacks too are shared: a map keyed by kstack holds ids into the
        // stack trace map of its frame limit, whichever entry stored them.
        for spec in &compiled.manifest.stack_maps {
            if let Some(fd) = self.maps.stack_map_fd(spec.limit) {
                let fd = fd
                    .try_clone_to_owned()
                    .map_err(|e| RunError::Internal(e.to_string()))?;
                existing.insert(spec.object_name.clone(), fd);
            }
        }
        let mut loaded = Loaded::load(compiled, &self.load_options, existing, err)?;
        out.attached_probes(loaded.probe_count());
        loaded.run_special(&Attach::Begin)?;
        let exit = loaded.drain(out, err) == Dispatch::Exit;
        if !exit {
            loaded.attach(self.pid, err)?;
        }
        // Only an entry that loaded and attached adds maps to the session:
        // the checker learns them from the same entries.
        for spec in &compiled.manifest.maps {
            if self.maps.spec(&spec.name).is_none() {
                if let Some(fd) = loaded.map_fd(spec) {
                    self.maps.adopt(spec, fd)?;
                }
            }
        }
        for spec in &compiled.manifest.stack_maps {
            if self.maps.stack_map_fd(spec.limit).is_none() {
                if let Some(fd) = loaded.object_fd(&spec.object_name) {
                    self.maps.adopt_stack_map(spec, fd)?;
                }
            }
        }
        let number = self.next_number;
        self.next_number += 1;
        self.entries.push(Entry {
            number,
            source: source.to_string(),
            loaded,
        });
        Ok(if exit {
            Added::Exit
        } else {
            Added::Running(number)
        })
    }

    /// Ends one entry: detaches it, prints its last events and runs its END
    /// block. Its maps stay.
    pub fn detach(
        &mut self,
        number: usize,
        out: &mut Output,
        err: &mut dyn Write,
    ) -> Result<Option<Dispatch>, RunError> {
        let Some(index) = self.entries.iter().position(|e| e.number == number) else {
            return Ok(None);
        };
        let mut entry = self.entries.remove(index);
        Ok(Some(end(&mut entry.loaded, out, err)?))
    }

    /// The descriptors that become readable when events arrive.
    pub fn event_fds(&self) -> Vec<RawFd> {
        self.entries.iter().map(|e| e.loaded.events_fd()).collect()
    }

    /// Prints (or acts on) every event waiting, entry by entry.
    pub fn drain(&mut self, out: &mut Output, err: &mut dyn Write) -> Dispatch {
        let mut result = Dispatch::Continue;
        for entry in &mut self.entries {
            if entry.loaded.drain(out, err) == Dispatch::Exit {
                result = Dispatch::Exit;
            }
        }
        result
    }

    /// `print(@m)` for a map named as the program names it (`@m`).
    pub fn print_map(&self, name: &str, out: &mut Output, err: &mut dyn Write) -> MapPrint {
        let Some(spec) = self.maps.spec(name) else {
            return MapPrint::Missing;
        };
        if self.maps.is_empty(spec) {
            return MapPrint::Empty;
        }
        self.maps.print_map(spec, 0, 1, out, err);
        out.flush();
        MapPrint::Printed
    }

    /// `clear(@m)`; false when there is no such map.
    pub fn clear_map(&self, name: &str) -> Result<bool, RunError> {
        let Some(spec) = self.maps.spec(name) else {
            return Ok(false);
        };
        if let Some(fd) = self.maps.fd(&spec.object_name) {
            crate::maps::clear(spec, fd).map_err(|e| RunError::Internal(e.to_string()))?;
        }
        Ok(true)
    }

    /// Ends the session: detaches every entry, runs the END blocks in the
    /// order the entries came, and prints the maps.
    pub fn finish(mut self, out: &mut Output, err: &mut dyn Write) -> Result<(), RunError> {
        // Each detach waits for the kernel: all entries at once.
        std::thread::scope(|scope| {
            for entry in &mut self.entries {
                let detacher = entry.loaded.detacher();
                scope.spawn(move || detacher.run());
            }
        });
        self.drain(out, err);
        let mut result = Ok(());
        for entry in &mut self.entries {
            if let Err(e) = entry.loaded.run_special(&Attach::End) {
                result = Err(e);
            }
            entry.loaded.drain(out, err);
        }
        self.maps.print_at_exit(out, err);
        for entry in &self.entries {
            entry.loaded.report_problems(err);
        }
        out.flush();
        result
    }
}

/// Detaches a loaded entry, prints its last events, runs END.
fn end(loaded: &mut Loaded, out: &mut Output, err: &mut dyn Write) -> Result<Dispatch, RunError> {
    loaded.detach();
    let mut result = loaded.drain(out, err);
    loaded.run_special(&Attach::End)?;
    if loaded.drain(out, err) == Dispatch::Exit {
        result = Dispatch::Exit;
    }
    loaded.report_problems(err);
    Ok(result)
}
