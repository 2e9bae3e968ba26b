//! One tracing session: load the object, run BEGIN, attach, stream events
//! until exit or a signal, detach, run END, print the maps.

use crate::attach;
use crate::child::ChildCommand;
use crate::errors::RunError;
use crate::events::{Dispatch, EventPrinter};
use crate::maps;
use crate::output::Output;
use aya::maps::{Map, MapData, RingBuf};
use aya::programs::Program;
use aya::{Ebpf, EbpfLoader};
use rtrace_codegen::lower::Compiled;
use rtrace_codegen::manifest::{counter, KprobeNames};
use rtrace_lang::probes::Attach;
use std::collections::HashMap;
use std::io::Write;
use std::net::SocketAddr;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd};
use std::os::unix::net::UnixStream;
use std::path::PathBuf;
use std::time::Duration;

pub struct SessionOptions {
    /// Print per-program verifier statistics after loading.
    pub verbose: bool,
    /// `-p PID`: user-space probes fire in this process only.
    pub pid: Option<u32>,
    /// `--metrics ADDR`: serve the maps as Prometheus metrics there.
    pub metrics: Option<SocketAddr>,
    /// `--flamegraph FILE`: draw the stack-keyed maps left at exit.
    pub flamegraph: Option<PathBuf>,
    /// How printf marks truncated strings.
    pub strings: crate::events::StringOptions,
}

pub struct Session<'c> {
    compiled: &'c Compiled,
    pid: Option<u32>,
    metrics: Option<SocketAddr>,
    flamegraph: Option<PathBuf>,
    /// Uprobe programs were loaded for uprobe_multi links.
    uprobe_multi: bool,
    ebpf: Ebpf,
    cpus: usize,
    /// Object name -> map data, for maps the runtime reads.
    map_fds: HashMap<String, MapData>,
    strings: crate::events::StringOptions,
    /// `-c CMD`: released once the probes are attached; its exit ends
    /// the session.
    child: Option<ChildCommand>,
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

impl<'c> Session<'c> {
    /// Creates the maps and loads (verifies) every program.
    pub fn load(
        compiled: &'c Compiled,
        options: &SessionOptions,
        err: &mut dyn Write,
    ) -> Result<Session<'c>, RunError> {
        let uprobe_multi = attach::uprobe::use_multi_links();
        let mut ebpf = EbpfLoader::new()
            .load(&compiled.object)
            .map_err(RunError::Load)?;
        for (index, spec) in compiled.manifest.programs.iter().enumerate() {
            let program = ebpf
                .program_mut(&spec.symbol)
                .ok_or_else(|| RunError::Internal(format!("program {} missing", spec.symbol)))?;
            let loaded = match &mut *program {
                Program::TracePoint(p) => p.load(),
                Program::RawTracePoint(p) => p.load(),
                Program::PerfEvent(p) => p.load(),
                Program::UProbe(p) if uprobe_multi => p.load_for_multi_link(),
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
        let mut map_fds = HashMap::new();
        let names: Vec<String> = ebpf.maps().map(|(n, _)| n.to_string()).collect();
        for name in names {
            if let Some(data) = ebpf.take_map(&name).and_then(map_data) {
                map_fds.insert(name, data);
            }
        }
        if let Some(names) = &compiled.manifest.kprobe_names {
            fill_kprobe_names(names, &map_fds)?;
        }
        let cpus =
            aya::util::nr_cpus().map_err(|(what, e)| RunError::Internal(format!("{what}: {e}")))?;
        Ok(Session {
            compiled,
            pid: options.pid,
            metrics: options.metrics,
            flamegraph: options.flamegraph.clone(),
            uprobe_multi,
            ebpf,
            cpus,
            map_fds,
            strings: options.strings.clone(),
            child: None,
        })
    }

    /// Runs `child` (`-c`) once the probes are attached.
    pub fn with_child(mut self, child: Option<ChildCommand>) -> Session<'c> {
        self.child = child;
        self
    }

