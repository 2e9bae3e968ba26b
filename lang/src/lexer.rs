//! The lexer: source text to tokens for the LALRPOP grammar.
//!
//! rtrace's syntax is context-sensitive in three places, all inherited from
//! bpftrace:
//!
//! * attach points (`uprobe:/bin/bash:readline`, `t:sched:*`) are raw text,
//!   not expressions, so outside bodies and predicates the lexer cuts them
//!   out by hand instead of tokenizing them;
//! * a predicate is delimited by `/`, which is also the division operator;
//! * a body may be written `< ... >`, whose closing `>` is also the
//!   greater-than operator.
//!
//! Teaching the grammar about these would make it ambiguous, so [`Lexer`]
//! tracks which of these contexts it is in and hands the parser distinct
//! tokens ([`Token::PredicateOpen`], [`Token::AngleBodyClose`], ...) for the
//! delimiters. Everything else is lexed by the `logos`-generated [`Raw`]
//! lexer, one token at a time from the current position, so the mode can
//! change between any two tokens.

use crate::ast::Span;
use crate::diagnostic::Diagnostic;
use logos::Logos;
use std::fmt;

/// A token as the parser sees it. Payloads borrow from the source where
/// they can; strings own their decoded text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Token<'src> {
    /// Raw attach-point text such as `kprobe:vfs_*`.
    AttachPoint(&'src str),
    /// The `/` opening a predicate.
    PredicateOpen,
    /// The `/` closing a predicate (the first `/` outside parentheses).
    PredicateClose,
    /// The `<` opening a `< ... >` body.
    AngleBodyOpen,
    /// The bare `>` closing a `< ... >` body.
    AngleBodyClose,

    Ident(&'src str),
    Int(u64),
    /// A string literal, escapes decoded.
    Str(String),
    /// `$name`, without the `$`.
    Var(&'src str),
    /// `$1`, `$2`, ...
    Positional(u32),
    /// `$#`
    PositionalCount,
    /// `@name` without the `@`; empty for a bare `@`.
    Map(&'src str),

    If,
    Else,

    LParen,
    RParen,
    LBracket,
    RBracket,
    LBrace,
    RBrace,
    Comma,
    Semi,
    Question,
    Colon,
    Dot,
    Arrow,

    Plus,
    Minus,
    Star,
    Slash,
    Percent,
    Amp,
    Pipe,
    Caret,
    Tilde,
    Bang,
    AndAnd,
    OrOr,
    EqEq,
    NotEq,
    Lt,
    Le,
    Gt,
    Ge,
    Shl,
    Shr,
    PlusPlus,
    MinusMinus,

    Assign,
    PlusEq,
    MinusEq,
    StarEq,
    SlashEq,
    PercentEq,
    AmpEq,
    PipeEq,
    CaretEq,
    ShlEq,
    ShrEq,
}

/// How deeply brackets, and expressions, may nest. Later passes walk the
/// tree recursively, so an absurd depth would overflow their stack; no
/// real script comes near this.
pub const MAX_NESTING: u32 = 256;

/// A token with its byte range, in the shape LALRPOP's external lexer
/// interface wants.
pub type Spanned<'src> = (usize, Token<'src>, usize);

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

/// What `logos` can fail on by itself; the wrapper turns these into
/// [`LexErrorKind`]s with the offending text.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
enum RawError {
    #[default]
    UnknownChar,
    UnterminatedString,
    UnterminatedComment,
}

/// Context-free tokens, as `logos` sees them.
#[derive(Logos, Clone, Copy, Debug, PartialEq, Eq)]
#[logos(error = RawError)]
#[logos(skip r"[ \t\r\n\x0C]+")]
enum Raw {
    #[regex(r"//[^\n]*")]
    LineComment,
    #[token("/*", block_comment)]
    BlockComment,
    #[token("\"", string_literal)]
    Str,
    // Any alphanumeric run starting with a digit, so `0xZZ` and `12ab` are
    // one bad literal with a good error rather than a number and a name.
    #[regex(r"[0-9][0-9A-Za-z_]*")]
    Int,
    #[regex(r"[A-Za-z_][A-Za-z0-9_]*")]
    Ident,
    #[token("if")]
    If,
    #[token("else")]
    Else,
    #[regex(r"\$[A-Za-z_][A-Za-z0-9_]*")]
    Var,
    #[regex(r"\$[0-9]+")]
    Positional,
    #[token("$#")]
    PositionalCount,
    #[token("$")]
    Dollar,
    #[regex(r"@[A-Za-z_][A-Za-z0-9_]*")]
    #[token("@")]
    Map,

    #[token("(")]
    LParen,
    #[token(")")]
    RParen,
    #[token("[")]
    LBracket,
    #[token("]")]
    RBracket,
    #[token("{")]
    LBrace,
    #[token("}")]
    RBrace,
    #[token(",")]
    Comma,
    #[token(";")]
    Semi,
    #[token("?")]
    Question,
    #[token(":")]
    Colon,
    #[token(".")]
    Dot,
    #[token("->")]
    Arrow,
    #[token("+")]
    Plus,
    #[token("-")]
    Minus,
    #[token("*")]
    Star,
    #[token("/")]
    Slash,
    #[token("%")]
    Percent,
    #[token("&")]
    Amp,
    #[token("|")]
    Pipe,
    #[token("^")]
    Caret,
    #[token("~")]
    Tilde,
    #[token("!")]
    Bang,
    #[token("&&")]
    AndAnd,
    #[token("||")]
    OrOr,
    #[token("==")]
    EqEq,
    #[token("!=")]
    NotEq,
    #[token("<")]
    Lt,
    #[token("<=")]
    Le,
    #[token(">")]
    Gt,
    #[token(">=")]
    Ge,
    #[token("<<")]
    Shl,
    #[token(">>")]
    Shr,
    #[token("++")]
    PlusPlus,
    #[token("--")]
    MinusMinus,
    #[token("=")]
    Assign,
    #[token("+=")]
    PlusEq,
    #[token("-=")]
    MinusEq,
    #[token("*=")]
    StarEq,
    #[token("/=")]
    SlashEq,
    #[token("%=")]
    PercentEq,
    #[token("&=")]
    AmpEq,
    #[token("|=")]
    PipeEq,
    #[token("^=")]
    CaretEq,
    #[token("<<=")]
    ShlEq,
    #[token(">>=")]
    ShrEq,
}

/// Consumes a block comment after its `/*`. On failure nothing is consumed,
/// so the error points at the `/*`.
fn block_comment(lex: &mut logos::Lexer<Raw>) -> Result<(), RawError> {
    let end = lex
        .remainder()
        .find("*/")
        .ok_or(RawError::UnterminatedComment)?;
    lex.bump(end + 2);
    Ok(())
}

/// Consumes a string literal after its opening quote. Only finds the end;
/// escapes are decoded by [`decode_string`]. A raw newline ends the search,
/// so a missing quote is reported on its own line.
fn string_literal(lex: &mut logos::Lexer<Raw>) -> Result<(), RawError> {
    let mut chars = lex.remainder().char_indices();
    while let Some((i, c)) = chars.next() {
        match c {
            '"' => {
                lex.bump(i + 1);
                return Ok(());
            }
            '\\' => match chars.next() {
                Some((_, '\n')) | None => break,
                Some(_) => {}
            },
            '\n' => break,
            _ => {}
        }
    }
    Err(RawError::UnterminatedString)
}

/// The lexing context; see the module documentation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Mode {
    /// Between probes: attach points, `,`, and the opening of a predicate
    /// or body.
    Top,
    /// Inside `/ ... /`.
    Predicate,
    /// Inside `{ ... }`.
    BraceBody,
    /// Inside `< ... >`.
    AngleBody,
}

/// The mode-tracking lexer. Iterating yields tokens until the end of input
/// or the first error, after which it stops.
pub struct Lexer<'src> {
    src: &'src str,
    pos: usize,
    mode: Mode,
    /// Open `(`, `[` and `{` inside the current predicate or body; its
    /// closing delimiter only counts at depth 0.
    depth: u32,
    finished: bool,
}

