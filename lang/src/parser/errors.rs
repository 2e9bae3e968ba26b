//! Turns LALRPOP's parse errors into diagnostics a person can act on:
//! grammar terminal names become words, and the mistakes that rtrace's
//! context-sensitive syntax makes likely (a `>` ending a `< >` body early,
//! a `/` ending a predicate early, a missing `;`) get a hint.

use crate::ast::Span;
use crate::diagnostic::Diagnostic;
use crate::lexer::{LexError, Spanned, Token};
use lalrpop_util::ParseError;

/// Terminals that can start an expression, as LALRPOP names them.
const EXPRESSION_STARTS: &[&str] = &[
    "IDENT",
    "INT",
    "STR",
    "VAR",
    "POSITIONAL",
    "POSITIONAL_COUNT",
    "MAP",
    "INT_TYPE",
    "\"(\"",
    "\"-\"",
    "\"!\"",
    "\"~\"",
    "\"++\"",
    "\"--\"",
    "\"*\"",
    "\"sizeof\"",
    "\"offsetof\"",
    // After `(`, where a cast's type may start.
    "\"struct\"",
    "\"union\"",
    "\"enum\"",
];

/// Terminals that can follow an operand.
const OPERATORS: &[&str] = &[
    "\"+\"", "\"-\"", "\"*\"", "\"/\"", "\"%\"", "\"&\"", "\"|\"", "\"^\"", "\"&&\"", "\"||\"",
    "\"==\"", "\"!=\"", "\"<\"", "\"<=\"", "\">\"", "\">=\"", "\"<<\"", "\">>\"", "\"?\"", "\".\"",
    "\"->\"", "\"++\"", "\"--\"", "\"[\"", "\"(\"", "\"=\"", "\"+=\"", "\"-=\"", "\"*=\"",
    "\"/=\"", "\"%=\"", "\"&=\"", "\"|=\"", "\"^=\"", "\"<<=\"", "\">>=\"",
];

const ANGLE_BODY_HINT: &str =
    "a bare `>` ends a `< >` body; put a comparison inside it in parentheses: `(a > b)`";
const DIVISION_HINT: &str =
    "to divide inside a predicate, put the division in parentheses: `/(a / b) > 1/`";
const ASSIGN_HINT: &str =
    "`=` assigns, and only as a statement of its own (`@x = 1;`); to compare, use `==`";

/// Terminals named before any others in "expected ...".
const LISTED_FIRST: &[&str] = &["\";\"", "\",\"", "\")\"", "\"]\"", "\"}\""];

pub(super) fn to_diagnostic(
    error: ParseError<usize, Token<'_>, LexError>,
    tokens: &[Spanned<'_>],
    source: &str,
) -> Diagnostic {
    let (start, end, expected) = match error {
        ParseError::User { error } => return error.to_diagnostic(),
        ParseError::UnrecognizedToken {
            token: (start, _, end),
            expected,
        } => (start, end, expected),
        ParseError::UnrecognizedEof { location, expected } => (location, location, expected),
        // Neither happens with this grammar and an external lexer, but a
        // plain message beats a panic.
        ParseError::ExtraToken {
            token: (start, _, end),
        } => (start, end, Vec::new()),
        ParseError::InvalidToken { location } => (location, location, Vec::new()),
    };
    let found = tokens.iter().position(|t| t.0 == start && start < end);
    let cx = Context {
        tokens,
        found,
        span: Span::new(start, end),
        expected,
        source,
    };
    cx.diagnose()
}

/// Everything known about one unexpected token.
struct Context<'a, 'src> {
    tokens: &'a [Spanned<'src>],
    /// Index of the unexpected token; `None` at the end of input.
    found: Option<usize>,
    span: Span,
    expected: Vec<String>,
    source: &'a str,
}

impl Context<'_, '_> {
    fn diagnose(&self) -> Diagnostic {
        let found = match self.found {
            Some(_) => format!("`{}`", self.found_text()),
            None => "end of input".to_string(),
        };
        let message = match self.expected_list() {
            Some(list) => format!("expected {list}, found {found}"),
            None => format!("unexpected {found}"),
        };
        let label = if self.found.is_some() {
            "unexpected token"
        } else {
            "input ends here"
        };
        let diagnostic = Diagnostic::error(self.span, message).with_label(label);
        self.add_hint(diagnostic)
    }

