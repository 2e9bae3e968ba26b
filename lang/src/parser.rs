//! The parser: tokens from [`crate::lexer`] through the LALRPOP grammar in
//! `grammar/rtrace.lalrpop` to an [`ast::Program`].

mod errors;
pub(crate) mod tree;

use crate::ast;
use crate::diagnostic::Diagnostic;
use crate::lexer::{self, LexError, LexErrorKind};
use std::fmt::Write;
use tree::Tree;

lalrpop_util::lalrpop_mod!(
    #[allow(clippy::all, clippy::pedantic, unused_qualifications)]
    grammar,
    "/rtrace.rs"
);

/// Parses a whole script. Stops at the first error, which is the one
/// diagnostic returned.
pub fn parse(source: &str) -> Result<ast::Program, Vec<Diagnostic>> {
    let (tokens, lex_error) = lexer::tokenize(source);
    let tree = Tree::new();
    // A lexing error goes last, so it is reported only if the tokens before
    // it parse.
    let stream = tokens.iter().cloned().map(Ok).chain(lex_error.map(Err));
    let result = grammar::ProgramParser::new().parse(&tree, stream);
    // Over-deep nesting lies before wherever parsing stopped, so it is the
    // first error.
    if let Some(span) = tree.too_deep() {
        return Err(vec![LexError {
            kind: LexErrorKind::TooDeep,
            span,
        }
        .to_diagnostic()]);
    }
    match result {
        Ok(program) => Ok(ast::Program {
            expr_count: tree.expr_count(),
            ..program
        }),
        Err(error) => Err(vec![errors::to_diagnostic(error, &tokens, source)]),
    }
}

/// One line per token with its byte range, for `rtrace -d`. A lexing error
/// ends the listing.
pub fn dump_tokens(source: &str) -> String {
    let (tokens, error) = lexer::tokenize(source);
    let mut out = String::new();
    for (start, token, end) in &tokens {
        // Writing to a String cannot fail.
        let _ = writeln!(out, "{start}..{end} {token:?}");
    }
    if let Some(e) = error {
        let _ = writeln!(out, "{}..{} error: {e}", e.span.start, e.span.end);
    }
    out
}
