//! Aggregations: count, sum, avg, min, max, stats, hist, lhist. Each keeps
//! a per-CPU value updated in place; the runtime merges the CPUs' values
//! with `decode`.

use crate::builtin::{Builtin, Form};
use crate::value::AggValue;
use rtrace_codegen::asm::{AluOp, JmpOp, Reg, Size};
use rtrace_codegen::lower::cx::{FnCx, Operand};
use rtrace_codegen::lower::LowerError;
use rtrace_lang::check::builtins::CallInfo;
use rtrace_lang::diagnostic::Diagnostic;
use rtrace_lang::types::{AggKind, Type};

/// Power-of-two histogram buckets: negative, zero, then one per bit.
pub const HIST_BUCKETS: u32 = 65;
/// The most linear buckets one lhist may have.
pub const LHIST_MAX_BUCKETS: i64 = 1000;

pub struct Aggregation {
    pub name: &'static str,
    pub usage: &'static str,
    pub summary: &'static str,
}

pub const AGGREGATIONS: &[Aggregation] = &[
    Aggregation {
        name: "count",
        usage: "@m[k] = count()",
        summary: "counts events",
    },
    Aggregation {
        name: "sum",
        usage: "@m[k] = sum(int)",
        summary: "sums values",
    },
    Aggregation {
        name: "avg",
        usage: "@m[k] = avg(int)",
        summary: "averages values",
    },
    Aggregation {
        name: "min",
        usage: "@m[k] = min(int)",
        summary: "keeps the smallest value",
    },
    Aggregation {
        name: "max",
        usage: "@m[k] = max(int)",
        summary: "keeps the largest value",
    },
    Aggregation {
        name: "stats",
        usage: "@m[k] = stats(int)",
        summary: "count, average and total",
    },
    Aggregation {
        name: "hist",
        usage: "@m[k] = hist(int)",
        summary: "power-of-two histogram",
    },
    Aggregation {
        name: "lhist",
        usage: "@m[k] = lhist(int, min, max, step)",
        summary: "linear histogram from min to max in steps",
    },
];

impl Builtin for Aggregation {
    fn name(&self) -> &'static str {
        self.name
    }
    fn form(&self) -> Form {
        Form::Function
    }
    fn usage(&self) -> &'static str {
        self.usage
    }
    fn summary(&self) -> &'static str {
        self.summary
    }

    fn check_call(&self, call: &CallInfo) -> Result<Type, Diagnostic> {
        let kind = match self.name {
            "count" => {
                call.expect_arity(0, 0, self.usage)?;
                AggKind::Count
            }
            "lhist" => {
                call.expect_arity(4, 4, self.usage)?;
                call.expect_int(0)?;
                lhist_kind(call)?
            }
            name => {
                call.expect_arity(1, 1, self.usage)?;
                call.expect_int(0)?;
                match name {
                    "sum" => AggKind::Sum,
                    "avg" => AggKind::Avg,
                    "min" => AggKind::Min,
                    "max" => AggKind::Max,
                    "stats" => AggKind::Stats,
                    _ => AggKind::Hist,
                }
            }
        };
        if !call.assigned_to_map {
            return Err(Diagnostic::error(
                call.span,
                format!("{}() must be assigned to a map", self.name),
            )
            .with_label("aggregation used as a value")
            .with_hint(format!("write `{}`", self.usage)));
        }
        Ok(Type::Agg(kind))
    }
}

fn lhist_kind(call: &CallInfo) -> Result<AggKind, Diagnostic> {
    let constant = |i: usize, what: &str| {
        call.const_int(i).ok_or_else(|| {
            Diagnostic::error(
                call.arg_span(i),
                format!("lhist() {what} must be an integer literal"),
            )
            .with_label("not a constant")
        })
    };
    let (min, max, step) = (
        constant(1, "min")?,
        constant(2, "max")?,
        constant(3, "step")?,
    );
    if min < 0 || max <= min {
        return Err(Diagnostic::error(call.span, "lhist() needs 0 <= min < max")
            .with_label(format!("min {min}, max {max}")));
    }
    if step <= 0 {
        return Err(Diagnostic::error(
            call.arg_span(3),
            "lhist() step must be positive",
        ));
    }
    if (max - min) / step > LHIST_MAX_BUCKETS {
        return Err(Diagnostic::error(
            call.span,
            format!("lhist() would have more than {LHIST_MAX_BUCKETS} buckets"),
        )
        .with_hint("use a larger step"));
    }
    Ok(AggKind::Lhist { min, max, step })
}

