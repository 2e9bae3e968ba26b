//! The JSON back end: one object per line, `{"type": ..., "data": ...}`,
//! in the schema and spacing of bpftrace 0.17's `-f json`, so that the
//! programs that read bpftrace's output read rtrace's:
//!
//! ```text
//! {"type": "attached_probes", "data": {"probes": 1}}
//! {"type": "printf", "data": "hello\n"}
//! {"type": "value", "data": [1,"a"]}
//! {"type": "map", "data": {"@m": {"1,a": 5, "2,b": 3}}}
//! {"type": "stats", "data": {"@s": {"count": 2, "average": 15, "total": 30}}}
//! {"type": "hist", "data": {"@h": [{"max": -1, "count": 1}, {"min": 0, "max": 0, "count": 2}]}}
//! {"type": "lost_events", "data": {"events": 12}}
//! ```
//!
//! Where bpftrace's JSON is wrong, rtrace's is right instead: strings are
//! UTF-8 (bpftrace escapes each byte above 0x7f as `\uffffffXX`), bucket
//! bounds of 2^31 and above are exact (bpftrace computes them in 32 bits),
//! and nothing but JSON objects is printed (bpftrace prints two empty lines
//! before the maps at exit).

use super::map_text::{render_key_part, render_value};
use super::sink::Backend;
use super::view::{Bucket, Entries, MapView, Stats};
use rtrace_stdlib::value::Value;
use serde::ser::{Error as _, SerializeMap, SerializeSeq};
use serde::{Serialize, Serializer};
use serde_json::ser::Formatter;
use std::io::{self, Write};

pub struct JsonBackend<W: Write> {
    out: W,
}

impl<W: Write> JsonBackend<W> {
    pub fn new(out: W) -> JsonBackend<W> {
        JsonBackend { out }
    }

    /// Writes one record as one line, in one write.
    fn record(&mut self, kind: &str, data: impl Serialize) -> io::Result<()> {
        let mut line = record_line(kind, data)?;
        line.push(b'\n');
        self.out.write_all(&line)
    }
}

impl<W: Write> Backend for JsonBackend<W> {
    fn attached_probes(&mut self, probes: usize) -> io::Result<()> {
        self.record("attached_probes", Probes { probes })
    }

    fn printf(&mut self, text: &str) -> io::Result<()> {
        self.record("printf", text)
    }

    fn message(&mut self, kind: &str, text: &str, _newline: bool) -> io::Result<()> {
        self.record(kind, text)
    }

    fn value(&mut self, value: &Value) -> io::Result<()> {
        self.record("value", JsonValue(value))
    }

    fn map(&mut self, map: &MapView) -> io::Result<()> {
        let kind = match map.entries {
            Entries::Values(_) => "map",
            Entries::Averages(_) | Entries::Stats(_) => "stats",
            Entries::Histograms(_) => "hist",
        };
        self.record(kind, Named(map.name, JsonMap(map)))
    }

    /// bpftrace prints no record for a map without entries.
    fn empty_map(&mut self, _name: &str) -> io::Result<()> {
        Ok(())
    }

    /// Every line is a JSON object: the maps at exit need no separator.
    fn end_of_run(&mut self) -> io::Result<()> {
        Ok(())
    }

    fn lost_events(&mut self, count: u64) -> io::Result<()> {
        self.record("lost_events", Lost { events: count })
    }

    fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }
}

/// One record, without its newline.
fn record_line(kind: &str, data: impl Serialize) -> io::Result<Vec<u8>> {
    let mut line = Vec::new();
    let mut serializer = serde_json::Serializer::with_formatter(&mut line, BpftraceSpacing);
    Record { kind, data }
        .serialize(&mut serializer)
        .map_err(io::Error::other)?;
    Ok(line)
}

/// bpftrace's spacing: a space after every `:` and `,` of objects and
/// arrays. Tuples are the exception; they are written compactly, as
/// [`JsonValue`] arranges.
struct BpftraceSpacing;

impl Formatter for BpftraceSpacing {
    fn begin_array_value<W: ?Sized + Write>(&mut self, w: &mut W, first: bool) -> io::Result<()> {
        if first {
            Ok(())
        } else {
            w.write_all(b", ")
        }
    }

    fn begin_object_key<W: ?Sized + Write>(&mut self, w: &mut W, first: bool) -> io::Result<()> {
        if first {
            Ok(())
        } else {
            w.write_all(b", ")
        }
    }

    fn begin_object_value<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        w.write_all(b": ")
    }
}

