//! The checker's view of ntop(), macaddr(), kptr() and uptr(), on a fake
//! kernel: the `sock:inet_sock_set_state` tracepoint of Linux 6.18 and a
//! small hand-made BTF with a `struct sock` holding arrays.

use rtrace_lang::btf::Btf;
use rtrace_lang::check::{check, CheckEnv, Checked};
use rtrace_lang::config::Config;
use rtrace_lang::diagnostic::render;
use rtrace_lang::kernel::KernelInfo;
use rtrace_lang::tracepoint::TracepointFormat;
use rtrace_stdlib::Stdlib;

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
    let strings = b"\0unsigned char\0int\0unsigned int\0sock\0daddr\0v6\0hw\0pair\0a\0b\0";
    let at = |name: &str| {
        let needle = [b"\0", name.as_bytes(), b"\0"].concat();
        strings
            .windows(needle.len())
            .position(|w| w == needle.as_slice())
            .expect("name in the string table") as u32
            + 1
    };
    let info = |kind: u32, vlen: u32| (kind << 24) | vlen;
    let mut words: Vec<u32> = vec![
        at("unsigned char"),
        info(1, 0),
        1,
        8, // 1: INT
        at("int"),
        info(1, 0),
        4,
        (1 << 24) | 32, // 2: INT
        0,
        info(3, 0),
        0,
        1,
        2,
        16, // 3: unsigned char[16]
        0,
        info(3, 0),
        0,
        1,
        2,
        32, // 4: unsigned char[32]
        at("unsigned int"),
        info(1, 0),
        4,
        32, // 5: INT
        at("pair"),
        info(4, 2),
        8, // 6: struct pair
        at("a"),
        2,
        0,
        at("b"),
        2,
        32,
        at("sock"),
        info(4, 4),
        64, // 7: struct sock
        at("daddr"),
        5,
        0,
        at("v6"),
        3,
        32,
        at("hw"),
        4,
        160,
        at("pair"),
        6,
        416,
    ];
    let types: Vec<u8> = words.drain(..).flat_map(u32::to_le_bytes).collect();
    let mut data = vec![0x9f, 0xeb, 1, 0];
    for word in [
        24,
        0,
        types.len() as u32,
        types.len() as u32,
        strings.len() as u32,
    ] {
        data.extend_from_slice(&word.to_le_bytes());
    }
    data.extend_from_slice(&types);
    data.extend_from_slice(strings);
    Btf::parse(data).expect("valid BTF")
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
    let program = rtrace_lang::parse(source).expect("parses");
    let kernel = FakeKernel { btf: sock_btf() };
    let config = Config::default();
    let env = CheckEnv {
        kernel: &kernel,
        builtins: &Stdlib,
        params: &[],
        pid: None,
        config: &config,
    };
    check(&program, &env).map_err(|d| render(&d, "-e", source, false))
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
