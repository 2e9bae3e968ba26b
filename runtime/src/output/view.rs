//! What a printed map shows, decided once for every back end: which
//! entries, in which order (bpftrace 0.17's), with print()'s `top` and
//! `div` applied and histogram buckets turned into ranges. The text and
//! JSON back ends only decide how a `MapView` looks.

use super::sort::{cxx_sort_by, key_bytes_cmp, sort_by_key};
use rtrace_stdlib::value::{AggValue, MapSnapshot, MapValue, Value};

/// A map ready to print.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MapView<'m> {
    /// With the `@`: `@`, `@bytes`.
    pub name: &'m str,
    /// Whether entries are printed with their keys (`@x[k]`) or the map is
    /// a scalar (`@x`).
    pub keyed: bool,
    pub entries: Entries<'m>,
}

/// The entries of a map, sorted and cut to `top`, by the kind of value.
/// Keys are the snapshot's.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Entries<'m> {
    /// count, sum, min, max and plain values, divided by `div`.
    Values(Vec<(&'m Value, Value)>),
    /// avg: the average (truncated towards zero), divided by `div`.
    Averages(Vec<(&'m Value, i64)>),
    /// stats: print() ignores `top` and `div` for them, as bpftrace does.
    Stats(Vec<(&'m Value, Stats)>),
    Histograms(Vec<(&'m Value, Histogram)>),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Stats {
    pub count: i64,
    pub average: i64,
    pub total: i64,
}

/// The buckets of one hist() or lhist() value, from the first non-empty one
/// to the last; none when every bucket is empty.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Histogram {
    pub scale: Scale,
    pub buckets: Vec<Bucket>,
    /// The largest undivided count of any bucket the value holds, shown or
    /// not: what text bars are drawn relative to.
    pub fullest: u64,
}

/// How the bucket bounds were chosen, which decides how text labels them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scale {
    /// hist(): powers of two.
    PowerOfTwo,
    /// lhist(): equal steps.
    Linear,
}

/// The values one bucket counts: `min..=max`, open-ended where a bound is
/// `None` (the underflow and overflow buckets).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Bucket {
    pub min: Option<i64>,
    pub max: Option<i64>,
    /// As printed: divided by print()'s `div` (hist only).
    pub count: u64,
    /// Before the divisor, which bpftrace applies to the numbers but not to
    /// the bars.
    pub raw: u64,
}

/// The view of `print(@m, top, div)`, or of the dump at exit with `top` 0
/// (everything) and `div` 1. `None` for a map without entries.
pub fn map_view(map: &MapSnapshot, top: usize, div: u64) -> Option<MapView<'_>> {
    let div = div.max(1);
    let (_, first) = map.entries.first()?;
    let entries = match first {
        MapValue::Agg(AggValue::Hist(_) | AggValue::Lhist { .. }) => histograms(map, top, div),
        MapValue::Agg(AggValue::Avg { .. }) => averages(map, top, div),
        MapValue::Agg(AggValue::Stats { .. }) => stats(map),
        _ => values(map, top, div),
    };
    Some(MapView {
        name: &map.name,
        keyed: map.keyed,
        entries,
    })
}

/// The entries left once `top` drops the smallest.
fn keep_top<T>(mut entries: Vec<T>, top: usize) -> Vec<T> {
    if top > 0 && entries.len() > top {
        entries.drain(..entries.len() - top);
    }
    entries
}

/// Entries in `std::map` order of their encoded keys, which is where
/// bpftrace starts from before sorting hist, lhist, avg and stats maps.
fn by_key_bytes(map: &MapSnapshot) -> Vec<&(Value, MapValue)> {
    let mut entries: Vec<_> = map.entries.iter().collect();
    entries.sort_by(|a, b| key_bytes_cmp(&a.0, &b.0));
    entries
}

/// hist() and lhist() entries, sorted by their total count.
fn histograms(map: &MapSnapshot, top: usize, div: u64) -> Entries<'_> {
    let mut entries = by_key_bytes(map);
    let total = |value: &MapValue| match value {
        MapValue::Agg(AggValue::Hist(b) | AggValue::Lhist { buckets: b, .. }) => {
            b.iter().fold(0u64, |sum, &c| sum.wrapping_add(c))
        }
        _ => 0,
    };
    cxx_sort_by(&mut entries, |a, b| total(&a.1) < total(&b.1));
    let entries = keep_top(entries, top)
        .into_iter()
        .filter_map(|(key, value)| {
            let histogram = match value {
                MapValue::Agg(AggValue::Hist(buckets)) => power_of_two(buckets, div),
                // bpftrace ignores print()'s divisor for lhist.
                MapValue::Agg(AggValue::Lhist {
                    min,
                    max,
                    step,
                    buckets,
                }) => linear(buckets, *min, *max, *step),
                _ => return None,
            };
            Some((key, histogram))
        })
        .collect();
    Entries::Histograms(entries)
}

/// Power-of-two buckets: index 0 counts negative values, 1 counts 0, and
/// `i >= 2` counts `[2^(i-2), 2^(i-1))`.
pub(super) fn power_of_two(buckets: &[u64], div: u64) -> Histogram {
    let range = |i: usize| -> (Option<i64>, Option<i64>) {
        match i {
            0 => (None, Some(-1)),
            1 => (Some(0), Some(0)),
            _ => {
                let low = 1u64 << (i - 2).min(63);
                // 2^63 - 1 for the topmost bucket, which still fits.
                let high = (low - 1).wrapping_add(low);
                (Some(low as i64), Some(high as i64))
            }
        }
    };
    histogram(Scale::PowerOfTwo, buckets, buckets, div, range)
}

/// Linear buckets: index 0 counts values below `min`, then one bucket per
/// step, and the overflow bucket at or above `max`. When the range is not
/// a multiple of the step, bpftrace shows the inner buckets that end at or
/// before `max` and then the overflow bucket.
pub(super) fn linear(buckets: &[u64], min: i64, max: i64, step: i64) -> Histogram {
    let inner = if step > 0 { (max - min) / step } else { 0 };
    let overflow = (inner + 1).max(0) as usize;
    let shown = &buckets[..buckets.len().min(overflow + 1)];
    let range = |i: usize| -> (Option<i64>, Option<i64>) {
        if i == 0 {
            (None, Some(min.wrapping_sub(1)))
        } else if i == overflow {
            (Some(max), None)
        } else {
            let low = (i as i64 - 1).wrapping_mul(step).wrapping_add(min);
            (Some(low), Some(low.wrapping_add(step).wrapping_sub(1)))
        }
    };
    histogram(Scale::Linear, shown, buckets, 1, range)
}

/// Keeps `shown` from its first to its last non-empty bucket.
fn histogram(
    scale: Scale,
    shown: &[u64],
    all: &[u64],
    div: u64,
    range: impl Fn(usize) -> (Option<i64>, Option<i64>),
) -> Histogram {
    let first = shown.iter().position(|&c| c > 0);
    let last = shown.iter().rposition(|&c| c > 0);
    let buckets = match (first, last) {
        (Some(first), Some(last)) => (first..=last)
            .map(|i| {
                let (min, max) = range(i);
                Bucket {
                    min,
                    max,
                    count: shown[i] / div,
                    raw: shown[i],
                }
            })
            .collect(),
        _ => Vec::new(),
    };
    Histogram {
        scale,
        buckets,
        fullest: all.iter().copied().max().unwrap_or(0),
    }
}

/// The count, truncated average and total of an avg() or stats() value.
fn average(value: &MapValue) -> Stats {
    match value {
        MapValue::Agg(AggValue::Avg { count, total } | AggValue::Stats { count, total }) => {
            let count = *count as i64;
            // Integer division, truncating towards zero like C++.
            let average = if count == 0 {
                0
            } else {
                total.wrapping_div(count)
            };
            Stats {
                count,
                average,
                total: *total,
            }
        }
        _ => Stats {
            count: 0,
            average: 0,
            total: 0,
        },
    }
}

/// avg() and stats() entries, sorted by their average.
fn sorted_by_average(map: &MapSnapshot) -> Vec<&(Value, MapValue)> {
    let mut entries = by_key_bytes(map);
    cxx_sort_by(&mut entries, |a, b| {
        average(&a.1).average < average(&b.1).average
    });
    entries
}

fn averages(map: &MapSnapshot, top: usize, div: u64) -> Entries<'_> {
    let entries = keep_top(sorted_by_average(map), top)
        .into_iter()
        .map(|(key, value)| (key, average(value).average.wrapping_div(signed(div))))
        .collect();
    Entries::Averages(entries)
}

fn stats(map: &MapSnapshot) -> Entries<'_> {
    let entries = sorted_by_average(map)
        .into_iter()
        .map(|(key, value)| (key, average(value)))
        .collect();
    Entries::Stats(entries)
}

