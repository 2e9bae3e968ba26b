//! The orders bpftrace prints map entries in.
//!
//! bpftrace sorts with libstdc++'s `std::sort`, which is not stable: when
//! two entries compare equal (two keys with the same count), their printed
//! order is whatever introsort leaves behind. To print ties the same way we
//! run the very same algorithm on the same input order. For hist, lhist,
//! avg and stats maps that input order is the byte order of the encoded keys
//! (bpftrace collects them in a `std::map<std::vector<uint8_t>, ...>`), so
//! the result is fully deterministic; for the other maps it is the kernel's
//! iteration order, which the snapshot preserves.

use rtrace_stdlib::value::Value;
use std::cmp::Ordering;

/// libstdc++ leaves runs this short to the final insertion sort.
const THRESHOLD: usize = 16;

/// Sorts `items` exactly as libstdc++'s `std::sort(first, last, less)` does,
/// ties included.
pub fn cxx_sort_by<T>(items: &mut Vec<T>, mut less: impl FnMut(&T, &T) -> bool) {
    // Sort a permutation, so the algorithm can copy elements around freely
    // the way the C++ code moves them.
    let mut order: Vec<usize> = (0..items.len()).collect();
    {
        let mut less_idx = |a: &usize, b: &usize| less(&items[*a], &items[*b]);
        let len = order.len();
        if len > 1 {
            // libstdc++ allows 2 * floor(log2(n)) levels before heap sort.
            let depth = 2 * len.ilog2() as usize;
            introsort_loop(&mut order, 0, len, depth, &mut less_idx);
            final_insertion_sort(&mut order, 0, len, &mut less_idx);
        }
    }
    let mut taken: Vec<Option<T>> = items.drain(..).map(Some).collect();
    items.extend(
        order
            .into_iter()
            .map(|i| taken[i].take().expect("a permutation")),
    );
}

type Less<'a> = dyn FnMut(&usize, &usize) -> bool + 'a;

fn introsort_loop(
    v: &mut [usize],
    first: usize,
    mut last: usize,
    mut depth: usize,
    less: &mut Less,
) {
    while last - first > THRESHOLD {
        if depth == 0 {
            heap_sort(v, first, last, less);
            return;
        }
        depth -= 1;
        let cut = unguarded_partition_pivot(v, first, last, less);
        introsort_loop(v, cut, last, depth, less);
        last = cut;
    }
}

fn unguarded_partition_pivot(v: &mut [usize], first: usize, last: usize, less: &mut Less) -> usize {
    let mid = first + (last - first) / 2;
    move_median_to_first(v, first, first + 1, mid, last - 1, less);
    unguarded_partition(v, first + 1, last, first, less)
}

fn move_median_to_first(
    v: &mut [usize],
    result: usize,
    a: usize,
    b: usize,
    c: usize,
    less: &mut Less,
) {
    let median = if less(&v[a], &v[b]) {
        if less(&v[b], &v[c]) {
            b
        } else if less(&v[a], &v[c]) {
            c
        } else {
            a
        }
    } else if less(&v[a], &v[c]) {
        a
    } else if less(&v[b], &v[c]) {
        c
    } else {
        b
    };
    v.swap(result, median);
}

fn unguarded_partition(
    v: &mut [usize],
    mut first: usize,
    mut last: usize,
    pivot: usize,
    less: &mut Less,
) -> usize {
    loop {
        while less(&v[first], &v[pivot]) {
            first += 1;
        }
        last -= 1;
        while less(&v[pivot], &v[last]) {
            last -= 1;
        }
        if first >= last {
            return first;
        }
        v.swap(first, last);
        first += 1;
    }
}

fn final_insertion_sort(v: &mut [usize], first: usize, last: usize, less: &mut Less) {
    if last - first > THRESHOLD {
        insertion_sort(v, first, first + THRESHOLD, less);
        for i in first + THRESHOLD..last {
            unguarded_linear_insert(v, i, less);
        }
    } else {
        insertion_sort(v, first, last, less);
    }
}

fn insertion_sort(v: &mut [usize], first: usize, last: usize, less: &mut Less) {
    if first == last {
        return;
    }
    for i in first + 1..last {
        if less(&v[i], &v[first]) {
            let val = v[i];
            v.copy_within(first..i, first + 1);
            v[first] = val;
        } else {
            unguarded_linear_insert(v, i, less);
        }
    }
}

fn unguarded_linear_insert(v: &mut [usize], mut last: usize, less: &mut Less) {
    let val = v[last];
    let mut next = last - 1;
    while less(&val, &v[next]) {
        v[last] = v[next];
        last = next;
        next -= 1;
    }
    v[last] = val;
}

