//! Everything the traced program prints, byte for byte what bpftrace 0.17
//! prints: printf formatting, `print(value)`, maps, and the session's own
//! records (attached probes, lost events).
//!
//! [`Output`] decides what gets printed; a [`Backend`] decides how: text
//! for people ([`text`]) or one JSON object per line for programs
//! ([`json`]). Maps reach both as the same [`view::MapView`].

pub mod folded;
mod hist_text;
pub mod json;
mod map_text;
mod printf;
mod sink;
mod sort;
pub mod stack_text;
pub mod text;
pub mod view;

#[cfg(test)]
mod test_maps;

pub use map_text::{render_map, render_value};
pub use printf::format_printf;
pub use sink::{Backend, Format, Output};
