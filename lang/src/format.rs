//! printf format strings: split into literal text and conversion specs.
//!
//! The checker uses the result to match argument types and the runtime to
//! format events, so both agree on what a format string means. The grammar
//! is C's (`%[flags][width][.precision][length]conversion`); the subset that
//! bpftrace 0.17 itself recognises is narrower, see
//! [`FormatSpec::bpftrace_incompatibility`].

use std::fmt;
use std::ops::Range;

/// The flag characters of a conversion, each at most once in effect.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Flags {
    /// `-`: left-align within the width.
    pub minus: bool,
    /// `+`: always print a sign for signed conversions.
    pub plus: bool,
    /// ` `: a space where a `+` would go.
    pub space: bool,
    /// `0`: pad numbers with zeros instead of spaces.
    pub zero: bool,
    /// `#`: alternate form (`0x` prefix, leading octal `0`).
    pub hash: bool,
}

/// The length modifier, which decides how many bits of the 64-bit argument
/// the conversion sees.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Length {
    #[default]
    None,
    /// `hh`: 8 bits.
    HH,
    /// `h`: 16 bits.
    H,
    /// `l`: 64 bits.
    L,
    /// `ll`: 64 bits.
    LL,
    /// `z`: `size_t`, 64 bits.
    Z,
    /// `j`: `intmax_t`, 64 bits.
    J,
    /// `t`: `ptrdiff_t`, 64 bits.
    T,
}

impl Length {
    /// Width in bits of the C type the conversion reads on x86-64 and
    /// aarch64 (where `int` is 32 bits and `long` 64).
    pub fn bits(self) -> u32 {
        match self {
            Length::HH => 8,
            Length::H => 16,
            Length::None => 32,
            Length::L | Length::LL | Length::Z | Length::J | Length::T => 64,
        }
    }

    fn text(self) -> &'static str {
        match self {
            Length::None => "",
            Length::HH => "hh",
            Length::H => "h",
            Length::L => "l",
            Length::LL => "ll",
            Length::Z => "z",
            Length::J => "j",
            Length::T => "t",
        }
    }
}

/// What a conversion prints. `%%` never appears here: it becomes literal
/// text.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Conversion {
    /// `%d` and `%i`: signed decimal.
    Int,
    /// `%u`: unsigned decimal.
    Unsigned,
    /// `%x` / `%X`.
    Hex { upper: bool },
    /// `%o`.
    Octal,
    /// `%c`: the low byte of the argument.
    Char,
    /// `%s`.
    Str,
    /// `%p`: `0x`-prefixed hex, `(nil)` for zero.
    Pointer,
    /// `%r`: a buffer in bpftrace; accepted here so the checker can give a
    /// precise message.
    Buffer,
}

impl Conversion {
    /// Whether the argument must be a string.
    pub fn wants_string(&self) -> bool {
        matches!(self, Conversion::Str)
    }

    /// Whether the argument must be an integer (pointers included).
    pub fn wants_integer(&self) -> bool {
        matches!(
            self,
            Conversion::Int
                | Conversion::Unsigned
                | Conversion::Hex { .. }
                | Conversion::Octal
                | Conversion::Char
                | Conversion::Pointer
        )
    }

    /// Signed conversions sign-extend the argument from the length's width;
    /// the others zero-extend it.
    pub fn is_signed(&self) -> bool {
        matches!(self, Conversion::Int)
    }
}

/// One `%...` conversion.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FormatSpec {
    pub flags: Flags,
    pub width: Option<u32>,
    /// `Some(0)` for a bare `.`, as in C.
    pub precision: Option<u32>,
    pub length: Length,
    pub conversion: Conversion,
    /// The conversion character as written (`d` and `i` both give
    /// [`Conversion::Int`]).
    pub letter: char,
    /// Byte range of the whole spec, `%` included, inside the format string.
    pub span: Range<usize>,
}

