//! Checker tests that need no builtins; the diagnostics of every builtin are
//! tested with the real ones in the stdlib crate.

use super::builtins::{Builtins, CallInfo, ProbeScope};
use super::*;
use crate::ast::*;
use crate::diagnostic::Diagnostic;
use crate::kernel::KernelInfo;
use crate::tracepoint::TracepointFormat;

struct NoBuiltins;

impl Builtins for NoBuiltins {
    fn call_type(&self, _: &CallInfo) -> Option<Result<Type, Diagnostic>> {
        None
    }
    fn ident_type(&self, _: &str, _: Span, _: &ProbeScope) -> Option<Result<Type, Diagnostic>> {
        None
    }
    fn function_names(&self) -> Vec<&'static str> {
        vec![]
    }
    fn ident_names(&self) -> Vec<&'static str> {
        vec![]
    }
}

struct OneTracepoint;

impl KernelInfo for OneTracepoint {
    fn tracepoints(&self) -> Result<Vec<(String, String)>, String> {
        Ok(vec![("sched".into(), "sched_switch".into())])
    }
    fn tracepoint_format(&self, c: &str, e: &str) -> Result<Option<TracepointFormat>, String> {
        Ok(
            (c == "sched" && e == "sched_switch").then(|| TracepointFormat {
                fields: vec![],
                retval: None,
            }),
        )
    }
}

fn expr(id: u32, kind: ExprKind) -> Expr {
    Expr {
        id: ExprId(id),
        kind,
        span: Span::new(0, 1),
    }
}

fn program(attach: &str, stmts: Vec<StmtKind>, expr_count: u32) -> Program {
    let stmts = stmts
        .into_iter()
        .map(|kind| Stmt {
            kind,
            span: Span::default(),
        })
        .collect();
    Program {
        probes: vec![Probe {
            attach_points: vec![AttachPoint {
                text: attach.into(),
                span: Span::new(0, attach.len()),
            }],
            predicate: None,
            body: Block {
                stmts,
                span: Span::default(),
            },
            span: Span::default(),
        }],
        expr_count,
    }
}

fn run(p: &Program) -> Result<Checked, Diagnostics> {
    check(
        p,
        &CheckEnv {
            kernel: &OneTracepoint,
            builtins: &NoBuiltins,
            params: &[],
            pid: None,
            config: &crate::config::Config::default(),
        },
    )
}

#[test]
fn map_types_are_inferred_across_statements() {
    let p = program(
        "BEGIN",
        vec![StmtKind::Assign {
            target: expr(
                0,
                ExprKind::Map {
                    name: "x".into(),
                    keys: vec![expr(1, ExprKind::Str("ab".into()))],
                },
            ),
            op: None,
            value: expr(2, ExprKind::Int(5)),
        }],
        3,
    );
    let checked = run(&p).unwrap();
    let info = &checked.maps["x"];
    assert_eq!(info.keys, Some(vec![Type::Str(3)]));
    assert_eq!(info.value, MapValueType::Plain(Type::I64));
}

#[test]
fn unknown_tracepoint_suggests_the_closest() {
    let p = program("tracepoint:sched:sched_swich", vec![], 0);
    let d = run(&p).unwrap_err();
    assert_eq!(d[0].message, "no tracepoint matches 'sched:sched_swich'");
    assert!(
        d[0].hints[0].contains("tracepoint:sched:sched_switch"),
        "{:?}",
        d[0].hints
    );
}

#[test]
fn reading_an_unassigned_map_is_an_error() {
    let p = program(
        "BEGIN",
        vec![StmtKind::Expr(expr(
            0,
            ExprKind::Map {
                name: "nope".into(),
                keys: vec![],
            },
        ))],
        1,
    );
    let d = run(&p).unwrap_err();
    assert_eq!(d[0].message, "map @nope is read but never assigned");
}

#[test]
fn variables_must_be_assigned_before_use() {
    let p = program(
        "BEGIN",
        vec![StmtKind::Expr(expr(0, ExprKind::Var("v".into())))],
        1,
    );
    let d = run(&p).unwrap_err();
    assert_eq!(d[0].message, "variable $v is used before it is assigned");
}

#[path = "tests/tuples.rs"]
mod tuples;
fn run_after(source: &str, earlier: &IndexMap<String, MapInfo>) -> Result<Checked, Diagnostics> {
    let p = crate::parse(source).expect("parses");
    let env = CheckEnv {
        kernel: &OneTracepoint,
        builtins: &NoBuiltins,
        params: &[],
        pid: None,
        config: &crate::config::Config::default(),
    };
    check_with_maps(&p, &env, earlier)
}

#[test]
fn earlier_maps_are_known_and_come_first() {
    let first = run_after("BEGIN { @a[\"k\"] = 1; }", &IndexMap::new()).unwrap();
    let second = run_after("BEGIN { @b = @a[\"x\"]; }", &first.maps).unwrap();
    let names: Vec<&str> = second.maps.keys().map(String::as_str).collect();
    assert_eq!(names, ["a", "b"]);
    assert_eq!(second.maps["a"], first.maps["a"]);
}

#[test]
fn earlier_maps_keep_their_types() {
    let first = run_after("BEGIN { @s = \"ab\"; @n = 1; }", &IndexMap::new()).unwrap();
    let d = run_after("BEGIN { @s = \"a longer string\"; }", &first.maps).unwrap_err();
    assert_eq!(
        d[0].message,
        "@s would become string[16] here, but an earlier entry made it string[3]"
    );
    // The other entry's source is not this one: no "first assigned here".
    let d = run_after("BEGIN { @n = \"x\"; }", &first.maps).unwrap_err();
    assert!(d[0].related.is_empty(), "{:?}", d[0]);
    assert_eq!(d[0].hints, ["an earlier entry made @n an int64 map"]);
}
