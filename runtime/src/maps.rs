//! Reading user maps into the neutral value model, and clearing them.

use crate::decode;
use crate::symbols::Decoder;
use crate::sys;
use rtrace_codegen::manifest::{MapSpec, Part};
use rtrace_lang::check::MapValueType;
use rtrace_lang::types::Type;
use rtrace_stdlib::aggregate;
use rtrace_stdlib::value::{MapSnapshot, MapValue, Value};
use std::io;
use std::os::fd::BorrowedFd;

fn word(bytes: &[u8], at: usize) -> u64 {
    bytes
        .get(at..at + 8)
        .map_or(0, |b| u64::from_le_bytes(b.try_into().expect("8 bytes")))
}

/// Decodes one typed field of a key, value or event record; stacks and
/// symbols are resolved through `decoder`.
pub fn decode_part(bytes: &[u8], part: &Part, decoder: &Decoder) -> Value {
    let at = part.offset as usize;
    match part.ty {
        Type::Stack(ty) => Value::Stack(decoder.stack(word(bytes, at), ty)),
        Type::Sym { user: false } => Value::Sym(decoder.symbols.symbol(word(bytes, at), None)),
        Type::Sym { user: true } => {
            let pid = word(bytes, at + 8) as u32;
            Value::Sym(decoder.symbols.symbol(word(bytes, at), Some(pid)))
        }
        Type::Str(n) => {
            let raw = bytes.get(at..at + n as usize).unwrap_or(&[]);
            let end = raw.iter().position(|&b| b == 0).unwrap_or(raw.len());
            Value::Str(String::from_utf8_lossy(&raw[..end]).into_owned())
        }
        Type::Buf(n) => {
            let raw = bytes.get(at..at + n as usize + 1).unwrap_or(&[]);
            let len = raw.first().map_or(0, |&l| usize::from(l).min(n as usize));
            Value::Str(decode::escape_buffer(raw.get(1..1 + len).unwrap_or(&[])))
        }
        Type::Timestamp(n) => {
            let nsecs = word(bytes, at);
            let raw = bytes.get(at + 8..at + 8 + n as usize).unwrap_or(&[]);
            let end = raw.iter().position(|&b| b == 0).unwrap_or(raw.len());
            let format = String::from_utf8_lossy(&raw[..end]);
            Value::Str(decode::format_timestamp(nsecs, &format))
        }
        Type::Username => Value::Str(decode::user_name(word(bytes, at) as u32)),
        Type::Inet | Type::MacAddr => {
            let raw = bytes.get(at..at + part.ty.size() as usize).unwrap_or(&[]);
            Value::Str(match part.ty {
                Type::Inet => decode::format_inet(raw),
                _ => decode::format_mac(raw),
            })
        }
        Type::Int(int) => {
            let raw = bytes
                .get(at..at + 8)
                .map_or(0, |b| u64::from_le_bytes(b.try_into().expect("8 bytes")));
            if int.signed {
                Value::Int(raw as i64)
            } else {
                Value::UInt(raw)
            }
        }
        Type::Tuple(tuple) => Value::Tuple(
            tuple
                .fields()
                .map(|(offset, ty)| {
                    let offset = part.offset + offset;
                    decode_part(bytes, &Part { offset, ty }, decoder)
                })
                .collect(),
        ),
        _ => Value::UInt(
            bytes
                .get(at..at + 8)
                .map_or(0, |b| u64::from_le_bytes(b.try_into().expect("8 bytes"))),
        ),
    }
}

fn decode_key(spec: &MapSpec, key: &[u8], decoder: &Decoder) -> Value {
    match &spec.key.parts {
        None => Value::UInt(0),
        Some(parts) if parts.len() == 1 => decode_part(key, &parts[0], decoder),
        Some(parts) => Value::Tuple(parts.iter().map(|p| decode_part(key, p, decoder)).collect()),
    }
}

/// Reads every entry of a map, merging per-CPU values.
pub fn snapshot(
    spec: &MapSpec,
    fd: BorrowedFd,
    cpus: usize,
    decoder: &Decoder,
) -> io::Result<MapSnapshot> {
    let stride = (spec.value_size as usize).next_multiple_of(8);
    let copies = if spec.per_cpu { cpus } else { 1 };
    let mut value = vec![0u8; stride * copies];
    let mut entries = Vec::new();
    for key in sys::keys(fd, spec.key.size as usize)? {
        // The entry may be deleted between listing and reading.
        if !sys::lookup(fd, &key, &mut value)? {
            continue;
        }
        let decoded = match spec.value {
            MapValueType::Agg(kind) => {
                let per_cpu: Vec<&[u8]> = value.chunks(stride).collect();
                MapValue::Agg(aggregate::decode(kind, &per_cpu))
            }
            MapValueType::Plain(ty) => {
                MapValue::Plain(decode_part(&value, &Part { offset: 0, ty }, decoder))
            }
        };
        entries.push((decode_key(spec, &key, decoder), decoded));
    }
    Ok(MapSnapshot {
        name: spec.name.clone(),
        keyed: spec.key.parts.is_some(),
        entries,
    })
}

/// `clear(@m)`: removes every entry.
pub fn clear(spec: &MapSpec, fd: BorrowedFd) -> io::Result<()> {
    for key in sys::keys(fd, spec.key.size as usize)? {
        sys::delete(fd, &key)?;
    }
    Ok(())
}

/// `zero(@m)`: keeps the keys, zeroes every CPU's value.
pub fn zero(spec: &MapSpec, fd: BorrowedFd, cpus: usize) -> io::Result<()> {
    let stride = (spec.value_size as usize).next_multiple_of(8);
    let copies = if spec.per_cpu { cpus } else { 1 };
    let zeros = vec![0u8; stride * copies];
    for key in sys::keys(fd, spec.key.size as usize)? {
        sys::update(fd, &key, &zeros)?;
    }
    Ok(())
}

/// Sums one slot of the per-CPU counters map.
pub fn counter(fd: BorrowedFd, slot: u32, cpus: usize) -> u64 {
    let mut value = vec![0u8; 8 * cpus];
    match sys::lookup(fd, &slot.to_le_bytes(), &mut value) {
        Ok(true) => value
            .chunks(8)
            .map(|c| u64::from_le_bytes(c.try_into().expect("8 bytes")))
            .sum(),
        _ => 0,
    }
}
