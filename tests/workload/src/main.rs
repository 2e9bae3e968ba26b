//! `rtrace-workload`: small, deterministic programs for the runtime tests and
//! the benchmarks to trace.
//!
//! Every subcommand does exactly what it says, with raw system calls so that
//! the count of traced events is known in advance, and exits 0. The process
//! name (`comm`) is `rtrace-workload`: 15 characters, so it survives the
//! kernel's 16-byte `TASK_COMM_LEN` untruncated and tests can filter on it.

mod calls;
mod stack;
mod usdt;

use std::ffi::CString;
use std::process::ExitCode;
use std::time::{Duration, Instant};

const USAGE: &str = "\
usage: rtrace-workload COMMAND [ARGS...]

commands:
  getppid N          N getppid system calls
  getpgid-returns RET N
                     N getpgid(0) system calls, each of which must return RET
                     (-errno for an error): fails otherwise; for override()
  openat PATH N      open and close PATH N times (PATH need not exist)
  read N SIZE        N reads of SIZE bytes from /dev/zero
  write N            N one-byte writes to /dev/null
  sleep MS           sleep MS milliseconds (one nanosleep)
  spin MS            busy loop on the CPU for MS milliseconds, no system calls
  exec N             run /bin/true N times, one after the other
  comm NAME CMD...   set the process name to NAME, then run CMD in this process
  signal N           send SIGUSR1 to this process N times (it is caught)
  threads N M        N threads, each making M getppid system calls
  usdt N             pass the USDT probes rtrace:tick, rtrace:lazy (with a
                     semaphore) and rtrace:operands N times each
  pid                print this process's id and exit
  after MS CMD...    sleep MS milliseconds, then run CMD in this process
  wait-for PATH CMD...  wait (up to 60 s) until PATH exists, then run CMD in
                     this process: a process for -p that starts its work when
                     the test says so, however slow the machine
  calls N            call the traced functions below N times each:
                     rtrace_workload_add(i, 100) for i in 1..=N,
                     rtrace_workload_args8(1, 2, ..., 8),
                     rtrace_workload_greet(\"hello\") and
                     rtrace_workload_asm_add(i, 1000)
  tcp ADDR PORT      listen on ADDR:PORT (127.0.0.1, ::1...), connect to it,
                     send a byte and close both ends: one TCP session
  stack N [MS]       N times: rtrace_workload_depth_3 calls _2, _1 and _0,
                     which makes a getppid system call (frame pointers
                     kept, see stack.rs); then sleep MS milliseconds
";

type Result<T> = std::result::Result<T, String>;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match run(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("rtrace-workload: {message}\n\n{USAGE}");
            ExitCode::from(2)
        }
    }
}

fn run(args: &[String]) -> Result<()> {
    let (command, rest) = args.split_first().ok_or("missing command")?;
    match (command.as_str(), rest) {
        ("getppid", [n]) => {
            getppid_loop(count(n)?);
            Ok(())
        }
        ("getpgid-returns", [ret, n]) => getpgid_returns(
            ret.parse().map_err(|_| format!("not a number: {ret:?}"))?,
            count(n)?,
        ),
        ("openat", [path, n]) => openat(path, count(n)?),
        ("read", [n, size]) => read_zero(count(n)?, count(size)? as usize),
        ("write", [n]) => write_null(count(n)?),
        ("sleep", [ms]) => {
            std::thread::sleep(Duration::from_millis(count(ms)?));
            Ok(())
        }
        ("spin", [ms]) => {
            spin(Duration::from_millis(count(ms)?));
            Ok(())
        }
        ("exec", [n]) => exec_true(count(n)?),
        ("comm", [name, command @ ..]) if !command.is_empty() => {
            set_comm(name)?;
            run(command)
        }
        ("signal", [n]) => signal_self(count(n)?),
        ("threads", [n, m]) => threads(count(n)?, count(m)?),
        ("after", [ms, command @ ..]) if !command.is_empty() => {
            std::thread::sleep(Duration::from_millis(count(ms)?));
            run(command)
        }
        ("wait-for", [path, command @ ..]) if !command.is_empty() => {
            wait_for(path)?;
            run(command)
        }
        ("usdt", [n]) => {
            usdt::run(count(n)?);
            Ok(())
        }
        ("calls", [n]) => {
            calls::run(count(n)?);
            Ok(())
        }
        ("stack", [n, hold @ ..]) if hold.len() <= 1 => {
            stack::run(count(n)?);
            if let Some(ms) = hold.first() {
                std::thread::sleep(Duration::from_millis(count(ms)?));
            }
            Ok(())
        }
        ("tcp", [addr, port]) => tcp_session(addr, port),
        ("pid", []) => {
            println!("{}", std::process::id());
            Ok(())
        }
        _ => Err(format!("bad command line: {}", args.join(" "))),
    }
}