impl<'src> Lexer<'src> {
    pub fn new(src: &'src str) -> Lexer<'src> {
        // A `#!` interpreter line lets scripts be executable.
        let pos = if src.starts_with("#!") {
            src.find('\n').unwrap_or(src.len())
        } else {
            0
        };
        Lexer {
            src,
            pos,
            mode: Mode::Top,
            depth: 0,
            finished: false,
        }
    }

    fn next_top(&mut self) -> Option<Result<Spanned<'src>, LexError>> {
        loop {
            let rest = &self.src[self.pos..];
            let trimmed = rest.trim_start_matches(is_space);
            self.pos += rest.len() - trimmed.len();
            let start = self.pos;
            let c = trimmed.chars().next()?;
            let single = |tok, mode| (tok, mode, start + 1);
            let (token, mode, end) = match c {
                _ if trimmed.starts_with("//") => {
                    self.pos += trimmed.find('\n').unwrap_or(trimmed.len());
                    continue;
                }
                _ if trimmed.starts_with("/*") => match trimmed[2..].find("*/") {
                    Some(end) => {
                        self.pos += 2 + end + 2;
                        continue;
                    }
                    None => {
                        let span = Span::new(start, start + 2);
                        return Some(Err(LexError {
                            kind: LexErrorKind::UnterminatedComment,
                            span,
                        }));
                    }
                },
                ',' => single(Token::Comma, Mode::Top),
                '{' => single(Token::LBrace, Mode::BraceBody),
                '<' => single(Token::AngleBodyOpen, Mode::AngleBody),
                '/' => single(Token::PredicateOpen, Mode::Predicate),
                // No attach point starts with a closing delimiter; lexing
                // these normally turns a stray `}` into "found `}`".
                '}' | ')' | ']' | ';' | '>' => return self.next_raw(),
                _ => {
                    let len = trimmed
                        .find(|c: char| is_space(c) || matches!(c, ',' | '{' | '<'))
                        .unwrap_or(trimmed.len());
                    (Token::AttachPoint(&trimmed[..len]), Mode::Top, start + len)
                }
            };
            self.pos = end;
            self.mode = mode;
            self.depth = 0;
            return Some(Ok((start, token, end)));
        }
    }