/// What count, sum, min, max and plain-integer maps sort by. Plain
/// unsigned values compare as unsigned, everything else as signed.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Number {
    Signed(i64),
    Unsigned(u64),
}

fn number(value: &MapValue) -> Option<Number> {
    Some(match value {
        MapValue::Agg(AggValue::Count(c)) => Number::Unsigned(*c),
        MapValue::Agg(AggValue::Sum(s)) => Number::Signed(*s),
        MapValue::Agg(AggValue::Min(m) | AggValue::Max(m)) => Number::Signed(m.unwrap_or(0)),
        MapValue::Plain(Value::Int(i)) => Number::Signed(*i),
        MapValue::Plain(Value::UInt(u)) => Number::Unsigned(*u),
        _ => return None,
    })
}

fn values(map: &MapSnapshot, top: usize, div: u64) -> Entries<'_> {
    let mut entries: Vec<_> = map.entries.iter().collect();
    if entries.first().is_some_and(|(_, v)| number(v).is_some()) {
        cxx_sort_by(&mut entries, |a, b| number(&a.1) < number(&b.1));
    } else if map.keyed {
        // Strings and tuples have no order of their own: sort by key.
        sort_by_key(&mut entries, |(k, _)| k);
    }
    let entries = keep_top(entries, top)
        .into_iter()
        .map(|(key, value)| {
            let shown = match (value, number(value)) {
                (MapValue::Plain(v), _) => divide(v, div),
                (_, Some(Number::Signed(n))) => Value::Int(n.wrapping_div(signed(div))),
                (_, Some(Number::Unsigned(n))) => Value::UInt(n / div),
                // Every aggregation that reaches here is a number.
                (MapValue::Agg(_), None) => Value::Int(0),
            };
            (key, shown)
        })
        .collect();
    Entries::Values(entries)
}

