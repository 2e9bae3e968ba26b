//! Lexer tests: the context-free tokens, and the modes that make attach
//! points, predicates and `< >` bodies work.

use rtrace_lang::lexer::{tokenize, LexErrorKind, Token};
use rtrace_lang::parser::dump_tokens;

/// The tokens of `src`, failing the test on a lexing error.
fn tokens(src: &str) -> Vec<Token<'_>> {
    let (tokens, error) = tokenize(src);
    assert_eq!(error, None, "lexing {src:?}");
    tokens.into_iter().map(|(_, t, _)| t).collect()
}

/// The tokens inside `BEGIN { ... }`, without the probe around them.
fn body_tokens(body: &str) -> Vec<Token<'static>> {
    // Leaked so the tokens can borrow from it; a test process is short.
    let src: &'static str = Box::leak(format!("BEGIN {{ {body} }}").into_boxed_str());
    let all = tokens(src);
    assert_eq!(all[..2], [Token::AttachPoint("BEGIN"), Token::LBrace]);
    assert_eq!(all.last(), Some(&Token::RBrace));
    all[2..all.len() - 1].to_vec()
}

fn lex_error(src: &str) -> (LexErrorKind, std::ops::Range<usize>) {
    let (_, error) = tokenize(src);
    let error = error.unwrap_or_else(|| panic!("{src:?} should not lex"));
    (error.kind, error.span.range())
}

use Token::*;

#[test]
fn attach_points_are_raw_text() {
    assert_eq!(
        tokens("tracepoint:syscalls:sys_enter_openat { }"),
        [
            AttachPoint("tracepoint:syscalls:sys_enter_openat"),
            LBrace,
            RBrace
        ]
    );
    assert_eq!(
        tokens("uprobe:/bin/bash:readline{}"),
        [AttachPoint("uprobe:/bin/bash:readline"), LBrace, RBrace]
    );
    assert_eq!(
        tokens("usdt:/usr/bin/x:prov:name {}"),
        [AttachPoint("usdt:/usr/bin/x:prov:name"), LBrace, RBrace]
    );
    // Globs, numbers and `/*` inside a path are not comments or operators.
    assert_eq!(
        tokens("t:sched:sched_* , kprobe:vfs_*,uprobe:/usr/lib/*:f {}"),
        [
            AttachPoint("t:sched:sched_*"),
            Comma,
            AttachPoint("kprobe:vfs_*"),
            Comma,
            AttachPoint("uprobe:/usr/lib/*:f"),
            LBrace,
            RBrace,
        ]
    );
    assert_eq!(
        tokens("interval:s:5<>"),
        [AttachPoint("interval:s:5"), AngleBodyOpen, AngleBodyClose]
    );
}

#[test]
fn attach_point_spans_are_exact() {
    let src = "BEGIN,\n  profile:hz:99 {}";
    let (tokens, _) = tokenize(src);
    assert_eq!((tokens[0].0, tokens[0].2), (0, 5));
    assert_eq!((tokens[1].0, tokens[1].2), (5, 6));
    assert_eq!(&src[tokens[2].0..tokens[2].2], "profile:hz:99");
}

#[test]
fn words_inside_bodies_are_not_attach_points() {
    assert_eq!(
        tokens("BEGIN { exit(); } END { x }"),
        [
            AttachPoint("BEGIN"),
            LBrace,
            Ident("exit"),
            LParen,
            RParen,
            Semi,
            RBrace,
            AttachPoint("END"),
            LBrace,
            Ident("x"),
            RBrace,
        ]
    );
}

#[test]
fn nested_braces_do_not_end_the_body() {
    assert_eq!(
        tokens("BEGIN { if (a) { b } c } k:f {}"),
        [
            AttachPoint("BEGIN"),
            LBrace,
            If,
            LParen,
            Ident("a"),
            RParen,
            LBrace,
            Ident("b"),
            RBrace,
            Ident("c"),
            RBrace,
            AttachPoint("k:f"),
            LBrace,
            RBrace,
        ]
    );
}

#[test]
fn predicate_slashes_become_delimiters() {
    assert_eq!(
        tokens("k:f /pid == 1/ { }"),
        [
            AttachPoint("k:f"),
            PredicateOpen,
            Ident("pid"),
            EqEq,
            Int(1),
            PredicateClose,
            LBrace,
            RBrace,
        ]
    );
    // Inside parentheses `/` divides; in the body it always does.
    assert_eq!(
        tokens("k:f /(a / 2) == 1/ { a / 2 }"),
        [
            AttachPoint("k:f"),
            PredicateOpen,
            LParen,
            Ident("a"),
            Slash,
            Int(2),
            RParen,
            EqEq,
            Int(1),
            PredicateClose,
            LBrace,
            Ident("a"),
            Slash,
            Int(2),
            RBrace,
        ]
    );
}

