//! printf formatting with bpftrace 0.17's semantics, which are glibc's
//! `snprintf` applied to 64-bit arguments cast to the type the length
//! modifier names.

use rtrace_lang::format::{Conversion, FormatSpec, Piece};
use rtrace_stdlib::value::Value;

use super::render_value;

/// Formats one printf event.
///
/// bpftrace formats the string in parts, each being the literal text up to
/// and including one conversion, and appends each part as a C string, so a
/// NUL byte (`%c` of 0) cuts off the rest of its own part only: `[%5c]` of 0
/// prints `[    ]`, `[%-5c]` prints `[]`.
///
/// Arguments are expected to match the conversions (the checker ensures
/// it). Otherwise a string under an integer conversion counts as 0, an
/// integer under `%s` prints in decimal, and missing arguments print
/// nothing.
pub fn format_printf(pieces: &[Piece], args: &[Value]) -> String {
    let mut out = String::new();
    let mut part = String::new();
    let mut args = args.iter();
    for piece in pieces {
        match piece {
            Piece::Literal(text) => part.push_str(text),
            Piece::Spec(spec) => {
                if let Some(arg) = args.next() {
                    part.push_str(&format_arg(spec, arg));
                }
                push_c_string(&mut out, &part);
                part.clear();
            }
        }
    }
    push_c_string(&mut out, &part);
    out
}

fn push_c_string(out: &mut String, part: &str) {
    out.push_str(part.split('\0').next().unwrap_or(""));
}

/// One conversion of one argument.
fn format_arg(spec: &FormatSpec, arg: &Value) -> String {
    match spec.conversion {
        Conversion::Str | Conversion::Buffer => {
            let text = match arg {
                Value::Str(s) => s.clone(),
                other => render_value(other),
            };
            pad(truncate(&text, spec.precision), spec, "", false)
        }
        Conversion::Char => {
            // `%c` prints the low byte. Bytes above 0x7f are not text on
            // their own; they print as U+FFFD, as undecodable string bytes do.
            let byte = int_bits(arg) as u8;
            let c = if byte.is_ascii() {
                char::from(byte)
            } else {
                char::REPLACEMENT_CHARACTER
            };
            pad(c.to_string(), spec, "", false)
        }
        Conversion::Pointer => {
            let v = int_bits(arg);
            if v == 0 {
                // glibc prints a null pointer as "(nil)", padded like a string.
                pad("(nil)".to_string(), spec, "", false)
            } else {
                // glibc formats other pointers as `%#lx`.
                let digits = with_precision(format!("{v:x}"), spec.precision);
                pad(digits, spec, "0x", true)
            }
        }
        Conversion::Int => {
            let v = signed_arg(arg, spec.length.bits());
            let sign = if v < 0 {
                "-"
            } else if spec.flags.plus {
                "+"
            } else if spec.flags.space {
                " "
            } else {
                ""
            };
            let digits = with_precision(v.unsigned_abs().to_string(), spec.precision);
            pad(digits, spec, sign, true)
        }
        Conversion::Unsigned => {
            let v = unsigned_arg(arg, spec.length.bits());
            pad(
                with_precision(v.to_string(), spec.precision),
                spec,
                "",
                true,
            )
        }
        Conversion::Hex { upper } => {
            let v = unsigned_arg(arg, spec.length.bits());
            let digits = if upper {
                format!("{v:X}")
            } else {
                format!("{v:x}")
            };
            let prefix = match (spec.flags.hash && v != 0, upper) {
                (false, _) => "",
                (true, false) => "0x",
                (true, true) => "0X",
            };
            pad(with_precision(digits, spec.precision), spec, prefix, true)
        }
        Conversion::Octal => {
            let v = unsigned_arg(arg, spec.length.bits());
            let mut digits = with_precision(format!("{v:o}"), spec.precision);
            // `#` makes sure the number starts with a 0.
            if spec.flags.hash && !digits.starts_with('0') {
                digits.insert(0, '0');
            }
            pad(digits, spec, "", true)
        }
    }
}

/// The argument's 64 bits; strings count as 0.
fn int_bits(arg: &Value) -> u64 {
    match arg {
        Value::Int(i) => *i as u64,
        Value::UInt(u) => *u,
        _ => 0,
    }
}

/// The argument as the C type of `bits` width, zero-extended: `%u` of -1
/// is 4294967295, `%hhu` of 300 is 44.
fn unsigned_arg(arg: &Value, bits: u32) -> u64 {
    let v = int_bits(arg);
    if bits >= 64 {
        v
    } else {
        v & ((1u64 << bits) - 1)
    }
}

/// The argument as the C type of `bits` width, sign-extended: `%d` of
/// 2^32 + 5 is 5, `%hhd` of 255 is -1.
fn signed_arg(arg: &Value, bits: u32) -> i64 {
    let v = int_bits(arg);
    let shift = 64 - bits.min(64);
    ((v << shift) as i64) >> shift
}