impl FormatSpec {
    /// Why bpftrace 0.17 would not treat this spec as a conversion, if it
    /// would not. bpftrace finds conversions with the regex
    /// `%-?[0-9]*(\.[0-9]+)?(LEN?[duxXop]|c|s|r)`: there are no `+`, ` `
    /// or `#` flags, a `0` flag only as the first width digit (after an
    /// optional `-`), no bare `.`, no `%i`, and no length on `%c`/`%s`/`%r`.
    /// A spec it does not recognise is left in the text, so the program
    /// fails with an argument-count error there; the checker should reject
    /// it instead. `fmt` is the format string the spec was parsed from.
    pub fn bpftrace_incompatibility(&self, fmt: &str) -> Option<String> {
        let text = &fmt[self.span.clone()];
        let written = text.strip_prefix('%').unwrap_or(text);
        if self.flags.plus || self.flags.space || self.flags.hash {
            return Some(format!(
                "`{text}`: only the `-` and `0` flags are supported"
            ));
        }
        // Past the letter and length, what is left must be `-?[0-9]*(\.[0-9]+)?`.
        let head_len = written.len() - self.letter.len_utf8() - self.length.text().len();
        let head = &written[..head_len];
        let head = head.strip_prefix('-').unwrap_or(head);
        let (width, precision) = match head.split_once('.') {
            Some((w, p)) => (w, Some(p)),
            None => (head, None),
        };
        if !width.bytes().all(|b| b.is_ascii_digit()) {
            return Some(format!(
                "`{text}`: the `-` flag must come before the `0` flag"
            ));
        }
        if precision.is_some_and(|p| p.is_empty()) {
            return Some(format!("`{text}`: a `.` must be followed by a precision"));
        }
        if self.letter == 'i' {
            return Some(format!("`{text}`: use %d instead of %i"));
        }
        if self.length != Length::None
            && matches!(
                self.conversion,
                Conversion::Char | Conversion::Str | Conversion::Buffer
            )
        {
            return Some(format!(
                "`{text}`: no length modifier is allowed on %{}",
                self.letter
            ));
        }
        None
    }
}

/// A run of the format string.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Piece {
    /// Text printed as is, `%%` already turned into `%`.
    Literal(String),
    Spec(FormatSpec),
}

/// A malformed format string.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FormatError {
    pub message: String,
    /// Byte range inside the format string.
    pub range: Range<usize>,
}

impl fmt::Display for FormatError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for FormatError {}

/// Splits `fmt` into literal text and conversions. Adjacent literal text
/// (including `%%`) is merged into one piece.
pub fn parse_format(fmt: &str) -> Result<Vec<Piece>, FormatError> {
    let mut pieces = Vec::new();
    let mut literal = String::new();
    let mut rest = fmt.char_indices().peekable();
    while let Some((start, c)) = rest.next() {
        if c != '%' {
            literal.push(c);
            continue;
        }
        if let Some((_, '%')) = rest.peek() {
            rest.next();
            literal.push('%');
            continue;
        }
        let spec = parse_spec(fmt, start)?;
        // Skip the characters the spec consumed.
        while rest.peek().is_some_and(|&(i, _)| i < spec.span.end) {
            rest.next();
        }
        if !literal.is_empty() {
            pieces.push(Piece::Literal(std::mem::take(&mut literal)));
        }
        pieces.push(Piece::Spec(spec));
    }
    if !literal.is_empty() {
        pieces.push(Piece::Literal(literal));
    }
    Ok(pieces)
}

