//! USDT argument specifications: the `-4@%eax 8@-8(%rbp) -4@$5` string of
//! a `.note.stapsdt` note, x86-64 AT&T syntax. Each argument says how many
//! bytes it has, whether it is signed, and where its value is at the probe:
//! a register, memory at a register plus an offset, or a constant.

use std::fmt;

/// The x86-64 general-purpose registers (and `rip`), by their 64-bit names.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum GpReg {
    Rax,
    Rbx,
    Rcx,
    Rdx,
    Rsi,
    Rdi,
    Rbp,
    Rsp,
    R8,
    R9,
    R10,
    R11,
    R12,
    R13,
    R14,
    R15,
    Rip,
}

impl GpReg {
    const LEGACY: [(GpReg, &'static str); 8] = [
        (GpReg::Rax, "ax"),
        (GpReg::Rbx, "bx"),
        (GpReg::Rcx, "cx"),
        (GpReg::Rdx, "dx"),
        (GpReg::Rsi, "si"),
        (GpReg::Rdi, "di"),
        (GpReg::Rbp, "bp"),
        (GpReg::Rsp, "sp"),
    ];
    const NUMBERED: [GpReg; 8] = [
        GpReg::R8,
        GpReg::R9,
        GpReg::R10,
        GpReg::R11,
        GpReg::R12,
        GpReg::R13,
        GpReg::R14,
        GpReg::R15,
    ];
}

/// A register operand: which register, and which bits of it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Register {
    pub reg: GpReg,
    /// 8, 16, 32 or 64.
    pub bits: u8,
    /// 8 for `ah`, `bh`, `ch`, `dh`; 0 otherwise.
    pub shift: u8,
    /// As written, without the `%`.
    pub name: &'static str,
}

/// Where an argument's value is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ArgLocation {
    Const(i64),
    Register(Register),
    /// `size` bytes of user memory at `base + offset`.
    Memory {
        base: Register,
        offset: i64,
    },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct UsdtArg {
    /// 1, 2, 4 or 8 bytes.
    pub size: u8,
    pub signed: bool,
    pub location: ArgLocation,
}

impl fmt::Display for UsdtArg {
    /// As `-lv` shows it: `int32 in %eax`, `uint64 at -8(%rbp)`, `int32 = 5`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sign = if self.signed { "" } else { "u" };
        write!(f, "{sign}int{}", self.size as u32 * 8)?;
        match self.location {
            ArgLocation::Const(v) => write!(f, " = {v}"),
            ArgLocation::Register(r) => write!(f, " in %{}", r.name),
            ArgLocation::Memory { base, offset: 0 } => write!(f, " at (%{})", base.name),
            ArgLocation::Memory { base, offset } => write!(f, " at {offset}(%{})", base.name),
        }
    }
}

/// Parses a note's whole argument string (arguments separated by spaces).
pub fn parse_args(text: &str) -> Result<Vec<UsdtArg>, String> {
    text.split_whitespace().map(parse_arg).collect()
}