/// `div` applied to a plain value: integers divide (signed ones with
/// truncation towards zero), tuples element-wise, strings stay as they are.
fn divide(value: &Value, div: u64) -> Value {
    match value {
        Value::Int(i) => Value::Int(i.wrapping_div(signed(div))),
        Value::UInt(u) => Value::UInt(u / div),
        Value::Str(_) | Value::Stack(_) | Value::Sym(_) => value.clone(),
        Value::Tuple(parts) => Value::Tuple(parts.iter().map(|p| divide(p, div)).collect()),
    }
}

/// The divisor for signed values (bpftrace's is 32 bits, so it always fits).
fn signed(div: u64) -> i64 {
    i64::try_from(div).unwrap_or(i64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::output::test_maps::*;

    #[test]
    fn empty_map_has_no_view() {
        assert_eq!(map_view(&map("@c", true, vec![]), 0, 1), None);
    }

    #[test]
    fn power_of_two_ranges_reach_the_top_bucket() {
        let mut buckets = vec![0u64; 65];
        buckets[0] = 1;
        buckets[1] = 1;
        buckets[64] = 2;
        let h = power_of_two(&buckets, 2);
        let first = h.buckets.first().expect("buckets");
        let last = h.buckets.last().expect("buckets");
        assert_eq!((first.min, first.max, first.count), (None, Some(-1), 0));
        assert_eq!(h.buckets[1].min, Some(0));
        assert_eq!(h.buckets[2].max, Some(1));
        assert_eq!(h.buckets[3].max, Some(3));
        assert_eq!(
            (last.min, last.max, last.count, last.raw),
            (Some(1 << 62), Some(i64::MAX), 1, 2)
        );
        assert_eq!(h.buckets.len(), 65);
        assert_eq!(h.fullest, 2);
    }

    /// `lhist(v, 1, 10, 4)` has buckets [1, 5) and [5, 9); the bucket shown
    /// after them is the overflow one, labelled with max.
    #[test]
    fn linear_ranges_of_an_uneven_range() {
        let h = linear(&[0, 1, 0, 2, 5], 1, 10, 4);
        let ranges: Vec<_> = h.buckets.iter().map(|b| (b.min, b.max, b.count)).collect();
        assert_eq!(
            ranges,
            vec![
                (Some(1), Some(4), 1),
                (Some(5), Some(8), 0),
                (Some(10), None, 2)
            ]
        );
        // The hidden bucket still sets the bars' scale.
        assert_eq!(h.fullest, 5);
    }

    #[test]
    fn all_empty_histogram_has_no_buckets() {
        let h = power_of_two(&[0; 65], 1);
        assert!(h.buckets.is_empty());
        assert_eq!(h.fullest, 0);
    }

    #[test]
    fn values_are_divided_after_sorting() {
        let c = map(
            "@c",
            true,
            vec![(int(3), count(3)), (int(1), count(1)), (int(2), count(2))],
        );
        let view = map_view(&c, 2, 2).expect("a view");
        assert_eq!(
            view.entries,
            Entries::Values(vec![(&int(2), Value::UInt(1)), (&int(3), Value::UInt(1))])
        );
    }
}
