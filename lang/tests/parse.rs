//! Parser tests: the tree built for every construct, operator precedence,
//! spans and expression ids. Trees are compared as compact S-expressions.

use rtrace_lang::ast::*;
use rtrace_lang::diagnostic::render;
use rtrace_lang::parse;

fn parse_ok(src: &str) -> Program {
    parse(src).unwrap_or_else(|d| panic!("{src:?} should parse:\n{}", render(&d, "-e", src, false)))
}

/// The statements of `BEGIN { body }`.
fn stmts(body: &str) -> Vec<Stmt> {
    let program = parse_ok(&format!("BEGIN {{ {body} }}"));
    program
        .probes
        .into_iter()
        .next()
        .expect("one probe")
        .body
        .stmts
}

/// `body` as S-expressions, one statement per element.
fn sexprs(body: &str) -> Vec<String> {
    stmts(body).iter().map(stmt).collect()
}

/// The single expression statement `src`, as an S-expression.
fn e(src: &str) -> String {
    let stmts = stmts(src);
    assert_eq!(stmts.len(), 1, "{src:?}");
    match &stmts[0].kind {
        StmtKind::Expr(e) => sexpr(e),
        other => panic!("{src:?} is not an expression statement: {other:?}"),
    }
}

fn list(exprs: &[Expr]) -> String {
    exprs.iter().map(sexpr).collect::<Vec<_>>().join(" ")
}

fn sexpr(e: &Expr) -> String {
    match &e.kind {
        ExprKind::Int(n) => n.to_string(),
        ExprKind::Str(s) => format!("{s:?}"),
        ExprKind::Ident(name) => name.clone(),
        ExprKind::Var(name) => format!("${name}"),
        ExprKind::Positional(n) => format!("${n}"),
        ExprKind::PositionalCount => "$#".into(),
        ExprKind::Map { name, keys } if keys.is_empty() => format!("@{name}"),
        ExprKind::Map { name, keys } => format!("@{name}[{}]", list(keys)),
        ExprKind::Call { name, args } => format!("{}({})", name.name, list(args)),
        ExprKind::Field { base, field, arrow } => {
            format!(
                "({} {} {})",
                if *arrow { "->" } else { "." },
                sexpr(base),
                field.name
            )
        }
        ExprKind::Unary { op, operand } => format!("({} {})", op.symbol(), sexpr(operand)),
        ExprKind::Binary { op, lhs, rhs } => {
            format!("({} {} {})", op.symbol(), sexpr(lhs), sexpr(rhs))
        }
        ExprKind::Ternary {
            cond,
            then,
            otherwise,
        } => {
            format!("(? {} {} {})", sexpr(cond), sexpr(then), sexpr(otherwise))
        }
        ExprKind::Step {
            target,
            increment,
            prefix,
        } => {
            let op = if *increment { "++" } else { "--" };
            let fix = if *prefix { "pre" } else { "post" };
            format!("({fix}{op} {})", sexpr(target))
        }
        ExprKind::Cast { to, operand } => format!("(cast {to} {})", sexpr(operand)),
        ExprKind::Deref(operand) => format!("(* {})", sexpr(operand)),
        ExprKind::Index { base, index } => format!("([] {} {})", sexpr(base), sexpr(index)),
        ExprKind::Sizeof(SizeofOperand::Type(t)) => format!("(sizeof {t})"),
        ExprKind::Sizeof(SizeofOperand::Expr(e)) => format!("(sizeof {})", sexpr(e)),
        ExprKind::Offsetof { record, members } => {
            let path: Vec<&str> = members.iter().map(|m| m.name.as_str()).collect();
            format!("(offsetof {record} {})", path.join("."))
        }
        ExprKind::Tuple(elements) => format!("(tuple {})", list(elements)),
        ExprKind::TupleIndex { base, index, .. } => format!("(.{index} {})", sexpr(base)),
    }
}

