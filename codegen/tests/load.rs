//! Loads hand-assembled programs into the running kernel through aya: the
//! proof that the encoder and the object writer produce what aya 0.14 and
//! the verifier accept. Needs root; as anyone else every test passes after
//! saying why it did nothing.

use std::error::Error;
use std::sync::Once;

use aya::maps::{HashMap, PerCpuArray, RingBuf};
use aya::programs::{ProgramError, TracePoint};
use aya::{Ebpf, EbpfLoader};
use rtrace_codegen::asm::{AluOp, Asm, Code, Helper, JmpOp, MapId, Reg, Size};
use rtrace_codegen::object::{map_type, write_object, MapDef, ProgramSection, BPF_F_NO_PREALLOC};

type Result<T = ()> = std::result::Result<T, Box<dyn Error>>;

const SECTION: &str = "tracepoint/syscalls/sys_enter_getppid";

fn is_root(test: &str) -> bool {
    // SAFETY: geteuid has no preconditions.
    let root = unsafe { libc::geteuid() } == 0;
    if !root {
        eprintln!("{test}: skipped, loading BPF programs needs root");
    }
    root
}

/// aya looks for tracefs once per process and remembers a miss, so it must
/// be mounted before the first attach.
fn mount_tracefs() {
    static MOUNT: Once = Once::new();
    MOUNT.call_once(|| {
        if std::path::Path::new("/sys/kernel/tracing/events").exists() {
            return;
        }
        // SAFETY: all pointers are valid NUL-terminated strings; no data.
        let rc = unsafe {
            libc::mount(
                c"nodev".as_ptr(),
                c"/sys/kernel/tracing".as_ptr(),
                c"tracefs".as_ptr(),
                0,
                std::ptr::null(),
            )
        };
        assert_eq!(
            rc,
            0,
            "mounting tracefs: {}",
            std::io::Error::last_os_error()
        );
    });
}

fn map(
    name: &str,
    map_type: u32,
    key_size: u32,
    value_size: u32,
    max_entries: u32,
    flags: u32,
) -> MapDef {
    MapDef {
        name: name.to_string(),
        map_type,
        key_size,
        value_size,
        max_entries,
        flags,
    }
}

fn program(name: &str, code: Code) -> ProgramSection {
    ProgramSection {
        section: SECTION.to_string(),
        name: name.to_string(),
        code,
    }
}

fn load_and_attach(bytes: &[u8], programs: &[&str]) -> Result<Ebpf> {
    mount_tracefs();
    let mut ebpf = EbpfLoader::new().load(bytes)?;
    for name in programs {
        let tp: &mut TracePoint = ebpf
            .program_mut(name)
            .ok_or("program missing")?
            .try_into()?;
        tp.load()?;
        tp.attach("syscalls", "sys_enter_getppid")?;
    }
    Ok(ebpf)
}

fn exit_zero(asm: &mut Asm) {
    asm.mov(Reg::R0, 0);
    asm.exit();
}

/// `counts[0] += 1` in a per-CPU array: lookup, null check, in-place add.
fn percpu_counter(counts: MapId) -> Code {
    let mut asm = Asm::new();
    let out = asm.label();
    asm.store(Size::W, Reg::R10, -4, 0);
    asm.load_map_fd(Reg::R1, counts);
    asm.mov(Reg::R2, Reg::R10);
    asm.alu(AluOp::Add, Reg::R2, -4);
    asm.call(Helper::MapLookupElem);
    asm.jump(JmpOp::Eq, Reg::R0, 0, out);
    asm.load(Size::DW, Reg::R1, Reg::R0, 0);
    asm.alu(AluOp::Add, Reg::R1, 1);
    asm.store(Size::DW, Reg::R0, 0, Reg::R1);
    asm.bind(out);
    exit_zero(&mut asm);
    asm.finish().unwrap()
}

/// `per_thread[pid_tgid] += 1` in a hash map: insert 1 on a miss, add in
/// place on a hit. The key is per thread, so nothing races.
fn hash_counter(per_thread: MapId) -> Code {
    let mut asm = Asm::new();
    let (miss, out) = (asm.label(), asm.label());
    asm.call(Helper::GetCurrentPidTgid);
    asm.store(Size::DW, Reg::R10, -8, Reg::R0);
    asm.load_map_fd(Reg::R1, per_thread);
    asm.mov(Reg::R2, Reg::R10);
    asm.alu(AluOp::Add, Reg::R2, -8);
    asm.call(Helper::MapLookupElem);
    asm.jump(JmpOp::Eq, Reg::R0, 0, miss);
    asm.load(Size::DW, Reg::R1, Reg::R0, 0);
    asm.alu(AluOp::Add, Reg::R1, 1);
    asm.store(Size::DW, Reg::R0, 0, Reg::R1);
    asm.goto(out);
    asm.bind(miss);
    asm.store(Size::DW, Reg::R10, -16, 1);
    asm.load_map_fd(Reg::R1, per_thread);
    asm.mov(Reg::R2, Reg::R10);
    asm.alu(AluOp::Add, Reg::R2, -8);
    asm.mov(Reg::R3, Reg::R10);
    asm.alu(AluOp::Add, Reg::R3, -16);
    asm.mov(Reg::R4, 1); // BPF_NOEXIST
    asm.call(Helper::MapUpdateElem);
    asm.bind(out);
    exit_zero(&mut asm);
    asm.finish().unwrap()
}

fn this_thread_pid_tgid() -> u64 {
    // SAFETY: getpid and gettid have no preconditions.
    let (pid, tid) = unsafe { (libc::getpid(), libc::gettid()) };
    (u64::from(pid as u32) << 32) | u64::from(tid as u32)
}

