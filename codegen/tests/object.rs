//! The object writer's output as aya sees it, without a kernel: aya-obj
//! parses it and relocates its map references with made-up fds.

use std::collections::HashSet;

use aya_obj::Object;
use rtrace_codegen::asm::{Asm, Code, Helper, MapId, Reg};
use rtrace_codegen::object::{map_type, write_object, MapDef, ProgramSection, BPF_F_NO_PREALLOC};

fn uses_maps(maps: &[MapId]) -> Code {
    let mut asm = Asm::new();
    for (i, &map) in maps.iter().enumerate() {
        asm.load_map_fd(Reg::R1, map);
        asm.mov(Reg::R2, i as i32);
        asm.call(Helper::KtimeGetNs);
    }
    asm.mov(Reg::R0, 0);
    asm.exit();
    asm.finish().unwrap()
}

fn maps() -> Vec<MapDef> {
    vec![
        MapDef {
            name: "counts".to_string(),
            map_type: map_type::PERCPU_ARRAY,
            key_size: 4,
            value_size: 8,
            max_entries: 1,
            flags: 0,
        },
        MapDef {
            name: "by.comm".to_string(),
            map_type: map_type::HASH,
            key_size: 16,
            value_size: 8,
            max_entries: 10240,
            flags: BPF_F_NO_PREALLOC,
        },
        MapDef {
            name: "events".to_string(),
            map_type: map_type::RINGBUF,
            key_size: 0,
            value_size: 0,
            max_entries: 1 << 16,
            flags: 0,
        },
    ]
}

fn programs() -> Vec<ProgramSection> {
    vec![
        ProgramSection {
            section: "tracepoint/syscalls/sys_enter_openat".to_string(),
            name: "probe_0".to_string(),
            code: uses_maps(&[MapId(0), MapId(2)]),
        },
        // Same section name again: a script may probe one event twice.
        ProgramSection {
            section: "tracepoint/syscalls/sys_enter_openat".to_string(),
            name: "probe_1".to_string(),
            code: uses_maps(&[MapId(1)]),
        },
        ProgramSection {
            section: "perf_event".to_string(),
            name: "probe_2".to_string(),
            code: uses_maps(&[]),
        },
    ]
}

#[test]
fn aya_parses_maps_programs_and_license() {
    let bytes = write_object(&programs(), &maps()).unwrap();
    let obj = Object::parse(&bytes).unwrap();

    assert_eq!(obj.license.to_str().unwrap(), "GPL");
    let counts = &obj.maps["counts"];
    assert_eq!(
        (
            counts.map_type(),
            counts.key_size(),
            counts.value_size(),
            counts.max_entries(),
            counts.map_flags()
        ),
        (map_type::PERCPU_ARRAY, 4, 8, 1, 0)
    );
    let by_comm = &obj.maps["by.comm"];
    assert_eq!(
        (by_comm.map_type(), by_comm.key_size(), by_comm.map_flags()),
        (map_type::HASH, 16, BPF_F_NO_PREALLOC)
    );
    assert_eq!(obj.maps["events"].map_type(), map_type::RINGBUF);

    let mut names: Vec<_> = obj.programs.keys().cloned().collect();
    names.sort();
    assert_eq!(names, ["probe_0", "probe_1", "probe_2"]);
    for (name, want) in [("probe_0", 10), ("probe_1", 6), ("probe_2", 2)] {
        let function = &obj.functions[&obj.programs[name].function_key()];
        assert_eq!(function.instructions.len(), want, "{name}");
    }
}

#[test]
fn aya_relocates_every_map_load() {
    let bytes = write_object(&programs(), &maps()).unwrap();
    let mut obj = Object::parse(&bytes).unwrap();
    let fds = [("counts", 100), ("by.comm", 101), ("events", 102)];
    // Cloned: relocating borrows the object mutably.
    let maps: Vec<_> = fds
        .iter()
        .map(|&(name, fd)| (name, fd, obj.maps[name].clone()))
        .collect();
    obj.relocate_maps(maps.iter().map(|(n, fd, m)| (*n, *fd, m)), &HashSet::new())
        .unwrap();

    for (name, want_fds) in [
        ("probe_0", vec![100, 102]),
        ("probe_1", vec![101]),
        ("probe_2", vec![]),
    ] {
        let function = &obj.functions[&obj.programs[name].function_key()];
        let loaded: Vec<i32> = function
            .instructions
            .iter()
            .filter(|insn| insn.code == 0x18 && insn.src_reg() == 1)
            .map(|insn| insn.imm)
            .collect();
        assert_eq!(loaded, want_fds, "{name}");
    }
}