    /// The first hint that applies; they are ordered from most to least
    /// specific.
    fn add_hint(&self, d: Diagnostic) -> Diagnostic {
        if let Some(close) = self.angle_body_closed_early() {
            let d = if Some(close) == self.found_token_spanned().map(span_of) {
                d
            } else {
                d.with_related(close, "this `>` ended the `< >` body")
            };
            return d.with_hint(ANGLE_BODY_HINT);
        }
        if let Some(close) = self.predicate_closed_early() {
            return d
                .with_related(close, "the predicate ends at this `/`")
                .with_hint(DIVISION_HINT);
        }
        if let Some(open) = self.unclosed_predicate() {
            return d
                .with_related(open, "predicate starts here")
                .with_hint("the predicate needs a closing `/` before the body");
        }
        let found = self.found_token();
        let previous = self
            .found
            .unwrap_or(self.tokens.len())
            .checked_sub(1)
            .map(|i| &self.tokens[i].1);
        if found == Some(&Token::Assign) && self.expects("\"==\"") {
            return d.with_hint(ASSIGN_HINT);
        }
        if self.expects("\";\"") && found.is_some_and(starts_statement) {
            let mut d = d.with_hint("statements are separated by `;`");
            d.label = "expected `;` before this".into();
            return d;
        }
        if previous == Some(&Token::If) {
            return d.with_hint("the condition of `if` goes in parentheses: `if (cond) { ... }`");
        }
        if previous == Some(&Token::While) {
            return d
                .with_hint("the condition of `while` goes in parentheses: `while (cond) { ... }`");
        }
        if previous == Some(&Token::Unroll) {
            return d.with_hint(
                "the count of `unroll` is a number in parentheses: `unroll(4) { ... }`",
            );
        }
        let only_brace = self.expected.len() == 1 && self.expects("\"{\"");
        if (only_brace && previous == Some(&Token::RParen)) || previous == Some(&Token::Else) {
            return d.with_hint("the bodies of `if` and `else` must be in braces: `{ ... }`");
        }
        if self.expects("ATTACH_POINT")
            && matches!(found, Some(Token::RBrace | Token::RParen | Token::RBracket))
        {
            return d.with_hint(format!(
                "this `{}` has no matching opening bracket",
                self.found_text()
            ));
        }
        if self.expects("ATTACH_POINT") && found == Some(&Token::LBrace) {
            return d.with_hint("a probe starts with where to attach, e.g. `BEGIN { ... }`");
        }
        d
    }

    /// The `>` that ended a `< >` body, if the error looks caused by it:
    /// either that `>` is the unexpected token, or what follows it does not
    /// look like the start of another probe.
    fn angle_body_closed_early(&self) -> Option<Span> {
        if let Some(t @ (_, Token::AngleBodyClose, _)) = self.found_token_spanned() {
            return Some(span_of(t));
        }
        let index = self.found.unwrap_or(self.tokens.len());
        let before = &self.tokens[..index];
        let close = before.iter().rposition(|(_, t, _)| {
            matches!(
                t,
                Token::AngleBodyClose | Token::LBrace | Token::AngleBodyOpen | Token::PredicateOpen
            )
        })?;
        if before[close].1 != Token::AngleBodyClose {
            return None;
        }
        let after = self.tokens.get(close + 1).map(|(_, t, _)| t);
        let looks_misplaced = match after {
            Some(Token::AttachPoint(text)) => !looks_like_attach_point(text),
            Some(t) => matches!(t, Token::Semi | Token::RParen | Token::RBracket | Token::Gt),
            None => false,
        };
        looks_misplaced.then(|| span_of(&before[close]))
    }

    /// The `/` that ended a predicate, if the unexpected token follows it
    /// on the same line, as in `/a / 2 == 1/`.
    fn predicate_closed_early(&self) -> Option<Span> {
        let index = self.found?;
        let previous = index.checked_sub(1).map(|i| &self.tokens[i])?;
        let found = &self.tokens[index];
        let same_line = !self.source[previous.2..found.0].contains('\n');
        let is_body = matches!(found.1, Token::LBrace | Token::AngleBodyOpen);
        (previous.1 == Token::PredicateClose && same_line && !is_body).then(|| span_of(previous))
    }

    /// The `/` opening a predicate that the error is inside of.
    fn unclosed_predicate(&self) -> Option<Span> {
        let index = self.found.unwrap_or(self.tokens.len());
        let last = self.tokens[..index]
            .iter()
            .rfind(|(_, t, _)| matches!(t, Token::PredicateOpen | Token::PredicateClose))?;
        let at_body = matches!(self.found_token(), None | Some(Token::LBrace));
        (last.1 == Token::PredicateOpen && at_body).then(|| span_of(last))
    }

