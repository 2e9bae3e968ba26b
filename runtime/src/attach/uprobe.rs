//! Uprobes and USDT probes through the kernel's uprobe PMU, with a BPF
//! link: nothing is written to `uprobe_events`, and every probe is gone
//! when its file descriptors close, even if rtrace is killed.
//!
//! aya 0.14's uprobe attach cannot set the `ref_ctr_offset` USDT
//! semaphores need, so rtrace opens the perf event itself: the kernel then
//! increments the semaphore in every process that maps the binary (and
//! decrements it when the probe goes away).

use std::ffi::CString;
use std::io;
use std::os::fd::{AsRawFd, BorrowedFd, FromRawFd, OwnedFd};
use std::sync::OnceLock;

const PMU_DIR: &str = "/sys/bus/event_source/devices/uprobe";
const PERF_FLAG_FD_CLOEXEC: libc::c_ulong = 8;
/// `PERF_ATTR_SIZE_VER1`: the attribute prefix up to `config2`.
const PERF_ATTR_SIZE: u32 = 72;
/// `_IO('$', 0)`
const PERF_EVENT_IOC_ENABLE: libc::c_ulong = 0x2400;
/// `_IOW('$', 8, __u32)`
const PERF_EVENT_IOC_SET_BPF: libc::c_ulong = 0x4004_2408;
const BPF_LINK_CREATE: u32 = 28;
const BPF_PERF_EVENT: u32 = 41;
const BPF_TRACE_UPROBE_MULTI: u32 = 48;
const BPF_F_UPROBE_MULTI_RETURN: u32 = 1;
/// Set to 1 to attach uprobes one perf event each even where the kernel
/// has uprobe_multi links (to test that path on a new kernel).
pub const NO_MULTI_ENV: &str = "RTRACE_NO_UPROBE_MULTI";

/// Where the uprobe PMU wants its settings, read once from sysfs.
struct Pmu {
    pmu_type: u32,
    retprobe_bit: u32,
    /// The first bit of `ref_ctr_offset` in `config` (Linux 4.20+).
    ref_ctr_shift: Option<u32>,
}

fn pmu() -> Result<&'static Pmu, String> {
    static PMU: OnceLock<Result<Pmu, String>> = OnceLock::new();
    PMU.get_or_init(|| {
        let read = |name: &str| {
            std::fs::read_to_string(format!("{PMU_DIR}/{name}"))
                .map(|s| s.trim().to_string())
                .map_err(|e| format!("{PMU_DIR}/{name}: {e}"))
        };
        let pmu_type = read("type")
            .map_err(|e| format!("this kernel has no uprobe PMU (CONFIG_UPROBE_EVENTS): {e}"))?
            .parse()
            .map_err(|e| format!("{PMU_DIR}/type: {e}"))?;
        Ok(Pmu {
            pmu_type,
            retprobe_bit: read("format/retprobe")
                .ok()
                .and_then(|f| config_bit(&f))
                .unwrap_or(0),
            ref_ctr_shift: read("format/ref_ctr_offset")
                .ok()
                .and_then(|f| config_bit(&f)),
        })
    })
    .as_ref()
    .map_err(Clone::clone)
}

/// `config:0` or `config:32-63`: the first bit.
fn config_bit(format: &str) -> Option<u32> {
    let bits = format.strip_prefix("config:")?;
    bits.split('-').next()?.parse().ok()
}

#[repr(C)]
#[derive(Default)]
struct PerfEventAttr {
    type_: u32,
    size: u32,
    config: u64,
    sample_period: u64,
    sample_type: u64,
    read_format: u64,
    flags: u64,
    wakeup_events: u32,
    bp_type: u32,
    /// For the uprobe PMU: a pointer to the binary's path.
    config1: u64,
    /// For the uprobe PMU: the probe's offset in the file.
    config2: u64,
}

#[repr(C)]
#[derive(Default)]
struct LinkCreateAttr {
    prog_fd: u32,
    target_fd: u32,
    attach_type: u32,
    flags: u32,
    bpf_cookie: u64,
}

