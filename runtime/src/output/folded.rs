//! Folded stacks (`--folded`, `--flamegraph`): one line per map entry,
//! `frame;frame;frame count`, outermost frame first, as Brendan Gregg's
//! stackcollapse scripts write them and flame graph tools read them.
//!
//! Key parts that are not stacks (`comm`, `pid`) come first, as the root
//! frames; then user frames, then kernel frames, since user code calls
//! into the kernel.

use super::map_text::render_value;
use super::stack_text::folded_frame;
use super::view::{map_view, Entries};
use rtrace_stdlib::value::{MapSnapshot, Value};

/// Whether a map is keyed by a stack, so that it prints folded.
pub fn has_stack_key(map: &MapSnapshot) -> bool {
    map.entries.first().is_some_and(|(key, _)| match key {
        Value::Stack(_) => true,
        Value::Tuple(parts) => parts.iter().any(|p| matches!(p, Value::Stack(_))),
        _ => false,
    })
}

/// The folded lines of a stack-keyed map whose values are numbers (count,
/// sum, ...), in the order the map prints; `None` for other maps.
pub fn folded_lines(map: &MapSnapshot) -> Option<Vec<String>> {
    if !has_stack_key(map) {
        return None;
    }
    let view = map_view(map, 0, 1)?;
    let Entries::Values(entries) = view.entries else {
        return None;
    };
    entries
        .into_iter()
        .map(|(key, value)| {
            let count = match value {
                Value::UInt(n) => n.to_string(),
                Value::Int(n) => n.to_string(),
                _ => return None,
            };
            Some(format!("{} {count}", frames(key).join(";")))
        })
        .collect()
}

fn frames(key: &Value) -> Vec<String> {
    let parts: Vec<&Value> = match key {
        Value::Tuple(parts) => parts.iter().collect(),
        single => vec![single],
    };
    let mut out: Vec<String> = parts
        .iter()
        .filter(|p| !matches!(p, Value::Stack(_)))
        .map(|p| render_value(p).replace(';', ":"))
        .collect();
    for user in [true, false] {
        for part in &parts {
            if let Value::Stack(stack) = part {
                if stack.user == user {
                    out.extend(stack.frames.iter().rev().map(folded_frame));
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use rtrace_lang::types::StackMode;
    use rtrace_stdlib::value::{AggValue, Frame, MapValue, Stack};

    fn stack(user: bool, names: &[&str]) -> Value {
        Value::Stack(Stack {
            key: names.len() as u64,
            user,
            mode: StackMode::Bpftrace,
            found: true,
            frames: names
                .iter()
                .map(|n| Frame {
                    address: 1,
                    function: (!n.is_empty()).then(|| n.to_string()),
                    offset: 4,
                    module: None,
                })
                .collect(),
        })
    }

    #[test]
    fn roots_first_then_user_then_kernel_frames() {
        let key = Value::Tuple(vec![
            stack(false, &["do_sys", "entry"]),
            Value::Str("bash".into()),
            stack(true, &["read", "", "main"]),
        ]);
        let map = MapSnapshot {
            name: "@".into(),
            keyed: true,
            entries: vec![(key, MapValue::Agg(AggValue::Count(7)))],
        };
        assert_eq!(
            folded_lines(&map),
            Some(vec!["bash;main;[unknown];read;entry;do_sys 7".to_string()])
        );
    }

    #[test]
    fn other_maps_are_not_folded() {
        let map = MapSnapshot {
            name: "@".into(),
            keyed: true,
            entries: vec![(Value::Int(1), MapValue::Agg(AggValue::Count(7)))],
        };
        assert_eq!(folded_lines(&map), None);
    }
}
