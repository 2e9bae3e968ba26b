//! One compiled object in the kernel: its programs, its maps and the ring
//! buffer its events arrive on. The one-shot session runs one; the REPL
//! runs one per entry, whose user maps are the same kernel maps.

use crate::attach;
use crate::errors::RunError;
use crate::events::{Dispatch, EventPrinter};
use crate::maps;
use crate::output::Output;
use crate::symbols::{Decoder, MapFds, Symbols};
use aya::maps::{Map, MapData, RingBuf};
use aya::programs::Program;
use aya::{Ebpf, EbpfLoader};
use rtrace_codegen::lower::Compiled;
use rtrace_codegen::manifest::{counter, KprobeNames, Manifest, MapSpec, StackMapSpec};
use rtrace_lang::probes::Attach;
use rtrace_stdlib::value::MapSnapshot;
use std::collections::HashMap;
use std::io::Write;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd, RawFd};

pub struct LoadOptions {
    /// Print per-program verifier statistics after loading.
    pub verbose: bool,
    /// Load uprobe programs for uprobe_multi links.
    pub uprobe_multi: bool,
}

/// The maps the runtime reads, with the manifest that says how.
pub struct LoadedMaps {
    pub manifest: Manifest,
    /// Object name -> map.
    fds: HashMap<String, MapData>,
    cpus: usize,
    /// Symbol caches for stacks and symbols, and the memory maps of the
    /// processes user stacks were taken in.
    pub symbols: Symbols,
}

impl LoadedMaps {
    /// No maps yet: the REPL adds each entry's user maps as it loads.
    pub fn empty() -> Result<LoadedMaps, RunError> {
        Ok(LoadedMaps {
            manifest: Manifest::default(),
            fds: HashMap::new(),
            cpus: nr_cpus()?,
            symbols: Symbols::new(),
        })
    }

    /// Decodes values of these maps and events, stacks included.
    pub fn decoder(&self) -> Decoder<'_> {
        Decoder::new(&self.symbols, &self.manifest, self)
    }

    pub fn fd(&self, object_name: &str) -> Option<BorrowedFd<'_>> {
        self.fds.get(object_name).map(|m| m.fd().as_fd())
    }

    pub fn cpus(&self) -> usize {
        self.cpus
    }

    /// The user map the program calls `name` (`@x`).
    pub fn spec(&self, name: &str) -> Option<&MapSpec> {
        self.manifest.maps.iter().find(|m| m.name == name)
    }

    /// Whether a map has no entries (or cannot be read).
    pub fn is_empty(&self, spec: &MapSpec) -> bool {
        self.fd(&spec.object_name)
            .and_then(|fd| crate::sys::keys(fd, spec.key.size as usize).ok())
            .is_none_or(|keys| keys.is_empty())
    }

    /// Adds a user map (a duplicate of `fd`) under its spec.
    pub fn adopt(&mut self, spec: &MapSpec, fd: OwnedFd) -> Result<(), RunError> {
        let data = MapData::from_fd(fd).map_err(|e| RunError::Internal(e.to_string()))?;
        self.fds.insert(spec.object_name.clone(), data);
        self.manifest.maps.push(spec.clone());
        Ok(())
    }

    /// Adds a stack trace map (a duplicate of `fd`) under its spec.
    pub fn adopt_stack_map(&mut self, spec: &StackMapSpec, fd: OwnedFd) -> Result<(), RunError> {
        let data = MapData::from_fd(fd).map_err(|e| RunError::Internal(e.to_string()))?;
        self.fds.insert(spec.object_name.clone(), data);
        self.manifest.stack_maps.push(spec.clone());
        Ok(())
    }

    /// The stack trace map of stacks of up to `limit` frames, if any.
    pub fn stack_map_fd(&self, limit: u16) -> Option<BorrowedFd<'_>> {
        let spec = self.manifest.stack_maps.iter().find(|m| m.limit == limit)?;
        self.fd(&spec.object_name)
    }

    /// Sums one of the counters the kernel side keeps of its problems.
    pub fn problem_count(&self, slot: u32) -> u64 {
        self.fd(&self.manifest.counters_map)
            .map_or(0, |fd| maps::counter(fd, slot, self.cpus))
    }

    /// `print(@m, top, div)`.
    pub fn print_map(
        &self,
        spec: &MapSpec,
        top: usize,
        div: u64,
        out: &mut Output,
        err: &mut dyn Write,
    ) {
        if let Some(snapshot) = self.snapshot(spec, err) {
            out.map(&snapshot, top, div);
        }
    }

    /// Reads a map, decoded; a failure is reported to `err`.
    pub fn snapshot(&self, spec: &MapSpec, err: &mut dyn Write) -> Option<MapSnapshot> {
        let fd = self.fd(&spec.object_name)?;
        match maps::snapshot(spec, fd, self.cpus, &self.decoder()) {
            Ok(snapshot) => Some(snapshot),
            Err(e) => {
                let _ = writeln!(err, "rtrace: cannot read {}: {e}", spec.name);
                None
            }
        }
    }

    /// The maps at exit, after the back end's separator (two empty lines in
    /// text, as bpftrace prints them), by name.
    pub fn print_at_exit(&self, out: &mut Output, err: &mut dyn Write) {
        out.end_of_run();
        let mut specs: Vec<_> = self.manifest.maps.iter().collect();
        specs.sort_by(|a, b| a.name.cmp(&b.name));
        for spec in specs {
            self.print_map(spec, 0, 1, out, err);
        }
    }
}

