//! The bucket tables of hist() and lhist() values, as bpftrace 0.17 draws
//! them: a 16-column left-aligned label, an 8-column right-aligned count,
//! and a 52-column bar scaled to the fullest bucket. The buckets are the
//! view's: from the first non-zero one to the last.

use super::view::{Bucket, Histogram, Scale};

const BAR_WIDTH: usize = 52;

/// The table of a hist() or lhist() value (one line per bucket, each
/// ending in `\n`), or "" when every bucket is empty.
pub fn histogram_table(histogram: &Histogram) -> String {
    let mut out = String::new();
    for bucket in &histogram.buckets {
        let label = match histogram.scale {
            Scale::PowerOfTwo => power_bucket_label(bucket),
            Scale::Linear => linear_bucket_label(bucket),
        };
        push_line(
            &mut out,
            &label,
            bucket.count,
            bar(bucket.raw, histogram.fullest),
        );
    }
    out
}

/// `(..., 0)`, `[0]`, `[1]`, `[2, 4)`, `[512, 1K)`.
fn power_bucket_label(bucket: &Bucket) -> String {
    match (bucket.min, bucket.max) {
        (None, Some(max)) => format!("(..., {})", max.wrapping_add(1)),
        (Some(min), Some(max)) if min == max => format!("[{min}]"),
        (Some(min), Some(max)) => format!(
            "[{}, {})",
            size_label(min as u64),
            size_label((max as u64).wrapping_add(1))
        ),
        (Some(min), None) => format!("[{}, ...)", size_label(min as u64)),
        (None, None) => "(..., ...)".to_string(),
    }
}

/// `(..., 0)`, `[10, 20)`, `[1K, 2K)`, `[100, ...)`.
fn linear_bucket_label(bucket: &Bucket) -> String {
    match (bucket.min, bucket.max) {
        (None, Some(max)) => format!("(..., {})", linear_label(max.wrapping_add(1))),
        (Some(min), Some(max)) => format!(
            "[{}, {})",
            linear_label(min),
            linear_label(max.wrapping_add(1))
        ),
        (Some(min), None) => format!("[{}, ...)", linear_label(min)),
        (None, None) => "(..., ...)".to_string(),
    }
}

/// bpftrace computes the bar length in single precision and truncates:
/// `int(count / (float)max * 52)`; doing the same keeps the rounding of
/// bars like 1/3 (17) and 2/3 (34) identical.
fn bar(count: u64, max: u64) -> usize {
    if max == 0 {
        return 0;
    }
    (count as f32 / max as f32 * BAR_WIDTH as f32) as usize
}

fn push_line(out: &mut String, label: &str, count: u64, bar: usize) {
    let bar = "@".repeat(bar.min(BAR_WIDTH));
    out.push_str(&format!("{label:<16}{count:>8} |{bar:<BAR_WIDTH$}|\n"));
}

/// A power of two with a binary suffix, as [`power_label`] writes it;
/// any other number in full.
fn size_label(n: u64) -> String {
    if n.is_power_of_two() {
        power_label(n.trailing_zeros())
    } else {
        n.to_string()
    }
}

/// `2^power` with a binary suffix: `512`, `1K`, `16M`, `2G`, `8T`. bpftrace
/// 0.17 stops at T, so 2^50 is `1024T`.
fn power_label(power: u32) -> String {
    let (power, suffix) = match power {
        40.. => (power - 40, "T"),
        30.. => (power - 30, "G"),
        20.. => (power - 20, "M"),
        10.. => (power - 10, "K"),
        _ => (power, ""),
    };
    format!("{}{suffix}", 1u64 << power.min(63))
}

