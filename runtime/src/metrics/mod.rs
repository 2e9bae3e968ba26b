//! `--metrics ADDR`: the script's maps served as Prometheus metrics over
//! HTTP while it runs, read from the kernel at each scrape.
//!
//! The server runs on its own thread with its own duplicates of the map
//! descriptors, so a scrape never waits for the event loop, and the event
//! loop never waits for a slow scraper.

pub mod exposition;
mod server;

use crate::maps;
use crate::symbols::{Decoder, MapFds, Symbols};
use prometheus_client::collector::Collector;
use prometheus_client::encoding::DescriptorEncoder;
use prometheus_client::registry::Registry;
use rtrace_codegen::manifest::Manifest;
use std::collections::HashMap;
use std::fmt;
use std::io;
use std::net::SocketAddr;
use std::os::fd::{AsFd, OwnedFd};

pub use server::CONTENT_TYPE;

/// The user maps of a running session, as a Prometheus collector.
#[derive(Debug)]
pub struct MapsCollector {
    /// For the stack trace maps' names and frame limits.
    manifest: Manifest,
    /// Duplicates of the descriptors of the user maps and the stack trace
    /// maps, by object name.
    fds: Fds,
    cpus: usize,
}

impl MapsCollector {
    pub fn new(manifest: Manifest, fds: HashMap<String, OwnedFd>, cpus: usize) -> MapsCollector {
        MapsCollector {
            manifest,
            fds: Fds(fds),
            cpus,
        }
    }
}

impl Collector for MapsCollector {
    fn encode(&self, mut encoder: DescriptorEncoder) -> fmt::Result {
        // Symbol caches are per scrape: they are the event loop thread's
        // otherwise, and a scrape every few seconds reads little.
        let symbols = Symbols::new();
        let decoder = Decoder::new(&symbols, &self.manifest, &self.fds);
        for spec in &self.manifest.maps {
            let Some(fd) = self.fds.0.get(&spec.object_name) else {
                continue;
            };
            // A map that cannot be read now is left out of this scrape,
            // not turned into a failed scrape for every other map.
            if let Ok(snapshot) = maps::snapshot(spec, fd.as_fd(), self.cpus, &decoder) {
                exposition::encode_map(&snapshot, &mut encoder)?;
            }
        }
        Ok(())
    }
}

/// The duplicated descriptors, by object name.
#[derive(Debug)]
struct Fds(HashMap<String, OwnedFd>);

impl MapFds for Fds {
    fn map_fd(&self, object_name: &str) -> Option<std::os::fd::BorrowedFd<'_>> {
        self.0.get(object_name).map(|fd| fd.as_fd())
    }
}

/// The whole text of one scrape.
pub fn render(registry: &Registry) -> String {
    let mut text = String::new();
    // Writing into a String cannot fail; a collector's error leaves what
    // was written so far.
    let _ = prometheus_client::encoding::prometheus_text::encode(&mut text, registry);
    text
}

/// Starts serving `collector` on `addr` (port 0 picks a free port) and
/// returns the address it listens on.
pub fn serve(addr: SocketAddr, collector: MapsCollector) -> io::Result<SocketAddr> {
    let mut registry = Registry::default();
    registry.register_collector(Box::new(collector));
    server::start(addr, registry)
}
