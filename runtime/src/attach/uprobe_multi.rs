//! Uprobe programs on Linux 6.6+: one uprobe_multi link per binary for all
//! the offsets a program attaches to there (a glob's hundreds of functions
//! included), instead of one perf event each.

use super::uprobe::{attach_multi, explain, MultiUprobe, UprobeLink};
use super::AttachError;
use rtrace_lang::probes::Attach;
use std::collections::BTreeMap;
use std::os::fd::BorrowedFd;

/// The probes of one program in one binary.
#[derive(Default)]
struct Group {
    ret: bool,
    file_offsets: Vec<u64>,
    semaphores: Vec<u64>,
    names: Vec<String>,
}

pub(super) fn attach(
    program: BorrowedFd,
    attaches: &[Attach],
    pid: Option<u32>,
) -> Result<Vec<UprobeLink>, AttachError> {
    let mut groups: BTreeMap<&str, Group> = BTreeMap::new();
    for attach in attaches {
        let (path, ret, offset, semaphore) = match attach {
            Attach::Uprobe { ret, target } => {
                (target.path.as_str(), *ret, target.file_offset, None)
            }
            Attach::Usdt { path, probe } => (
                path.as_str(),
                false,
                probe.file_offset,
                probe.semaphore_offset,
            ),
            other => return Err(super::mismatch(other)),
        };
        let group = groups.entry(path).or_default();
        group.ret = ret;
        group.file_offsets.push(offset);
        group.semaphores.push(semaphore.unwrap_or(0));
        group.names.push(attach.name());
    }
    groups
        .into_iter()
        .map(|(path, group)| {
            let probes = MultiUprobe {
                path,
                ret: group.ret,
                // The kernel wants no semaphore array when none is set.
                semaphores: if group.semaphores.iter().all(|&s| s == 0) {
                    Vec::new()
                } else {
                    group.semaphores
                },
                file_offsets: group.file_offsets,
                pid,
            };
            attach_multi(program, &probes).map_err(|cause| {
                // One refused location fails the whole link: name it.
                match first_refused(program, &probes) {
                    Some(i) => AttachError {
                        probe: group.names[i].clone(),
                        cause: explain(cause),
                    },
                    None => AttachError {
                        probe: match group.names.as_slice() {
                            [one] => one.clone(),
                            [first, rest @ ..] => format!("{first} and {} more", rest.len()),
                            [] => path.to_string(),
                        },
                        cause: explain(cause),
                    },
                }
            })
        })
        .collect()
}

/// The location the kernel refuses, by bisection: each half that attaches
/// is released again (about 100 ms each), so this runs only on failure.
fn first_refused(program: BorrowedFd, probes: &MultiUprobe) -> Option<usize> {
    let part = |range: std::ops::Range<usize>| MultiUprobe {
        path: probes.path,
        ret: probes.ret,
        file_offsets: probes.file_offsets[range.clone()].to_vec(),
        semaphores: probes
            .semaphores
            .get(range)
            .map(<[u64]>::to_vec)
            .unwrap_or_default(),
        pid: probes.pid,
    };
    let (mut lo, mut hi) = (0, probes.file_offsets.len());
    if hi < 2 {
        return None;
    }
    while hi - lo > 1 {
        let mid = (lo + hi) / 2;
        if attach_multi(program, &part(lo..mid)).is_err() {
            hi = mid;
        } else {
            lo = mid;
        }
    }
    attach_multi(program, &part(lo..hi)).is_err().then_some(lo)
}
