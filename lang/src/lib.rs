//! The rtrace front end: source text in, a checked program out.

pub mod ast;
pub mod btf;
pub mod check;
pub mod config;
pub mod diagnostic;
pub mod format;
pub mod kernel;
pub mod lexer;
pub mod memory;
pub mod parser;
pub mod probes;
pub mod pt_regs;
pub mod tracepoint;
pub mod types;

pub use parser::parse;