    /// Lexes one context-free token (skipping comments) at the current
    /// position.
    fn next_raw(&mut self) -> Option<Result<Spanned<'src>, LexError>> {
        loop {
            let base = self.pos;
            let mut lex = Raw::lexer(&self.src[base..]);
            let raw = lex.next()?;
            let (start, end) = (base + lex.span().start, base + lex.span().end);
            self.pos = end;
            // `logos` keeps spans, error spans too, on character boundaries.
            let text = &self.src[start..end];
            let error = |kind| {
                Some(Err(LexError {
                    kind,
                    span: Span::new(start, end),
                }))
            };
            let raw = match raw {
                Ok(Raw::LineComment | Raw::BlockComment) => continue,
                Ok(raw) => raw,
                Err(RawError::UnknownChar) => {
                    let c = text.chars().next().unwrap_or('\u{fffd}');
                    return error(LexErrorKind::UnknownChar(c));
                }
                Err(RawError::UnterminatedString) => {
                    return error(LexErrorKind::UnterminatedString)
                }
                Err(RawError::UnterminatedComment) => {
                    return error(LexErrorKind::UnterminatedComment)
                }
            };
            let token = match raw {
                Raw::Ident => Token::Ident(text),
                Raw::Int => match parse_int(text) {
                    Ok(n) => Token::Int(n),
                    Err(kind) => return error(kind),
                },
                Raw::Str => match decode_string(&text[1..text.len() - 1], start + 1) {
                    Ok(s) => Token::Str(s),
                    Err(e) => return Some(Err(e)),
                },
                Raw::Var => Token::Var(&text[1..]),
                Raw::Positional => match text[1..].parse() {
                    Ok(n) => Token::Positional(n),
                    Err(_) => return error(LexErrorKind::PositionalTooLarge(text.into())),
                },
                Raw::PositionalCount => Token::PositionalCount,
                Raw::Dollar => return error(LexErrorKind::LoneDollar),
                Raw::Map => Token::Map(&text[1..]),
                other => punctuation(other),
            };
            return Some(Ok((start, token, end)));
        }
    }

    /// The next token inside a predicate or body: a context-free token,
    /// unless it is the delimiter that ends the current context.
    fn next_inner(&mut self) -> Option<Result<Spanned<'src>, LexError>> {
        let (start, token, end) = match self.next_raw()? {
            Ok(t) => t,
            Err(e) => return Some(Err(e)),
        };
        let at_top = self.depth == 0;
        let token = match (self.mode, token) {
            (_, t @ (Token::LParen | Token::LBracket | Token::LBrace)) => {
                self.depth += 1;
                if self.depth > MAX_NESTING {
                    let span = Span::new(start, end);
                    return Some(Err(LexError {
                        kind: LexErrorKind::TooDeep,
                        span,
                    }));
                }
                t
            }
            (Mode::BraceBody, Token::RBrace) if at_top => {
                self.mode = Mode::Top;
                Token::RBrace
            }
            (_, t @ (Token::RParen | Token::RBracket | Token::RBrace)) => {
                self.depth = self.depth.saturating_sub(1);
                t
            }
            (Mode::AngleBody, Token::Gt) if at_top => {
                self.mode = Mode::Top;
                Token::AngleBodyClose
            }
            // `/=` at depth 0 is the closing `/` followed by `=`, so only
            // the `/` is taken.
            (Mode::Predicate, Token::Slash | Token::SlashEq) if at_top => {
                self.mode = Mode::Top;
                self.pos = start + 1;
                return Some(Ok((start, Token::PredicateClose, start + 1)));
            }
            (_, t) => t,
        };
        Some(Ok((start, token, end)))
    }
}