/// Parses the spec whose `%` is at byte `start`.
fn parse_spec(fmt: &str, start: usize) -> Result<FormatSpec, FormatError> {
    let bytes = fmt.as_bytes();
    let mut pos = start + 1;
    let incomplete = |pos: usize| FormatError {
        message: "incomplete conversion at the end of the format (write %% for a literal %)"
            .to_string(),
        range: start..pos,
    };

    let mut flags = Flags::default();
    while let Some(&b) = bytes.get(pos) {
        match b {
            b'-' => flags.minus = true,
            b'+' => flags.plus = true,
            b' ' => flags.space = true,
            b'0' => flags.zero = true,
            b'#' => flags.hash = true,
            _ => break,
        }
        pos += 1;
    }

    if bytes.get(pos) == Some(&b'*') {
        return Err(FormatError {
            message: "`*` widths are not supported; write the width in the format".to_string(),
            range: pos..pos + 1,
        });
    }
    let width = parse_number(fmt, &mut pos)?;

    let precision = if bytes.get(pos) == Some(&b'.') {
        pos += 1;
        if bytes.get(pos) == Some(&b'*') {
            return Err(FormatError {
                message: "`*` precisions are not supported; write the precision in the format"
                    .to_string(),
                range: pos..pos + 1,
            });
        }
        Some(parse_number(fmt, &mut pos)?.unwrap_or(0))
    } else {
        None
    };

    let length = match (bytes.get(pos), bytes.get(pos + 1)) {
        (Some(b'h'), Some(b'h')) => Length::HH,
        (Some(b'h'), _) => Length::H,
        (Some(b'l'), Some(b'l')) => Length::LL,
        (Some(b'l'), _) => Length::L,
        (Some(b'z'), _) => Length::Z,
        (Some(b'j'), _) => Length::J,
        (Some(b't'), _) => Length::T,
        _ => Length::None,
    };
    pos += length.text().len();

    let Some(letter) = fmt[pos..].chars().next() else {
        return Err(incomplete(pos));
    };
    let end = pos + letter.len_utf8();
    let conversion = match letter {
        'd' | 'i' => Conversion::Int,
        'u' => Conversion::Unsigned,
        'x' => Conversion::Hex { upper: false },
        'X' => Conversion::Hex { upper: true },
        'o' => Conversion::Octal,
        'c' => Conversion::Char,
        's' => Conversion::Str,
        'p' => Conversion::Pointer,
        'r' => Conversion::Buffer,
        _ => {
            return Err(FormatError {
                message: format!(
                    "unknown conversion `{}` (write %% for a literal %)",
                    &fmt[start..end]
                ),
                range: start..end,
            })
        }
    };
    if length != Length::None && matches!(conversion, Conversion::Char | Conversion::Str) {
        return Err(FormatError {
            message: format!(
                "`{}`: a length modifier cannot be used with %{letter}",
                &fmt[start..end]
            ),
            range: start..end,
        });
    }
    Ok(FormatSpec {
        flags,
        width,
        precision,
        length,
        conversion,
        letter,
        span: start..end,
    })
}