fn lhist_buckets(min: i64, max: i64, step: i64) -> u32 {
    // Below min, the ranges (the last one may be partial), at or above max.
    ((max - min + step - 1) / step) as u32 + 2
}

/// Bytes of one CPU's value.
pub fn value_size(kind: AggKind) -> u32 {
    match kind {
        AggKind::Count | AggKind::Sum => 8,
        // min/max: the value and a "seen" flag, so CPUs that never saw
        // the key do not contribute a zero when merged.
        AggKind::Min | AggKind::Max | AggKind::Avg | AggKind::Stats => 16,
        AggKind::Hist => HIST_BUCKETS * 8,
        AggKind::Lhist { min, max, step } => lhist_buckets(min, max, step) * 8,
    }
}

/// Updates the value `value` points at (r1) with `arg`. Uses r0, r2–r5.
pub fn emit_update(
    cx: &mut FnCx,
    kind: AggKind,
    value: Reg,
    arg: Option<Operand>,
) -> Result<(), LowerError> {
    let arg_reg = |cx: &mut FnCx| -> Result<Reg, LowerError> {
        let a = arg.ok_or_else(|| cx.internal("aggregation without its argument"))?;
        cx.move_to(Reg::R2, a);
        Ok(Reg::R2)
    };
    match kind {
        AggKind::Count => add_at(cx, value, 0, 1.into()),
        AggKind::Sum => {
            let r = arg_reg(cx)?;
            add_at(cx, value, 0, r.into());
        }
        AggKind::Avg | AggKind::Stats => {
            let r = arg_reg(cx)?;
            add_at(cx, value, 0, 1.into());
            add_at(cx, value, 8, r.into());
        }
        AggKind::Min | AggKind::Max => {
            let r = arg_reg(cx)?;
            let (keep, set) = (cx.asm.label(), cx.asm.label());
            cx.asm.load(Size::DW, Reg::R3, value, 8);
            cx.asm.jump(JmpOp::Eq, Reg::R3, 0, set);
            cx.asm.load(Size::DW, Reg::R0, value, 0);
            // Keep the stored value when it already wins.
            let wins = if kind == AggKind::Min {
                JmpOp::Sle
            } else {
                JmpOp::Sge
            };
            cx.asm.jump(wins, Reg::R0, r, keep);
            cx.asm.bind(set);
            cx.asm.store(Size::DW, value, 0, r);
            cx.asm.store(Size::DW, value, 8, 1);
            cx.asm.bind(keep);
        }
        AggKind::Hist => {
            let r = arg_reg(cx)?;
            hist_index(cx, r);
            bump_bucket(cx, value, Reg::R3, HIST_BUCKETS);
        }
        AggKind::Lhist { min, max, step } => {
            let r = arg_reg(cx)?;
            let buckets = lhist_buckets(min, max, step);
            let (done, low) = (cx.asm.label(), cx.asm.label());
            cx.asm.mov(Reg::R3, 0);
            cx.asm.mov_imm64(Reg::R4, min);
            cx.asm.jump(JmpOp::Slt, r, Reg::R4, low);
            cx.asm.mov(Reg::R3, (buckets - 1) as i32);
            cx.asm.mov_imm64(Reg::R4, max);
            cx.asm.jump(JmpOp::Sge, r, Reg::R4, low);
            cx.asm.mov(Reg::R3, r);
            cx.asm.mov_imm64(Reg::R4, min);
            cx.asm.alu(AluOp::Sub, Reg::R3, Reg::R4);
            cx.asm.mov_imm64(Reg::R4, step);
            cx.asm.alu(AluOp::Div, Reg::R3, Reg::R4);
            cx.asm.alu(AluOp::Add, Reg::R3, 1);
            cx.asm.bind(low);
            bump_bucket(cx, value, Reg::R3, buckets);
            cx.asm.bind(done);
        }
    }
    Ok(())
}

/// `*(u64 *)(base + off) += src`; per-CPU values need no atomics.
fn add_at(cx: &mut FnCx, base: Reg, off: i16, src: rtrace_codegen::asm::Src) {
    cx.asm.load(Size::DW, Reg::R0, base, off);
    cx.asm.alu(AluOp::Add, Reg::R0, src);
    cx.asm.store(Size::DW, base, off, Reg::R0);
}

