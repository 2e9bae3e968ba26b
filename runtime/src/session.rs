//! One tracing session: load the object, run BEGIN, attach, stream events
//! until exit or a signal, detach, run END, print the maps.

use crate::attach;
use crate::errors::RunError;
use crate::events::Dispatch;
use crate::loaded::{LoadOptions, Loaded};
use crate::output::Output;
use rtrace_codegen::lower::Compiled;
use rtrace_lang::probes::Attach;
use std::collections::HashMap;
use std::io::Write;
use std::net::SocketAddr;
use std::os::fd::{AsRawFd, RawFd};
use std::os::unix::net::UnixStream;
use std::time::Duration;

pub struct SessionOptions {
    /// Print per-program verifier statistics after loading.
    pub verbose: bool,
    /// `-p PID`: user-space probes fire in this process only.
    pub pid: Option<u32>,
    /// `--metrics ADDR`: serve the maps as Prometheus metrics there.
    pub metrics: Option<SocketAddr>,
}

pub struct Session<'c> {
    compiled: &'c Compiled,
    pid: Option<u32>,
    metrics: Option<SocketAddr>,
    loaded: Loaded,
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
        let loaded = Loaded::load(compiled, &load_options, HashMap::new(), err)?;
        Ok(Session {
            compiled,
            pid: options.pid,
            metrics: options.metrics,
            loaded,
        })
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

        // With -p, the session ends when the traced process does.
        let target = self.pid.and_then(|pid| crate::sys::pidfd_open(pid).ok());
        let loaded = &mut self.loaded;
        loaded.run_special(&Attach::Begin)?;
        let mut stop = loaded.drain(out, err) == Dispatch::Exit;
        if !stop {
            loaded.attach(self.pid)?;
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
        loaded.report_problems(err);
        out.flush();
        Ok(())
    }

    /// Starts the metrics server over duplicates of the user maps'
    /// descriptors, before BEGIN so that its maps are visible too.
    fn serve_metrics(&self, addr: SocketAddr, err: &mut dyn Write) -> Result<(), RunError> {
        let mut maps = Vec::new();
        for spec in &self.compiled.manifest.maps {
            if let Some(fd) = self.loaded.map_fd(spec) {
                maps.push((spec.clone(), fd));
            }
        }
        let collector = crate::metrics::MapsCollector::new(maps, self.loaded.maps.cpus());
        let bound =
            crate::metrics::serve(addr, collector).map_err(|e| RunError::Metrics(addr, e))?;
        let _ = writeln!(err, "Serving metrics on http://{bound}/metrics");
        Ok(())
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
