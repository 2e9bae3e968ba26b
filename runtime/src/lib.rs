//! The rtrace runtime: loads the compiled object, attaches probes, runs the
//! event loop and prints results.

pub mod attach;
pub mod child;
pub mod decode;
pub mod errors;
pub mod events;
pub mod kernel_functions;
pub mod maps;
pub mod output;
pub mod session;
pub mod sys;
pub mod tracefs;