fn block(b: &Block) -> String {
    format!(
        "{{{}}}",
        b.stmts.iter().map(stmt).collect::<Vec<_>>().join("; ")
    )
}

fn stmt(s: &Stmt) -> String {
    match &s.kind {
        StmtKind::Expr(e) => sexpr(e),
        StmtKind::Assign { target, op, value } => {
            let op = op.map_or(String::new(), |op| op.symbol().to_string());
            format!("({op}= {} {})", sexpr(target), sexpr(value))
        }
        StmtKind::If {
            cond,
            then,
            otherwise: None,
        } => format!("(if {} {})", sexpr(cond), block(then)),
        StmtKind::If {
            cond,
            then,
            otherwise: Some(other),
        } => {
            format!("(if {} {} else {})", sexpr(cond), block(then), block(other))
        }
        StmtKind::While { cond, body } => format!("(while {} {})", sexpr(cond), block(body)),
        StmtKind::Unroll { count, body, .. } => format!("(unroll {count} {})", block(body)),
        StmtKind::Break => "break".into(),
        StmtKind::Continue => "continue".into(),
    }
}

#[test]
fn primaries() {
    assert_eq!(e("42"), "42");
    assert_eq!(e("0x10"), "16");
    assert_eq!(e(r#""hi\n""#), r#""hi\n""#);
    assert_eq!(e("pid"), "pid");
    assert_eq!(e("$x"), "$x");
    assert_eq!(e("$2"), "$2");
    assert_eq!(e("$#"), "$#");
    assert_eq!(e("@"), "@");
    assert_eq!(e("@m"), "@m");
    assert_eq!(e("@[comm]"), "@[comm]");
    assert_eq!(e("@m[pid, comm]"), "@m[pid comm]");
    assert_eq!(e("exit()"), "exit()");
    assert_eq!(
        e(r#"printf("%d %s\n", pid, comm)"#),
        r#"printf("%d %s\n" pid comm)"#
    );
    assert_eq!(e("((1))"), "1");
}

#[test]
fn fields_and_postfix_operators() {
    assert_eq!(e("args.filename"), "(. args filename)");
    assert_eq!(e("args->filename"), "(-> args filename)");
    assert_eq!(e("a.b->c.d"), "(. (-> (. a b) c) d)");
    assert_eq!(e("str(args.filename)"), "str((. args filename))");
    assert_eq!(e("@x++"), "(post++ @x)");
    assert_eq!(e("$x--"), "(post-- $x)");
    assert_eq!(e("@m[pid]++"), "(post++ @m[pid])");
    assert_eq!(e("++@x"), "(pre++ @x)");
    assert_eq!(e("--$x"), "(pre-- $x)");
}

#[test]
fn tuples_and_element_access() {
    assert_eq!(e(r#"(1, "abc", pid)"#), r#"(tuple 1 "abc" pid)"#);
    // One element in parentheses is no tuple.
    assert_eq!(e("(x)"), "x");
    assert_eq!(e("((1, 2))"), "(tuple 1 2)");
    assert_eq!(e("(1, (2, 3))"), "(tuple 1 (tuple 2 3))");
    assert_eq!(e("(a ? b : c, d + 1)"), "(tuple (? a b c) (+ d 1))");
    assert_eq!(e("$t.0"), "(.0 $t)");
    // `.0.1` is two accesses: the lexer never reads `0.1` as one number.
    assert_eq!(e("$t.1.0"), "(.0 (.1 $t))");
    assert_eq!(e("@t.1 + 2"), "(+ (.1 @t) 2)");
    assert_eq!(e("(1, 2).1"), "(.1 (tuple 1 2))");
    assert_eq!(e("-$t.0"), "(- (.0 $t))");
    assert_eq!(e("@[(pid, comm)]"), "@[(tuple pid comm)]");
    assert_eq!(
        sexprs("$t = (1, comm); @m[1] = ($t.1, 2)"),
        ["(= $t (tuple 1 comm))", "(= @m[1] (tuple (.1 $t) 2))"]
    );
}

#[test]
fn tuple_spans() {
    let src = "BEGIN { ($a, 2).1 }";
    let p = parse_ok(src);
    let StmtKind::Expr(access) = &p.probes[0].body.stmts[0].kind else {
        panic!()
    };
    assert_eq!(text(src, access.span), "($a, 2).1");
    let ExprKind::TupleIndex {
        base, index_span, ..
    } = &access.kind
    else {
        panic!()
    };
    assert_eq!(text(src, base.span), "($a, 2)");
    assert_eq!(text(src, *index_span), "1");
}

#[test]
fn unary_operators() {
    assert_eq!(e("-5"), "(- 5)");
    assert_eq!(e("!a"), "(! a)");
    assert_eq!(e("~a"), "(~ a)");
    assert_eq!(e("- -a"), "(- (- a))");
    assert_eq!(e("!!a"), "(! (! a))");
    // Unary binds tighter than any binary operator, looser than postfix.
    assert_eq!(e("-a * b"), "(* (- a) b)");
    assert_eq!(e("-args.x"), "(- (. args x))");
    assert_eq!(e("!@x++"), "(! (post++ @x))");
}

#[test]
fn binary_precedence_follows_c() {
    assert_eq!(e("a || b && c"), "(|| a (&& b c))");
    assert_eq!(e("a && b | c"), "(&& a (| b c))");
    assert_eq!(e("a | b ^ c"), "(| a (^ b c))");
    assert_eq!(e("a ^ b & c"), "(^ a (& b c))");
    assert_eq!(e("a & b == c"), "(& a (== b c))");
    assert_eq!(e("a == b < c"), "(== a (< b c))");
    assert_eq!(e("a != b >= c"), "(!= a (>= b c))");
    assert_eq!(e("a < b << c"), "(< a (<< b c))");
    assert_eq!(e("a <= b >> c"), "(<= a (>> b c))");
    assert_eq!(e("a > b + c"), "(> a (+ b c))");
    assert_eq!(e("a << b - c"), "(<< a (- b c))");
    assert_eq!(e("a + b * c"), "(+ a (* b c))");
    assert_eq!(e("a - b / c"), "(- a (/ b c))");
    assert_eq!(e("a + b % c"), "(+ a (% b c))");
    assert_eq!(e("a * b + c * d"), "(+ (* a b) (* c d))");
    assert_eq!(e("(a + b) * c"), "(* (+ a b) c)");
}

#[test]
fn binary_operators_are_left_associative() {
    assert_eq!(e("a - b - c"), "(- (- a b) c)");
    assert_eq!(e("a / b / c"), "(/ (/ a b) c)");
    assert_eq!(e("a << b >> c"), "(>> (<< a b) c)");
    assert_eq!(e("a == b != c"), "(!= (== a b) c)");
    assert_eq!(e("a || b || c"), "(|| (|| a b) c)");
}

#[test]
fn ternary_is_loosest_and_right_associative() {
    assert_eq!(e("a || b ? c + 1 : d"), "(? (|| a b) (+ c 1) d)");
    assert_eq!(e("a ? b : c ? d : e"), "(? a b (? c d e))");
    assert_eq!(e("a ? b ? c : d : e"), "(? a (? b c d) e)");
}

#[test]
fn assignments() {
    assert_eq!(sexprs("@m = 1"), ["(= @m 1)"]);
    assert_eq!(sexprs("@m[k] = count()"), ["(= @m[k] count())"]);
    assert_eq!(sexprs("@m[k1, k2] = 2"), ["(= @m[k1 k2] 2)"]);
    assert_eq!(sexprs("$x = a + b"), ["(= $x (+ a b))"]);
    assert_eq!(sexprs("@ = hist(retval)"), ["(= @ hist(retval))"]);
    assert_eq!(
        sexprs("$x += 1; $x -= 1; $x *= 2; $x /= 2; $x %= 3; $x &= 4; $x |= 5; $x ^= 6; $x <<= 7; $x >>= 8"),
        [
            "(+= $x 1)",
            "(-= $x 1)",
            "(*= $x 2)",
            "(/= $x 2)",
            "(%= $x 3)",
            "(&= $x 4)",
            "(|= $x 5)",
            "(^= $x 6)",
            "(<<= $x 7)",
            "(>>= $x 8)",
        ]
    );
    assert_eq!(
        sexprs("@m[pid] += args.count"),
        ["(+= @m[pid] (. args count))"]
    );
}

#[test]
fn if_else_chains() {
    assert_eq!(sexprs("if (a) { b }"), ["(if a {b})"]);
    assert_eq!(
        sexprs("if (a) { b; c; } else { d }"),
        ["(if a {b; c} else {d})"]
    );
    assert_eq!(
        sexprs("if (a) { b } else if (c) { d } else { e }"),
        ["(if a {b} else {(if c {d} else {e})})"]
    );
    assert_eq!(sexprs("if (a > 1 && b) { }"), ["(if (&& (> a 1) b) {})"]);
    assert_eq!(sexprs("if (a) { if (b) { c } }"), ["(if a {(if b {c})})"]);
}

#[test]
fn loops() {
    assert_eq!(
        sexprs("while ($i < 3) { $i++; if (a) { break } continue; } x"),
        [
            "(while (< $i 3) {(post++ $i); (if a {break}); continue})",
            "x"
        ]
    );
    assert_eq!(sexprs("unroll(4) { a }"), ["(unroll 4 {a})"]);
    assert_eq!(
        sexprs("while (1) { while (2) { } }"),
        ["(while 1 {(while 2 {})})"]
    );
}

#[test]
fn casts_bind_like_unary_operators() {
    assert_eq!(e("(uint8)x"), "(cast uint8 x)");
    assert_eq!(e("(int64)x + 1"), "(+ (cast int64 x) 1)");
    assert_eq!(e("(uint16)(int8)-x"), "(cast uint16 (cast int8 (- x)))");
    // A parenthesised name that is not a type is just a parenthesised name.
    assert_eq!(e("(pid) + 1"), "(+ pid 1)");
}

#[test]
fn kernel_types_in_expressions() {
    assert_eq!(
        e("((struct path *)arg0)->dentry->d_name.name"),
        "(. (-> (-> (cast struct path * arg0) dentry) d_name) name)"
    );
    assert_eq!(e("(union u **)p"), "(cast union u ** p)");
    assert_eq!(e("(uint32 *)p"), "(cast uint32 * p)");
    assert_eq!(e("(enum pid_type)x"), "(cast enum pid_type x)");
    // `*` in front is a dereference, between operands a product.
    assert_eq!(e("*p * 2"), "(* (* p) 2)");
    assert_eq!(e("**p"), "(* (* p))");
    assert_eq!(e("-*p"), "(- (* p))");
    assert_eq!(e("*$t->mm"), "(* (-> $t mm))");
    // `[i]` indexes anything but a bare map, whose `[` starts its keys.
    assert_eq!(e("$a[1]"), "([] $a 1)");
    assert_eq!(e("p->arr[i][2]"), "([] ([] (-> p arr) i) 2)");
    assert_eq!(e("@m[1]"), "@m[1]");
    assert_eq!(e("@m[1][2]"), "([] @m[1] 2)");
    assert_eq!(
        e("sizeof(struct task_struct)"),
        "(sizeof struct task_struct)"
    );
    assert_eq!(e("sizeof(uint8 *)"), "(sizeof uint8 *)");
    assert_eq!(e("sizeof(x + 1)"), "(sizeof (+ x 1))");
    assert_eq!(e("sizeof((uint8)x)"), "(sizeof (cast uint8 x))");
    assert_eq!(
        e("offsetof(struct sock, __sk_common.skc_dport)"),
        "(offsetof struct sock __sk_common.skc_dport)"
    );
}

#[test]
fn include_lines_are_skipped() {
    let program = parse_ok("#include <linux/path.h>\n#include \"x.h\"\nBEGIN { a }");
    assert_eq!(program.probes.len(), 1);
    assert_eq!(block(&program.probes[0].body), "{a}");
}

#[test]
fn statement_separators() {
    assert_eq!(sexprs(""), Vec::<String>::new());
    assert_eq!(sexprs(";;;"), Vec::<String>::new());
    assert_eq!(sexprs("a"), ["a"]);
    assert_eq!(sexprs("a;"), ["a"]);
    assert_eq!(sexprs("a; b"), ["a", "b"]);
    assert_eq!(sexprs(";a;;b;;"), ["a", "b"]);
    // An `if` needs no `;` after it.
    assert_eq!(
        sexprs("if (a) { b } c; if (d) { } if (e) { }"),
        ["(if a {b})", "c", "(if d {})", "(if e {})"]
    );
    assert_eq!(sexprs("if (a) { b }; c"), ["(if a {b})", "c"]);
}

#[test]
fn both_body_forms() {
    let brace = parse_ok("tracepoint:syscalls:sys_enter_openat { @[comm] = count(); }");
    let angle = parse_ok("tracepoint:syscalls:sys_enter_openat < @[comm]=count() >");
    let shape = |p: &Program| p.probes[0].body.stmts.iter().map(stmt).collect::<Vec<_>>();
    assert_eq!(shape(&brace), ["(= @[comm] count())"]);
    assert_eq!(shape(&angle), shape(&brace));
    // Comparisons inside `< >` work when parenthesised or nested.
    let p = parse_ok("k:f < if ((a > b)) { @x = a > b } @y = (a > b); @z = a >= b; @w = a >> 1 >");
    assert_eq!(
        shape(&p),
        [
            "(if (> a b) {(= @x (> a b))})",
            "(= @y (> a b))",
            "(= @z (>= a b))",
            "(= @w (>> a 1))"
        ]
    );
    // An empty body of either form.
    assert!(parse_ok("BEGIN {}").probes[0].body.stmts.is_empty());
    assert!(parse_ok("BEGIN <>").probes[0].body.stmts.is_empty());
}

#[test]
fn attach_points_and_predicates() {
    let p = parse_ok(
        "BEGIN { } kprobe:do_sys_open, kprobe:vfs_*,\n  uprobe:/bin/bash:readline\n  /pid == 1 && comm == \"bash\"/ { }",
    );
    assert_eq!(p.probes.len(), 2);
    let texts: Vec<&str> = p.probes[1]
        .attach_points
        .iter()
        .map(|a| a.text.as_str())
        .collect();
    assert_eq!(
        texts,
        [
            "kprobe:do_sys_open",
            "kprobe:vfs_*",
            "uprobe:/bin/bash:readline"
        ]
    );
    assert!(p.probes[0].predicate.is_none());
    let predicate = p.probes[1].predicate.as_ref().expect("a predicate");
    assert_eq!(sexpr(predicate), r#"(&& (== pid 1) (== comm "bash"))"#);

    let p = parse_ok("interval:s:5 /(a / 2) == 1/ { exit() }");
    assert_eq!(
        sexpr(p.probes[0].predicate.as_ref().unwrap()),
        "(== (/ a 2) 1)"
    );
    let p = parse_ok("profile:hz:99 /pid/ < @[kstack] = count() >");
    assert_eq!(sexpr(p.probes[0].predicate.as_ref().unwrap()), "pid");
}

#[test]
fn a_multiline_script_with_comments() {
    let src = r#"#!/usr/bin/env rtrace
// Count opens per process, and report every 5 seconds.
BEGIN
{
    printf("Tracing... Hit Ctrl-C to end.\n");   // greeting
}

tracepoint:syscalls:sys_enter_openat,
tracepoint:syscalls:sys_enter_openat2 /* both variants */
/ pid != $1 /
{
    @opens[comm] = count();
    $name = str(args->filename);
    if ($name == "/etc/passwd") {
        @secrets++;
    } else {
        @others[comm, $name] += 1
    }
}

interval:s:5 { print(@opens); clear(@opens); }

END { /* nothing */ }
"#;
    let p = parse_ok(src);
    assert_eq!(p.probes.len(), 4);
    assert_eq!(p.probes[0].attach_points[0].text, "BEGIN");
    assert_eq!(p.probes[1].attach_points.len(), 2);
    assert_eq!(
        sexpr(p.probes[1].predicate.as_ref().unwrap()),
        "(!= pid $1)"
    );
    let body: Vec<String> = p.probes[1].body.stmts.iter().map(stmt).collect();
    assert_eq!(
        body,
        [
            "(= @opens[comm] count())",
            "(= $name str((-> args filename)))",
            r#"(if (== $name "/etc/passwd") {(post++ @secrets)} else {(+= @others[comm $name] 1)})"#,
        ]
    );
    assert_eq!(p.probes[2].body.stmts.len(), 2);
    assert!(p.probes[3].body.stmts.is_empty());
}

#[test]
fn an_empty_script_has_no_probes() {
    assert_eq!(parse_ok("").probes, []);
    assert_eq!(parse_ok("  // just a comment\n").probes, []);
}

/// The source text a span covers.
fn text(src: &str, span: Span) -> &str {
    &src[span.range()]
}

#[test]
fn spans_cover_exactly_their_source() {
    let src = "BEGIN, kprobe:f /pid > 1/ {\n  @x[pid, comm] = count();\n  if ($a) { $b = -$a } else if (1) { }\n}\nk:g < args->name >";
    let p = parse_ok(src);
    let probe = &p.probes[0];
    assert_eq!(
        text(src, probe.span),
        &src[..src.find("}\nk:g").unwrap() + 1]
    );
    assert_eq!(text(src, probe.attach_points[0].span), "BEGIN");
    assert_eq!(text(src, probe.attach_points[1].span), "kprobe:f");
    assert_eq!(text(src, probe.predicate.as_ref().unwrap().span), "pid > 1");
    assert!(
        text(src, probe.body.span).starts_with("{\n  @x")
            && text(src, probe.body.span).ends_with("{ }\n}")
    );

    let assign = &probe.body.stmts[0];
    assert_eq!(text(src, assign.span), "@x[pid, comm] = count()");
    let StmtKind::Assign { target, value, .. } = &assign.kind else {
        panic!("not an assignment")
    };
    assert_eq!(text(src, target.span), "@x[pid, comm]");
    let ExprKind::Map { keys, .. } = &target.kind else {
        panic!("not a map")
    };
    assert_eq!(text(src, keys[1].span), "comm");
    assert_eq!(text(src, value.span), "count()");
    let ExprKind::Call { name, .. } = &value.kind else {
        panic!("not a call")
    };
    assert_eq!(text(src, name.span), "count");

    let if_stmt = &probe.body.stmts[1];
    assert_eq!(
        text(src, if_stmt.span),
        "if ($a) { $b = -$a } else if (1) { }"
    );
    let StmtKind::If {
        cond,
        then,
        otherwise,
    } = &if_stmt.kind
    else {
        panic!("not an if")
    };
    assert_eq!(text(src, cond.span), "$a");
    assert_eq!(text(src, then.span), "{ $b = -$a }");
    let StmtKind::Assign {
        value: negation, ..
    } = &then.stmts[0].kind
    else {
        panic!()
    };
    assert_eq!(text(src, negation.span), "-$a");
    let otherwise = otherwise.as_ref().unwrap();
    assert_eq!(text(src, otherwise.span), "if (1) { }");
    assert_eq!(text(src, otherwise.stmts[0].span), "if (1) { }");

    let angle = &p.probes[1];
    assert_eq!(text(src, angle.span), "k:g < args->name >");
    assert_eq!(text(src, angle.body.span), "< args->name >");
    let StmtKind::Expr(field) = &angle.body.stmts[0].kind else {
        panic!()
    };
    assert_eq!(text(src, field.span), "args->name");
    let ExprKind::Field { field: name, .. } = &field.kind else {
        panic!()
    };
    assert_eq!(text(src, name.span), "name");
}

#[test]
fn binary_and_parenthesised_spans() {
    let src = "BEGIN { (a + b) * c; x++ }";
    let p = parse_ok(src);
    let StmtKind::Expr(product) = &p.probes[0].body.stmts[0].kind else {
        panic!()
    };
    assert_eq!(text(src, product.span), "(a + b) * c");
    let ExprKind::Binary { lhs, .. } = &product.kind else {
        panic!()
    };
    // Parentheses leave no node; the sum keeps its own span.
    assert_eq!(text(src, lhs.span), "a + b");
    let StmtKind::Expr(step) = &p.probes[0].body.stmts[1].kind else {
        panic!()
    };
    assert_eq!(text(src, step.span), "x++");
    assert_eq!(text(src, p.probes[0].body.stmts[1].span), "x++");
}

/// Every expression in the program, in no particular order.
fn all_exprs(p: &Program) -> Vec<&Expr> {
    fn walk<'a>(e: &'a Expr, out: &mut Vec<&'a Expr>) {
        out.push(e);
        match &e.kind {
            ExprKind::Map { keys: children, .. }
            | ExprKind::Call { args: children, .. }
            | ExprKind::Tuple(children) => children.iter().for_each(|c| walk(c, out)),
            ExprKind::Field { base: inner, .. }
            | ExprKind::Unary { operand: inner, .. }
            | ExprKind::Step { target: inner, .. }
            | ExprKind::TupleIndex { base: inner, .. }
            | ExprKind::Cast { operand: inner, .. } => walk(inner, out),
            ExprKind::Binary { lhs, rhs, .. } => {
                walk(lhs, out);
                walk(rhs, out);
            }
            ExprKind::Ternary {
                cond,
                then,
                otherwise,
            } => {
                walk(cond, out);
                walk(then, out);
                walk(otherwise, out);
            }
            _ => {}
        }
    }
    fn walk_block<'a>(b: &'a Block, out: &mut Vec<&'a Expr>) {
        for s in &b.stmts {
            match &s.kind {
                StmtKind::Expr(e) => walk(e, out),
                StmtKind::Assign { target, value, .. } => {
                    walk(target, out);
                    walk(value, out);
                }
                StmtKind::If {
                    cond,
                    then,
                    otherwise,
                } => {
                    walk(cond, out);
                    walk_block(then, out);
                    if let Some(o) = otherwise {
                        walk_block(o, out);
                    }
                }
                StmtKind::While { cond, body } => {
                    walk(cond, out);
                    walk_block(body, out);
                }
                StmtKind::Unroll { body, .. } => walk_block(body, out),
                StmtKind::Break | StmtKind::Continue => {}
            }
        }
    }
    let mut out = Vec::new();
    for probe in &p.probes {
        if let Some(pred) = &probe.predicate {
            walk(pred, &mut out);
        }
        walk_block(&probe.body, &mut out);
    }
    out
}

#[test]
fn expression_ids_are_dense_and_unique() {
    let src = "k:f /pid > 1 ? 2 : 3/ { @m[a, b] = c ? d : -e; if (x.y) { f(g, h->i)++ } } BEGIN < $x += (1 > 2); $t = (1, (j, k)).1.0 >";
    let p = parse_ok(src);
    let mut ids: Vec<u32> = all_exprs(&p).iter().map(|e| e.id.0).collect();
    ids.sort();
    let expected: Vec<u32> = (0..p.expr_count).collect();
    assert_eq!(ids, expected);
    assert!(p.expr_count > 15);
    // Each parse numbers from zero.
    assert_eq!(parse_ok("BEGIN { 1 }").expr_count, 1);
    assert_eq!(parse_ok("BEGIN { }").expr_count, 0);
}
