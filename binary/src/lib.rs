//! User-space binaries as rtrace sees them: where a uprobe target lives
//! (a path, a program in `PATH`, a library in the dynamic linker's cache or
//! in a process's mappings), which functions it defines and where they are
//! in the file, and the USDT probes its `.note.stapsdt` notes describe.
//!
//! Everything here reads ordinary files and makes no other system call, so
//! it is tested on any machine, without root.

pub mod elf;
pub mod kallsyms;
pub mod ld_cache;
pub mod resolve;
pub mod usdt;
pub mod usdt_args;

pub use elf::{Binary, BinaryError, Function};
pub use kallsyms::Kallsyms;
pub use resolve::{resolve, ResolveError};
pub use usdt::UsdtProbe;
pub use usdt_args::{ArgLocation, GpReg, Register, UsdtArg};