#[derive(Serialize)]
struct Record<'a, T: Serialize> {
    #[serde(rename = "type")]
    kind: &'a str,
    data: T,
}

#[derive(Serialize)]
struct Probes {
    probes: usize,
}

#[derive(Serialize)]
struct Lost {
    events: u64,
}

/// `{"NAME": value}`.
struct Named<'a, T: Serialize>(&'a str, T);

impl<T: Serialize> Serialize for Named<'_, T> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(Some(1))?;
        map.serialize_entry(self.0, &self.1)?;
        map.end()
    }
}

/// A value: integers as numbers, strings as strings, tuples as arrays
/// written without spaces (`[1,"a"]`), as bpftrace writes them.
struct JsonValue<'a>(&'a Value);

impl Serialize for JsonValue<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self.0 {
            Value::Int(i) => s.serialize_i64(*i),
            Value::UInt(u) => s.serialize_u64(*u),
            Value::Str(text) => s.serialize_str(text),
            Value::Stack(_) | Value::Sym(_) => s.serialize_str(&render_value(self.0)),
            Value::Tuple(parts) => {
                // A raw fragment is written as it is, whatever the spacing
                // of the document around it.
                let raw =
                    serde_json::value::to_raw_value(&Elements(parts)).map_err(S::Error::custom)?;
                raw.serialize(s)
            }
        }
    }
}

/// The elements of a tuple, as an array.
struct Elements<'a>(&'a [Value]);

impl Serialize for Elements<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut seq = s.serialize_seq(Some(self.0.len()))?;
        for part in self.0 {
            seq.serialize_element(&JsonValue(part))?;
        }
        seq.end()
    }
}

/// A key as an object member name: the parts of a multi-part key joined by
/// commas without spaces (`"1,a"`), strings as they are.
fn key_name(key: &Value) -> String {
    match key {
        Value::Tuple(parts) => parts
            .iter()
            .map(render_key_part)
            .collect::<Vec<_>>()
            .join(","),
        single => render_key_part(single),
    }
}

/// A map's entries: an object keyed by [`key_name`] in the view's order, or
/// the single value of a map without keys.
struct JsonMap<'v, 'm>(&'v MapView<'m>);

impl Serialize for JsonMap<'_, '_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let view = self.0;
        match &view.entries {
            Entries::Values(entries) => entries_or_scalar(s, view.keyed, entries, JsonValue),
            Entries::Averages(entries) => entries_or_scalar(s, view.keyed, entries, |a| *a),
            Entries::Stats(entries) => entries_or_scalar(s, view.keyed, entries, JsonStats::from),
            Entries::Histograms(entries) => {
                entries_or_scalar(s, view.keyed, entries, |h| JsonBuckets(&h.buckets))
            }
        }
    }
}

fn entries_or_scalar<'e, S, V: 'e, J: Serialize>(
    s: S,
    keyed: bool,
    entries: &'e [(&Value, V)],
    json: impl Fn(&'e V) -> J,
) -> Result<S::Ok, S::Error>
where
    S: Serializer,
{
    match (keyed, entries) {
        (false, [(_, value)]) => json(value).serialize(s),
        _ => {
            let mut map = s.serialize_map(Some(entries.len()))?;
            for (key, value) in entries {
                map.serialize_entry(&key_name(key), &json(value))?;
            }
            map.end()
        }
    }
}

/// `{"count": 2, "average": 15, "total": 30}`.
#[derive(Serialize)]
struct JsonStats {
    count: i64,
    average: i64,
    total: i64,
}

impl From<&Stats> for JsonStats {
    fn from(stats: &Stats) -> JsonStats {
        JsonStats {
            count: stats.count,
            average: stats.average,
            total: stats.total,
        }
    }
}

/// `[{"max": -1, "count": 1}, {"min": 0, "max": 0, "count": 2}, ...]`:
/// an open-ended bucket leaves out its missing bound.
struct JsonBuckets<'a>(&'a [Bucket]);

#[derive(Serialize)]
struct JsonBucket {
    #[serde(skip_serializing_if = "Option::is_none")]
    min: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    max: Option<i64>,
    count: u64,
}

impl Serialize for JsonBuckets<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut seq = s.serialize_seq(Some(self.0.len()))?;
        for bucket in self.0 {
            seq.serialize_element(&JsonBucket {
                min: bucket.min,
                max: bucket.max,
                count: bucket.count,
            })?;
        }
        seq.end()
    }
}

#[cfg(test)]
#[path = "json_tests.rs"]
mod tests;
