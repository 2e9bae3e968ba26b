//! The checker's view of ntop(), macaddr(), kptr() and uptr(), on a fake
//! kernel: the `sock:inet_sock_set_state` tracepoint of Linux 6.18 and a
//! small hand-made BTF with a `struct sock` holding arrays.

mod common;

use rtrace_lang::btf::build::{kind, Builder};
use rtrace_lang::btf::Btf;
use rtrace_lang::check::Checked;
use rtrace_lang::config::Config;
use rtrace_lang::kernel::KernelInfo;
use rtrace_lang::tracepoint::TracepointFormat;

const INET_SOCK_SET_STATE: &str = "name: inet_sock_set_state\nformat:\n\
    \tfield:unsigned short common_type;\toffset:0;\tsize:2;\tsigned:0;\n\
    \tfield:const void * skaddr;\toffset:8;\tsize:8;\tsigned:0;\n\
    \tfield:int newstate;\toffset:20;\tsize:4;\tsigned:1;\n\
    \tfield:__u16 family;\toffset:28;\tsize:2;\tsigned:0;\n\
    \tfield:__u8 saddr[4];\toffset:32;\tsize:4;\tsigned:0;\n\
    \tfield:__u8 daddr_v6[16];\toffset:56;\tsize:16;\tsigned:0;\n";

/// `struct sock { unsigned int daddr; unsigned char v6[16];
/// unsigned char hw[32]; struct pair pair; }` with
/// `struct pair { int a, b; }`: type 3 is the 16-byte array.
fn sock_btf() -> Btf {
    let mut b = Builder::new();
    let uchar = b.int("unsigned char", 1, false); // 1
    let int = b.int("int", 4, true); // 2
    let v6 = b.add("", kind::ARRAY, 0, false, 0, &[uchar, int, 16]); // 3
    let hw = b.add("", kind::ARRAY, 0, false, 0, &[uchar, int, 32]); // 4
    let uint = b.int("unsigned int", 4, false); // 5
    let (a, bb) = (b.string("a"), b.string("b"));
    let pair = b.add("pair", kind::STRUCT, 2, false, 8, &[a, int, 0, bb, int, 32]); // 6
    let names = ["daddr", "v6", "hw", "pair"].map(|n| b.string(n));
    let sock = b.add(
        "sock",
        kind::STRUCT,
        4,
        false,
        64,
        &[
            names[0], uint, 0, //
            names[1], v6, 32, //
            names[2], hw, 160, //
            names[3], pair, 416,
        ],
    ); // 7
    assert_eq!((v6, sock), (3, 7));
    Btf::parse(b.finish()).expect("valid BTF")
}

struct FakeKernel {
    btf: Btf,
}

impl KernelInfo for FakeKernel {
    fn tracepoints(&self) -> Result<Vec<(String, String)>, String> {
        Ok(vec![("sock".into(), "inet_sock_set_state".into())])
    }
    fn tracepoint_format(&self, c: &str, e: &str) -> Result<Option<TracepointFormat>, String> {
        if (c, e) != ("sock", "inet_sock_set_state") {
            return Ok(None);
        }
        TracepointFormat::parse(c, INET_SOCK_SET_STATE).map(Some)
    }
    fn btf(&self) -> Result<&Btf, String> {
        Ok(&self.btf)
    }
}

fn checked(source: &str) -> Result<Checked, String> {
    let kernel = FakeKernel { btf: sock_btf() };
    common::checked_on(&kernel, source, &Config::default())
}

fn errors(source: &str) -> String {
    checked(source).err().unwrap_or_default()
}

const PROBE: &str = "tracepoint:sock:inet_sock_set_state";