#[repr(C)]
#[derive(Default)]
struct UprobeMultiAttr {
    prog_fd: u32,
    target_fd: u32,
    attach_type: u32,
    flags: u32,
    path: u64,
    offsets: u64,
    ref_ctr_offsets: u64,
    cookies: u64,
    cnt: u32,
    multi_flags: u32,
    pid: u32,
    _pad: u32,
}

/// One attached uprobe (a perf event and, where the kernel has them, its
/// BPF link) or one uprobe_multi link for many. Dropping it detaches.
pub struct UprobeLink {
    _link: Option<OwnedFd>,
    _perf_event: Option<OwnedFd>,
}

/// Whether this kernel attaches uprobe programs with uprobe_multi links
/// (Linux 6.6+), unless `RTRACE_NO_UPROBE_MULTI=1` says not to. Decided
/// before loading: such programs are loaded for that kind of link only.
pub fn use_multi_links() -> bool {
    if std::env::var_os(NO_MULTI_ENV).is_some_and(|v| v == "1") {
        return false;
    }
    aya::util::KernelVersion::current().is_ok_and(|v| v >= aya::util::KernelVersion::new(6, 6, 0))
}

/// The probes of one program in one binary, attached with one link.
pub struct MultiUprobe<'a> {
    pub path: &'a str,
    pub ret: bool,
    pub file_offsets: Vec<u64>,
    /// One per offset (0 where there is no semaphore), or empty.
    pub semaphores: Vec<u64>,
    pub pid: Option<u32>,
}

pub fn attach_multi(program: BorrowedFd, probes: &MultiUprobe) -> Result<UprobeLink, String> {
    let path = CString::new(probes.path).map_err(|_| "the path contains a NUL byte".to_string())?;
    let mut attr = UprobeMultiAttr {
        prog_fd: program.as_raw_fd() as u32,
        attach_type: BPF_TRACE_UPROBE_MULTI,
        path: path.as_ptr() as u64,
        offsets: probes.file_offsets.as_ptr() as u64,
        ref_ctr_offsets: if probes.semaphores.is_empty() {
            0
        } else {
            probes.semaphores.as_ptr() as u64
        },
        cnt: probes.file_offsets.len() as u32,
        multi_flags: if probes.ret {
            BPF_F_UPROBE_MULTI_RETURN
        } else {
            0
        },
        pid: probes.pid.unwrap_or(0),
        ..Default::default()
    };
    // SAFETY: `attr` is the BPF_LINK_CREATE prefix of bpf_attr for
    // uprobe_multi; the path and arrays it points to outlive the call.
    let fd = unsafe {
        libc::syscall(
            libc::SYS_bpf,
            BPF_LINK_CREATE,
            &mut attr as *mut UprobeMultiAttr,
            std::mem::size_of::<UprobeMultiAttr>(),
        )
    };
    if fd < 0 {
        return Err(format!(
            "BPF_LINK_CREATE (uprobe_multi): {}",
            io::Error::last_os_error()
        ));
    }
    Ok(UprobeLink {
        // SAFETY: the kernel just gave us this descriptor.
        _link: Some(unsafe { OwnedFd::from_raw_fd(fd as i32) }),
        _perf_event: None,
    })
}

pub struct Uprobe<'a> {
    pub path: &'a str,
    pub file_offset: u64,
    pub ret: bool,
    /// The file offset of a USDT semaphore the kernel should count in.
    pub semaphore: Option<u64>,
    /// Only this process (all its threads) triggers the probe.
    pub pid: Option<u32>,
}

