//! `--metrics ADDR`: the script's maps served as Prometheus metrics over
//! HTTP while it runs, read from the kernel at each scrape.
//!
//! The server runs on its own thread with its own duplicates of the map
//! descriptors, so a scrape never waits for the event loop, and the event
//! loop never waits for a slow scraper.

pub mod exposition;
mod server;

use crate::maps;
use prometheus_client::collector::Collector;
use prometheus_client::encoding::DescriptorEncoder;
use prometheus_client::registry::Registry;
use rtrace_codegen::manifest::MapSpec;
use std::fmt;
use std::io;
use std::net::SocketAddr;
use std::os::fd::{AsFd, OwnedFd};

pub use server::CONTENT_TYPE;

/// The user maps of a running session, as a Prometheus collector.
#[derive(Debug)]
pub struct MapsCollector {
    maps: Vec<(MapSpec, OwnedFd)>,
    cpus: usize,
}

impl MapsCollector {
    pub fn new(maps: Vec<(MapSpec, OwnedFd)>, cpus: usize) -> MapsCollector {
        MapsCollector { maps, cpus }
    }
}

impl Collector for MapsCollector {
    fn encode(&self, mut encoder: DescriptorEncoder) -> fmt::Result {
        for (spec, fd) in &self.maps {
            // A map that cannot be read now is left out of this scrape,
            // not turned into a failed scrape for every other map.
            if let Ok(snapshot) = maps::snapshot(spec, fd.as_fd(), self.cpus) {
                exposition::encode_map(&snapshot, &mut encoder)?;
            }
        }
        Ok(())
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
