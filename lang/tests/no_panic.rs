//! The parser must turn any input into a program or diagnostics, never a
//! panic: truncated scripts (as typed into a REPL), single-character edits
//! and random noise.

use rtrace_lang::diagnostic::render;
use rtrace_lang::lexer::MAX_NESTING;
use rtrace_lang::parser::{dump_tokens, parse};

const SEEDS: &[&str] = &[
    "BEGIN { printf(\"hello\\n\"); exit(); }",
    "#!/usr/bin/env rtrace\ntracepoint:syscalls:sys_enter_openat /pid != $1/ { @[comm] = count(); }",
    "t:sched:sched_* < @x[comm, pid] = (a > b) ? $1 : -0x1F; @y++ >",
    "kprobe:vfs_*, uprobe:/bin/bash:readline /(a / 2) == 1 && !b/ {\n  if ($x >= 3) { $x <<= 1 } else if (@m[1]) { --@m[1] } else { args->f.g; }\n}",
    "interval:s:5 { /* block */ print(@); clear(@); } // line\nEND { \"\\x41\\101\\t\"; $#; ~1 ^ 2 | 3 & 4 % 5 }",
    "k:f < if ((a > b)) { @x = a > b } >",
];

/// Parses and renders; any panic fails the test with the input shown.
fn exercise(src: &str) {
    let result = std::panic::catch_unwind(|| {
        match parse(src) {
            Ok(program) => {
                // A successful parse still has every span inside the source.
                for probe in &program.probes {
                    assert!(probe.span.end as usize <= src.len());
                }
            }
            Err(diagnostics) => {
                assert!(!diagnostics.is_empty());
                for d in &diagnostics {
                    assert!(
                        d.span.start <= d.span.end && d.span.end as usize <= src.len(),
                        "{d:?}"
                    );
                }
                let _ = render(&diagnostics, "-e", src, false);
            }
        }
        let _ = dump_tokens(src);
    });
    assert!(result.is_ok(), "panicked on {src:?}");
}

/// Byte positions that are character boundaries.
fn boundaries(s: &str) -> impl Iterator<Item = usize> + '_ {
    (0..=s.len()).filter(|&i| s.is_char_boundary(i))
}

#[test]
fn seeds_parse() {
    for seed in SEEDS {
        assert!(parse(seed).is_ok(), "{seed}");
    }
}

#[test]
fn every_prefix_and_suffix() {
    for seed in SEEDS {
        for i in boundaries(seed) {
            exercise(&seed[..i]);
            exercise(&seed[i..]);
        }
    }
}

#[test]
fn every_single_character_deletion_and_insertion() {
    const INSERTS: &[&str] = &[
        "/", "<", ">", "{", "}", "(", ")", "[", "]", "\"", "\\", "$", "@", "#", ";", ",", "*", "é",
        "\n", "0x",
    ];
    for seed in SEEDS {
        for i in boundaries(seed) {
            if let Some(c) = seed[i..].chars().next() {
                exercise(&format!("{}{}", &seed[..i], &seed[i + c.len_utf8()..]));
            }
            for insert in INSERTS {
                exercise(&format!("{}{insert}{}", &seed[..i], &seed[i..]));
            }
        }
    }
}

#[test]
fn random_splices_of_seed_fragments() {
    // A fixed linear congruential generator: reproducible without a crate.
    let mut state: u64 = 0x2545_f491_4f6c_dd1d;
    let mut next = move |bound: usize| {
        state = state
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (state >> 33) as usize % bound.max(1)
    };
    let all: String = SEEDS.concat();
    let cuts: Vec<usize> = boundaries(&all).collect();
    for _ in 0..3000 {
        let mut src = String::new();
        for _ in 0..1 + next(6) {
            let a = cuts[next(cuts.len())];
            let b = cuts[next(cuts.len())];
            src.push_str(&all[a.min(b)..a.max(b)]);
        }
        exercise(&src);
    }
}

#[test]
fn deep_nesting_is_an_error_not_a_crash() {
    let deep = MAX_NESTING as usize + 10;
    // Deep enough to overflow a test thread's stack if built and dropped
    // recursively.
    let huge = 50_000;
    for src in [
        format!("BEGIN {{ {}1{} }}", "(".repeat(deep), ")".repeat(deep)),
        format!(
            "BEGIN {{ {} }}",
            "if (1) { ".repeat(deep) + &"}".repeat(deep)
        ),
        format!("BEGIN {{ {}1 }}", "-".repeat(2 * deep)),
        format!("BEGIN {{ {}1 }}", "!".repeat(huge)),
        format!("BEGIN {{ 1{} }}", " + 1".repeat(huge)),
        format!("BEGIN {{ @x{} }}", "++".repeat(huge)),
        format!("BEGIN {{ {} }}", "(".repeat(huge)),
        format!("BEGIN {{ {}3 }}", "1 ? 2 : ".repeat(huge)),
        format!("BEGIN {{ {}{{ }} }}", "if (1) { } else ".repeat(huge / 10)),
        format!("BEGIN {{ $x = @m[{}] }}", "f(".repeat(huge)),
    ] {
        let diagnostics = parse(&src).expect_err("too deep");
        assert!(
            diagnostics[0].message.starts_with("nested too deeply"),
            "{:?}",
            diagnostics[0]
        );
    }
    // Up to the limit is fine.
    let ok = MAX_NESTING as usize - 1;
    assert!(parse(&format!(
        "BEGIN {{ {}1{} }}",
        "(".repeat(ok),
        ")".repeat(ok)
    ))
    .is_ok());
    let chain = format!(
        "BEGIN {{ {}{{ }} }}",
        "if (1) { } else ".repeat(MAX_NESTING as usize)
    );
    assert!(parse(&chain).is_ok());
}
