//! Parse errors as the user sees them: the rendered message, where the
//! caret points, and the hint.

use rtrace_lang::diagnostic::{render, Diagnostic};
use rtrace_lang::parse;

/// The one diagnostic for `src` and its plain-text rendering.
fn error(src: &str) -> (Diagnostic, String) {
    let diagnostics = match parse(src) {
        Ok(p) => panic!("{src:?} should not parse, got {p:?}"),
        Err(d) => d,
    };
    assert_eq!(diagnostics.len(), 1, "{diagnostics:?}");
    let rendered = render(&diagnostics, "-e", src, false);
    (diagnostics.into_iter().next().unwrap(), rendered)
}

/// Where the primary caret (`^`) points in a rendering: 1-based line and
/// column, read off the drawing itself.
fn caret(rendered: &str) -> (usize, usize) {
    let lines: Vec<&str> = rendered.lines().collect();
    let mut source_line = None;
    for line in &lines {
        let Some((gutter, rest)) = line.split_once('│') else {
            continue;
        };
        if let Ok(n) = gutter.trim().parse::<usize>() {
            source_line = Some(n);
        } else if let Some(col) = rest.chars().position(|c| c == '^') {
            // `rest` starts with the space after the gutter bar.
            return (source_line.expect("a source line before the caret"), col);
        }
    }
    panic!("no caret in:\n{rendered}");
}

#[track_caller]
fn check(src: &str, message: &str, at: (usize, usize), hint: Option<&str>) -> String {
    let (d, rendered) = error(src);
    assert_eq!(d.message, message, "\n{rendered}");
    assert!(
        rendered.contains(&format!("error: {message}")),
        "{rendered}"
    );
    assert_eq!(caret(&rendered), at, "\n{rendered}");
    assert!(
        rendered.contains(&format!("-e:{}:{}", at.0, at.1)),
        "{rendered}"
    );
    match hint {
        Some(hint) => assert!(rendered.contains(&format!("help: {hint}")), "{rendered}"),
        None => assert!(d.hints.is_empty(), "unexpected hint: {rendered}"),
    }
    rendered
}

#[test]
fn unexpected_closing_paren() {
    check(
        "BEGIN { foo(1)) }",
        "expected one of `;`, `}` or an operator, found `)`",
        (1, 15),
        None,
    );
}

#[test]
fn unexpected_end_of_input() {
    check(
        "BEGIN { x",
        "expected one of `;`, `}` or an operator, found end of input",
        (1, 10),
        None,
    );
    check(
        "BEGIN { foo(1, ",
        "expected an expression, found end of input",
        (1, 15),
        None,
    );
}

#[test]
fn missing_semicolon_between_statements() {
    let rendered = check(
        "BEGIN {\n  @a = 1\n  @b = 2\n}",
        "expected one of `;`, `}` or an operator, found `@b`",
        (3, 3),
        Some("statements are separated by `;`"),
    );
    assert!(
        rendered.contains("^^ expected `;` before this"),
        "{rendered}"
    );
}

#[test]
fn greater_than_ending_an_angle_body_early() {
    let rendered = check(
        "k:f < @x = a > b >",
        "expected one of `,`, a predicate `/.../` or a probe body, found `>`",
        (1, 18),
        Some("a bare `>` ends a `< >` body; put a comparison inside it in parentheses: `(a > b)`"),
    );
    assert!(
        rendered.contains("this `>` ended the `< >` body"),
        "{rendered}"
    );
    // Where the early `>` leaves an operand missing, it is itself the error.
    check(
        "k:f < @x = >",
        "expected an expression, found `>`",
        (1, 12),
        Some("a bare `>` ends a `< >` body; put a comparison inside it in parentheses: `(a > b)`"),
    );
    // Across lines, the leftovers are read as attach points.
    check(
        "k:f <\n  @x = a > 1;\n  @y = 2\n>",
        "expected one of `,`, a predicate `/.../` or a probe body, found `@y`",
        (3, 3),
        Some("a bare `>` ends a `< >` body; put a comparison inside it in parentheses: `(a > b)`"),
    );
}

#[test]
fn division_ending_a_predicate_early() {
    let rendered = check(
        "BEGIN /a / 2 == 1/ { }",
        "expected a probe body, found `2`",
        (1, 12),
        Some("to divide inside a predicate, put the division in parentheses: `/(a / b) > 1/`"),
    );
    assert!(
        rendered.contains("the predicate ends at this `/`"),
        "{rendered}"
    );
}