/// `std::__partial_sort(first, last, last)`: make_heap then sort_heap.
fn heap_sort(v: &mut [usize], first: usize, last: usize, less: &mut Less) {
    let len = last - first;
    if len >= 2 {
        let mut parent = (len - 2) / 2;
        loop {
            let value = v[first + parent];
            adjust_heap(v, first, parent, len, value, less);
            if parent == 0 {
                break;
            }
            parent -= 1;
        }
    }
    let mut end = last;
    while end - first > 1 {
        end -= 1;
        let value = v[end];
        v[end] = v[first];
        adjust_heap(v, first, 0, end - first, value, less);
    }
}

fn adjust_heap(
    v: &mut [usize],
    first: usize,
    mut hole: usize,
    len: usize,
    value: usize,
    less: &mut Less,
) {
    let top = hole;
    let mut child = hole;
    while child < (len - 1) / 2 {
        child = 2 * (child + 1);
        if less(&v[first + child], &v[first + child - 1]) {
            child -= 1;
        }
        v[first + hole] = v[first + child];
        hole = child;
    }
    if len & 1 == 0 && child == (len - 2) / 2 {
        child = 2 * (child + 1);
        v[first + hole] = v[first + child - 1];
        hole = child - 1;
    }
    // push_heap
    let mut parent = hole.wrapping_sub(1) / 2;
    while hole > top && less(&v[first + parent], &value) {
        v[first + hole] = v[first + parent];
        hole = parent;
        parent = hole.wrapping_sub(1) / 2;
    }
    v[first + hole] = value;
}

/// The order of two keys as `std::map<std::vector<uint8_t>>` sees their
/// encoding: integers are 8 little-endian bytes, strings their bytes padded
/// with NULs to a fixed size, several keys one after the other.
pub fn key_bytes_cmp(a: &Value, b: &Value) -> Ordering {
    match (a, b) {
        (Value::Tuple(xs), Value::Tuple(ys)) => xs
            .iter()
            .zip(ys)
            .map(|(x, y)| key_bytes_cmp(x, y))
            .find(|o| o.is_ne())
            .unwrap_or_else(|| xs.len().cmp(&ys.len())),
        (Value::Str(x), Value::Str(y)) => x.as_bytes().cmp(y.as_bytes()),
        (Value::Stack(x), Value::Stack(y)) => x.key.to_le_bytes().cmp(&y.key.to_le_bytes()),
        (Value::Sym(x), Value::Sym(y)) => x.address.to_le_bytes().cmp(&y.address.to_le_bytes()),
        _ => match (int_bits(a), int_bits(b)) {
            (Some(x), Some(y)) => x.to_le_bytes().cmp(&y.to_le_bytes()),
            _ => Ordering::Equal,
        },
    }
}

/// bpftrace's `sort_by_key`, used for maps whose values have no order of
/// their own (strings, tuples): a stable sort on each key part from the
/// last to the first, so the first part decides. Integer parts compare as
/// unsigned (so `-1` sorts last), strings byte-wise; tuple parts are left
/// alone. `key` picks an entry's key; a `Tuple` key holds several parts.
pub fn sort_by_key<T>(entries: &mut [T], key: impl Fn(&T) -> &Value) {
    let part = |k: &Value, i: usize| -> Option<Value> {
        match k {
            Value::Tuple(parts) => parts.get(i).cloned(),
            single if i == 0 => Some(single.clone()),
            _ => None,
        }
    };
    let arity = entries
        .iter()
        .map(|e| match key(e) {
            Value::Tuple(parts) => parts.len(),
            _ => 1,
        })
        .max()
        .unwrap_or(0);
    for i in (0..arity).rev() {
        entries.sort_by(|a, b| match (part(key(a), i), part(key(b), i)) {
            (Some(Value::Str(x)), Some(Value::Str(y))) => x.as_bytes().cmp(y.as_bytes()),
            (Some(x), Some(y)) => match (int_bits(&x), int_bits(&y)) {
                (Some(x), Some(y)) => x.cmp(&y),
                _ => Ordering::Equal,
            },
            _ => Ordering::Equal,
        });
    }
}

