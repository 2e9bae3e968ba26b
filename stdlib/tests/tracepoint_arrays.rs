//! The checker's view of tracepoint fields that are arrays of integers
//! (`unsigned long args[6]` of `raw_syscalls:sys_enter`), on a fake kernel
//! with the format files of Linux 6.18.

mod common;

use rtrace_lang::check::Checked;
use rtrace_lang::config::Config;
use rtrace_lang::kernel::KernelInfo;
use rtrace_lang::tracepoint::TracepointFormat;
use rtrace_lang::types::{IntType, Type};

const SYS_ENTER: &str = "name: sys_enter\nformat:\n\
    \tfield:unsigned short common_type;\toffset:0;\tsize:2;\tsigned:0;\n\
    \tfield:long id;\toffset:8;\tsize:8;\tsigned:1;\n\
    \tfield:unsigned long args[6];\toffset:16;\tsize:48;\tsigned:0;\n";

const SOCK_EXCEED_BUF_LIMIT: &str = "name: sock_exceed_buf_limit\nformat:\n\
    \tfield:unsigned short common_type;\toffset:0;\tsize:2;\tsigned:0;\n\
    \tfield:char name[32];\toffset:8;\tsize:32;\tsigned:0;\n\
    \tfield:long sysctl_mem[3];\toffset:40;\tsize:24;\tsigned:1;\n";

struct FakeKernel;

impl KernelInfo for FakeKernel {
    fn tracepoints(&self) -> Result<Vec<(String, String)>, String> {
        Ok(vec![
            ("raw_syscalls".into(), "sys_enter".into()),
            ("sock".into(), "sock_exceed_buf_limit".into()),
        ])
    }
    fn tracepoint_format(&self, c: &str, e: &str) -> Result<Option<TracepointFormat>, String> {
        let text = match (c, e) {
            ("raw_syscalls", "sys_enter") => SYS_ENTER,
            ("sock", "sock_exceed_buf_limit") => SOCK_EXCEED_BUF_LIMIT,
            _ => return Ok(None),
        };
        TracepointFormat::parse(c, text).map(Some)
    }
}

fn checked(source: &str) -> Result<Checked, String> {
    common::checked_on(&FakeKernel, source, &Config::default())
}

fn errors(source: &str) -> String {
    checked(source).err().unwrap_or_default()
}

const PROBE: &str = "tracepoint:raw_syscalls:sys_enter";

#[test]
fn elements_take_the_declared_type() {
    let c = checked(&format!(
        "{PROBE} {{ $a = args.args[5]; }} t:sock:sock_exceed_buf_limit {{ $m = args->sysctl_mem[0]; }}"
    ))
    .expect("checks");
    assert_eq!(c.probes[0].vars["a"], Type::Int(IntType::U64));
    assert_eq!(c.probes[1].vars["m"], Type::Int(IntType::I64));
    let ok = [
        "{PROBE} { @[args.args[0]] = count(); printf(\"%d %x\\n\", args->args[1], args.args[2]); }",
        "{PROBE} /args.args[2] == 777/ { @s = sum(args.args[2] + 1); $x = (args.args[3], 1); }",
        "{PROBE} { @size = sizeof(args.args); }",
    ];
    for source in ok {
        let source = source.replace("{PROBE}", PROBE);
        assert_eq!(errors(&source), "", "{source}");
    }
}

#[test]
fn a_constant_index_must_be_in_the_array() {
    assert_eq!(
        errors(&format!("{PROBE} {{ @[args.args[6]] = count(); }}")),
        "error: index 6 is out of bounds for `unsigned long args[6]`
  ┌─ -e:1:49
  │
1 │ tracepoint:raw_syscalls:sys_enter { @[args.args[6]] = count(); }
  │                                                 ^ valid indexes are 0 to 5

"
    );
    let e = errors(&format!("{PROBE} {{ $x = args.args[-1]; }}"));
    assert!(e.starts_with("error: index -1 is out of bounds"), "{e}");
}

#[test]
fn the_index_is_a_literal_as_in_bpftrace() {
    assert_eq!(
        errors(&format!("{PROBE} {{ $i = 1; $x = args.args[$i]; }}")),
        "error: args.args is indexed only by a literal integer
  ┌─ -e:1:60
  │
1 │ tracepoint:raw_syscalls:sys_enter { $i = 1; $x = args.args[$i]; }
  │                                                            ^^ not a literal
  │
  = help: tracepoint array fields are read at a fixed offset, as in bpftrace: args.args[0]

"
    );
    let e = errors(&format!("{PROBE} {{ $x = args.args[comm]; }}"));
    assert!(e.starts_with("error: an index must be an integer"), "{e}");
}

#[test]
fn the_whole_array_has_no_value() {
    let expected = |column: usize, underline: &str, line: &str| {
        format!(
            "error: args.args is an array (`unsigned long args[6]`) and has no value of its own
  ┌─ -e:1:{column}
  │
1 │ {line}
  │ {underline} an array of 6 integers
  │
  = help: index it: args.args[0]

"
        )
    };
    let line = format!("{PROBE} {{ print(args.args); }}");
    assert_eq!(
        errors(&line),
        expected(48, &format!("{}^^^^", " ".repeat(47)), &line)
    );
    for source in [
        "{PROBE} { @x = args.args; }",
        "{PROBE} { printf(\"%d\\n\", args.args); }",
        "{PROBE} { @[args.args] = count(); }",
        "{PROBE} { $x = args.args + 1; }",
    ] {
        let source = source.replace("{PROBE}", PROBE);
        let e = errors(&source);
        assert!(
            e.starts_with("error: args.args is an array"),
            "{source}: {e}"
        );
    }
}

#[test]
fn only_arrays_are_indexed() {
    let e = errors(&format!("{PROBE} {{ $x = args.id[0]; }}"));
    assert!(e.starts_with("error: cannot index int64"), "{e}");
    let e = errors("t:sock:sock_exceed_buf_limit { $x = args.name[0]; }");
    assert!(e.starts_with("error: cannot index string"), "{e}");
}
