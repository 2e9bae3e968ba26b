//! The type checker: resolves attach points against the kernel, types every
//! expression, infers map and variable types, and rejects what the kernel
//! would reject. Its results live in side tables keyed by `ExprId`; codegen
//! reports no user errors.

mod args;
pub mod builtins;
mod expr;
pub use expr::parse_int;
mod kernel_function;
mod memory;
mod pointer_arithmetic;
pub use kernel_function::{equivalent_tracepoint, trampoline_format as kernel_function_format};
mod probe;
mod tuple;

use crate::ast::{ExprId, Program, Span};
use crate::diagnostic::Diagnostics;
use crate::kernel::KernelInfo;
use crate::memory::{KernelLayout, MemoryRead};
use crate::probes::Attach;
use crate::tracepoint::TracepointFormat;
use crate::types::{AggKind, Type};
use builtins::Builtins;
use indexmap::IndexMap;
use std::collections::HashMap;
use std::rc::Rc;

/// Everything the checker needs from outside the source text.
pub struct CheckEnv<'a> {
    pub kernel: &'a dyn KernelInfo,
    pub builtins: &'a dyn Builtins,
    /// Positional parameters `$1`, `$2`, ... as given on the command line.
    pub params: &'a [String],
    /// `-p PID`: user-space targets are looked up in this process first.
    pub pid: Option<u32>,
    pub config: &'a crate::config::Config,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Checked {
    /// The type of every expression, indexed by `ExprId`.
    pub types: Vec<Type>,
    /// How each access through a kernel type (`p->f`, `a[i]`, `*p`)
    /// reads memory, by expression.
    pub memory: HashMap<ExprId, MemoryRead>,
    /// Expressions with a value known when checking: `sizeof`,
    /// `offsetof`, enum constants.
    pub constants: HashMap<ExprId, i64>,
    /// Pointer arithmetic (`p + n`, `n + p`, `p - n`): the bytes one step
    /// of `n` moves, the size of what `p` points to.
    pub pointer_steps: HashMap<ExprId, u32>,
    /// Kernel structure offsets builtins were compiled against.
    pub layout: KernelLayout,
    pub maps: IndexMap<String, MapInfo>,
    /// One per source probe, in source order.
    pub probes: Vec<CheckedProbe>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct CheckedProbe {
    pub attaches: Vec<CheckedAttach>,
    /// Scratch variables with their (widest) types.
    pub vars: IndexMap<String, Type>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct CheckedAttach {
    pub attach: Attach,
    /// The fields `args.NAME` reads: a tracepoint's format, or a kernel
    /// function's arguments typed from BTF.
    pub format: Option<Rc<TracepointFormat>>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct MapInfo {
    /// Without the `@`; empty for `@`.
    pub name: String,
    /// `None` for a map written without keys (`@x`).
    pub keys: Option<Vec<Type>>,
    pub value: MapValueType,
    /// Where the map's value kind was first decided.
    pub span: Span,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MapValueType {
    Agg(AggKind),
    Plain(Type),
}

impl MapValueType {
    pub fn as_type(self) -> Type {
        match self {
            MapValueType::Agg(kind) => Type::Agg(kind),
            MapValueType::Plain(t) => t,
        }
    }
}

impl MapInfo {
    pub fn display_name(&self) -> String {
        format!("@{}", self.name)
    }
}

/// Checks a parsed program.
pub fn check(program: &Program, env: &CheckEnv) -> Result<Checked, Diagnostics> {
    check_with_maps(program, env, &IndexMap::new())
}

/// Checks a program that shares maps with programs checked before it (the
/// REPL's earlier entries): `earlier` are their maps, which the program may
/// read and update but not retype, since their kernel maps exist already.
/// The result's maps start with `earlier`, in the same order.
pub fn check_with_maps(
    program: &Program,
    env: &CheckEnv,
    earlier: &IndexMap<String, MapInfo>,
) -> Result<Checked, Diagnostics> {
    let attaches = probe::resolve_all(program, env)?;
    // Map and variable types are decided by assignments that may come after
    // a use (an END block printing a map filled by a tracepoint). A first
    // silent round learns them; the second round checks with them known.
    let mut state = expr::State::new(program.expr_count as usize, earlier);
    for _ in 0..2 {
        state.reset_round();
        expr::check_program(program, &attaches, env, &mut state);
    }
    state.finish_round();
    if !state.diagnostics.is_empty() {
        return Err(dedup(state.diagnostics));
    }
    let probes = attaches
        .into_iter()
        .zip(state.vars)
        .map(|(attaches, vars)| CheckedProbe { attaches, vars })
        .collect();
    let layout = state.layout.borrow().clone();
    Ok(Checked {
        types: state.types,
        memory: state.memory,
        constants: state.constants,
        pointer_steps: state.pointer_steps,
        layout,
        maps: state.maps,
        probes,
    })
}

fn dedup(mut diagnostics: Diagnostics) -> Diagnostics {
    let mut seen = std::collections::HashSet::new();
    diagnostics.retain(|d| seen.insert((d.span, d.message.clone())));
    diagnostics.sort_by_key(|d| d.span.start);
    diagnostics
}

#[cfg(test)]
mod tests;