impl MapFds for LoadedMaps {
    fn map_fd(&self, object_name: &str) -> Option<BorrowedFd<'_>> {
        self.fd(object_name)
    }
}

fn nr_cpus() -> Result<usize, RunError> {
    aya::util::nr_cpus().map_err(|(what, e)| RunError::Internal(format!("{what}: {e}")))
}

fn map_data(map: Map) -> Option<MapData> {
    match map {
        Map::HashMap(m)
        | Map::PerCpuHashMap(m)
        | Map::Array(m)
        | Map::PerCpuArray(m)
        | Map::StackTraceMap(m)
        | Map::LruHashMap(m)
        | Map::RingBuf(m) => Some(m),
        _ => None,
    }
}

/// Detaches one object's programs (see `Loaded::detacher`).
pub struct Detacher<'a> {
    ebpf: &'a mut Ebpf,
    manifest: &'a Manifest,
    links: attach::Links,
}

impl Detacher<'_> {
    pub fn run(self) {
        attach::detach_all(self.ebpf, self.manifest, self.links);
    }
}

pub struct Loaded {
    pub maps: LoadedMaps,
    ebpf: Ebpf,
    ringbuf: RingBuf<MapData>,
    printer: EventPrinter,
    links: Option<attach::Links>,
    uprobe_multi: bool,
}

impl Loaded {
    /// Creates the maps, but those of `existing` (object name -> map,
    /// shared with another object), and loads (verifies) every program.
    pub fn load(
        compiled: &Compiled,
        options: &LoadOptions,
        existing: HashMap<String, OwnedFd>,
        err: &mut dyn Write,
    ) -> Result<Loaded, RunError> {
        let mut loader = EbpfLoader::new();
        for (name, fd) in existing {
            // The loader borrows names for as long as it lives.
            let name: &str = compiled
                .map_names
                .iter()
                .find(|n| **n == name)
                .ok_or_else(|| RunError::Internal(format!("no map {name} in the object")))?;
            loader.existing_map(name, fd);
        }
        let mut ebpf = loader.load(&compiled.object).map_err(RunError::Load)?;
        for (index, spec) in compiled.manifest.programs.iter().enumerate() {
            let program = ebpf
                .program_mut(&spec.symbol)
                .ok_or_else(|| RunError::Internal(format!("program {} missing", spec.symbol)))?;
            let loaded = match &mut *program {
                Program::TracePoint(p) => p.load(),
                Program::RawTracePoint(p) => p.load(),
                Program::PerfEvent(p) => p.load(),
                Program::UProbe(p) if options.uprobe_multi => p.load_for_multi_link(),
                Program::UProbe(p) => p.load(),
                Program::KProbe(p) if spec.kprobe_multi.is_some() => p.load_for_multi_link(),
                other => match attach::kernel_function::load(other, &spec.attach) {
                    Some(loaded) => loaded,
                    None => {
                        return Err(RunError::Internal(format!(
                            "unexpected program type for {}",
                            spec.symbol
                        )))
                    }
                },
            };
            loaded.map_err(|e| RunError::verifier(e, index, spec))?;
            if options.verbose {
                if let Ok(info) = program.info() {
                    let _ = writeln!(
                        err,
                        "{}: {} instructions, verifier processed {} instructions, {} bytes translated",
                        spec.symbol,
                        compiled.code[index].slots(),
                        info.verified_instruction_count().map_or("?".into(), |n| n.to_string()),
                        info.size_translated().map_or("?".into(), |n| n.to_string())
                    );
                }
            }
        }
        let mut fds = HashMap::new();
        let names: Vec<String> = ebpf.maps().map(|(n, _)| n.to_string()).collect();
        for name in names {
            if let Some(data) = ebpf.take_map(&name).and_then(map_data) {
                fds.insert(name, data);
            }
        }
        if let Some(names) = &compiled.manifest.kprobe_names {
            fill_kprobe_names(names, &fds)?;
        }
        let manifest = compiled.manifest.clone();
        let ringbuf_data = fds
            .remove(&manifest.ringbuf_map)
            .ok_or_else(|| RunError::Internal("no ring buffer".into()))?;
        let ringbuf = RingBuf::try_from(Map::RingBuf(ringbuf_data))
            .map_err(|e| RunError::Internal(e.to_string()))?;
        let cpus = nr_cpus()?;
        Ok(Loaded {
            printer: EventPrinter::new(&manifest, cpus),
            maps: LoadedMaps {
                manifest,
                fds,
                cpus,
                symbols: Symbols::new(),
            },
            ebpf,
            ringbuf,
            links: None,
            uprobe_multi: options.uprobe_multi,
        })
    }