/// Adds one to bucket `index` (in a register); the bound check is what lets
/// the verifier accept the variable offset.
fn bump_bucket(cx: &mut FnCx, value: Reg, index: Reg, buckets: u32) {
    let skip = cx.asm.label();
    cx.asm.jump(JmpOp::Ge, index, buckets as i32, skip);
    cx.asm.alu(AluOp::Lsh, index, 3);
    cx.asm.mov(Reg::R5, value);
    cx.asm.alu(AluOp::Add, Reg::R5, index);
    add_at(cx, Reg::R5, 0, 1.into());
    cx.asm.bind(skip);
}

/// r3 = the hist bucket of the signed value in `v`: 0 for negatives, 1 for
/// zero, 2 + floor(log2(v)) otherwise. Branch-light binary search, as the
/// verifier prefers straight-line code.
fn hist_index(cx: &mut FnCx, v: Reg) {
    let done = cx.asm.label();
    cx.asm.mov(Reg::R3, 0);
    cx.asm.jump(JmpOp::Slt, v, 0, done);
    cx.asm.mov(Reg::R3, 1);
    cx.asm.jump(JmpOp::Eq, v, 0, done);
    cx.asm.mov(Reg::R4, v);
    cx.asm.mov(Reg::R3, 2);
    for shift in [32, 16, 8, 4, 2, 1] {
        let next = cx.asm.label();
        cx.asm.mov_imm64(Reg::R5, 1i64 << shift);
        cx.asm.jump(JmpOp::Lt, Reg::R4, Reg::R5, next);
        cx.asm.alu(AluOp::Rsh, Reg::R4, shift);
        cx.asm.alu(AluOp::Add, Reg::R3, shift);
        cx.asm.bind(next);
    }
    cx.asm.bind(done);
}

fn u64_at(bytes: &[u8], index: usize) -> u64 {
    bytes
        .get(index * 8..index * 8 + 8)
        .map_or(0, |b| u64::from_le_bytes(b.try_into().expect("8 bytes")))
}

/// Merges the per-CPU values of one entry.
pub fn decode(kind: AggKind, per_cpu: &[&[u8]]) -> AggValue {
    let sum_at = |i: usize| {
        per_cpu
            .iter()
            .map(|b| u64_at(b, i))
            .fold(0u64, u64::wrapping_add)
    };
    match kind {
        AggKind::Count => AggValue::Count(sum_at(0)),
        AggKind::Sum => AggValue::Sum(sum_at(0) as i64),
        AggKind::Avg => AggValue::Avg {
            count: sum_at(0),
            total: sum_at(1) as i64,
        },
        AggKind::Stats => AggValue::Stats {
            count: sum_at(0),
            total: sum_at(1) as i64,
        },
        AggKind::Min | AggKind::Max => {
            let seen = per_cpu
                .iter()
                .filter(|b| u64_at(b, 1) != 0)
                .map(|b| u64_at(b, 0) as i64);
            if kind == AggKind::Min {
                AggValue::Min(seen.min())
            } else {
                AggValue::Max(seen.max())
            }
        }
        AggKind::Hist => AggValue::Hist((0..HIST_BUCKETS as usize).map(sum_at).collect()),
        AggKind::Lhist { min, max, step } => AggValue::Lhist {
            min,
            max,
            step,
            buckets: (0..lhist_buckets(min, max, step) as usize)
                .map(sum_at)
                .collect(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn min_ignores_cpus_that_never_saw_the_key() {
        let seen: Vec<u8> = [(-3i64) as u64, 1]
            .iter()
            .flat_map(|v| v.to_le_bytes())
            .collect();
        let unseen = vec![0u8; 16];
        assert_eq!(
            decode(AggKind::Min, &[&unseen, &seen]),
            AggValue::Min(Some(-3))
        );
        assert_eq!(
            decode(AggKind::Max, &[&unseen, &seen]),
            AggValue::Max(Some(-3))
        );
    }

    #[test]
    fn counts_sum_over_cpus() {
        let a = 5u64.to_le_bytes();
        let b = 7u64.to_le_bytes();
        assert_eq!(decode(AggKind::Count, &[&a, &b]), AggValue::Count(12));
    }

    #[test]
    fn lhist_has_under_and_overflow_buckets() {
        assert_eq!(lhist_buckets(0, 2000, 200), 12);
        assert_eq!(lhist_buckets(0, 100, 30), 6);
    }
}
