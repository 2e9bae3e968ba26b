//! Text output, byte for byte what bpftrace 0.17 prints: printf formatting,
//! `print(value)` and the rendering of maps.

mod hist_text;
mod map_text;
mod printf;
mod sort;

pub use map_text::{render_map, render_value};
pub use printf::format_printf;
