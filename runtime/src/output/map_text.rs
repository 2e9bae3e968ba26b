//! Maps and values as bpftrace 0.17 prints them in text, for `print(@m)`
//! and the dump at exit.
//!
//! The shape depends on the value kind:
//! - count, sum, min, max and plain values: one `@m[key]: value` line per
//!   entry and nothing after the last one;
//! - avg and stats: the same lines followed by one blank line;
//! - hist and lhist: `@m[key]: ` (trailing space), the bucket table, and a
//!   blank line after every entry.
//!
//! Keys print as `[a, b]` with strings unquoted; a map without keys prints
//! just its name.

use super::hist_text::histogram_table;
use super::stack_text::{render_stack, KEY_INDENT, VALUE_INDENT};
use super::view::{map_view, Entries, MapView};
use rtrace_stdlib::value::{MapSnapshot, Value};

/// A value as `print(value)` shows it, without the newline: integers in
/// decimal, strings as they are, tuples as `(1, abc)`.
pub fn render_value(value: &Value) -> String {
    match value {
        Value::Int(i) => i.to_string(),
        Value::UInt(u) => u.to_string(),
        Value::Str(s) => s.clone(),
        Value::Tuple(parts) => format!("({})", join(parts.iter().map(render_value))),
        Value::Stack(stack) => render_stack(stack, VALUE_INDENT),
        Value::Sym(symbol) => symbol.text.clone(),
    }
}

/// A key part as a map key shows it: as [`render_value`], but stacks
/// indented less.
pub fn render_key_part(value: &Value) -> String {
    match value {
        Value::Stack(stack) => render_stack(stack, KEY_INDENT),
        other => render_value(other),
    }
}

/// The text of `print(@m, top, div)`, newlines included. `top` keeps the
/// last `top` entries after sorting (the largest), 0 keeps all; `div`
/// divides the values (0 counts as 1). Like bpftrace, lhist ignores `div`
/// and stats ignores both.
pub fn render_map(map: &MapSnapshot, top: usize, div: u64) -> String {
    match map_view(map, top, div) {
        Some(view) => render_view(&view),
        // bpftrace still ends the (empty) map. An empty avg or stats map
        // would get "\n\n", but an empty snapshot does not say which kind
        // of map it is.
        None => "\n".to_string(),
    }
}

/// The text of a map view, newlines included.
pub fn render_view(view: &MapView) -> String {
    let mut out = String::new();
    match &view.entries {
        Entries::Values(entries) => {
            // Stacks and symbols are not followed by a newline: a stack
            // ends with one, and bpftrace prints symbol values back to
            // back, ending the map with the one newline.
            let mut ends_line = false;
            for (key, value) in entries {
                out.push_str(&format!(
                    "{}: {}",
                    entry_name(view, key),
                    render_value(value)
                ));
                ends_line = matches!(value, Value::Stack(_) | Value::Sym(_));
                if !ends_line {
                    out.push('\n');
                }
            }
            if ends_line {
                out.push('\n');
            }
        }
        Entries::Averages(entries) => {
            for (key, average) in entries {
                out.push_str(&format!("{}: {average}\n", entry_name(view, key)));
            }
            out.push('\n');
        }
        Entries::Stats(entries) => {
            for (key, s) in entries {
                out.push_str(&format!(
                    "{}: count {}, average {}, total {}\n",
                    entry_name(view, key),
                    s.count,
                    s.average,
                    s.total
                ));
            }
            out.push('\n');
        }
        Entries::Histograms(entries) => {
            for (key, histogram) in entries {
                out.push_str(&format!(
                    "{}: \n{}\n",
                    entry_name(view, key),
                    histogram_table(histogram)
                ));
            }
        }
    }
    out
}

/// `@m[key]` or `@m`.
fn entry_name(view: &MapView, key: &Value) -> String {
    if !view.keyed {
        return view.name.to_string();
    }
    let parts = match key {
        Value::Tuple(parts) => join(parts.iter().map(render_key_part)),
        single => render_key_part(single),
    };
    format!("{}[{parts}]", view.name)
}

fn join(parts: impl Iterator<Item = String>) -> String {
    parts.collect::<Vec<_>>().join(", ")
}

#[cfg(test)]
#[path = "map_text_tests.rs"]
mod tests;