/// Parses one argument: `[-]SIZE@OPERAND`.
pub fn parse_arg(text: &str) -> Result<UsdtArg, String> {
    let bad = |why: &str| format!("unsupported USDT argument '{text}': {why}");
    let (size, operand) = text
        .split_once('@')
        .ok_or_else(|| bad("expected SIZE@OPERAND"))?;
    let (signed, size) = match size.strip_prefix('-') {
        Some(s) => (true, s),
        None => (false, size),
    };
    let size: u8 = match size {
        "1" | "2" | "4" | "8" => size.parse().expect("a digit"),
        _ => return Err(bad("the size must be 1, 2, 4 or 8 bytes")),
    };
    let location = if let Some(name) = operand.strip_prefix('%') {
        ArgLocation::Register(register(name).ok_or_else(|| bad("unknown register"))?)
    } else if let Some(value) = operand.strip_prefix('$') {
        ArgLocation::Const(integer(value).ok_or_else(|| bad("the constant is not an integer"))?)
    } else if let Some((disp, rest)) = operand.split_once("(%") {
        let name = rest
            .strip_suffix(')')
            .ok_or_else(|| bad("expected OFFSET(%REGISTER)"))?;
        if name.contains(',') {
            return Err(bad("indexed memory operands are not supported"));
        }
        let offset = if disp.is_empty() {
            0
        } else {
            integer(disp).ok_or_else(|| bad("the offset is not a number (symbolic operand?)"))?
        };
        let base = register(name).ok_or_else(|| bad("unknown register"))?;
        ArgLocation::Memory { base, offset }
    } else {
        return Err(bad("expected %REGISTER, $CONSTANT or OFFSET(%REGISTER)"));
    };
    Ok(UsdtArg {
        size,
        signed,
        location,
    })
}

/// Decimal or `0x` hexadecimal, optionally negative.
fn integer(text: &str) -> Option<i64> {
    let (negative, digits) = match text.strip_prefix('-') {
        Some(d) => (true, d),
        None => (false, text),
    };
    let magnitude = match digits
        .strip_prefix("0x")
        .or_else(|| digits.strip_prefix("0X"))
    {
        Some(hex) => u64::from_str_radix(hex, 16).ok()?,
        None => digits.parse::<u64>().ok()?,
    } as i64;
    Some(if negative {
        magnitude.wrapping_neg()
    } else {
        magnitude
    })
}

/// Every x86-64 name of a general-purpose register or part of one.
fn register(name: &str) -> Option<Register> {
    let make = |reg, bits, shift| {
        Some(Register {
            reg,
            bits,
            shift,
            name: leak_name(name)?,
        })
    };
    match name {
        "rip" => return make(GpReg::Rip, 64, 0),
        "eip" => return make(GpReg::Rip, 32, 0),
        _ => {}
    }
    for (reg, base) in GpReg::LEGACY {
        let letter = &base[..1];
        let high_low = matches!(base, "ax" | "bx" | "cx" | "dx");
        if name == format!("r{base}") {
            return make(reg, 64, 0);
        }
        if name == format!("e{base}") {
            return make(reg, 32, 0);
        }
        if name == base {
            return make(reg, 16, 0);
        }
        if high_low && name == format!("{letter}l") {
            return make(reg, 8, 0);
        }
        if high_low && name == format!("{letter}h") {
            return make(reg, 8, 8);
        }
        if !high_low && name == format!("{base}l") {
            return make(reg, 8, 0);
        }
    }
    let number = name.strip_prefix('r')?;
    let digits = number.trim_end_matches(['d', 'w', 'b', 'l']);
    let n: usize = digits.parse().ok()?;
    let reg = *GpReg::NUMBERED.get(n.checked_sub(8)?)?;
    let bits = match &number[digits.len()..] {
        "" => 64,
        "d" => 32,
        "w" => 16,
        "b" | "l" => 8,
        _ => return None,
    };
    make(reg, bits, 0)
}