#[test]
fn a_slash_at_depth_zero_ends_the_predicate() {
    // What the user meant as division ends the predicate; the parser then
    // reports it with a hint.
    assert_eq!(
        tokens("k:f /a / 2/ {}"),
        [
            AttachPoint("k:f"),
            PredicateOpen,
            Ident("a"),
            PredicateClose,
            AttachPoint("2/"),
            LBrace,
            RBrace,
        ]
    );
    // `/=` right after the predicate splits into the close and the rest.
    let (tokens, _) = tokenize("k:f /a/=");
    assert_eq!(tokens[3], (6, PredicateClose, 7));
}

#[test]
fn angle_bodies_close_on_a_bare_greater_than() {
    assert_eq!(
        tokens("tracepoint:syscalls:sys_enter_openat < @[comm]=count() >"),
        [
            AttachPoint("tracepoint:syscalls:sys_enter_openat"),
            AngleBodyOpen,
            Map(""),
            LBracket,
            Ident("comm"),
            RBracket,
            Assign,
            Ident("count"),
            LParen,
            RParen,
            AngleBodyClose,
        ]
    );
    // `>=`, `>>`, `>>=` and `->` are other tokens, and a `>` inside
    // brackets is a comparison.
    assert_eq!(
        tokens("k:f < a >= b; a >> 1; $x >>= 2; a->b; (a > b); c[a > b]; if (a > b) { a > b } >"),
        [
            AttachPoint("k:f"),
            AngleBodyOpen,
            Ident("a"),
            Ge,
            Ident("b"),
            Semi,
            Ident("a"),
            Shr,
            Int(1),
            Semi,
            Var("x"),
            ShrEq,
            Int(2),
            Semi,
            Ident("a"),
            Arrow,
            Ident("b"),
            Semi,
            LParen,
            Ident("a"),
            Gt,
            Ident("b"),
            RParen,
            Semi,
            Ident("c"),
            LBracket,
            Ident("a"),
            Gt,
            Ident("b"),
            RBracket,
            Semi,
            If,
            LParen,
            Ident("a"),
            Gt,
            Ident("b"),
            RParen,
            LBrace,
            Ident("a"),
            Gt,
            Ident("b"),
            RBrace,
            AngleBodyClose,
        ]
    );
}

#[test]
fn after_an_angle_body_the_lexer_is_back_at_top_level() {
    assert_eq!(
        tokens("k:f < a > k:g /b/ < c >"),
        [
            AttachPoint("k:f"),
            AngleBodyOpen,
            Ident("a"),
            AngleBodyClose,
            AttachPoint("k:g"),
            PredicateOpen,
            Ident("b"),
            PredicateClose,
            AngleBodyOpen,
            Ident("c"),
            AngleBodyClose,
        ]
    );
}

#[test]
fn comments_are_skipped_everywhere() {
    let src = "// leading\nBEGIN, /* between */ END // after\n/* before predicate */ /pid /* in */ == 1/\n{ a /* b */ // c\n }";
    assert_eq!(
        tokens(src),
        [
            AttachPoint("BEGIN"),
            Comma,
            AttachPoint("END"),
            PredicateOpen,
            Ident("pid"),
            EqEq,
            Int(1),
            PredicateClose,
            LBrace,
            Ident("a"),
            RBrace,
        ]
    );
    assert_eq!(tokens("/* a\nmultiline\ncomment */"), []);
    // `/*/` opens a comment without closing it.
    assert_eq!(
        tokens("/*/ BEGIN */ END {}"),
        [AttachPoint("END"), LBrace, RBrace]
    );
    assert_eq!(body_tokens("/*/ a */ b"), [Ident("b")]);
}

#[test]
fn a_shebang_line_is_ignored() {
    let src = "#!/usr/bin/env rtrace\nBEGIN {}";
    let (tokens, error) = tokenize(src);
    assert_eq!(error, None);
    assert_eq!(tokens[0], (22, AttachPoint("BEGIN"), 27));
    assert_eq!(tokenize("#!only").0, []);
}

#[test]
fn operators_take_the_longest_match() {
    assert_eq!(
        body_tokens("+ - * / % & | ^ ~ ! && || == != < <= > >= << >> ++ -- -> . ? : , ;"),
        [
            Plus, Minus, Star, Slash, Percent, Amp, Pipe, Caret, Tilde, Bang, AndAnd, OrOr, EqEq,
            NotEq, Lt, Le, Gt, Ge, Shl, Shr, PlusPlus, MinusMinus, Arrow, Dot, Question, Colon,
            Comma, Semi,
        ]
    );
    assert_eq!(
        body_tokens("= += -= *= /= %= &= |= ^= <<= >>="),
        [
            Assign, PlusEq, MinusEq, StarEq, SlashEq, PercentEq, AmpEq, PipeEq, CaretEq, ShlEq,
            ShrEq
        ]
    );
    assert_eq!(
        body_tokens("a+++b"),
        [Ident("a"), PlusPlus, Plus, Ident("b")]
    );
}

#[test]
fn names_variables_maps_and_positionals() {
    assert_eq!(
        body_tokens("pid arg0 _x if else iffy $x $_y1 $1 $42 $# @ @m @m_2"),
        [
            Ident("pid"),
            Ident("arg0"),
            Ident("_x"),
            If,
            Else,
            Ident("iffy"),
            Var("x"),
            Var("_y1"),
            Positional(1),
            Positional(42),
            PositionalCount,
            Map(""),
            Map("m"),
            Map("m_2"),
        ]
    );
}