#[test]
fn addresses_check_from_every_source() {
    let ok = [
        "BEGIN { printf(\"%s %s %s\\n\", ntop(0x0100007f), ntop(10, 1), ntop(comm)); }",
        "BEGIN { @[ntop(1)] = count(); @v = ntop(2, \"abc\"); print(ntop(1)); $x = (ntop(1), 2); }",
        "t:sock:inet_sock_set_state { printf(\"%s %s\\n\", ntop(args.saddr), ntop(args.family, args.daddr_v6)); }",
        "t:sock:inet_sock_set_state { $a = args.daddr_v6; $m = macaddr(args.daddr_v6); print(ntop($a)); print($m); }",
        "t:sock:inet_sock_set_state { $s = (struct sock *)args.skaddr; @[ntop($s->daddr), ntop($s->v6), macaddr($s->hw)] = count(); }",
        "t:sock:inet_sock_set_state { $s = (struct sock *)args.skaddr; printf(\"%s %s\\n\", macaddr(args.skaddr), str(uptr(kptr($s)))); }",
    ];
    for source in ok {
        assert_eq!(errors(source), "", "{source}");
    }
}

#[test]
fn ntop_records_the_size_of_kernel_arrays() {
    let c = checked(&format!(
        "{PROBE} {{ $s = (struct sock *)args.skaddr; print(ntop($s->v6)); }}"
    ))
    .expect("checks");
    assert_eq!(c.layout.size(3), Some(16));
}

#[test]
fn ntop_wants_4_or_16_bytes_of_an_array() {
    let source = format!("{PROBE} {{ $s = (struct sock *)args.skaddr; $a = ntop($s->hw); }}");
    assert_eq!(
        errors(&source),
        "error: ntop() argument must be 4 or 16 bytes in size, and unsigned char[32] is 32 bytes
  ┌─ -e:1:82
  │
1 │ tracepoint:sock:inet_sock_set_state { $s = (struct sock *)args.skaddr; $a = ntop($s->hw); }
  │                                                                                  ^^^^^^ wrong size

"
    );
    let e = errors(&format!(
        "{PROBE} {{ $s = (struct sock *)args.skaddr; $a = ntop($s->pair); }}"
    ));
    assert!(
        e.starts_with("error: ntop() reads an array, found struct pair"),
        "{e}"
    );
    let e = errors("BEGIN { $a = ntop(kstack); }");
    assert!(
        e.starts_with("error: ntop() expects an integer or array argument, found kstack"),
        "{e}"
    );
}

#[test]
fn macaddr_wants_6_bytes() {
    let e = errors(&format!("{PROBE} {{ $m = macaddr(args.saddr); }}"));
    assert!(
        e.starts_with(
            "error: macaddr() argument must be at least 6 bytes in size, and uint8[4] is 4 bytes"
        ),
        "{e}"
    );
    let e = errors("BEGIN { $m = macaddr(\"abcdef\"); }");
    assert!(
        e.starts_with("error: macaddr() does not support literal string arguments"),
        "{e}"
    );
}

#[test]
fn byte_arrays_are_only_for_addresses() {
    for misuse in [
        "@x = args.saddr;",
        "@x[args.saddr] = 1;",
        "$x = args.saddr + 1;",
        "$x = (args.saddr, 1);",
    ] {
        let e = errors(&format!("{PROBE} {{ {misuse} }}"));
        assert!(
            e.starts_with("error: a byte array (uint8[4]) cannot be used here"),
            "{misuse}: {e}"
        );
    }
    let e = errors(&format!("{PROBE} {{ print(args.saddr); }}"));
    assert!(
        e.starts_with("error: print() cannot print a byte array (uint8[4])"),
        "{e}"
    );
    let e = errors(&format!("{PROBE} {{ printf(\"%s\", args.saddr); }}"));
    assert!(e.contains("expects a string, found uint8[4]"), "{e}");
}

#[test]
fn kptr_and_uptr_take_integers_and_pointers() {
    let e = errors("BEGIN { $x = kptr(\"a\"); }");
    assert!(
        e.starts_with(
            "error: kptr() only supports integer or pointer arguments (string[2] provided)"
        ),
        "{e}"
    );
    let e = errors("BEGIN { $x = ntop(1) == ntop(2); }");
    assert!(
        e.starts_with("error: operator '==' cannot be applied to inet"),
        "{e}"
    );
}