pub fn attach(program: BorrowedFd, probe: &Uprobe) -> Result<UprobeLink, String> {
    let pmu = pmu()?;
    let mut config = 0u64;
    if probe.ret {
        config |= 1 << pmu.retprobe_bit;
    }
    if let Some(offset) = probe.semaphore {
        let shift = pmu.ref_ctr_shift.ok_or(
            "this kernel cannot count USDT semaphores (uprobe ref_ctr_offset needs Linux 4.20)",
        )?;
        config |= offset << shift;
    }
    let path = CString::new(probe.path).map_err(|_| "the path contains a NUL byte".to_string())?;
    let attr = PerfEventAttr {
        type_: pmu.pmu_type,
        size: PERF_ATTR_SIZE,
        config,
        config1: path.as_ptr() as u64,
        config2: probe.file_offset,
        ..Default::default()
    };
    // A probe for every process is opened on one CPU (it fires on all of
    // them); one for a single process follows it on any CPU.
    let (pid, cpu) = match probe.pid {
        Some(pid) => (pid as libc::c_int, -1),
        None => (-1, 0),
    };
    // SAFETY: `attr` is a valid perf_event_attr prefix of `attr.size`
    // bytes, and the path it points to lives until the call returns.
    let fd = unsafe {
        libc::syscall(
            libc::SYS_perf_event_open,
            &attr as *const PerfEventAttr,
            pid,
            cpu,
            -1,
            PERF_FLAG_FD_CLOEXEC,
        )
    };
    if fd < 0 {
        return Err(explain(format!(
            "perf_event_open: {}",
            io::Error::last_os_error()
        )));
    }
    // SAFETY: the kernel just gave us this descriptor.
    let perf_event = unsafe { OwnedFd::from_raw_fd(fd as i32) };
    let link = match link_create(program, perf_event.as_raw_fd()) {
        Ok(link) => Some(link),
        // Kernels before 5.15 have no perf links: attach with an ioctl.
        Err(e) if matches!(e.raw_os_error(), Some(libc::EINVAL | libc::EOPNOTSUPP)) => {
            ioctl(
                &perf_event,
                PERF_EVENT_IOC_SET_BPF,
                program.as_raw_fd() as libc::c_ulong,
            )
            .map_err(|e| format!("PERF_EVENT_IOC_SET_BPF: {e}"))?;
            None
        }
        Err(e) => return Err(format!("BPF_LINK_CREATE: {e}")),
    };
    ioctl(&perf_event, PERF_EVENT_IOC_ENABLE, 0)
        .map_err(|e| format!("PERF_EVENT_IOC_ENABLE: {e}"))?;
    Ok(UprobeLink {
        _link: link,
        _perf_event: Some(perf_event),
    })
}

/// Linux's internal ENOTSUPP (524) has no name in user space: say what it
/// means for a uprobe.
pub fn explain(cause: String) -> String {
    if cause.contains("os error 524") {
        format!("the kernel cannot place a uprobe on the instruction there ({cause})")
    } else {
        cause
    }
}

fn link_create(program: BorrowedFd, perf_event: i32) -> io::Result<OwnedFd> {
    let mut attr = LinkCreateAttr {
        prog_fd: program.as_raw_fd() as u32,
        target_fd: perf_event as u32,
        attach_type: BPF_PERF_EVENT,
        ..Default::default()
    };
    // SAFETY: `attr` is the BPF_LINK_CREATE prefix of bpf_attr.
    let fd = unsafe {
        libc::syscall(
            libc::SYS_bpf,
            BPF_LINK_CREATE,
            &mut attr as *mut LinkCreateAttr,
            std::mem::size_of::<LinkCreateAttr>(),
        )
    };
    if fd < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: the kernel just gave us this descriptor.
    Ok(unsafe { OwnedFd::from_raw_fd(fd as i32) })
}

fn ioctl(fd: &OwnedFd, request: libc::c_ulong, arg: libc::c_ulong) -> io::Result<()> {
    // SAFETY: both requests take an integer argument.
    let rc = unsafe { libc::ioctl(fd.as_raw_fd(), request as _, arg) };
    if rc < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::config_bit;

    #[test]
    fn pmu_format_bits() {
        assert_eq!(config_bit("config:0"), Some(0));
        assert_eq!(config_bit("config:32-63"), Some(32));
        assert_eq!(config_bit("config1:0-63"), None);
    }
}