impl<'src> Iterator for Lexer<'src> {
    type Item = Result<Spanned<'src>, LexError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.finished {
            return None;
        }
        let item = match self.mode {
            Mode::Top => self.next_top(),
            _ => self.next_inner(),
        };
        if !matches!(item, Some(Ok(_))) {
            self.finished = true;
        }
        item
    }
}

/// Lexes the whole source: the tokens, and the error that stopped lexing
/// early, if any.
pub fn tokenize(src: &str) -> (Vec<Spanned<'_>>, Option<LexError>) {
    let mut tokens = Vec::new();
    for item in Lexer::new(src) {
        match item {
            Ok(t) => tokens.push(t),
            Err(e) => return (tokens, Some(e)),
        }
    }
    (tokens, None)
}

/// The whitespace `logos` skips; kept in sync with its `skip` pattern.
fn is_space(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\r' | '\n' | '\x0C')
}

fn punctuation(raw: Raw) -> Token<'static> {
    match raw {
        Raw::If => Token::If,
        Raw::Else => Token::Else,
        Raw::LParen => Token::LParen,
        Raw::RParen => Token::RParen,
        Raw::LBracket => Token::LBracket,
        Raw::RBracket => Token::RBracket,
        Raw::LBrace => Token::LBrace,
        Raw::RBrace => Token::RBrace,
        Raw::Comma => Token::Comma,
        Raw::Semi => Token::Semi,
        Raw::Question => Token::Question,
        Raw::Colon => Token::Colon,
        Raw::Dot => Token::Dot,
        Raw::Arrow => Token::Arrow,
        Raw::Plus => Token::Plus,
        Raw::Minus => Token::Minus,
        Raw::Star => Token::Star,
        Raw::Slash => Token::Slash,
        Raw::Percent => Token::Percent,
        Raw::Amp => Token::Amp,
        Raw::Pipe => Token::Pipe,
        Raw::Caret => Token::Caret,
        Raw::Tilde => Token::Tilde,
        Raw::Bang => Token::Bang,
        Raw::AndAnd => Token::AndAnd,
        Raw::OrOr => Token::OrOr,
        Raw::EqEq => Token::EqEq,
        Raw::NotEq => Token::NotEq,
        Raw::Lt => Token::Lt,
        Raw::Le => Token::Le,
        Raw::Gt => Token::Gt,
        Raw::Ge => Token::Ge,
        Raw::Shl => Token::Shl,
        Raw::Shr => Token::Shr,
        Raw::PlusPlus => Token::PlusPlus,
        Raw::MinusMinus => Token::MinusMinus,
        Raw::Assign => Token::Assign,
        Raw::PlusEq => Token::PlusEq,
        Raw::MinusEq => Token::MinusEq,
        Raw::StarEq => Token::StarEq,
        Raw::SlashEq => Token::SlashEq,
        Raw::PercentEq => Token::PercentEq,
        Raw::AmpEq => Token::AmpEq,
        Raw::PipeEq => Token::PipeEq,
        Raw::CaretEq => Token::CaretEq,
        Raw::ShlEq => Token::ShlEq,
        Raw::ShrEq => Token::ShrEq,
        // Tokens with payloads and comments are handled by the caller.
        Raw::LineComment
        | Raw::BlockComment
        | Raw::Str
        | Raw::Int
        | Raw::Ident
        | Raw::Var
        | Raw::Positional
        | Raw::PositionalCount
        | Raw::Dollar
        | Raw::Map => unreachable!("payload token {raw:?} passed to punctuation()"),
    }
}

/// Parses an integer literal: decimal, `0x` hex, `0o` octal or `0b`
/// binary, with `_` separators anywhere after the first digit.
fn parse_int(text: &str) -> Result<u64, LexErrorKind> {
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
fn decode_string(body: &str, offset: usize) -> Result<String, LexError> {
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