    fn fd(&self, object_name: &str) -> Option<BorrowedFd<'_>> {
        self.map_fds.get(object_name).map(|m| m.fd().as_fd())
    }

    /// Runs the whole session, printing the program's output to `out` and
    /// diagnostics to `err`.
    pub fn run(mut self, out: &mut Output, err: &mut dyn Write) -> Result<(), RunError> {
        let manifest = &self.compiled.manifest;
        if let Some(addr) = self.metrics {
            self.serve_metrics(addr, err)?;
        }
        let probes: usize = manifest.programs.iter().map(|p| p.attach.len()).sum();
        out.attached_probes(probes);
        out.flush();
        let (signal_read, signal_write) =
            UnixStream::pair().map_err(|e| RunError::Internal(e.to_string()))?;
        signal_read.set_nonblocking(true).ok();
        for sig in [libc::SIGINT, libc::SIGTERM] {
            let w = signal_write
                .try_clone()
                .map_err(|e| RunError::Internal(e.to_string()))?;
            signal_hook::low_level::pipe::register(sig, w)
                .map_err(|e| RunError::Internal(e.to_string()))?;
        }
        let ringbuf_data = self
            .map_fds
            .remove(&manifest.ringbuf_map)
            .ok_or_else(|| RunError::Internal("no ring buffer".into()))?;
        let mut ringbuf = RingBuf::try_from(Map::RingBuf(ringbuf_data))
            .map_err(|e| RunError::Internal(e.to_string()))?;
        let mut printer = EventPrinter::new(manifest, self.cpus);
        printer.set_string_options(self.strings.clone());

        // With -p or -c, the session ends when the traced process does.
        let traced = self.pid.or(self.child.as_ref().map(ChildCommand::pid));
        let target = traced.and_then(|pid| crate::sys::pidfd_open(pid).ok());
        self.run_special(&Attach::Begin)?;
        let mut stop = drain(&mut ringbuf, &mut printer, &self, out, err) == Dispatch::Exit;
        let mut links = attach::Links::default();
        if !stop {
            links = attach::attach_all(&mut self.ebpf, manifest, self.pid, self.uprobe_multi)
                .map_err(RunError::Attach)?;
            if let Some(child) = &mut self.child {
                child.release();
            }
            while !stop {
                let target_exited = wait(
                    &ringbuf,
                    &signal_read,
                    target.as_ref(),
                    Duration::from_millis(200),
                );
                stop = drain(&mut ringbuf, &mut printer, &self, out, err) == Dispatch::Exit;
                if signalled(&signal_read) || target_exited {
                    stop = true;
                }
            }
        }
        attach::detach_all(&mut self.ebpf, manifest, links);
        // Events sent before the probes went away are still output.
        drain(&mut ringbuf, &mut printer, &self, out, err);
        self.run_special(&Attach::End)?;
        drain(&mut ringbuf, &mut printer, &self, out, err);
        self.print_maps(&printer, out, err);
        if let Some(path) = &self.flamegraph {
            self.draw_flamegraph(path, &printer, err)?;
        }
        self.report_problems(err);
        out.flush();
        Ok(())
    }

    /// Starts the metrics server over duplicates of the user maps'
    /// descriptors, before BEGIN so that its maps are visible too.
    fn serve_metrics(&self, addr: SocketAddr, err: &mut dyn Write) -> Result<(), RunError> {
        let manifest = &self.compiled.manifest;
        let names = manifest
            .maps
            .iter()
            .map(|m| &m.object_name)
            .chain(manifest.stack_maps.iter().map(|m| &m.object_name));
        let mut fds = HashMap::new();
        for name in names {
            if let Some(fd) = self.fd(name) {
                let fd = fd
                    .try_clone_to_owned()
                    .map_err(|e| RunError::Internal(e.to_string()))?;
                fds.insert(name.clone(), fd);
            }
        }
        let collector = crate::metrics::MapsCollector::new(manifest.clone(), fds, self.cpus);
        let bound =
            crate::metrics::serve(addr, collector).map_err(|e| RunError::Metrics(addr, e))?;
        let _ = writeln!(err, "Serving metrics on http://{bound}/metrics");
        Ok(())
    }

    fn run_special(&mut self, which: &Attach) -> Result<(), RunError> {
        for spec in &self.compiled.manifest.programs {
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

    /// The maps at exit, after the back end's separator (two empty lines in
    /// text, as bpftrace prints them).
    fn print_maps(&self, printer: &EventPrinter, out: &mut Output, err: &mut dyn Write) {
        out.end_of_run();
        let mut specs: Vec<_> = self.compiled.manifest.maps.iter().collect();
        specs.sort_by(|a, b| a.name.cmp(&b.name));
        for spec in specs {
            printer.print_map(spec, self, 0, 1, out, err);
        }
    }

    /// Folds every stack-keyed map and draws them in one flame graph.
    fn draw_flamegraph(
        &self,
        path: &std::path::Path,
        printer: &EventPrinter,
        err: &mut dyn Write,
    ) -> Result<(), RunError> {
        let mut lines = Vec::new();
        for spec in &self.compiled.manifest.maps {
            if let Some(snapshot) = printer.snapshot(spec, self, err) {
                lines.extend(crate::output::folded::folded_lines(&snapshot).unwrap_or_default());
            }
        }
        if lines.is_empty() {
            let _ = writeln!(
                err,
                "rtrace: no stacks were counted: {} shows an empty flame graph",
                path.display()
            );
        }
        match crate::flamegraph::write(path, &lines, "rtrace") {
            Ok(()) => Ok(()),
            // inferno refuses empty input, but still writes its SVG.
            Err(_) if lines.is_empty() => Ok(()),
            Err(e) => Err(RunError::Internal(format!(
                "cannot write the flame graph {}: {e}",
                path.display()
            ))),
        }
    }

    /// Sums one of the counters the kernel side keeps of its problems.
    pub fn problem_count(&self, slot: u32) -> u64 {
        self.fd(&self.compiled.manifest.counters_map)
            .map_or(0, |fd| maps::counter(fd, slot, self.cpus))
    }

    fn report_problems(&self, err: &mut dyn Write) {
        let lost = self.problem_count(counter::LOST_EVENTS);
        if lost > 0 {
            let _ = writeln!(
                err,
                "Lost {lost} events: output could not keep up (the ring buffer was full)"
            );
        }
        let full = self.problem_count(counter::MAP_FULL);
        if full > 0 {
            let _ = writeln!(
                err,
                "{full} map updates failed: a map reached its {} entries limit",
                rtrace_codegen::lower::MAP_ENTRIES
            );
        }
        let failed = self.problem_count(counter::MAP_UPDATE_FAILED);
        if failed > 0 {
            let _ = writeln!(
                err,
                "{failed} map updates failed although no map was full: the kernel had no memory \
                 for a new entry, or the map was in use by a probe this one interrupted"
            );
        }
    }

    pub fn map_fd(&self, object_name: &str) -> Option<BorrowedFd<'_>> {
        self.fd(object_name)
    }

    pub fn cpus(&self) -> usize {
        self.cpus
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

fn drain(
    ringbuf: &mut RingBuf<MapData>,
    printer: &mut EventPrinter,
    session: &Session,
    out: &mut Output,
    err: &mut dyn Write,
) -> Dispatch {
    let mut result = Dispatch::Continue;
    while let Some(item) = ringbuf.next() {
        if printer.dispatch(&item, session, out, err) == Dispatch::Exit {
            result = Dispatch::Exit;
        }
    }
    printer.report_lost_events(session, out);
    out.flush();
    result
}

/// Waits for events, a signal or the traced process's exit; returns
/// whether the traced process has exited.
fn wait(
    ringbuf: &RingBuf<MapData>,
    signals: &UnixStream,
    target: Option<&OwnedFd>,
    timeout: Duration,
) -> bool {
    let poll_fd = |fd: i32| libc::pollfd {
        fd,
        events: libc::POLLIN,
        revents: 0,
    };
    let mut fds = [
        poll_fd(ringbuf.as_raw_fd()),
        poll_fd(signals.as_raw_fd()),
        // A negative descriptor is skipped by poll.
        poll_fd(target.map_or(-1, |t| t.as_raw_fd())),
    ];
    // SAFETY: `fds` is a valid array of three pollfd for the call's duration.
    unsafe { libc::poll(fds.as_mut_ptr(), 3, timeout.as_millis() as i32) };
    fds[2].revents & libc::POLLIN != 0
}

fn signalled(signals: &UnixStream) -> bool {
    use std::io::Read;
    let mut buf = [0u8; 16];
    matches!((&*signals).read(&mut buf), Ok(n) if n > 0)
}
