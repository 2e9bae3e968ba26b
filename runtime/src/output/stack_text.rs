//! Stacks and symbols as bpftrace 0.17 prints them.
//!
//! A stack is a newline, then one line per frame, innermost first:
//! - bpftrace mode: `INDENT func+offset` (`INDENT 0xADDR` when unresolved);
//!   the indent is 4 spaces in a map key, 8 elsewhere;
//! - perf mode: `\tADDR func+offset`, and for user frames ` (module)`
//!   (` ([unknown])` when unresolved);
//! - raw mode: the addresses in hex.
//!
//! A stack the kernel did not give prints as nothing at all.

use rtrace_lang::types::StackMode;
use rtrace_stdlib::value::{Frame, Stack};

/// Indent of a stack printed as a map key.
pub const KEY_INDENT: usize = 4;
/// Indent of a stack printed as a value, by printf or by print.
pub const VALUE_INDENT: usize = 8;

pub fn render_stack(stack: &Stack, indent: usize) -> String {
    if !stack.found {
        return String::new();
    }
    let mut out = String::from("\n");
    for frame in &stack.frames {
        match stack.mode {
            StackMode::Bpftrace => {
                out.push_str(&" ".repeat(indent));
                out.push_str(&symbol_with_offset(frame));
            }
            StackMode::Perf => {
                out.push_str(&format!(
                    "\t{:x} {}",
                    frame.address,
                    symbol_with_offset(frame)
                ));
                if stack.user {
                    let module = frame.module.as_deref().filter(|_| frame.function.is_some());
                    out.push_str(&format!(" ({})", module.unwrap_or("[unknown]")));
                }
            }
            StackMode::Raw => out.push_str(&format!("{:x}", frame.address)),
        }
        out.push('\n');
    }
    out
}

/// `func+offset`, or `0xADDR` when the address is in no known function.
fn symbol_with_offset(frame: &Frame) -> String {
    match &frame.function {
        Some(name) => format!("{name}+{}", frame.offset),
        None => format!("{:#x}", frame.address),
    }
}

/// A frame in a folded stack: the function alone, as flame graphs group
/// by function; `[unknown]` as perf's stackcollapse writes it.
pub fn folded_frame(frame: &Frame) -> String {
    match &frame.function {
        Some(name) => name.replace(';', ":"),
        None => "[unknown]".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame(address: u64, function: Option<&str>, offset: u64, module: Option<&str>) -> Frame {
        Frame {
            address,
            function: function.map(str::to_string),
            offset,
            module: module.map(str::to_string),
        }
    }

    fn stack(user: bool, mode: StackMode) -> Stack {
        Stack {
            key: 1,
            user,
            mode,
            found: true,
            frames: vec![
                frame(
                    0x7f00_0000_1234,
                    Some("getppid"),
                    7,
                    Some("/usr/lib/libc.so.6"),
                ),
                frame(0x5555_0000_0040, None, 0, None),
            ],
        }
    }

    #[test]
    fn bpftrace_mode_indents() {
        assert_eq!(
            render_stack(&stack(true, StackMode::Bpftrace), 4),
            "\n    getppid+7\n    0x555500000040\n"
        );
    }

    #[test]
    fn perf_mode_shows_addresses_and_modules() {
        assert_eq!(
            render_stack(&stack(true, StackMode::Perf), 8),
            "\n\t7f0000001234 getppid+7 (/usr/lib/libc.so.6)\n\t555500000040 0x555500000040 ([unknown])\n"
        );
        // Kernel frames have no module in perf mode.
        assert_eq!(
            render_stack(&stack(false, StackMode::Perf), 8),
            "\n\t7f0000001234 getppid+7\n\t555500000040 0x555500000040\n"
        );
    }

    #[test]
    fn raw_mode_and_missing_stacks() {
        assert_eq!(
            render_stack(&stack(false, StackMode::Raw), 8),
            "\n7f0000001234\n555500000040\n"
        );
        let mut missing = stack(false, StackMode::Bpftrace);
        missing.found = false;
        assert_eq!(render_stack(&missing, 8), "");
    }
}
