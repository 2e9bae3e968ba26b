//! The rtrace front end: source text in, a checked program out.

pub mod ast;
pub mod diagnostic;
pub mod types;
