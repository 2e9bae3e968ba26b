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
//! delimiters. Everything else is lexed by the `logos`-generated `Raw`
//! lexer, one token at a time from the current position, so the mode can
//! change between any two tokens.

mod error;
mod literals;
mod raw;

pub use error::{LexError, LexErrorKind};

use crate::ast::Span;
use crate::types::IntType;
use literals::{decode_string, parse_int};
use logos::Logos;
use raw::{punctuation, Raw, RawError};

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

    /// An integer type name in a cast: `int8` ... `uint64`.
    IntTypeName(IntType),
    If,
    Else,
    While,
    Break,
    Continue,
    Unroll,
    /// `struct`, `union`, `enum`: kernel type names in casts, `sizeof`
    /// and `offsetof`.
    Struct,
    Union,
    Enum,
    Sizeof,
    Offsetof,

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
                // Types come from the kernel's BTF, so the headers a
                // bpftrace script includes for them are not needed.
                _ if trimmed.starts_with("#include") => {
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
                Raw::Ident => match IntType::from_name(text) {
                    Some(int) => Token::IntTypeName(int),
                    None => Token::Ident(text),
                },
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