fn call_getppid(times: usize) {
    for _ in 0..times {
        // SAFETY: getppid has no preconditions.
        unsafe { libc::getppid() };
    }
}

/// Two programs in sections of the same name, one per map type: aya keys
/// programs by symbol, so they load and attach independently.
#[test]
fn counters_count_syscalls() -> Result {
    if !is_root("counters_count_syscalls") {
        return Ok(());
    }
    let maps = [
        map("counts", map_type::PERCPU_ARRAY, 4, 8, 1, 0),
        map("per_thread", map_type::HASH, 8, 8, 1024, BPF_F_NO_PREALLOC),
    ];
    let programs = [
        program("count_percpu", percpu_counter(MapId(0))),
        program("count_hash", hash_counter(MapId(1))),
    ];
    let bytes = write_object(&programs, &maps)?;
    let ebpf = load_and_attach(&bytes, &["count_percpu", "count_hash"])?;

    call_getppid(1000);

    let counts: PerCpuArray<_, u64> =
        PerCpuArray::try_from(ebpf.map("counts").ok_or("counts missing")?)?;
    let total: u64 = counts.get(&0, 0)?.iter().sum();
    assert!(total >= 1000, "per-CPU counter saw {total} of 1000 calls");

    let per_thread: HashMap<_, u64, u64> =
        HashMap::try_from(ebpf.map("per_thread").ok_or("per_thread missing")?)?;
    assert_eq!(per_thread.get(&this_thread_pid_tgid(), 0)?, 1000);
    Ok(())
}

/// A rejected program surfaces as `LoadError` carrying the verifier log,
/// whose instruction numbers are our slots, so origins map them back.
///
/// The mistake is a map value used without a null check. (Reading stack
/// nobody wrote is no good example: privileged programs may do that.)
#[test]
fn verifier_rejection_carries_the_log() -> Result {
    if !is_root("verifier_rejection_carries_the_log") {
        return Ok(());
    }
    let mut asm = Asm::new();
    asm.set_origin(10);
    asm.store(Size::W, Reg::R10, -4, 0);
    asm.load_map_fd(Reg::R1, MapId(0));
    asm.mov(Reg::R2, Reg::R10);
    asm.alu(AluOp::Add, Reg::R2, -4);
    asm.call(Helper::MapLookupElem);
    asm.set_origin(20);
    asm.load(Size::DW, Reg::R1, Reg::R0, 0); // slot 6: r0 may be NULL
    asm.set_origin(30);
    exit_zero(&mut asm);
    let code = asm.finish()?;
    let origins = code.origins.clone();
    // A hash map: newer kernels know an array lookup with a constant key
    // in range cannot fail, and would accept this.
    let maps = [map("counts", map_type::HASH, 4, 8, 16, BPF_F_NO_PREALLOC)];
    let bytes = write_object(&[program("bad", code)], &maps)?;

    let mut ebpf = EbpfLoader::new().load(&bytes)?;
    let tp: &mut TracePoint = ebpf
        .program_mut("bad")
        .ok_or("program missing")?
        .try_into()?;
    let err = tp
        .load()
        .expect_err("the verifier accepted a possibly-NULL dereference");
    let ProgramError::LoadError {
        io_error,
        verifier_log,
    } = err
    else {
        panic!("expected LoadError, got {err:?}");
    };
    assert_eq!(io_error.raw_os_error(), Some(libc::EACCES));
    let log = verifier_log.to_string();
    assert!(
        log.contains("6: (79) r1 = *(u64 *)(r0 +0)"),
        "log does not show the instruction:\n{log}"
    );
    assert!(
        log.contains("invalid mem access 'map_value_or_null'"),
        "log does not say why:\n{log}"
    );
    assert_eq!(origins[6], 20);
    Ok(())
}

/// A 16-byte record built on the stack goes through `bpf_ringbuf_output`
/// and comes back intact through aya's `RingBuf`.
#[test]
fn ring_buffer_round_trip() -> Result {
    if !is_root("ring_buffer_round_trip") {
        return Ok(());
    }
    const MAGIC: i64 = 0x7274_7261_6365_0001;
    let mut asm = Asm::new();
    asm.call(Helper::GetCurrentPidTgid);
    asm.store(Size::DW, Reg::R10, -8, Reg::R0);
    asm.mov_imm64(Reg::R1, MAGIC);
    asm.store(Size::DW, Reg::R10, -16, Reg::R1);
    asm.load_map_fd(Reg::R1, MapId(0));
    asm.mov(Reg::R2, Reg::R10);
    asm.alu(AluOp::Add, Reg::R2, -16);
    asm.mov(Reg::R3, 16);
    asm.mov(Reg::R4, 0);
    asm.call(Helper::RingbufOutput);
    exit_zero(&mut asm);
    let maps = [map("events", map_type::RINGBUF, 0, 0, 256 * 1024, 0)];
    let bytes = write_object(&[program("emit", asm.finish()?)], &maps)?;
    let mut ebpf = load_and_attach(&bytes, &["emit"])?;

    call_getppid(10);

    let me = this_thread_pid_tgid();
    let mut ring = RingBuf::try_from(ebpf.map_mut("events").ok_or("events missing")?)?;
    let mut mine = 0;
    while let Some(record) = ring.next() {
        assert_eq!(record.len(), 16);
        let magic = i64::from_le_bytes(record[..8].try_into()?);
        let pid_tgid = u64::from_le_bytes(record[8..].try_into()?);
        assert_eq!(magic, MAGIC);
        mine += usize::from(pid_tgid == me);
    }
    assert_eq!(mine, 10);
    Ok(())
}
