//! The rtrace runtime: loads the compiled object, attaches probes, runs the
//! event loop and prints results.

pub mod attach;
pub mod child;
pub mod decode;
pub mod errors;
pub mod events;
pub mod flamegraph;
pub mod kernel_functions;
pub mod live;
pub mod loaded;
pub mod maps;
pub mod metrics;
pub mod output;
pub mod session;
pub mod symbols;
pub mod sys;
pub mod tracefs;
