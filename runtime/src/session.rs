//! One tracing session: load the object, run BEGIN, attach, stream events
//! until exit or a signal, detach, run END, print the maps.

use crate::attach;
use crate::child::ChildCommand;
use crate::errors::RunError;
use crate::events::Dispatch;
use crate::loaded::{LoadOptions, Loaded, LoadedMaps};
use crate::output::Output;
use rtrace_codegen::lower::Compiled;
use rtrace_lang::probes::Attach;
use std::collections::HashMap;
use std::io::Write;
use std::net::SocketAddr;
use std::os::fd::{AsRawFd, RawFd};
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
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
    loaded: Loaded,
    /// `-c CMD`: released once the probes are attached; its exit ends
    /// the session.
    child: Option<ChildCommand>,
}

impl<'c> Session<'c> {
    /// Creates the maps and loads (verifies) every program.
    pub fn load(
        compiled: &'c Compiled,
        options: &SessionOptions,
        err: &mut dyn Write,
    ) -> Result<Session<'c>, RunError> {
        let load_options = LoadOptions {
            verbose: options.verbose,
            uprobe_multi: attach::uprobe::use_multi_links(),
        };
        let mut loaded = Loaded::load(compiled, &load_options, HashMap::new(), err)?;
        loaded.set_string_options(options.strings.clone());
        Ok(Session {
            compiled,
            pid: options.pid,
            metrics: options.metrics,
            flamegraph: options.flamegraph.clone(),
            loaded,
            child: None,
        })
    }

    /// Runs `child` (`-c`) once the probes are attached.
    pub fn with_child(mut self, child: Option<ChildCommand>) -> Session<'c> {
        self.child = child;
        self
    }

    /// Runs the whole session, printing the program's output to `out` and
    /// diagnostics to `err`.
    pub fn run(mut self, out: &mut Output, err: &mut dyn Write) -> Result<(), RunError> {
        if let Some(addr) = self.metrics {
            self.serve_metrics(addr, err)?;
        }
        out.attached_probes(self.loaded.probe_count());
        out.flush();
        let signals = Signals::new(&[libc::SIGINT, libc::SIGTERM])?;

        // With -p or -c, the session ends when the traced process does.
        let traced = self.pid.or(self.child.as_ref().map(ChildCommand::pid));
        let target = traced.and_then(|pid| crate::sys::pidfd_open(pid).ok());
        let loaded = &mut self.loaded;
        loaded.run_special(&Attach::Begin)?;
        let mut stop = loaded.drain(out, err) == Dispatch::Exit;
        if !stop {
            loaded.attach(self.pid, err)?;
            if let Some(child) = &mut self.child {
                child.release();
            }
            while !stop {
                let ready = wait(
                    &[
                        loaded.events_fd(),
                        signals.fd(),
                        // A negative descriptor is skipped by poll.
                        target.as_ref().map_or(-1, |t| t.as_raw_fd()),
                    ],
                    Duration::from_millis(200),
                );
                stop = loaded.drain(out, err) == Dispatch::Exit;
                if signals.take() || ready[2] {
                    stop = true;
                }
            }
        }
        loaded.detach();
        // Events sent before the probes went away are still output.
        loaded.drain(out, err);
        loaded.run_special(&Attach::End)?;
        loaded.drain(out, err);
        loaded.maps.print_at_exit(out, err);
        if let Some(path) = &self.flamegraph {
            draw_flamegraph(&loaded.maps, path, err)?;
        }
        loaded.report_problems(err);
        out.flush();
        Ok(())
    }

    /// Starts the metrics server over duplicates of the user maps' (and
    /// stack trace maps') descriptors, before BEGIN so that its maps are
    /// visible too.
    fn serve_metrics(&self, addr: SocketAddr, err: &mut dyn Write) -> Result<(), RunError> {
        let manifest = &self.compiled.manifest;
        let names = manifest
            .maps
            .iter()
            .map(|m| &m.object_name)
            .chain(manifest.stack_maps.iter().map(|m| &m.object_name));
        let mut fds = HashMap::new();
        for name in names {
            if let Some(fd) = self.loaded.maps.fd(name) {
                let fd = fd
                    .try_clone_to_owned()
                    .map_err(|e| RunError::Internal(e.to_string()))?;
                fds.insert(name.clone(), fd);
            }
        }
        let collector =
            crate::metrics::MapsCollector::new(manifest.clone(), fds, self.loaded.maps.cpus());
        let bound =
            crate::metrics::serve(addr, collector).map_err(|e| RunError::Metrics(addr, e))?;
        let _ = writeln!(err, "Serving metrics on http://{bound}/metrics");
        Ok(())
    }
}

/// Folds every stack-keyed map and draws them in one flame graph.
fn draw_flamegraph(maps: &LoadedMaps, path: &Path, err: &mut dyn Write) -> Result<(), RunError> {
    let mut lines = Vec::new();
    for spec in &maps.manifest.maps {
        if let Some(snapshot) = maps.snapshot(spec, err) {
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

/// Signals turned into a readable descriptor, so that the event loop's
/// poll wakes up for them.
pub struct Signals {
    read: UnixStream,
}

impl Signals {
    pub fn new(signals: &[libc::c_int]) -> Result<Signals, RunError> {
        let (read, write) = UnixStream::pair().map_err(|e| RunError::Internal(e.to_string()))?;
        read.set_nonblocking(true).ok();
        for &sig in signals {
            let w = write
                .try_clone()
                .map_err(|e| RunError::Internal(e.to_string()))?;
            signal_hook::low_level::pipe::register(sig, w)
                .map_err(|e| RunError::Internal(e.to_string()))?;
        }
        Ok(Signals { read })
    }

    pub fn fd(&self) -> RawFd {
        self.read.as_raw_fd()
    }

    /// Whether a signal arrived since the last call.
    pub fn take(&self) -> bool {
        use std::io::Read;
        let mut buf = [0u8; 16];
        let mut any = false;
        while matches!((&self.read).read(&mut buf), Ok(n) if n > 0) {
            any = true;
        }
        any
    }
}

/// Waits until one of `fds` is readable or `timeout` passes; says which
/// are readable. Negative descriptors are skipped.
pub fn wait(fds: &[RawFd], timeout: Duration) -> Vec<bool> {
    let mut polled: Vec<libc::pollfd> = fds
        .iter()
        .map(|&fd| libc::pollfd {
            fd,
            events: libc::POLLIN,
            revents: 0,
        })
        .collect();
    // SAFETY: `polled` is a valid array of pollfd for the call's duration.
    unsafe {
        libc::poll(
            polled.as_mut_ptr(),
            polled.len() as libc::nfds_t,
            timeout.as_millis() as i32,
        )
    };
    polled
        .iter()
        .map(|p| p.revents & libc::POLLIN != 0)
        .collect()
}