/// C integer precision: at least that many digits, and none at all for a
/// zero value with precision 0.
fn with_precision(digits: String, precision: Option<u32>) -> String {
    match precision {
        Some(0) if digits == "0" => String::new(),
        Some(p) if digits.len() < p as usize => {
            format!("{}{digits}", "0".repeat(p as usize - digits.len()))
        }
        _ => digits,
    }
}

/// C string precision: at most that many bytes (never splitting a
/// character, which C would do).
fn truncate(text: &str, precision: Option<u32>) -> String {
    let Some(p) = precision else {
        return text.to_string();
    };
    let mut end = (p as usize).min(text.len());
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    text[..end].to_string()
}

/// Pads `prefix + body` to the width. Widths count bytes, as in C. The `0`
/// flag pads numbers with zeros between prefix and digits, unless `-` or a
/// precision is given; strings and characters are always space-padded.
fn pad(body: String, spec: &FormatSpec, prefix: &str, numeric: bool) -> String {
    let width = spec.width.unwrap_or(0) as usize;
    let len = prefix.len() + body.len();
    if len >= width {
        return format!("{prefix}{body}");
    }
    let fill = width - len;
    if spec.flags.minus {
        format!("{prefix}{body}{}", " ".repeat(fill))
    } else if spec.flags.zero && numeric && spec.precision.is_none() {
        format!("{prefix}{}{body}", "0".repeat(fill))
    } else {
        format!("{}{prefix}{body}", " ".repeat(fill))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rtrace_lang::format::parse_format;

    fn fmt(f: &str, args: &[Value]) -> String {
        format_printf(&parse_format(f).unwrap(), args)
    }

    fn s(text: &str) -> Value {
        Value::Str(text.to_string())
    }

    fn ints(values: &[i64]) -> Vec<Value> {
        values.iter().map(|&v| Value::Int(v)).collect()
    }

    // Every expected string below is what bpftrace 0.17 printed for the
    // same format and arguments.

    #[test]
    fn mixed_conversions() {
        let args = [
            Value::Int(42),
            s("ab"),
            Value::Int(255),
            Value::Int(65),
            Value::Int(7),
            s("comm"),
        ];
        assert_eq!(
            fmt("%-6d|%5s|%x|%c|%%|%lu|%-16s|\n", &args),
            "42    |   ab|ff|A|%|7|comm            |\n"
        );
        assert_eq!(
            fmt(
                "%d %s %d\n",
                &[Value::UInt(6387), s("bpftrace"), Value::Int(-5)]
            ),
            "6387 bpftrace -5\n"
        );
    }

    #[test]
    fn minus_one_in_every_conversion() {
        assert_eq!(
            fmt("%d|%u|%x|%X|%o|", &ints(&[-1; 5])),
            "-1|4294967295|ffffffff|FFFFFFFF|37777777777|"
        );
        assert_eq!(
            fmt(
                "%ld|%lu|%lx|%lX|%llx|%hhx|%hx|%hd|%hhd|%zu|%jd|\n",
                &ints(&[-1; 11])
            ),
            "-1|18446744073709551615|ffffffffffffffff|FFFFFFFFFFFFFFFF|ffffffffffffffff|ff|ffff|-1|-1|18446744073709551615|-1|\n"
        );
        assert_eq!(
            fmt("%lo|%ho|%5o|%-5o|%05o|\n", &ints(&[-1, -1, 8, 8, 8])),
            "1777777777777777777777|177777|   10|10   |00010|\n"
        );
    }

    #[test]
    fn lengths_truncate() {
        let big = 4294967296 + 5;
        assert_eq!(fmt("%d|%u|%x|\n", &ints(&[big; 3])), "5|5|5|\n");
        assert_eq!(
            fmt(
                "%hhu|%hu|%u|%lu|%llu|%zd|%ju|%td|\n",
                &ints(&[300, 70000, 5000000000, 5000000000, 5000000000, -2, -2, -2])
            ),
            "44|4464|705032704|5000000000|5000000000|-2|18446744073709551614|-2|\n"
        );
        assert_eq!(
            fmt("%ld|%lu|\n", &[Value::Int(i64::MAX), Value::Int(i64::MIN)]),
            "9223372036854775807|9223372036854775808|\n"
        );
        // (uint64)-1, (int8)-1 and friends arrive sign- or zero-extended.
        assert_eq!(
            fmt(
                "%lu %ld %lx\n",
                &[Value::UInt(u64::MAX), Value::UInt(u64::MAX), Value::Int(-1)]
            ),
            "18446744073709551615 -1 ffffffffffffffff\n"
        );
        assert_eq!(
            fmt(
                "%u %d %x %c\n",
                &[
                    Value::UInt(44),
                    Value::Int(-1),
                    Value::Int(-1),
                    Value::UInt(65)
                ]
            ),
            "44 -1 ffffffff A\n"
        );
    }

    #[test]
    fn widths_and_precision() {
        assert_eq!(fmt("%05d|\n", &ints(&[42])), "00042|\n");
        assert_eq!(
            fmt("%.5d|%8.3x|%-8.3d|\n", &ints(&[42, 255, 7])),
            "00042|     0ff|007     |\n"
        );
        assert_eq!(
            fmt("%X|%10X|%-10x|%010x|\n", &ints(&[48879; 4])),
            "BEEF|      BEEF|beef      |000000beef|\n"
        );
        assert_eq!(
            fmt(
                "%.10d|%-12.10x|%3d|%-3d|%1d|\n",
                &ints(&[-42, 255, 12345, 12345, -5])
            ),
            "-0000000042|00000000ff  |12345|12345|-5|\n"
        );
        assert_eq!(fmt("%.0d|%.0x|%5.0d|%d|\n", &ints(&[0; 4])), "||     |0|\n");
        assert_eq!(fmt("%.0o|%o|%8.4o|\n", &ints(&[0, 0, 8])), "|0|    0010|\n");
        assert_eq!(fmt("%-05d|", &ints(&[42])), "42   |");
        // The 0 flag is ignored with a precision, and for %s and %c.
        assert_eq!(
            fmt(
                "%05s|%08.3d|%05c|\n",
                &[s("ab"), Value::Int(-42), Value::Int(65)]
            ),
            "   ab|    -042|    A|\n"
        );
    }

    #[test]
    fn strings() {
        assert_eq!(
            fmt(
                "%.3s|%10.3s|%-10.2s|\n",
                &[s("abcdef"), s("abcdef"), s("abcdef")]
            ),
            "abc|       abc|ab        |\n"
        );
        assert_eq!(
            fmt(
                "%s|%-5s|%5s|%.0s|%.2s|\n",
                &[s(""), s(""), s(""), s("abc"), s("a")]
            ),
            "|     |     ||a|\n"
        );
        assert_eq!(
            fmt(
                "%20.10s|%-20.10s|\n",
                &[s("abcdefghijklmnop"), s("abcdefghijklmnop")]
            ),
            "          abcdefghij|abcdefghij          |\n"
        );
    }

    #[test]
    fn chars() {
        assert_eq!(fmt("%c%c%c|%c|\n", &ints(&[104, 105, 33, 0])), "hi!||\n");
        assert_eq!(fmt("%5c|%-3c|\n", &ints(&[65, 66])), "    A|B  |\n");
        // A NUL ends the part it is in, padding included.
        assert_eq!(fmt("[%5c][%-5c]\n", &ints(&[0, 0])), "[    ][]\n");
        assert_eq!(fmt("%c", &ints(&[256 + 65])), "A");
    }

    #[test]
    fn pointers() {
        assert_eq!(fmt("%p|%p|\n", &ints(&[255, 0])), "0xff|(nil)|\n");
        assert_eq!(
            fmt("%10p|%-10p|%10p|%.3p|\n", &ints(&[255, 255, 0, 10])),
            "      0xff|0xff      |     (nil)|0x00a|\n"
        );
        assert_eq!(fmt("%hhp", &ints(&[5])), "0x5");
    }

    #[test]
    fn percent_and_plain_text() {
        assert_eq!(fmt("no newline", &[]), "no newline");
        assert_eq!(fmt("100%% sure\n", &[]), "100% sure\n");
    }

    /// Flags bpftrace 0.17 does not accept, formatted as glibc does.
    #[test]
    fn c_flags() {
        assert_eq!(fmt("%+d|%+d|% d|", &ints(&[3, -3, 3])), "+3|-3| 3|");
        assert_eq!(
            fmt("%#x|%#X|%#o|%#x|", &ints(&[255, 255, 8, 0])),
            "0xff|0XFF|010|0|"
        );
        assert_eq!(fmt("%#08x|%+05d|", &ints(&[255, 42])), "0x0000ff|+0042|");
        assert_eq!(fmt("%#.0o|%#5o|%#.3o|", &ints(&[0, 8, 8])), "0|  010|010|");
        assert_eq!(fmt("%i", &ints(&[-7])), "-7");
    }

    #[test]
    fn mismatched_arguments_do_not_panic() {
        assert_eq!(fmt("%s|%d|", &[Value::Int(-3), s("x")]), "-3|0|");
        assert_eq!(
            fmt("%s", &[Value::Tuple(vec![Value::Int(1), s("a")])]),
            "(1, a)"
        );
        assert_eq!(fmt("%d %d|", &ints(&[1])), "1 |");
    }
}
