//! When an entry is complete: the REPL keeps reading lines (with a
//! continuation prompt) while a body, predicate, bracket, string or
//! comment is still open. Decided with rtrace's own lexer, which knows
//! `< >` bodies and `/ /` predicates apart from comparisons and division.

use rtrace_lang::lexer::{tokenize, LexErrorKind, Token};

/// Whether `text` needs more lines before it can be compiled.
pub fn is_incomplete(text: &str) -> bool {
    if text.trim_start().starts_with(':') {
        return false;
    }
    match open_delimiters(text) {
        // Attach points (and a predicate) wait for their body, which may
        // start on the next line; a comma announces another attach point.
        Some((open, last)) => {
            !open.is_empty()
                || matches!(
                    last,
                    Some(Token::Comma | Token::AttachPoint(_) | Token::PredicateClose)
                )
        }
        None => false,
    }
}

/// Whether the end of `text` is inside a body or predicate (code) rather
/// than between probes (attach points).
pub fn in_code(text: &str) -> bool {
    open_delimiters(text).is_some_and(|(open, _)| !open.is_empty())
}

/// The delimiters still open at the end of `text`, innermost last, and its
/// last token; `None` for text with a mistake the parser will report. An
/// unterminated string or comment is still open, not a mistake.
fn open_delimiters(text: &str) -> Option<(Vec<Token<'_>>, Option<Token<'_>>)> {
    let (tokens, error) = tokenize(text);
    let unterminated = match error.map(|e| e.kind) {
        None => false,
        Some(LexErrorKind::UnterminatedString | LexErrorKind::UnterminatedComment) => true,
        Some(_) => return None,
    };
    let mut open = Vec::new();
    // A closer that does not match the innermost opener is a mistake the
    // parser reports, not a reason to wait.
    for (_, token, _) in &tokens {
        let closes = match token {
            Token::LBrace
            | Token::LParen
            | Token::LBracket
            | Token::AngleBodyOpen
            | Token::PredicateOpen => {
                open.push(token.clone());
                continue;
            }
            Token::RBrace => Token::LBrace,
            Token::RParen => Token::LParen,
            Token::RBracket => Token::LBracket,
            Token::AngleBodyClose => Token::AngleBodyOpen,
            Token::PredicateClose => Token::PredicateOpen,
            _ => continue,
        };
        if open.pop() != Some(closes) {
            return None;
        }
    }
    if unterminated {
        // Stands for the string or comment.
        open.push(Token::LBrace);
    }
    let last = tokens.last().map(|(_, t, _)| t.clone());
    Some((open, last))
}

#[cfg(test)]
mod tests {
    use super::is_incomplete;

    #[test]
    fn open_bodies_brackets_and_strings_continue() {
        for text in [
            "BEGIN {",
            "BEGIN { if (1) {",
            "t:syscalls:sys_enter_read <",
            "t:syscalls:sys_enter_read < @x = (1",
            "BEGIN { printf(\"a",
            "BEGIN { /* note",
            "BEGIN { @x[1",
            "t:sched:sched_switch /pid",
            "t:sched:sched_switch,",
            "t:sched:sched_switch",
            "t:sched:sched_switch /pid == 1/",
        ] {
            assert!(is_incomplete(text), "{text:?} should continue");
        }
    }

    #[test]
    fn closed_or_broken_entries_are_complete() {
        for text in [
            "BEGIN { printf(\"hi\\n\"); }",
            "BEGIN\n{\n  @x = 1;\n}",
            "t:syscalls:sys_exit_read < @big = count() >",
            "t:syscalls:sys_exit_read /args.ret > 100/ { @ = count(); }",
            // Errors are shown at once rather than waited on.
            "BEGIN { printf(\"hi\" }",
            "BEGIN }",
            "BEGIN { $ }",
            ":print @x",
            ":load {",
        ] {
            assert!(!is_incomplete(text), "{text:?} should be complete");
        }
    }
}
