//! How a map looks as Prometheus metrics: one metric family per map, one
//! series per key, map keys as labels.
//!
//! | map value | metric type |
//! | --- | --- |
//! | count(), sum() | counter (`_total`) |
//! | min(), max(), avg(), plain integers | gauge |
//! | stats() | `_count` and `_sum` counters, `_avg` gauge |
//! | hist(), lhist() | histogram, with bucket bounds as printed |
//! | plain strings | gauge 1 with the string as the `value` label |

use prometheus_client::encoding::{DescriptorEncoder, MetricEncoder};
use prometheus_client::metrics::exemplar::Exemplar;
use prometheus_client::metrics::MetricType;
use rtrace_stdlib::value::{AggValue, MapSnapshot, MapValue, Value};
use std::fmt;

/// The labels of one series.
type Labels = Vec<(String, String)>;

/// `@` -> `rtrace_map`, `@bytes` -> `rtrace_bytes`. Map names are letters,
/// digits and `_` already, so they need no escaping.
pub fn metric_name(map: &str) -> String {
    match map.trim_start_matches('@') {
        "" => "rtrace_map".to_string(),
        name => format!("rtrace_{name}"),
    }
}

/// A single key is the label `key`; the parts of `@m[a, b]` are `key0`,
/// `key1`, ...; a map without keys has no label.
fn key_labels(snapshot: &MapSnapshot, key: &Value) -> Labels {
    if !snapshot.keyed {
        return Vec::new();
    }
    match key {
        Value::Tuple(parts) => parts
            .iter()
            .enumerate()
            .map(|(i, part)| (format!("key{i}"), label_text(part)))
            .collect(),
        single => vec![("key".to_string(), label_text(single))],
    }
}

fn label_text(value: &Value) -> String {
    match value {
        Value::Int(v) => v.to_string(),
        Value::UInt(v) => v.to_string(),
        Value::Str(s) => s.clone(),
        Value::Tuple(parts) => {
            let parts: Vec<String> = parts.iter().map(label_text).collect();
            format!("({})", parts.join(", "))
        }
        // Folded, as flame graph tools take stacks: outermost frame first.
        Value::Stack(stack) => {
            let frames: Vec<String> = stack
                .frames
                .iter()
                .rev()
                .map(|frame| {
                    frame
                        .function
                        .clone()
                        .unwrap_or_else(|| format!("{:#x}", frame.address))
                })
                .collect();
            frames.join(";")
        }
        Value::Sym(symbol) => symbol.text.clone(),
    }
}

/// Writes the families of one map. A map without entries writes nothing:
/// its type is only known from a value.
pub fn encode_map(snapshot: &MapSnapshot, encoder: &mut DescriptorEncoder) -> fmt::Result {
    let Some((_, first)) = snapshot.entries.first() else {
        return Ok(());
    };
    let name = metric_name(&snapshot.name);
    let help = format!("rtrace map {}", snapshot.name);
    match first {
        MapValue::Agg(AggValue::Stats { .. }) => encode_stats(snapshot, &name, &help, encoder),
        MapValue::Plain(Value::Str(_) | Value::Tuple(_)) => {
            encode_texts(snapshot, &name, &help, encoder)
        }
        first => {
            let kind = metric_type(first);
            encode_entries(snapshot, &name, &help, kind, encoder, encode_value)
        }
    }
}

fn metric_type(value: &MapValue) -> MetricType {
    match value {
        MapValue::Agg(AggValue::Count(_) | AggValue::Sum(_)) => MetricType::Counter,
        MapValue::Agg(AggValue::Hist(_) | AggValue::Lhist { .. }) => MetricType::Histogram,
        _ => MetricType::Gauge,
    }
}

/// Strings (and tuples) are no numbers: each is a series of value 1 with
/// the text as its `value` label, as info-style metrics are.
fn encode_texts(
    snapshot: &MapSnapshot,
    name: &str,
    help: &str,
    encoder: &mut DescriptorEncoder,
) -> fmt::Result {
    let mut family = encoder.encode_descriptor(name, help, None, MetricType::Gauge)?;
    for (key, value) in &snapshot.entries {
        let MapValue::Plain(value) = value else {
            return Err(fmt::Error);
        };
        let mut labels = key_labels(snapshot, key);
        labels.push(("value".to_string(), label_text(value)));
        family.encode_family(&labels)?.encode_gauge(&1i64)?;
    }
    Ok(())
}