/// The 64 bits an integer is stored in.
fn int_bits(v: &Value) -> Option<u64> {
    match v {
        Value::Int(i) => Some(*i as u64),
        Value::UInt(u) => Some(*u),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Sorts `(sort value, tag)` pairs by sort value and returns the tags.
    fn sorted_tags(values: &[u32]) -> Vec<usize> {
        let mut items: Vec<(u32, usize)> = values.iter().copied().zip(0..).collect();
        cxx_sort_by(&mut items, |a, b| a.0 < b.0);
        items.into_iter().map(|(_, t)| t).collect()
    }

    /// Vectors run through g++ 12's `std::sort` on `(value, tag)` pairs
    /// comparing only the value: the tags show how ties came out.
    #[test]
    fn ties_match_libstdcxx() {
        // Short inputs are insertion-sorted, hence stable.
        assert_eq!(sorted_tags(&[2, 1, 2, 1, 0]), vec![4, 1, 3, 0, 2]);
        assert_eq!(
            sorted_tags(&[1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0]),
            vec![1, 19, 17, 15, 13, 11, 9, 7, 5, 3, 8, 6, 10, 12, 4, 14, 16, 2, 18, 0]
        );
        assert_eq!(
            sorted_tags(&[
                3, 1, 4, 1, 5, 9, 2, 6, 5, 3, 5, 8, 9, 7, 9, 3, 2, 3, 8, 4, 6, 2, 6, 4, 3, 3, 8, 3,
                2, 7, 9, 5, 0, 2, 8, 8, 4, 1, 9, 7, 1, 6, 9, 3, 9, 9, 3, 7, 5, 1
            ]),
            vec![
                32, 1, 49, 40, 37, 3, 6, 33, 28, 21, 16, 0, 46, 43, 27, 25, 24, 17, 9, 15, 19, 23,
                36, 2, 48, 8, 31, 4, 10, 22, 7, 20, 41, 29, 39, 47, 13, 18, 35, 34, 11, 26, 38, 30,
                42, 44, 45, 12, 14, 5
            ]
        );
    }

    /// An input built with McIlroy's adversary so that introsort runs out of
    /// depth and falls back to heap sort; expected tags again from g++ 12.
    #[test]
    fn heap_sort_fallback_matches_libstdcxx() {
        assert_eq!(
            sorted_tags(&[
                19, 0, 18, 1, 20, 2, 22, 3, 19, 4, 23, 5, 18, 6, 21, 7, 17, 8, 10, 9, 24, 23, 22,
                21, 20, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 16, 17, 15, 16, 14, 15, 13, 14, 12, 13, 11,
                12, 10, 11, 25
            ]),
            vec![
                1, 25, 3, 26, 5, 27, 7, 28, 9, 29, 11, 30, 13, 31, 15, 32, 17, 33, 19, 34, 18, 47,
                48, 45, 46, 43, 44, 41, 39, 42, 37, 40, 35, 38, 36, 16, 12, 2, 8, 0, 4, 24, 23, 14,
                6, 22, 21, 10, 20, 49
            ]
        );
    }

    /// Enough equal elements to exhaust the depth limit exercise the heap
    /// sort fallback; the output must still be sorted.
    #[test]
    fn sorts_large_inputs() {
        let values: Vec<u32> = (0..2000u32).map(|i| (i * 7919) % 13).collect();
        let mut items = values.clone();
        cxx_sort_by(&mut items, |a, b| a < b);
        let mut expected = values;
        expected.sort();
        assert_eq!(items, expected);
    }

    #[test]
    fn key_bytes_order_is_little_endian() {
        let mut keys = vec![
            Value::Int(1),
            Value::Int(256),
            Value::Int(-1),
            Value::Int(2),
        ];
        keys.sort_by(key_bytes_cmp);
        assert_eq!(
            keys,
            vec![
                Value::Int(256),
                Value::Int(1),
                Value::Int(2),
                Value::Int(-1)
            ]
        );
        let mut keys = vec![
            Value::Str("b".into()),
            Value::Str("ab".into()),
            Value::Str("a".into()),
        ];
        keys.sort_by(key_bytes_cmp);
        assert_eq!(
            keys,
            vec![
                Value::Str("a".into()),
                Value::Str("ab".into()),
                Value::Str("b".into())
            ]
        );
    }

    #[test]
    fn sort_by_key_first_part_decides() {
        let key = |i: i64, s: &str| Value::Tuple(vec![Value::Int(i), Value::Str(s.into())]);
        let mut entries = vec![
            (key(2, "a"), 0),
            (key(1, "b"), 1),
            (key(-1, "a"), 2),
            (key(1, "a"), 3),
        ];
        sort_by_key(&mut entries, |(k, _)| k);
        let tags: Vec<_> = entries.iter().map(|(_, t)| *t).collect();
        assert_eq!(tags, vec![3, 1, 0, 2]);
    }
}
