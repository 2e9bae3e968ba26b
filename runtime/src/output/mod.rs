//! Text output, identical to bpftrace's: printf formatting and the
//! rendering of maps and values.

mod hist_text;
mod map_text;
mod printf;

pub use map_text::{render_map, render_value};
pub use printf::format_printf;