#[test]
fn unclosed_predicate() {
    let rendered = check(
        "BEGIN /pid == 1 { }",
        "expected `/` ending the predicate or an operator, found `{`",
        (1, 17),
        Some("the predicate needs a closing `/` before the body"),
    );
    assert!(rendered.contains("predicate starts here"), "{rendered}");
}

#[test]
fn tuple_syntax_errors() {
    // No one-element tuple, trailing comma or empty tuple.
    check(
        "BEGIN { $t = (1,); }",
        "expected an expression, found `)`",
        (1, 17),
        None,
    );
    check(
        "BEGIN { $t = (); }",
        "expected an expression, found `)`",
        (1, 15),
        None,
    );
    check(
        "BEGIN { $u = $t.-1; }",
        "expected a field name or a tuple index (`.0`, `.1`, ...), found `-`",
        (1, 17),
        None,
    );
}

#[test]
fn assignment_where_a_comparison_was_meant() {
    check(
        "BEGIN /pid = 1/ { }",
        "expected `/` ending the predicate or an operator, found `=`",
        (1, 12),
        Some("`=` assigns, and only as a statement of its own (`@x = 1;`); to compare, use `==`"),
    );
}

#[test]
fn if_needs_parentheses_and_braces() {
    check(
        "BEGIN { if x { } }",
        "expected `(`, found `x`",
        (1, 12),
        Some("the condition of `if` goes in parentheses: `if (cond) { ... }`"),
    );
    check(
        "BEGIN { if (x) y; }",
        "expected `{`, found `y`",
        (1, 16),
        Some("the bodies of `if` and `else` must be in braces: `{ ... }`"),
    );
    check(
        "BEGIN { if (x) { } else y }",
        "expected `if` or `{`, found `y`",
        (1, 25),
        Some("the bodies of `if` and `else` must be in braces: `{ ... }`"),
    );
}

#[test]
fn probe_structure_errors() {
    check(
        "BEGIN { } }",
        "expected an attach point, found `}`",
        (1, 11),
        Some("this `}` has no matching opening bracket"),
    );
    check(
        "{ }",
        "expected an attach point, found `{`",
        (1, 1),
        Some("a probe starts with where to attach, e.g. `BEGIN { ... }`"),
    );
    check(
        "BEGIN",
        "expected one of `,`, a predicate `/.../` or a probe body, found end of input",
        (1, 6),
        None,
    );
    check(
        "kprobe:f , , {}",
        "expected an attach point, found `,`",
        (1, 12),
        None,
    );
    check(
        "BEGIN { @x[] = 1 }",
        "expected an expression, found `]`",
        (1, 12),
        None,
    );
}

#[test]
fn long_tokens_are_shortened_in_messages() {
    let (d, _) = error("BEGIN /x/ kprobe:a_very_long_function_name_indeed_it_is {}");
    assert_eq!(
        d.message,
        "expected a probe body, found `kprobe:a_very_long_function_na...`"
    );
}

#[test]
fn lexical_errors() {
    check(
        "BEGIN { printf(\"hi); }",
        "unterminated string literal",
        (1, 16),
        Some("close the string with `\"`; strings cannot span lines (use `\\n`)"),
    );
    check(
        "BEGIN { } /* open",
        "unterminated block comment",
        (1, 11),
        Some("close the comment with `*/`"),
    );
    check("BEGIN {\n  x = # }", "unknown character `#`", (2, 7), None);
    check(
        "BEGIN { \"a\\qb\" }",
        "unknown escape sequence `\\q`",
        (1, 11),
        Some("valid escapes are \\n \\t \\r \\\\ \\\" \\0, \\xNN (hex) and \\NNN (octal, up to \\377)"),
    );
    check(
        "BEGIN { 0x1g }",
        "invalid integer literal `0x1g`",
        (1, 9),
        Some("`g` is not a hexadecimal digit; integers are decimal, hex (0x1f), octal (0o17) or binary (0b101)"),
    );
    check(
        "BEGIN { $ }",
        "`$` must be followed by a name or a number",
        (1, 9),
        Some("variables are written `$name`, parameters `$1`, and `$#` is their count"),
    );
}

#[test]
fn the_first_error_in_the_source_wins() {
    // A syntax error before a lexical one is reported, not the later one.
    check(
        "BEGIN { ) \"open",
        "expected one of `;`, `}` or a statement, found `)`",
        (1, 9),
        None,
    );
    check("BEGIN { # ) }", "unknown character `#`", (1, 9), None);
}