    pub fn manifest(&self) -> &Manifest {
        &self.maps.manifest
    }

    /// How many places the programs attach to (BEGIN and END count).
    pub fn probe_count(&self) -> usize {
        self.manifest()
            .programs
            .iter()
            .map(|p| p.attach.len())
            .sum()
    }

    /// The descriptor that becomes readable when events arrive.
    pub fn events_fd(&self) -> RawFd {
        self.ringbuf.as_raw_fd()
    }

    /// Runs the BEGIN or END programs once.
    pub fn run_special(&mut self, which: &Attach) -> Result<(), RunError> {
        for spec in &self.maps.manifest.programs {
            if spec.attach.iter().any(|a| a == which) {
                let Some(Program::RawTracePoint(p)) = self.ebpf.program(&spec.symbol) else {
                    continue;
                };
                let fd = p.fd().map_err(|e| RunError::Internal(e.to_string()))?;
                crate::sys::test_run(fd.as_fd())
                    .map_err(|e| RunError::TestRun(format!("{which:?}"), e))?;
            }
        }
        Ok(())
    }

    /// Attaches every program; `pid` restricts user-space probes to one
    /// process.
    /// Functions of a wildcard that could not be probed are skipped, each
    /// with a warning on `err`.
    pub fn attach(&mut self, pid: Option<u32>, err: &mut dyn Write) -> Result<(), RunError> {
        let links = attach::attach_all(&mut self.ebpf, &self.maps.manifest, pid, self.uprobe_multi)
            .map_err(RunError::Attach)?;
        for skipped in &links.skipped {
            let _ = writeln!(
                err,
                "rtrace: warning: skipping {}: {}",
                skipped.probe, skipped.cause
            );
        }
        self.links = Some(links);
        Ok(())
    }

    /// Detaches every program but BEGIN's and END's (END still has to run).
    pub fn detach(&mut self) {
        self.detacher().run();
    }

    /// What detaching needs, apart from the symbol caches (which stay on
    /// this thread): the REPL detaches all its entries at once, on threads.
    pub fn detacher(&mut self) -> Detacher<'_> {
        Detacher {
            ebpf: &mut self.ebpf,
            manifest: &self.maps.manifest,
            links: self.links.take().unwrap_or_default(),
        }
    }

    /// Prints (or acts on) every event waiting in the ring buffer.
    pub fn drain(&mut self, out: &mut Output, err: &mut dyn Write) -> Dispatch {
        let mut result = Dispatch::Continue;
        while let Some(item) = self.ringbuf.next() {
            if self.printer.dispatch(&item, &self.maps, out, err) == Dispatch::Exit {
                result = Dispatch::Exit;
            }
        }
        self.printer.report_lost_events(&self.maps, out);
        out.flush();
        result
    }

    /// Problems the kernel side counted instead of failing silently.
    pub fn report_problems(&self, err: &mut dyn Write) {
        let lost = self.maps.problem_count(counter::LOST_EVENTS);
        if lost > 0 {
            let _ = writeln!(
                err,
                "Lost {lost} events: output could not keep up (the ring buffer was full)"
            );
        }
        let full = self.maps.problem_count(counter::MAP_FULL);
        if full > 0 {
            let _ = writeln!(
                err,
                "{full} map updates failed: a map reached its {} entries limit",
                rtrace_codegen::lower::MAP_ENTRIES
            );
        }
        let failed = self.maps.problem_count(counter::MAP_UPDATE_FAILED);
        if failed > 0 {
            let _ = writeln!(
                err,
                "{failed} map updates failed with another error than a full map's (E2BIG): \
                 the kernel had no memory for a new entry, or the map was in use by a probe \
                 this one interrupted"
            );
        }
    }

    /// How printf marks truncated strings.
    pub fn set_string_options(&mut self, strings: crate::events::StringOptions) {
        self.printer.set_string_options(strings);
    }

    /// A duplicate of a user map's descriptor, to share it.
    pub fn map_fd(&self, spec: &MapSpec) -> Option<OwnedFd> {
        self.object_fd(&spec.object_name)
    }

    /// A duplicate of the descriptor of the map named `object_name` in the
    /// object.
    pub fn object_fd(&self, object_name: &str) -> Option<OwnedFd> {
        self.maps.fd(object_name)?.try_clone_to_owned().ok()
    }
}

/// Writes the names `func` and `probe` read in kprobe_multi programs, one
/// entry per cookie.
fn fill_kprobe_names(
    names: &KprobeNames,
    map_fds: &HashMap<String, MapData>,
) -> Result<(), RunError> {
    let map = map_fds
        .get(&names.map)
        .ok_or_else(|| RunError::Internal(format!("map {} missing", names.map)))?;
    for cookie in 0..names.entries.len() {
        crate::sys::update(
            map.fd().as_fd(),
            &(cookie as u32).to_le_bytes(),
            &names.value(cookie),
        )
        .map_err(|e| RunError::Internal(format!("filling {}: {e}", names.map)))?;
    }
    Ok(())
}
