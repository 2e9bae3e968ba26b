//! Turning addresses into names, in user space: kernel addresses through
//! `/proc/kallsyms` (read once, binary-searched), user addresses through
//! the process's memory map and the ELF and DWARF symbols of the mapped
//! file (blazesym, which keeps each binary it has parsed). Stacks come out
//! of their stack trace maps here too.

mod process;

use crate::sys;
use blazesym::symbolize::source::{Elf, Source};
use blazesym::symbolize::{Input, Symbolized, Symbolizer};
use process::Mapping;
use rtrace_binary::Kallsyms;
use rtrace_codegen::manifest::Manifest;
use rtrace_lang::types::StackType;
use rtrace_stdlib::value::{Frame, Stack, Symbol};
use std::cell::RefCell;
use std::collections::HashMap;
use std::os::fd::BorrowedFd;
use std::rc::Rc;

/// The symbol caches of one session.
pub struct Symbols {
    /// Memory maps of the processes seen, by pid, kept after they exit.
    processes: RefCell<HashMap<u32, Rc<Vec<Mapping>>>>,
    elf: Symbolizer,
}

impl Default for Symbols {
    fn default() -> Self {
        Symbols::new()
    }
}

impl Symbols {
    pub fn new() -> Symbols {
        Symbols {
            processes: RefCell::default(),
            elf: Symbolizer::builder()
                .enable_code_info(false)
                .enable_inlined_fns(false)
                .build(),
        }
    }

    /// Keeps the memory map of a process the program has just seen, while
    /// it still lives.
    pub fn remember_process(&self, pid: u32) {
        if self.processes.borrow().contains_key(&pid) {
            return;
        }
        if let Some(mappings) = process::read(pid) {
            self.processes.borrow_mut().insert(pid, Rc::new(mappings));
        }
    }

    /// The mapping that holds `address` in process `pid`: from the map
    /// kept, or, when that does not have it (a library loaded since), from
    /// the live process.
    fn mapping(&self, pid: u32, address: u64) -> Option<Mapping> {
        let kept = self.processes.borrow().get(&pid).cloned();
        if let Some(m) = kept.as_ref().and_then(|m| process::find(m, address)) {
            return Some(m.clone());
        }
        let fresh = Rc::new(process::read(pid)?);
        let found = process::find(&fresh, address).cloned();
        self.processes.borrow_mut().insert(pid, fresh);
        found
    }

    pub fn kernel_frame(&self, address: u64) -> Frame {
        match Kallsyms::system().resolve(address) {
            Some(r) => Frame {
                address,
                function: Some(r.symbol.name.clone()),
                offset: r.offset,
                module: None,
            },
            None => unknown(address),
        }
    }

    pub fn user_frame(&self, address: u64, pid: u32) -> Frame {
        let Some(mapping) = self.mapping(pid, address) else {
            return unknown(address);
        };
        let file_offset = address - mapping.start + mapping.file_offset;
        // The ELF symbol tables, as bcc (and so bpftrace) reads them: the
        // DWARF of a separate debug file names functions differently
        // (`__GI_getppid` for libc's `getppid`).
        let mut elf = Elf::new(&mapping.path);
        elf.debug_syms = false;
        let source = Source::Elf(elf);
        match self
            .elf
            .symbolize_single(&source, Input::FileOffset(file_offset))
        {
            Ok(Symbolized::Sym(sym)) => Frame {
                address,
                function: Some(sym.name.into_owned()),
                offset: sym.offset as u64,
                module: Some(mapping.path.display().to_string()),
            },
            _ => unknown(address),
        }
    }

    /// `ksym(addr)` and `usym(addr)`: the function's name, without offset.
    pub fn symbol(&self, address: u64, pid: Option<u32>) -> Symbol {
        let frame = match pid {
            Some(pid) => self.user_frame(address, pid),
            None => self.kernel_frame(address),
        };
        Symbol {
            address,
            // As C++ streams a `void *`: a null pointer is a bare 0.
            text: frame.function.unwrap_or_else(|| match address {
                0 => "0".into(),
                _ => format!("{address:#x}"),
            }),
        }
    }
}

fn unknown(address: u64) -> Frame {
    Frame {
        address,
        function: None,
        offset: 0,
        module: None,
    }
}

/// Where a decoder finds the stack trace maps' descriptors, by object name.
pub trait MapFds {
    fn map_fd(&self, object_name: &str) -> Option<BorrowedFd<'_>>;
}

/// For values without stacks.
struct NoMaps;

impl MapFds for NoMaps {
    fn map_fd(&self, _: &str) -> Option<BorrowedFd<'_>> {
        None
    }
}

/// What decoding stack and symbol values needs: the symbol caches and the
/// stack trace maps. Cheap to make (no allocation): one is made per event.
pub struct Decoder<'a> {
    pub symbols: &'a Symbols,
    manifest: Option<&'a Manifest>,
    fds: &'a dyn MapFds,
}

impl<'a> Decoder<'a> {
    pub fn new(symbols: &'a Symbols, manifest: &'a Manifest, fds: &'a dyn MapFds) -> Decoder<'a> {
        Decoder {
            symbols,
            manifest: Some(manifest),
            fds,
        }
    }

    /// A decoder for values without stacks (tests, and maps read without a
    /// session).
    pub fn without_stacks(symbols: &'a Symbols) -> Decoder<'a> {
        Decoder {
            symbols,
            manifest: None,
            fds: &NoMaps,
        }
    }

    /// The stack trace map of stacks of up to `limit` frames.
    fn stack_map(&self, limit: u16) -> Option<BorrowedFd<'a>> {
        let spec = self
            .manifest?
            .stack_maps
            .iter()
            .find(|m| m.limit == limit)?;
        self.fds.map_fd(&spec.object_name)
    }

    /// Reads and symbolizes the stack a program stored as `key`.
    pub fn stack(&self, key: u64, ty: StackType) -> Stack {
        let id = key as u32;
        let pid = (key >> 32) as u32;
        let mut stack = Stack {
            key,
            user: ty.user,
            mode: ty.mode,
            found: false,
            frames: Vec::new(),
        };
        // A negative id is bpf_get_stackid's error: no stack to show.
        if (id as i32) < 0 {
            return stack;
        }
        let Some(fd) = self.stack_map(ty.limit) else {
            return stack;
        };
        let mut frames = vec![0u8; usize::from(ty.limit) * 8];
        if !matches!(sys::lookup(fd, &id.to_le_bytes(), &mut frames), Ok(true)) {
            return stack;
        }
        stack.found = true;
        stack.frames = frames
            .chunks(8)
            .map(|c| u64::from_le_bytes(c.try_into().expect("8 bytes")))
            .take_while(|&a| a != 0)
            .map(|address| match (ty.mode, ty.user) {
                (rtrace_lang::types::StackMode::Raw, _) => unknown(address),
                (_, true) => self.symbols.user_frame(address, pid),
                (_, false) => self.symbols.kernel_frame(address),
            })
            .collect();
        stack
    }
}