/// An lhist bound: exact multiples of 1M and 1K get a suffix, anything
/// else is printed in full.
fn linear_label(n: i64) -> String {
    const KILO: i64 = 1024;
    const MEGA: i64 = 1024 * 1024;
    if n == 0 {
        "0".to_string()
    } else if n % MEGA == 0 {
        format!("{}M", n / MEGA)
    } else if n % KILO == 0 {
        format!("{}K", n / KILO)
    } else {
        n.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::output::view::{linear, power_of_two};

    fn hist_table(buckets: &[u64], div: u64) -> String {
        histogram_table(&power_of_two(buckets, div))
    }

    fn lhist_table(buckets: &[u64], min: i64, max: i64, step: i64) -> String {
        histogram_table(&linear(buckets, min, max, step))
    }

    fn hist_of(values: &[i64]) -> Vec<u64> {
        let mut buckets = vec![0u64; 66];
        for &v in values {
            let i = match v {
                ..=-1 => 0,
                0 => 1,
                _ => 2 + (63 - v.leading_zeros()) as usize,
            };
            buckets[i] += 1;
        }
        buckets
    }

    #[test]
    fn power_labels() {
        let labels: Vec<_> = [0, 1, 9, 10, 11, 19, 20, 29, 30, 39, 40, 49, 50, 63]
            .iter()
            .map(|&p| power_label(p))
            .collect();
        assert_eq!(
            labels,
            [
                "1", "2", "512", "1K", "2K", "512K", "1M", "512M", "1G", "512G", "1T", "512T",
                "1024T", "8388608T"
            ]
        );
    }

    #[test]
    fn linear_labels() {
        assert_eq!(linear_label(0), "0");
        assert_eq!(linear_label(10), "10");
        assert_eq!(linear_label(1024), "1K");
        assert_eq!(linear_label(3072), "3K");
        assert_eq!(linear_label(2024), "2024");
        assert_eq!(linear_label(2097152), "2M");
        assert_eq!(linear_label(1048576 + 1024), "1025K");
    }

    /// `hist(5); hist(0); hist(-1); hist(1000)` in bpftrace 0.17.
    #[test]
    fn hist_with_negative_and_zero() {
        let expected = "\
(..., 0)               1 |@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@|
[0]                    1 |@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@|
[1]                    0 |                                                    |
[2, 4)                 0 |                                                    |
[4, 8)                 1 |@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@|
[8, 16)                0 |                                                    |
[16, 32)               0 |                                                    |
[32, 64)               0 |                                                    |
[64, 128)              0 |                                                    |
[128, 256)             0 |                                                    |
[256, 512)             0 |                                                    |
[512, 1K)              1 |@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@|
";
        assert_eq!(hist_table(&hist_of(&[5, 0, -1, 1000]), 1), expected);
    }

    /// `hist(1024); hist(1500); hist(3145728); hist(3) x3`, printed plain
    /// and with `print(@h, 0, 2)`: the divisor shrinks counts, not bars.
    #[test]
    fn hist_big_values_and_div() {
        let buckets = hist_of(&[1024, 1500, 3145728, 3, 3, 3]);
        let expected = "\
[2, 4)                 3 |@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@|
[4, 8)                 0 |                                                    |
[8, 16)                0 |                                                    |
[16, 32)               0 |                                                    |
[32, 64)               0 |                                                    |
[64, 128)              0 |                                                    |
[128, 256)             0 |                                                    |
[256, 512)             0 |                                                    |
[512, 1K)              0 |                                                    |
[1K, 2K)               2 |@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@                  |
[2K, 4K)               0 |                                                    |
[4K, 8K)               0 |                                                    |
[8K, 16K)              0 |                                                    |
[16K, 32K)             0 |                                                    |
[32K, 64K)             0 |                                                    |
[64K, 128K)            0 |                                                    |
[128K, 256K)           0 |                                                    |
[256K, 512K)           0 |                                                    |
[512K, 1M)             0 |                                                    |
[1M, 2M)               0 |                                                    |
[2M, 4M)               1 |@@@@@@@@@@@@@@@@@                                   |
";
        assert_eq!(hist_table(&buckets, 1), expected);
        let halved = "\
[2, 4)                 1 |@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@|
[4, 8)                 0 |                                                    |
[8, 16)                0 |                                                    |
[16, 32)               0 |                                                    |
[32, 64)               0 |                                                    |
[64, 128)              0 |                                                    |
[128, 256)             0 |                                                    |
[256, 512)             0 |                                                    |
[512, 1K)              0 |                                                    |
[1K, 2K)               1 |@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@                  |
[2K, 4K)               0 |                                                    |
[4K, 8K)               0 |                                                    |
[8K, 16K)              0 |                                                    |
[16K, 32K)             0 |                                                    |
[32K, 64K)             0 |                                                    |
[64K, 128K)            0 |                                                    |
[128K, 256K)           0 |                                                    |
[256K, 512K)           0 |                                                    |
[512K, 1M)             0 |                                                    |
[1M, 2M)               0 |                                                    |
[2M, 4M)               0 |@@@@@@@@@@@@@@@@@                                   |
";
        assert_eq!(hist_table(&buckets, 2), halved);
    }

    /// The [2G, 4G) bucket; in bpftrace 0.17 every value from 2^31 up lands
    /// there, `hist(-5)` alongside shows the bar scaling against 3.
    #[test]
    fn hist_giga_labels() {
        let mut buckets = vec![0u64; 66];
        buckets[0] = 1;
        buckets[33] = 3;
        let table = hist_table(&buckets, 1);
        let lines: Vec<_> = table.lines().collect();
        assert_eq!(lines.len(), 34);
        assert_eq!(
            lines[0],
            "(..., 0)               1 |@@@@@@@@@@@@@@@@@                                   |"
        );
        assert_eq!(
            lines[31],
            "[512M, 1G)             0 |                                                    |"
        );
        assert_eq!(
            lines[33],
            "[2G, 4G)               3 |@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@|"
        );
    }

    #[test]
    fn hist_single_and_empty() {
        assert_eq!(hist_table(&vec![0; 66], 1), "");
        assert_eq!(hist_table(&[], 1), "");
        assert_eq!(
            hist_table(&hist_of(&[3]), 1),
            "[2, 4)                 1 |@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@|\n"
        );
    }

    fn lhist_of(values: &[i64], min: i64, max: i64, step: i64) -> Vec<u64> {
        let last = ((max - min) / step + 1) as usize;
        let mut buckets = vec![0u64; last + 1];
        for &v in values {
            let i = if v < min {
                0
            } else {
                (1 + ((v - min) / step) as usize).min(last)
            };
            buckets[i] += 1;
        }
        buckets
    }

    /// `lhist(-5|150|100|55, 0, 100, 10)`; print(@l, 0, 2) prints the same.
    #[test]
    fn lhist_under_and_overflow() {
        let expected = "\
(..., 0)               1 |@@@@@@@@@@@@@@@@@@@@@@@@@@                          |
[0, 10)                0 |                                                    |
[10, 20)               0 |                                                    |
[20, 30)               0 |                                                    |
[30, 40)               0 |                                                    |
[40, 50)               0 |                                                    |
[50, 60)               1 |@@@@@@@@@@@@@@@@@@@@@@@@@@                          |
[60, 70)               0 |                                                    |
[70, 80)               0 |                                                    |
[80, 90)               0 |                                                    |
[90, 100)              0 |                                                    |
[100, ...)             2 |@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@|
";
        let buckets = lhist_of(&[-5, 150, 100, 55], 0, 100, 10);
        assert_eq!(lhist_table(&buckets, 0, 100, 10), expected);
    }

    #[test]
    fn lhist_suffixes() {
        let expected = "\
(..., 0)               1 |@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@|
[0, 1K)                0 |                                                    |
[1K, 2K)               0 |                                                    |
[2K, 3K)               1 |@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@|
[3K, 4K)               0 |                                                    |
[4K, ...)              1 |@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@|
";
        let buckets = lhist_of(&[2048, 5000, -1], 0, 4096, 1024);
        assert_eq!(lhist_table(&buckets, 0, 4096, 1024), expected);

        let expected = "\
[2M, 3M)               1 |@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@|
[3M, 4M)               1 |@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@|
";
        let buckets = lhist_of(&[2097152, 3145733], 0, 4194304, 1048576);
        assert_eq!(lhist_table(&buckets, 0, 4194304, 1048576), expected);

        let expected =
            "[1000, 2024)           1 |@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@|\n";
        let buckets = lhist_of(&[2000], 1000, 3048, 1024);
        assert_eq!(lhist_table(&buckets, 1000, 3048, 1024), expected);
    }

    /// A range that is not a multiple of the step: `lhist(v, 1, 10, 4)`
    /// has buckets [1, 5) and [5, 9), and 9 already counts as overflow,
    /// which is labelled with max.
    #[test]
    fn lhist_uneven_range() {
        let expected = "\
[1, 5)                 1 |@@@@@@@@@@@@@@@@@@@@@@@@@@                          |
[5, 9)                 0 |                                                    |
[10, ...)              2 |@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@|
";
        let buckets = lhist_of(&[3, 10, 9], 1, 10, 4);
        assert_eq!(buckets.len(), 4);
        assert_eq!(lhist_table(&buckets, 1, 10, 4), expected);
    }

    #[test]
    fn lhist_empty() {
        assert_eq!(lhist_table(&[0, 0, 0], 0, 10, 10), "");
        assert_eq!(lhist_table(&[], 0, 10, 10), "");
    }
}
