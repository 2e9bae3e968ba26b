//! Maps and values as bpftrace 0.17 prints them, for `print(@m)` and the
//! dump at exit.
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

use super::hist_text::{hist_table, lhist_table};
use super::sort::{cxx_sort_by, key_bytes_cmp, sort_by_key};
use rtrace_stdlib::value::{AggValue, MapSnapshot, MapValue, Value};

/// A value as `print(value)` shows it, without the newline: integers in
/// decimal, strings as they are, tuples as `(1, abc)`.
pub fn render_value(value: &Value) -> String {
    match value {
        Value::Int(i) => i.to_string(),
        Value::UInt(u) => u.to_string(),
        Value::Str(s) => s.clone(),
        Value::Tuple(parts) => format!("({})", join(parts.iter().map(render_value))),
    }
}

/// The text of `print(@m, top, div)`, newlines included. `top` keeps the
/// last `top` entries after sorting (the largest), 0 keeps all; `div`
/// divides the values (0 counts as 1). Like bpftrace, lhist ignores `div`
/// and stats ignores both.
pub fn render_map(map: &MapSnapshot, top: usize, div: u64) -> String {
    let div = div.max(1);
    let Some((_, first)) = map.entries.first() else {
        // bpftrace still ends the (empty) map. An empty avg or stats map
        // would get "\n\n", but an empty snapshot does not say which kind
        // of map it is.
        return "\n".to_string();
    };
    match first {
        MapValue::Agg(AggValue::Hist(_) | AggValue::Lhist { .. }) => render_hists(map, top, div),
        MapValue::Agg(AggValue::Avg { .. }) => render_averages(map, top, div, false),
        MapValue::Agg(AggValue::Stats { .. }) => render_averages(map, 0, 1, true),
        _ => render_scalars(map, top, div),
    }
}

/// `@m[key]` or `@m`.
fn entry_name(map: &MapSnapshot, key: &Value) -> String {
    if !map.keyed {
        return map.name.clone();
    }
    let parts = match key {
        Value::Tuple(parts) => join(parts.iter().map(render_value)),
        single => render_value(single),
    };
    format!("{}[{parts}]", map.name)
}

fn join(parts: impl Iterator<Item = String>) -> String {
    parts.collect::<Vec<_>>().join(", ")
}

/// The entries left once `top` drops the smallest.
fn keep_top<T>(entries: &[T], top: usize) -> &[T] {
    if top > 0 && entries.len() > top {
        &entries[entries.len() - top..]
    } else {
        entries
    }
}

/// Entries in `std::map` order of their encoded keys, which is where
/// bpftrace starts from before sorting hist, lhist, avg and stats maps.
fn by_key_bytes(map: &MapSnapshot) -> Vec<&(Value, MapValue)> {
    let mut entries: Vec<_> = map.entries.iter().collect();
    entries.sort_by(|a, b| key_bytes_cmp(&a.0, &b.0));
    entries
}

fn render_hists(map: &MapSnapshot, top: usize, div: u64) -> String {
    let mut entries = by_key_bytes(map);
    let total = |value: &MapValue| match value {
        MapValue::Agg(AggValue::Hist(b) | AggValue::Lhist { buckets: b, .. }) => {
            b.iter().fold(0u64, |sum, &c| sum.wrapping_add(c))
        }
        _ => 0,
    };
    cxx_sort_by(&mut entries, |a, b| total(&a.1) < total(&b.1));
    let mut out = String::new();
    for (key, value) in keep_top(&entries, top) {
        let table = match value {
            MapValue::Agg(AggValue::Hist(buckets)) => hist_table(buckets, div),
            MapValue::Agg(AggValue::Lhist {
                min,
                max,
                step,
                buckets,
            }) => lhist_table(buckets, *min, *max, *step),
            _ => String::new(),
        };
        out.push_str(&format!("{}: \n{table}\n", entry_name(map, key)));
    }
    out
}

/// avg() and stats() entries, sorted by their average.
fn render_averages(map: &MapSnapshot, top: usize, div: u64, stats: bool) -> String {
    let mut entries = by_key_bytes(map);
    let parts = |value: &MapValue| match value {
        MapValue::Agg(AggValue::Avg { count, total } | AggValue::Stats { count, total }) => {
            let count = *count as i64;
            // Integer division, truncating towards zero like C++.
            let average = if count == 0 {
                0
            } else {
                total.wrapping_div(count)
            };
            (count, average, *total)
        }
        _ => (0, 0, 0),
    };
    cxx_sort_by(&mut entries, |a, b| parts(&a.1).1 < parts(&b.1).1);
    let mut out = String::new();
    for (key, value) in keep_top(&entries, top) {
        let (count, average, total) = parts(value);
        let text = if stats {
            format!("count {count}, average {average}, total {total}")
        } else {
            average.wrapping_div(signed(div)).to_string()
        };
        out.push_str(&format!("{}: {text}\n", entry_name(map, key)));
    }
    out.push('\n');
    out
}

/// What count, sum, min, max and plain-integer maps sort by. Plain
/// unsigned values compare as unsigned, everything else as signed.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Number {
    Signed(i64),
    Unsigned(u64),
}

fn number(value: &MapValue) -> Option<Number> {
    Some(match value {
        MapValue::Agg(AggValue::Count(c)) => Number::Unsigned(*c),
        MapValue::Agg(AggValue::Sum(s)) => Number::Signed(*s),
        MapValue::Agg(AggValue::Min(m) | AggValue::Max(m)) => Number::Signed(m.unwrap_or(0)),
        MapValue::Plain(Value::Int(i)) => Number::Signed(*i),
        MapValue::Plain(Value::UInt(u)) => Number::Unsigned(*u),
        _ => return None,
    })
}

fn render_scalars(map: &MapSnapshot, top: usize, div: u64) -> String {
    let mut entries: Vec<_> = map.entries.iter().collect();
    if number(&entries[0].1).is_some() {
        cxx_sort_by(&mut entries, |a, b| number(&a.1) < number(&b.1));
    } else if map.keyed {
        // Strings and tuples have no order of their own: sort by key.
        sort_by_key(&mut entries, |(k, _)| k);
    }
    let mut out = String::new();
    for (key, value) in keep_top(&entries, top) {
        let text = match value {
            MapValue::Plain(v) => render_value(&divide(v, div)),
            MapValue::Agg(_) => match number(value) {
                Some(Number::Signed(n)) => n.wrapping_div(signed(div)).to_string(),
                Some(Number::Unsigned(n)) => (n / div).to_string(),
                None => String::new(),
            },
        };
        out.push_str(&format!("{}: {text}\n", entry_name(map, key)));
    }
    out
}

/// `div` applied to a plain value: integers divide (signed ones with
/// truncation towards zero), tuples element-wise, strings stay as they are.
fn divide(value: &Value, div: u64) -> Value {
    match value {
        Value::Int(i) => Value::Int(i.wrapping_div(signed(div))),
        Value::UInt(u) => Value::UInt(u / div),
        Value::Str(_) => value.clone(),
        Value::Tuple(parts) => Value::Tuple(parts.iter().map(|p| divide(p, div)).collect()),
    }
}

/// The divisor for signed values (bpftrace's is 32 bits, so it always fits).
fn signed(div: u64) -> i64 {
    i64::try_from(div).unwrap_or(i64::MAX)
}

#[cfg(test)]
#[path = "map_text_tests.rs"]
mod tests;