/// The `'static` copy of a register name: names come from a fixed set, so
/// this looks the text up in that set instead of leaking memory.
fn leak_name(name: &str) -> Option<&'static str> {
    const NAMES: &[&str] = &[
        "rip", "eip", "rax", "eax", "ax", "al", "ah", "rbx", "ebx", "bx", "bl", "bh", "rcx", "ecx",
        "cx", "cl", "ch", "rdx", "edx", "dx", "dl", "dh", "rsi", "esi", "si", "sil", "rdi", "edi",
        "di", "dil", "rbp", "ebp", "bp", "bpl", "rsp", "esp", "sp", "spl", "r8", "r8d", "r8w",
        "r8b", "r8l", "r9", "r9d", "r9w", "r9b", "r9l", "r10", "r10d", "r10w", "r10b", "r10l",
        "r11", "r11d", "r11w", "r11b", "r11l", "r12", "r12d", "r12w", "r12b", "r12l", "r13",
        "r13d", "r13w", "r13b", "r13l", "r14", "r14d", "r14w", "r14b", "r14l", "r15", "r15d",
        "r15w", "r15b", "r15l",
    ];
    NAMES.iter().copied().find(|n| *n == name)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reg(name: &str) -> Register {
        register(name).unwrap_or_else(|| panic!("{name} is a register"))
    }

    #[test]
    fn register_operands() {
        let a = parse_arg("-4@%eax").unwrap();
        assert_eq!(
            a,
            UsdtArg {
                size: 4,
                signed: true,
                location: ArgLocation::Register(Register {
                    reg: GpReg::Rax,
                    bits: 32,
                    shift: 0,
                    name: "eax"
                })
            }
        );
        assert_eq!(a.to_string(), "int32 in %eax");
        let r = parse_arg("8@%r12").unwrap();
        assert!(!r.signed);
        assert_eq!(r.location, ArgLocation::Register(reg("r12")));
        assert_eq!(reg("r12").reg, GpReg::R12);
        assert_eq!((reg("r9d").reg, reg("r9d").bits), (GpReg::R9, 32));
        assert_eq!((reg("r15w").bits, reg("r11b").bits), (16, 8));
        assert_eq!(
            (reg("ah").reg, reg("ah").shift, reg("ah").bits),
            (GpReg::Rax, 8, 8)
        );
        assert_eq!((reg("dil").reg, reg("dil").bits), (GpReg::Rdi, 8));
        assert_eq!((reg("si").reg, reg("si").bits), (GpReg::Rsi, 16));
        assert_eq!(reg("rbp").reg, GpReg::Rbp);
        for bad in ["r7", "r16", "r8q", "xmm0", "sih", "eaxx", ""] {
            assert!(register(bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn memory_operands() {
        let a = parse_arg("8@-8(%rbp)").unwrap();
        assert_eq!(
            a.location,
            ArgLocation::Memory {
                base: reg("rbp"),
                offset: -8
            }
        );
        assert_eq!(a.to_string(), "uint64 at -8(%rbp)");
        let b = parse_arg("-2@0x10(%rsp)").unwrap();
        assert_eq!(
            b.location,
            ArgLocation::Memory {
                base: reg("rsp"),
                offset: 16
            }
        );
        let c = parse_arg("1@(%rdi)").unwrap();
        assert_eq!(c.to_string(), "uint8 at (%rdi)");
    }

    #[test]
    fn constants() {
        let a = parse_arg("-4@$5").unwrap();
        assert_eq!(
            (a.size, a.signed, a.location),
            (4, true, ArgLocation::Const(5))
        );
        assert_eq!(
            parse_arg("-4@$-7").unwrap().location,
            ArgLocation::Const(-7)
        );
        assert_eq!(
            parse_arg("8@$0x20").unwrap().location,
            ArgLocation::Const(32)
        );
        assert_eq!(parse_arg("-4@$5").unwrap().to_string(), "int32 = 5");
    }

    #[test]
    fn whole_strings() {
        let args = parse_args("-4@%edi 8@-8(%rbp)  -4@$5").unwrap();
        assert_eq!(args.len(), 3);
        assert!(parse_args("").unwrap().is_empty());
    }

    #[test]
    fn unsupported_forms_are_errors() {
        for bad in [
            "4@foo(%rip)",
            "8@-8(%rbp,%rax,8)",
            "3@%eax",
            "@%eax",
            "%eax",
            "8@%xmm0",
            "8@$abc",
            "8@-8(%rbp",
            "8@12",
        ] {
            let e = parse_arg(bad).unwrap_err();
            assert!(
                e.starts_with(&format!("unsupported USDT argument '{bad}'")),
                "{e}"
            );
        }
    }
}