/// One family: a descriptor, then each entry through `encode_one` with the
/// entry's key labels already applied.
fn encode_entries(
    snapshot: &MapSnapshot,
    name: &str,
    help: &str,
    kind: MetricType,
    encoder: &mut DescriptorEncoder,
    encode_one: impl Fn(&mut MetricEncoder, &MapValue) -> fmt::Result,
) -> fmt::Result {
    let mut family = encoder.encode_descriptor(name, help, None, kind)?;
    for (key, value) in &snapshot.entries {
        let labels = key_labels(snapshot, key);
        let mut series = family.encode_family(&labels)?;
        encode_one(&mut series, value)?;
    }
    Ok(())
}

fn no_exemplar() -> Option<&'static Exemplar<Labels, f64>> {
    None
}

fn encode_value(series: &mut MetricEncoder, value: &MapValue) -> fmt::Result {
    match value {
        MapValue::Agg(AggValue::Count(n)) => series.encode_counter(n, no_exemplar()),
        MapValue::Agg(AggValue::Sum(total)) => {
            series.encode_counter(&(*total as f64), no_exemplar())
        }
        MapValue::Agg(AggValue::Min(v) | AggValue::Max(v)) => match v {
            Some(v) => series.encode_gauge(v),
            None => series.encode_gauge(&f64::NAN),
        },
        MapValue::Agg(AggValue::Avg { count, total }) => {
            // Truncated towards zero, as printed.
            let average = if *count == 0 {
                0
            } else {
                total / *count as i64
            };
            series.encode_gauge(&average)
        }
        MapValue::Agg(AggValue::Hist(buckets)) => {
            encode_histogram(series, &power_of_two_bounds(buckets))
        }
        MapValue::Agg(AggValue::Lhist {
            min, step, buckets, ..
        }) => encode_histogram(series, &linear_bounds(*min, *step, buckets)),
        MapValue::Agg(AggValue::Stats { .. }) => Err(fmt::Error),
        MapValue::Plain(Value::Int(v)) => series.encode_gauge(v),
        MapValue::Plain(Value::UInt(v)) => series.encode_gauge(v),
        MapValue::Plain(_) => Err(fmt::Error),
    }
}

/// hist() buckets with their inclusive upper bounds: index 0 counts
/// negative values (`le="-1"`), 1 counts 0, `i >= 2` counts
/// `[2^(i-2), 2^(i-1))`.
fn power_of_two_bounds(buckets: &[u64]) -> Vec<(f64, u64)> {
    buckets
        .iter()
        .enumerate()
        .map(|(i, &count)| {
            let le = match i {
                0 => -1.0,
                1 => 0.0,
                _ => 2f64.powi(i as i32 - 1) - 1.0,
            };
            (le, count)
        })
        .collect()
}

/// lhist() buckets: index 0 counts values below `min`, `i` counts
/// `[min + (i-1)*step, min + i*step)`, the last one the rest (`+Inf`).
fn linear_bounds(min: i64, step: i64, buckets: &[u64]) -> Vec<(f64, u64)> {
    let last = buckets.len().saturating_sub(1);
    buckets
        .iter()
        .enumerate()
        .map(|(i, &count)| {
            let le = if i == last {
                f64::INFINITY
            } else {
                (min + i as i64 * step - 1) as f64
            };
            (le, count)
        })
        .collect()
}

/// hist() and lhist() count values but do not add them up: the sum a
/// Prometheus histogram carries is unknown, and said so with NaN.
fn encode_histogram(series: &mut MetricEncoder, buckets: &[(f64, u64)]) -> fmt::Result {
    let count = buckets.iter().map(|(_, n)| n).sum();
    series.encode_histogram::<Labels>(f64::NAN, count, buckets, None)
}

/// stats(): the count and the total as counters, the average as a gauge.
fn encode_stats(
    snapshot: &MapSnapshot,
    name: &str,
    help: &str,
    encoder: &mut DescriptorEncoder,
) -> fmt::Result {
    let parts = |value: &MapValue| match value {
        MapValue::Agg(AggValue::Stats { count, total }) => Ok((*count, *total)),
        _ => Err(fmt::Error),
    };
    let count_name = format!("{name}_count");
    encode_entries(
        snapshot,
        &count_name,
        help,
        MetricType::Counter,
        encoder,
        |e, v| e.encode_counter(&parts(v)?.0, no_exemplar()),
    )?;
    let sum_name = format!("{name}_sum");
    encode_entries(
        snapshot,
        &sum_name,
        help,
        MetricType::Counter,
        encoder,
        |e, v| e.encode_counter(&(parts(v)?.1 as f64), no_exemplar()),
    )?;
    let avg_name = format!("{name}_avg");
    encode_entries(
        snapshot,
        &avg_name,
        help,
        MetricType::Gauge,
        encoder,
        |e, v| {
            let (count, total) = parts(v)?;
            let average = if count == 0 { 0 } else { total / count as i64 };
            e.encode_gauge(&average)
        },
    )
}

#[cfg(test)]
#[path = "exposition_tests.rs"]
mod tests;
