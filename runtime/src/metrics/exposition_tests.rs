//! The exposition of each kind of map, checked against the exact text a
//! Prometheus server scrapes.

use super::encode_map;
use prometheus_client::collector::Collector;
use prometheus_client::encoding::DescriptorEncoder;
use prometheus_client::registry::Registry;
use rtrace_stdlib::value::{AggValue, MapSnapshot, MapValue, Value};
use std::fmt;

#[derive(Debug)]
struct Fixed(Vec<MapSnapshot>);

impl Collector for Fixed {
    fn encode(&self, mut encoder: DescriptorEncoder) -> fmt::Result {
        for map in &self.0 {
            encode_map(map, &mut encoder)?;
        }
        Ok(())
    }
}

fn scrape(maps: Vec<MapSnapshot>) -> String {
    let mut registry = Registry::default();
    registry.register_collector(Box::new(Fixed(maps)));
    crate::metrics::render(&registry)
}

fn map(name: &str, keyed: bool, entries: Vec<(Value, MapValue)>) -> MapSnapshot {
    MapSnapshot {
        name: name.into(),
        keyed,
        entries,
    }
}

fn agg(value: AggValue) -> MapValue {
    MapValue::Agg(value)
}

fn s(text: &str) -> Value {
    Value::Str(text.into())
}

#[test]
fn count_by_string_key_is_a_counter_with_a_key_label() {
    let text = scrape(vec![map(
        "@",
        true,
        vec![
            (s("bash"), agg(AggValue::Count(3))),
            (s("say \"hi\""), agg(AggValue::Count(1))),
        ],
    )]);
    assert_eq!(
        text,
        "# HELP rtrace_map_total rtrace map @\n\
         # TYPE rtrace_map_total counter\n\
         rtrace_map_total{key=\"bash\"} 3\n\
         rtrace_map_total{key=\"say \\\"hi\\\"\"} 1\n"
    );
}

#[test]
fn scalar_maps_have_no_labels_and_gauges_for_min_max_avg() {
    let text = scrape(vec![
        map(
            "@lo",
            false,
            vec![(Value::UInt(0), agg(AggValue::Min(Some(-4))))],
        ),
        map(
            "@hi",
            false,
            vec![(Value::UInt(0), agg(AggValue::Max(Some(9))))],
        ),
        map(
            "@mean",
            false,
            vec![(Value::UInt(0), agg(AggValue::Avg { count: 2, total: 7 }))],
        ),
        map(
            "@bytes",
            false,
            vec![(Value::UInt(0), agg(AggValue::Sum(-5)))],
        ),
    ]);
    assert!(
        text.contains("# TYPE rtrace_lo gauge\nrtrace_lo -4\n"),
        "{text}"
    );
    assert!(
        text.contains("# TYPE rtrace_hi gauge\nrtrace_hi 9\n"),
        "{text}"
    );
    assert!(
        text.contains("# TYPE rtrace_mean gauge\nrtrace_mean 3\n"),
        "{text}"
    );
    assert!(
        text.contains("# TYPE rtrace_bytes_total counter\nrtrace_bytes_total -5.0\n"),
        "{text}"
    );
}

#[test]
fn multi_part_keys_are_numbered_labels() {
    let text = scrape(vec![map(
        "@calls",
        true,
        vec![(
            Value::Tuple(vec![Value::Int(-1), s("cat")]),
            agg(AggValue::Count(2)),
        )],
    )]);
    assert!(
        text.contains("rtrace_calls_total{key0=\"-1\",key1=\"cat\"} 2\n"),
        "{text}"
    );
}

#[test]
fn hist_is_a_cumulative_histogram_with_inclusive_bounds() {
    // One negative value, two zeros, one 1, three in [4, 8).
    let text = scrape(vec![map(
        "@h",
        false,
        vec![(Value::UInt(0), agg(AggValue::Hist(vec![1, 2, 1, 0, 3])))],
    )]);
    assert_eq!(
        text,
        "# HELP rtrace_h rtrace map @h\n\
         # TYPE rtrace_h histogram\n\
         rtrace_h_bucket{le=\"-1\"} 1\n\
         rtrace_h_bucket{le=\"0\"} 3\n\
         rtrace_h_bucket{le=\"1\"} 4\n\
         rtrace_h_bucket{le=\"3\"} 4\n\
         rtrace_h_bucket{le=\"7\"} 7\n\
         rtrace_h_bucket{le=\"+Inf\"} 7\n\
         rtrace_h_sum NaN\n\
         rtrace_h_count 7\n"
    );
}

#[test]
fn lhist_buckets_end_in_the_overflow_bucket() {
    // lhist(v, 0, 20, 10): below 0, [0, 10), [10, 20), 20 and above.
    let text = scrape(vec![map(
        "@l",
        true,
        vec![(
            s("x"),
            agg(AggValue::Lhist {
                min: 0,
                max: 20,
                step: 10,
                buckets: vec![0, 5, 1, 2],
            }),
        )],
    )]);
    assert!(
        text.contains(
            "rtrace_l_bucket{key=\"x\",le=\"-1\"} 0\n\
             rtrace_l_bucket{key=\"x\",le=\"9\"} 5\n\
             rtrace_l_bucket{key=\"x\",le=\"19\"} 6\n\
             rtrace_l_bucket{key=\"x\",le=\"+Inf\"} 8\n\
             rtrace_l_sum{key=\"x\"} NaN\n\
             rtrace_l_count{key=\"x\"} 8\n"
        ),
        "{text}"
    );
}

#[test]
fn stats_are_count_and_sum_counters_and_an_average_gauge() {
    let text = scrape(vec![map(
        "@s",
        false,
        vec![(
            Value::UInt(0),
            agg(AggValue::Stats {
                count: 4,
                total: 10,
            }),
        )],
    )]);
    assert!(text.contains("rtrace_s_count_total 4\n"), "{text}");
    assert!(text.contains("rtrace_s_sum_total 10.0\n"), "{text}");
    assert!(
        text.contains("# TYPE rtrace_s_avg gauge\nrtrace_s_avg 2\n"),
        "{text}"
    );
}

#[test]
fn plain_values_are_gauges_and_strings_a_value_label() {
    let text = scrape(vec![
        map(
            "@last",
            true,
            vec![(Value::UInt(7), MapValue::Plain(Value::Int(-3)))],
        ),
        map(
            "@who",
            true,
            vec![(Value::UInt(7), MapValue::Plain(s("sshd")))],
        ),
    ]);
    assert!(text.contains("rtrace_last{key=\"7\"} -3\n"), "{text}");
    assert!(
        text.contains("rtrace_who{key=\"7\",value=\"sshd\"} 1\n"),
        "{text}"
    );
}

#[test]
fn empty_maps_are_left_out() {
    assert_eq!(scrape(vec![map("@never", true, Vec::new())]), "");
}