fn count(text: &str) -> Result<u64> {
    text.parse().map_err(|_| format!("not a count: {text:?}"))
}

fn check(result: libc::c_long, what: &str) -> Result<libc::c_long> {
    if result < 0 {
        Err(format!("{what}: {}", std::io::Error::last_os_error()))
    } else {
        Ok(result)
    }
}

/// A client and a server on `addr:port`: connect, the client sends one
/// byte, then the client closes first (it goes through FIN_WAIT1, the
/// server through CLOSE_WAIT), the listener last.
fn tcp_session(addr: &str, port: &str) -> Result<()> {
    use std::io::{Read, Write};
    use std::net::{IpAddr, SocketAddr, TcpListener, TcpStream};
    let ip: IpAddr = addr
        .parse()
        .map_err(|_| format!("not an IP address: {addr:?}"))?;
    let port: u16 = port.parse().map_err(|_| format!("not a port: {port:?}"))?;
    let at = SocketAddr::new(ip, port);
    let listener = TcpListener::bind(at).map_err(|e| format!("listen on {at}: {e}"))?;
    let mut client = TcpStream::connect(at).map_err(|e| format!("connect to {at}: {e}"))?;
    let (mut server, _) = listener.accept().map_err(|e| format!("accept: {e}"))?;
    client.write_all(b"x").map_err(|e| format!("send: {e}"))?;
    let mut byte = [0u8; 1];
    server
        .read_exact(&mut byte)
        .map_err(|e| format!("receive: {e}"))?;
    drop(client);
    drop(server);
    drop(listener);
    Ok(())
}

fn getppid_loop(n: u64) {
    for _ in 0..n {
        // The libc wrapper is a plain system call today, but going through
        // syscall(2) guarantees one kernel entry per iteration.
        // SAFETY: getppid takes no arguments and cannot fail.
        unsafe { libc::syscall(libc::SYS_getppid) };
    }
}

/// What the kernel returned is checked here, where it arrives: a
/// program that overrides getpgid's return value changes it.
fn getpgid_returns(expected: i64, n: u64) -> Result<()> {
    for i in 0..n {
        // SAFETY: getpgid takes a pid by value; 0 is this process.
        let raw = unsafe { libc::syscall(libc::SYS_getpgid, 0) };
        // syscall(2) turns -errno into -1 with errno set.
        let returned = match raw {
            -1 => -i64::from(std::io::Error::last_os_error().raw_os_error().unwrap_or(0)),
            r => r,
        };
        if returned != expected {
            return Err(format!(
                "getpgid call {} returned {returned}, not {expected}",
                i + 1
            ));
        }
    }
    Ok(())
}

fn openat(path: &str, n: u64) -> Result<()> {
    let path = CString::new(path).map_err(|_| "path contains a NUL byte")?;
    for _ in 0..n {
        // A missing file is fine: the tracepoint fires on entry either way.
        // SAFETY: `path` is a valid NUL-terminated string.
        let fd = unsafe { libc::openat(libc::AT_FDCWD, path.as_ptr(), libc::O_RDONLY) };
        if fd >= 0 {
            // SAFETY: `fd` was just opened by us.
            unsafe { libc::close(fd) };
        }
    }
    Ok(())
}