/// Reads a run of decimal digits at `pos`, if any.
fn parse_number(fmt: &str, pos: &mut usize) -> Result<Option<u32>, FormatError> {
    let digits = fmt[*pos..].bytes().take_while(u8::is_ascii_digit).count();
    if digits == 0 {
        return Ok(None);
    }
    let range = *pos..*pos + digits;
    *pos += digits;
    fmt[range.clone()]
        .parse()
        .map(Some)
        .map_err(|_| FormatError {
            message: "number too large in format".to_string(),
            range,
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(fmt: &str) -> FormatSpec {
        match parse_format(fmt).unwrap().as_slice() {
            [Piece::Spec(s)] => s.clone(),
            other => panic!("expected one spec, got {other:?}"),
        }
    }

    fn error(fmt: &str) -> FormatError {
        parse_format(fmt).unwrap_err()
    }

    #[test]
    fn literals_and_percent_merge() {
        assert_eq!(parse_format("").unwrap(), vec![]);
        assert_eq!(
            parse_format("a %% b\n").unwrap(),
            vec![Piece::Literal("a % b\n".to_string())]
        );
        let pieces = parse_format("x=%d, %%y=%s\n").unwrap();
        assert_eq!(pieces.len(), 5);
        assert_eq!(pieces[0], Piece::Literal("x=".to_string()));
        assert!(matches!(&pieces[1], Piece::Spec(s) if s.span == (2..4)));
        assert_eq!(pieces[2], Piece::Literal(", %y=".to_string()));
        assert!(matches!(&pieces[3], Piece::Spec(s) if s.span == (10..12)));
        assert_eq!(pieces[4], Piece::Literal("\n".to_string()));
    }

    #[test]
    fn adjacent_specs() {
        let pieces = parse_format("%c%c%c").unwrap();
        assert_eq!(pieces.len(), 3);
        assert!(pieces
            .iter()
            .all(|p| matches!(p, Piece::Spec(s) if s.conversion == Conversion::Char)));
    }

    #[test]
    fn conversions() {
        let cases = [
            ("%d", Conversion::Int),
            ("%i", Conversion::Int),
            ("%u", Conversion::Unsigned),
            ("%x", Conversion::Hex { upper: false }),
            ("%X", Conversion::Hex { upper: true }),
            ("%o", Conversion::Octal),
            ("%c", Conversion::Char),
            ("%s", Conversion::Str),
            ("%p", Conversion::Pointer),
            ("%r", Conversion::Buffer),
        ];
        for (fmt, conversion) in cases {
            let s = spec(fmt);
            assert_eq!(s.conversion, conversion, "{fmt}");
            assert_eq!(s.letter, fmt.chars().nth(1).unwrap());
            assert_eq!(s.span, 0..2);
        }
        assert!(Conversion::Str.wants_string());
        assert!(!Conversion::Str.wants_integer());
        for c in [
            Conversion::Int,
            Conversion::Unsigned,
            Conversion::Hex { upper: true },
            Conversion::Octal,
            Conversion::Char,
            Conversion::Pointer,
        ] {
            assert!(c.wants_integer() && !c.wants_string(), "{c:?}");
        }
        assert!(!Conversion::Buffer.wants_integer() && !Conversion::Buffer.wants_string());
    }

    #[test]
    fn flags_width_precision() {
        let s = spec("%-08.3d");
        assert_eq!(
            s.flags,
            Flags {
                minus: true,
                zero: true,
                ..Flags::default()
            }
        );
        assert_eq!(s.width, Some(8));
        assert_eq!(s.precision, Some(3));

        let s = spec("%+ #x");
        assert!(s.flags.plus && s.flags.space && s.flags.hash);
        assert_eq!((s.width, s.precision), (None, None));

        assert_eq!(spec("%.s").precision, Some(0));
        assert_eq!(spec("%10s").width, Some(10));
        assert_eq!(spec("%.12s").precision, Some(12));
    }

    #[test]
    fn lengths() {
        let cases = [
            ("%hhx", Length::HH, 8),
            ("%hd", Length::H, 16),
            ("%u", Length::None, 32),
            ("%lu", Length::L, 64),
            ("%llu", Length::LL, 64),
            ("%zu", Length::Z, 64),
            ("%jd", Length::J, 64),
            ("%td", Length::T, 64),
        ];
        for (fmt, length, bits) in cases {
            let s = spec(fmt);
            assert_eq!(s.length, length, "{fmt}");
            assert_eq!(s.length.bits(), bits, "{fmt}");
            assert_eq!(s.span, 0..fmt.len());
        }
        assert_eq!(spec("%lp").length, Length::L);
    }

    #[test]
    fn errors_point_into_the_string() {
        let e = error("abc %q def");
        assert_eq!(e.range, 4..6);
        assert!(e.message.contains("%q"), "{}", e.message);

        let e = error("100%");
        assert_eq!(e.range, 3..4);

        let e = error("x %-5");
        assert_eq!(e.range, 2..5);

        let e = error("%*d");
        assert_eq!(e.range, 1..2);

        let e = error("%.*s");
        assert_eq!(e.range, 2..3);

        let e = error("%ls");
        assert_eq!(e.range, 0..3);

        let e = error("%99999999999d");
        assert_eq!(e.range, 1..12);

        // A multi-byte character after `%` is reported whole.
        let e = error("%é");
        assert_eq!(e.range, 0..3);
    }

    #[test]
    fn multibyte_literals_keep_offsets() {
        let pieces = parse_format("é%dü").unwrap();
        assert_eq!(pieces[0], Piece::Literal("é".to_string()));
        assert!(matches!(&pieces[1], Piece::Spec(s) if s.span == (2..4)));
        assert_eq!(pieces[2], Piece::Literal("ü".to_string()));
    }

    #[test]
    fn bpftrace_subset() {
        let accepted = [
            "%d", "%-6d", "%05d", "%-05d", "%.3s", "%10.3s", "%-10.2s", "%lu", "%llx", "%hhx",
            "%zu", "%jd", "%td", "%hho", "%lp", "%c", "%5c", "%r", "%X", "%o",
        ];
        for fmt in accepted {
            assert_eq!(spec(fmt).bpftrace_incompatibility(fmt), None, "{fmt}");
        }
        let rejected = [
            "%i", "%+d", "% d", "%#x", "%0-5d", "%.s", "%-.s", "%hhc", "%lr",
        ];
        for fmt in rejected {
            if let Ok(pieces) = parse_format(fmt) {
                let Piece::Spec(s) = &pieces[0] else {
                    panic!("{fmt}")
                };
                assert!(s.bpftrace_incompatibility(fmt).is_some(), "{fmt}");
            }
        }
        // Offsets are taken from the spec, not the string start.
        let fmt = "pid %d comm %+s";
        let pieces = parse_format(fmt).unwrap();
        let Piece::Spec(s) = &pieces[3] else { panic!() };
        assert!(s.bpftrace_incompatibility(fmt).is_some());
    }
}
