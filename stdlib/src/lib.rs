//! The builtins of rtrace, one file per family.

pub mod value;
