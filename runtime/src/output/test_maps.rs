//! Map snapshots for the output tests, built the way the kernel side
//! fills them.

use rtrace_stdlib::value::{AggValue, MapSnapshot, MapValue, Value};

pub fn map(name: &str, keyed: bool, entries: Vec<(Value, MapValue)>) -> MapSnapshot {
    MapSnapshot {
        name: name.to_string(),
        keyed,
        entries,
    }
}

pub fn scalar(name: &str, value: MapValue) -> MapSnapshot {
    map(name, false, vec![(Value::Int(0), value)])
}

pub fn int(i: i64) -> Value {
    Value::Int(i)
}

pub fn s(text: &str) -> Value {
    Value::Str(text.to_string())
}

pub fn tuple(parts: Vec<Value>) -> Value {
    Value::Tuple(parts)
}

pub fn count(c: u64) -> MapValue {
    MapValue::Agg(AggValue::Count(c))
}

pub fn agg(a: AggValue) -> MapValue {
    MapValue::Agg(a)
}

pub fn plain(v: Value) -> MapValue {
    MapValue::Plain(v)
}

/// The buckets `hist()` fills for these values.
pub fn hist(values: &[i64]) -> MapValue {
    let mut buckets = vec![0u64; 66];
    for &v in values {
        let i = match v {
            ..=-1 => 0,
            0 => 1,
            _ => 2 + (63 - v.leading_zeros()) as usize,
        };
        buckets[i] += 1;
    }
    agg(AggValue::Hist(buckets))
}

/// The buckets `lhist(v, min, max, step)` fills.
pub fn lhist(values: &[i64], min: i64, max: i64, step: i64) -> MapValue {
    let last = ((max - min) / step + 1) as usize;
    let mut buckets = vec![0u64; last + 1];
    for &v in values {
        let i = if v < min {
            0
        } else {
            (1 + ((v - min) / step) as usize).min(last)
        };
        buckets[i] += 1;
    }
    agg(AggValue::Lhist {
        min,
        max,
        step,
        buckets,
    })
}

pub fn avg(values: &[i64]) -> MapValue {
    agg(AggValue::Avg {
        count: values.len() as u64,
        total: values.iter().sum(),
    })
}

pub fn stats(values: &[i64]) -> MapValue {
    agg(AggValue::Stats {
        count: values.len() as u64,
        total: values.iter().sum(),
    })
}
