//! Integer and string literals: from source text to values, with errors
//! precise enough to point at the bad digit or escape.

use super::{LexError, LexErrorKind};
use crate::ast::Span;

/// Parses an integer literal: decimal, `0x` hex, `0o` octal or `0b`
/// binary, with `_` separators anywhere after the first digit.
pub(super) fn parse_int(text: &str) -> Result<u64, LexErrorKind> {
    let lower = text.get(..2).map(str::to_ascii_lowercase);
    let (radix, name, digits) = match lower.as_deref() {
        Some("0x") => (16, "hexadecimal", &text[2..]),
        Some("0o") => (8, "octal", &text[2..]),
        Some("0b") => (2, "binary", &text[2..]),
        _ => (10, "decimal", text),
    };
    let bad = |reason: String| LexErrorKind::BadInt {
        literal: text.into(),
        reason,
    };
    let digits: String = digits.chars().filter(|&c| c != '_').collect();
    if digits.is_empty() {
        return Err(bad(format!("`{text}` has no digits after its prefix")));
    }
    if let Some(c) = digits.chars().find(|c| !c.is_digit(radix)) {
        return Err(bad(format!("`{c}` is not a {name} digit")));
    }
    u64::from_str_radix(&digits, radix).map_err(|_| LexErrorKind::IntTooLarge(text.into()))
}

/// Decodes the escapes of a string literal's contents. `offset` is the
/// byte position of `body` in the source, for error spans.
pub(super) fn decode_string(body: &str, offset: usize) -> Result<String, LexError> {
    let mut bytes = Vec::with_capacity(body.len());
    let mut chars = body.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        if c != '\\' {
            let mut buf = [0; 4];
            bytes.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
            continue;
        }
        // The literal's extent was checked: a `\` is always followed by a
        // character.
        let Some((_, e)) = chars.next() else { break };
        let byte = match e {
            'n' => b'\n',
            't' => b'\t',
            'r' => b'\r',
            '\\' => b'\\',
            '"' => b'"',
            'x' => match take_digits(&mut chars, 16, 2) {
                (_, 0) => {
                    return Err(escape_error(
                        body,
                        offset,
                        i,
                        i + 2,
                        LexErrorKind::BadEscape,
                    ))
                }
                (value, _) => value as u8,
            },
            '0'..='7' => {
                let (rest, count) = take_digits(&mut chars, 8, 2);
                let value = (e as u32 - '0' as u32) * 8u32.pow(count) + rest;
                match u8::try_from(value) {
                    Ok(b) => b,
                    Err(_) => {
                        let end = i + 2 + count as usize;
                        return Err(escape_error(body, offset, i, end, LexErrorKind::BadEscape));
                    }
                }
            }
            _ => {
                let end = i + 1 + e.len_utf8();
                return Err(escape_error(
                    body,
                    offset,
                    i,
                    end,
                    LexErrorKind::UnknownEscape,
                ));
            }
        };
        bytes.push(byte);
    }
    String::from_utf8(bytes).map_err(|_| LexError {
        kind: LexErrorKind::InvalidUtf8String,
        span: Span::new(offset - 1, offset + body.len() + 1),
    })
}

/// Consumes up to `max` digits of `radix`: their value and how many there
/// were.
fn take_digits(
    chars: &mut std::iter::Peekable<std::str::CharIndices<'_>>,
    radix: u32,
    max: u32,
) -> (u32, u32) {
    let (mut value, mut count) = (0, 0);
    while count < max {
        let Some(d) = chars.peek().and_then(|&(_, d)| d.to_digit(radix)) else {
            break;
        };
        value = value * radix + d;
        count += 1;
        chars.next();
    }
    (value, count)
}

fn escape_error(
    body: &str,
    offset: usize,
    start: usize,
    end: usize,
    kind: fn(String) -> LexErrorKind,
) -> LexError {
    LexError {
        kind: kind(body[start..end].into()),
        span: Span::new(offset + start, offset + end),
    }
}