fn open_device(path: &str, flags: libc::c_int) -> Result<libc::c_int> {
    let c_path = CString::new(path).expect("static path");
    // SAFETY: `c_path` is a valid NUL-terminated string.
    let fd = unsafe { libc::open(c_path.as_ptr(), flags) };
    check(fd.into(), path).map(|fd| fd as libc::c_int)
}

fn read_zero(n: u64, size: usize) -> Result<()> {
    let fd = open_device("/dev/zero", libc::O_RDONLY)?;
    let mut buffer = vec![0u8; size];
    for _ in 0..n {
        // SAFETY: `buffer` is valid for `size` bytes of writes.
        let got = unsafe { libc::read(fd, buffer.as_mut_ptr().cast(), size) };
        check(got as libc::c_long, "read /dev/zero")?;
    }
    // SAFETY: `fd` is ours.
    unsafe { libc::close(fd) };
    Ok(())
}

fn write_null(n: u64) -> Result<()> {
    let fd = open_device("/dev/null", libc::O_WRONLY)?;
    let byte = [b'x'];
    for _ in 0..n {
        // SAFETY: `byte` is valid for one byte of reads.
        let put = unsafe { libc::write(fd, byte.as_ptr().cast(), 1) };
        check(put as libc::c_long, "write /dev/null")?;
    }
    // SAFETY: `fd` is ours.
    unsafe { libc::close(fd) };
    Ok(())
}

fn spin(duration: Duration) {
    // Instant::now reads the clock through the vDSO: no system calls, so
    // the loop stays on the CPU for profile probes to sample.
    let start = Instant::now();
    let mut spins = 0u64;
    while start.elapsed() < duration {
        spins = std::hint::black_box(spins.wrapping_add(1));
    }
}

fn exec_true(n: u64) -> Result<()> {
    for _ in 0..n {
        let status = std::process::Command::new("/bin/true")
            .status()
            .map_err(|e| format!("/bin/true: {e}"))?;
        if !status.success() {
            return Err(format!("/bin/true: {status}"));
        }
    }
    Ok(())
}

fn set_comm(name: &str) -> Result<()> {
    let name = CString::new(name).map_err(|_| "name contains a NUL byte")?;
    // SAFETY: PR_SET_NAME reads a NUL-terminated string (the kernel truncates
    // it to 15 bytes).
    let result = unsafe { libc::prctl(libc::PR_SET_NAME, name.as_ptr()) };
    check(result.into(), "prctl(PR_SET_NAME)").map(drop)
}

extern "C" fn on_sigusr1(_: libc::c_int) {}

fn signal_self(n: u64) -> Result<()> {
    // Caught rather than ignored, so the kernel delivers every signal
    // instead of dropping it at generation time.
    // SAFETY: the handler is async-signal-safe (it does nothing).
    let previous =
        unsafe { libc::signal(libc::SIGUSR1, on_sigusr1 as *const () as libc::sighandler_t) };
    if previous == libc::SIG_ERR {
        return Err(format!("signal: {}", std::io::Error::last_os_error()));
    }
    for _ in 0..n {
        // SAFETY: sending a caught signal to ourselves.
        let result = unsafe { libc::kill(libc::getpid(), libc::SIGUSR1) };
        check(result.into(), "kill")?;
    }
    Ok(())
}

fn threads(n: u64, m: u64) -> Result<()> {
    let handles: Vec<_> = (0..n)
        .map(|_| std::thread::spawn(move || getppid_loop(m)))
        .collect();
    for handle in handles {
        handle.join().map_err(|_| "a thread panicked")?;
    }
    Ok(())
}

fn wait_for(path: &str) -> Result<()> {
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    while !std::path::Path::new(path).exists() {
        if std::time::Instant::now() > deadline {
            return Err(format!("{path} did not appear within 60 s"));
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    Ok(())
}
