//! `-c CMD`: the traced command. It is forked before compiling (its pid is
//! `cpid`) and waits, before exec, until the probes are attached, so its
//! whole life is traced, as with bpftrace.

use std::ffi::CString;
use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::path::{Path, PathBuf};

pub struct ChildCommand {
    pid: u32,
    /// Writing a byte here lets the child exec; closing it unreleased makes
    /// it exit without running anything.
    go: Option<OwnedFd>,
    reaped: bool,
}

/// Splits CMD as bpftrace 0.17 does: on single spaces, without quoting.
pub fn split_command(command: &str) -> Vec<String> {
    command
        .trim_matches(' ')
        .split(' ')
        .map(str::to_string)
        .collect()
}

/// The program to run: a path as given, or a name looked up in `PATH`.
pub fn resolve_program(name: &str) -> io::Result<PathBuf> {
    let is_executable = |p: &Path| {
        use std::os::unix::fs::PermissionsExt;
        p.metadata()
            .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
    };
    if name.contains('/') {
        let path = PathBuf::from(name);
        return if is_executable(&path) {
            Ok(path)
        } else {
            Err(io::Error::new(
                io::ErrorKind::NotFound,
                format!("'{name}' is not an executable file"),
            ))
        };
    }
    let dirs = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&dirs)
        .map(|dir| dir.join(name))
        .find(|p| is_executable(p))
        .ok_or_else(|| {
            io::Error::new(
                io::ErrorKind::NotFound,
                format!("'{name}' was not found in PATH"),
            )
        })
}

impl ChildCommand {
    /// Forks the command, stopped before its exec.
    pub fn spawn(command: &str) -> io::Result<ChildCommand> {
        let words = split_command(command);
        let program = resolve_program(&words[0])?;
        let to_c =
            |s: &[u8]| CString::new(s).map_err(|_| io::Error::from_raw_os_error(libc::EINVAL));
        let path = to_c(program.as_os_str().as_encoded_bytes())?;
        let args: Vec<CString> = words
            .iter()
            .map(|w| to_c(w.as_bytes()))
            .collect::<io::Result<_>>()?;
        let mut argv: Vec<*const libc::c_char> = args.iter().map(|a| a.as_ptr()).collect();
        argv.push(std::ptr::null());
        let mut fds = [0; 2];
        // SAFETY: `fds` has room for the two descriptors pipe2 returns.
        if unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) } != 0 {
            return Err(io::Error::last_os_error());
        }
        // SAFETY: pipe2 just returned these descriptors, owned by nobody else.
        let (wait_end, go) =
            unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) };
        // SAFETY: the child only calls async-signal-safe functions (close,
        // read, execv, _exit) on memory prepared before the fork.
        let pid = unsafe { libc::fork() };
        if pid < 0 {
            return Err(io::Error::last_os_error());
        }
        if pid == 0 {
            // SAFETY: see above; the descriptors are valid in the child.
            unsafe {
                libc::close(go.as_raw_fd());
                let mut byte = 0u8;
                let n = libc::read(wait_end.as_raw_fd(), (&mut byte as *mut u8).cast(), 1);
                if n == 1 {
                    libc::execv(path.as_ptr(), argv.as_ptr());
                }
                libc::_exit(127);
            }
        }
        drop(wait_end);
        Ok(ChildCommand {
            pid: pid as u32,
            go: Some(go),
            reaped: false,
        })
    }

    pub fn pid(&self) -> u32 {
        self.pid
    }

    /// Lets the command run (once the probes are attached).
    pub fn release(&mut self) {
        if let Some(go) = self.go.take() {
            // SAFETY: writes one byte from a valid buffer to our pipe end.
            unsafe { libc::write(go.as_raw_fd(), b"g".as_ptr().cast(), 1) };
        }
    }

    /// Whether the command has exited (reaping it if so).
    pub fn exited(&mut self) -> bool {
        if self.reaped {
            return true;
        }
        let mut status = 0;
        // SAFETY: waits without blocking for our own child.
        let rc = unsafe { libc::waitpid(self.pid as libc::pid_t, &mut status, libc::WNOHANG) };
        self.reaped = rc == self.pid as libc::pid_t || rc < 0;
        self.reaped
    }
}

impl Drop for ChildCommand {
    /// A command still running when tracing ends is terminated, as
    /// bpftrace does; one never released just exits.
    fn drop(&mut self) {
        self.go.take();
        if !self.exited() {
            // SAFETY: signals and then reaps our own child.
            unsafe {
                libc::kill(self.pid as libc::pid_t, libc::SIGTERM);
                let mut status = 0;
                libc::waitpid(self.pid as libc::pid_t, &mut status, 0);
            }
            self.reaped = true;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commands_split_on_single_spaces_like_bpftrace() {
        assert_eq!(split_command("/bin/echo a bb"), ["/bin/echo", "a", "bb"]);
        // bpftrace 0.17 keeps the empty word between two spaces.
        assert_eq!(split_command("echo a  b"), ["echo", "a", "", "b"]);
        assert_eq!(split_command("true"), ["true"]);
    }

    #[test]
    fn programs_resolve_through_path() {
        assert!(resolve_program("sh").unwrap().ends_with("sh"));
        assert!(resolve_program("/bin/sh").is_ok());
        assert!(resolve_program("no-such-program-rtrace").is_err());
        assert!(resolve_program("/no/such/program").is_err());
    }

    #[test]
    fn a_released_child_runs_and_exits() {
        let mut child = ChildCommand::spawn("/bin/true").unwrap();
        assert!(!child.exited());
        child.release();
        for _ in 0..200 {
            if child.exited() {
                return;
            }
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
        panic!("/bin/true did not exit");
    }
}