#[test]
fn integer_literals() {
    assert_eq!(
        body_tokens("0 42 1_000 0x1F 0XfF 0o17 0b101 18446744073709551615"),
        [
            Int(0),
            Int(42),
            Int(1000),
            Int(31),
            Int(255),
            Int(15),
            Int(5),
            Int(u64::MAX)
        ]
    );
}

#[test]
fn bad_integer_literals() {
    let (kind, span) = lex_error("BEGIN { 12ab }");
    assert_eq!(span, 8..12);
    assert!(
        matches!(kind, LexErrorKind::BadInt { reason, .. } if reason.contains("`a` is not a decimal digit"))
    );
    assert!(matches!(
        lex_error("BEGIN { 0x }").0,
        LexErrorKind::BadInt { .. }
    ));
    assert!(matches!(
        lex_error("BEGIN { 0o8 }").0,
        LexErrorKind::BadInt { .. }
    ));
    assert_eq!(
        lex_error("BEGIN { 18446744073709551616 }").0,
        LexErrorKind::IntTooLarge("18446744073709551616".into())
    );
    assert_eq!(
        lex_error("BEGIN { $99999999999 }").0,
        LexErrorKind::PositionalTooLarge("$99999999999".into())
    );
}

#[test]
fn string_escapes_are_decoded() {
    let (tokens, error) =
        tokenize(r#"BEGIN { "a\n\t\r\\\"\0b" "\x41\x4a\101\12" "é\xc3\xa9" "" }"#);
    assert_eq!(error, None);
    let strings: Vec<String> = tokens
        .into_iter()
        .filter_map(|(_, t, _)| match t {
            Str(s) => Some(s),
            _ => None,
        })
        .collect();
    assert_eq!(strings, ["a\n\t\r\\\"\0b", "AJA\n", "éé", ""]);
}

#[test]
fn string_errors_point_at_the_problem() {
    assert_eq!(
        lex_error(r#"BEGIN { "abc }"#),
        (LexErrorKind::UnterminatedString, 8..9)
    );
    // A raw newline ends the search, so the error stays on its line.
    assert_eq!(
        lex_error("BEGIN { \"abc\n\" }").0,
        LexErrorKind::UnterminatedString
    );
    assert_eq!(
        lex_error("BEGIN { \"abc\\").0,
        LexErrorKind::UnterminatedString
    );
    assert_eq!(
        lex_error(r#"BEGIN { "a\qb" }"#),
        (LexErrorKind::UnknownEscape(r"\q".into()), 10..12)
    );
    assert_eq!(
        lex_error(r#"BEGIN { "\xg" }"#),
        (LexErrorKind::BadEscape(r"\x".into()), 9..11)
    );
    assert_eq!(
        lex_error(r#"BEGIN { "\777" }"#),
        (LexErrorKind::BadEscape(r"\777".into()), 9..13)
    );
    assert_eq!(
        lex_error(r#"BEGIN { "\xff" }"#),
        (LexErrorKind::InvalidUtf8String, 8..14)
    );
}

#[test]
fn other_lexical_errors() {
    assert_eq!(
        lex_error("BEGIN { /* open"),
        (LexErrorKind::UnterminatedComment, 8..10)
    );
    assert_eq!(
        lex_error("/* open at top level"),
        (LexErrorKind::UnterminatedComment, 0..2)
    );
    assert_eq!(
        lex_error("BEGIN { a # b }"),
        (LexErrorKind::UnknownChar('#'), 10..11)
    );
    // A multi-byte character is reported whole.
    assert_eq!(
        lex_error("BEGIN { π }"),
        (LexErrorKind::UnknownChar('π'), 8..10)
    );
    assert_eq!(lex_error("BEGIN { $ }"), (LexErrorKind::LoneDollar, 8..9));
}

#[test]
fn lexing_stops_at_the_first_error() {
    let (tokens, error) = tokenize("BEGIN { a # b }");
    assert_eq!(tokens.len(), 3);
    assert!(error.is_some());
}

#[test]
fn stray_closers_at_top_level_are_ordinary_tokens() {
    assert_eq!(
        tokens("BEGIN {} } ) ; >"),
        [
            AttachPoint("BEGIN"),
            LBrace,
            RBrace,
            RBrace,
            RParen,
            Semi,
            Gt
        ]
    );
}

#[test]
fn dump_lists_tokens_with_ranges() {
    let dump = dump_tokens("BEGIN /x/ { @a = \"s\"; }");
    let expected = "\
0..5 AttachPoint(\"BEGIN\")
6..7 PredicateOpen
7..8 Ident(\"x\")
8..9 PredicateClose
10..11 LBrace
12..14 Map(\"a\")
15..16 Assign
17..20 Str(\"s\")
20..21 Semi
22..23 RBrace
";
    assert_eq!(dump, expected);
    assert!(dump_tokens("BEGIN { # }").ends_with("8..9 error: unknown character `#`\n"));
}