    fn found_token_spanned(&self) -> Option<&Spanned<'_>> {
        self.found.map(|i| &self.tokens[i])
    }

    fn found_token(&self) -> Option<&Token<'_>> {
        self.found_token_spanned().map(|(_, t, _)| t)
    }

    /// The source text of the unexpected token, shortened if long.
    fn found_text(&self) -> String {
        let text = self.source.get(self.span.range()).unwrap_or("");
        match text.char_indices().nth(30) {
            Some((cut, _)) => format!("{}...", &text[..cut]),
            None => text.to_string(),
        }
    }

    fn expects(&self, terminal: &str) -> bool {
        self.expected.iter().any(|e| e == terminal)
    }

    /// "`;`, `}` or an operator": specific tokens first, then whole
    /// classes that would otherwise list a dozen operators.
    fn expected_list(&self) -> Option<String> {
        let mut names: Vec<&str> = self.expected.iter().map(String::as_str).collect();
        let mut classes = Vec::new();
        // After a `.`: a field name or a tuple element.
        if names.len() == 2 && names.contains(&"INT") && names.contains(&"IDENT") {
            return Some("a field name or a tuple index (`.0`, `.1`, ...)".into());
        }
        if names.contains(&"INT") {
            let statement = names.contains(&"\"if\"");
            classes.push(if statement {
                "a statement"
            } else {
                "an expression"
            });
            names.retain(|n| !EXPRESSION_STARTS.contains(n) && !STATEMENT_KEYWORDS.contains(n));
        }
        if names.contains(&"\"+\"") {
            classes.push("an operator");
            names.retain(|n| !OPERATORS.contains(n));
        }
        if names.contains(&"\"{\"") && names.contains(&"ANGLE_BODY_OPEN") {
            classes.push("a probe body");
            names.retain(|n| !matches!(*n, "\"{\"" | "ANGLE_BODY_OPEN"));
        }
        // Separators and closers first: they are usually what was missing.
        names.sort_by_key(|n| {
            LISTED_FIRST
                .iter()
                .position(|f| f == n)
                .unwrap_or(LISTED_FIRST.len())
        });
        let items: Vec<String> = names
            .into_iter()
            .map(friendly_name)
            .chain(classes.into_iter().map(String::from))
            .collect();
        match items.as_slice() {
            [] => None,
            [one] => Some(one.clone()),
            [first, second] => Some(format!("{first} or {second}")),
            [init @ .., last] => Some(format!("one of {} or {last}", init.join(", "))),
        }
    }
}

/// Keywords that start a statement: "a statement" covers them.
const STATEMENT_KEYWORDS: &[&str] = &[
    "\"if\"",
    "\"while\"",
    "\"unroll\"",
    "\"break\"",
    "\"continue\"",
];

/// A grammar terminal as a reader would call it.
fn friendly_name(terminal: &str) -> String {
    let word = match terminal {
        "ATTACH_POINT" => "an attach point",
        "PREDICATE_OPEN" => "a predicate `/.../`",
        "PREDICATE_CLOSE" => "`/` ending the predicate",
        "ANGLE_BODY_OPEN" => "`<`",
        "ANGLE_BODY_CLOSE" => "`>` ending the body",
        "IDENT" => "an identifier",
        "INT" => "an integer",
        "STR" => "a string",
        "VAR" => "a variable",
        "POSITIONAL" => "a positional parameter",
        "POSITIONAL_COUNT" => "`$#`",
        "MAP" => "a map",
        quoted => return format!("`{}`", quoted.trim_matches('"')),
    };
    word.to_string()
}

fn span_of(token: &Spanned<'_>) -> Span {
    Span::new(token.0, token.2)
}

fn starts_statement(token: &Token<'_>) -> bool {
    matches!(
        token,
        Token::Ident(_)
            | Token::Map(_)
            | Token::Var(_)
            | Token::Positional(_)
            | Token::PositionalCount
            | Token::Int(_)
            | Token::Str(_)
            | Token::If
            | Token::While
            | Token::Unroll
            | Token::Break
            | Token::Continue
            | Token::PlusPlus
            | Token::MinusMinus
    )
}

/// Whether raw text after a `< >` body could plausibly be the next probe:
/// every probe type but `BEGIN`/`END` is written with a `:`.
fn looks_like_attach_point(text: &str) -> bool {
    text.contains(':') || text.eq_ignore_ascii_case("begin") || text.eq_ignore_ascii_case("end")
}
