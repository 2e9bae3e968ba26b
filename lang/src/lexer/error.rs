//! Lexical errors, and how they read as diagnostics.

use super::MAX_NESTING;
use crate::ast::Span;
use crate::diagnostic::Diagnostic;
use std::fmt;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LexError {
    pub kind: LexErrorKind,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LexErrorKind {
    UnknownChar(char),
    UnterminatedString,
    UnterminatedComment,
    /// `\q`: the text of the escape.
    UnknownEscape(String),
    /// `\x` without hex digits, or an octal escape above 255.
    BadEscape(String),
    /// `\xNN` escapes that do not form UTF-8.
    InvalidUtf8String,
    /// The literal and why it is malformed.
    BadInt {
        literal: String,
        reason: String,
    },
    IntTooLarge(String),
    PositionalTooLarge(String),
    /// A `$` with no name, number or `#` after it.
    LoneDollar,
    /// Nesting beyond [`MAX_NESTING`]; also raised by the parser for
    /// expressions.
    TooDeep,
}

impl fmt::Display for LexError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.kind {
            LexErrorKind::UnknownChar(c) => write!(f, "unknown character `{}`", c.escape_debug()),
            LexErrorKind::UnterminatedString => write!(f, "unterminated string literal"),
            LexErrorKind::UnterminatedComment => write!(f, "unterminated block comment"),
            LexErrorKind::UnknownEscape(e) => write!(f, "unknown escape sequence `{e}`"),
            LexErrorKind::BadEscape(e) => write!(f, "invalid escape sequence `{e}`"),
            LexErrorKind::InvalidUtf8String => {
                write!(f, "the escapes in this string do not form valid UTF-8")
            }
            LexErrorKind::BadInt { literal, .. } => {
                write!(f, "invalid integer literal `{literal}`")
            }
            LexErrorKind::IntTooLarge(lit) => {
                write!(f, "integer literal `{lit}` does not fit in 64 bits")
            }
            LexErrorKind::PositionalTooLarge(lit) => {
                write!(f, "positional parameter `{lit}` is out of range")
            }
            LexErrorKind::LoneDollar => write!(f, "`$` must be followed by a name or a number"),
            LexErrorKind::TooDeep => {
                write!(f, "nested too deeply (the limit is {MAX_NESTING} levels)")
            }
        }
    }
}

impl LexError {
    pub fn to_diagnostic(&self) -> Diagnostic {
        let d = Diagnostic::error(self.span, self.to_string());
        match &self.kind {
            LexErrorKind::UnknownChar(_) => d.with_label("not valid here"),
            LexErrorKind::UnterminatedString => d
                .with_label("string starts here")
                .with_hint("close the string with `\"`; strings cannot span lines (use `\\n`)"),
            LexErrorKind::UnterminatedComment => {
                d.with_label("comment starts here").with_hint("close the comment with `*/`")
            }
            LexErrorKind::UnknownEscape(_) | LexErrorKind::BadEscape(_) => {
                d.with_label("in this string").with_hint(
                    "valid escapes are \\n \\t \\r \\\\ \\\" \\0, \\xNN (hex) and \\NNN (octal, up to \\377)",
                )
            }
            LexErrorKind::InvalidUtf8String => d
                .with_label("in this string")
                .with_hint("byte escapes must spell UTF-8 characters, e.g. \"\\xc3\\xa9\" for `é`"),
            LexErrorKind::BadInt { reason, .. } => d.with_label("malformed number").with_hint(
                format!("{reason}; integers are decimal, hex (0x1f), octal (0o17) or binary (0b101)"),
            ),
            LexErrorKind::IntTooLarge(_) => {
                d.with_label("too large").with_hint("the largest integer is 18446744073709551615")
            }
            LexErrorKind::PositionalTooLarge(_) => d.with_label("too large"),
            LexErrorKind::LoneDollar => d
                .with_label("expected a name after `$`")
                .with_hint("variables are written `$name`, parameters `$1`, and `$#` is their count"),
            LexErrorKind::TooDeep => d
                .with_label("too deep")
                .with_hint("split the expression up using variables (`$x = ...;`)"),
        }
    }
}
