//! The rtrace back end: typed programs in, a loadable ELF object out.

pub mod asm;
pub mod frame;
pub mod lower;
pub mod manifest;
pub mod object;
