//! From the PATH part of `uprobe:PATH:FUNC` to a file, as bpftrace does:
//! a path with a slash is a file (relative to the working directory); a
//! bare name is a library the target process has mapped (with `-p`), a
//! program in `PATH`, or a library in the linker cache (`libc`,
//! `libc.so.6`).

use crate::ld_cache::{self, Entry};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ResolveError {
    #[error("{0} does not exist")]
    NoSuchFile(PathBuf),
    #[error("{0} is not a regular file")]
    NotAFile(PathBuf),
    #[error("not a program in PATH nor a library in the linker cache")]
    NotFound(String),
    #[error("cannot read the linker cache: {0}")]
    Cache(String),
}

/// What resolution looks at, so tests can give their own.
pub struct Environment {
    pub cwd: PathBuf,
    /// The directories of `PATH`, in order.
    pub path: Vec<PathBuf>,
    /// Files mapped by the target process (`/proc/PID/maps`), in order.
    pub mapped: Vec<PathBuf>,
    /// The linker cache, read only when a name needs it.
    pub libraries: Box<dyn Fn() -> Result<Vec<Entry>, String>>,
}

impl Environment {
    /// This process's view: its working directory, `PATH`, the maps of
    /// `pid` when given, and the system's linker cache.
    pub fn current(pid: Option<u32>) -> Environment {
        let path = std::env::var_os("PATH")
            .map(|p| std::env::split_paths(&p).collect())
            .unwrap_or_default();
        let mapped = pid
            .and_then(|pid| std::fs::read_to_string(format!("/proc/{pid}/maps")).ok())
            .map(|maps| mapped_files(&maps))
            .unwrap_or_default();
        Environment {
            cwd: std::env::current_dir().unwrap_or_else(|_| PathBuf::from("/")),
            path,
            mapped,
            libraries: Box::new(ld_cache::load),
        }
    }
}

/// Resolves a uprobe target in this process's environment.
pub fn resolve(target: &str, pid: Option<u32>) -> Result<PathBuf, ResolveError> {
    resolve_in(target, &Environment::current(pid))
}

pub fn resolve_in(target: &str, env: &Environment) -> Result<PathBuf, ResolveError> {
    if target.contains('/') {
        let path = normalize(&env.cwd.join(target));
        return match std::fs::metadata(&path) {
            Ok(m) if m.is_file() => Ok(path),
            Ok(_) => Err(ResolveError::NotAFile(path)),
            Err(_) => Err(ResolveError::NoSuchFile(path)),
        };
    }
    if let Some(found) = env.mapped.iter().find(|p| {
        p.file_name()
            .and_then(|n| n.to_str())
            .is_some_and(|n| library_matches(target, n))
    }) {
        return Ok(found.clone());
    }
    if let Some(program) = env
        .path
        .iter()
        .map(|dir| dir.join(target))
        .find(|p| is_executable_file(p))
    {
        return Ok(normalize(&env.cwd.join(program)));
    }
    let libraries = (env.libraries)().map_err(ResolveError::Cache)?;
    libraries
        .iter()
        .find(|e| library_matches(target, &e.name))
        .map(|e| e.path.clone())
        .ok_or_else(|| ResolveError::NotFound(target.to_string()))
}

/// `libc` names `libc.so.6`; so do `libc.so.6` itself and, as in bcc, `c`.
fn library_matches(wanted: &str, file_name: &str) -> bool {
    let versioned = |stem: &str| {
        file_name == stem
            || file_name
                .strip_prefix(stem)
                .is_some_and(|rest| rest.starts_with(".so") || rest.starts_with('-'))
    };
    versioned(wanted) || (!wanted.starts_with("lib") && versioned(&format!("lib{wanted}")))
}

fn is_executable_file(path: &Path) -> bool {
    std::fs::metadata(path).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

/// Removes `.` and `..` components without following symbolic links, so
/// the probe keeps the name the user gave (`/bin/bash`, not `/usr/bin/bash`).
fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for component in path.components() {
        match component {
            std::path::Component::CurDir => {}
            std::path::Component::ParentDir => {
                out.pop();
            }
            other => out.push(other),
        }
    }
    out
}

/// The files of `/proc/PID/maps`, each once, in order of first mapping.
pub fn mapped_files(maps: &str) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = Vec::new();
    for line in maps.lines() {
        // address perms offset dev inode pathname
        let Some(path) = line.split_whitespace().nth(5) else {
            continue;
        };
        if path.starts_with('/') && !files.iter().any(|f| f == Path::new(path)) {
            files.push(PathBuf::from(path));
        }
    }
    files
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(mapped: &[&str], libraries: &'static [(&'static str, &'static str)]) -> Environment {
        Environment {
            cwd: PathBuf::from("/work/dir"),
            path: vec![PathBuf::from("/nonexistent/bin"), PathBuf::from("/bin")],
            mapped: mapped.iter().map(PathBuf::from).collect(),
            libraries: Box::new(move || {
                Ok(libraries
                    .iter()
                    .map(|(name, path)| Entry {
                        name: name.to_string(),
                        path: PathBuf::from(path),
                    })
                    .collect())
            }),
        }
    }

    const LIBS: &[(&str, &str)] = &[
        ("libcrypt.so.1", "/lib/libcrypt.so.1"),
        ("libc.so.6", "/lib/x86_64-linux-gnu/libc.so.6"),
        ("libpthread.so.0", "/lib/x86_64-linux-gnu/libpthread.so.0"),
    ];

    #[test]
    fn library_names() {
        let e = env(&[], LIBS);
        for name in ["libc", "libc.so.6", "c"] {
            assert_eq!(
                resolve_in(name, &e).unwrap(),
                PathBuf::from("/lib/x86_64-linux-gnu/libc.so.6"),
                "{name}"
            );
        }
        assert_eq!(
            resolve_in("libpthread", &e).unwrap(),
            PathBuf::from("/lib/x86_64-linux-gnu/libpthread.so.0")
        );
        assert_eq!(
            resolve_in("libnope", &e).unwrap_err(),
            ResolveError::NotFound("libnope".into())
        );
    }

    #[test]
    fn a_process_mapping_wins_over_the_cache() {
        let e = env(&["/opt/app/lib/libc.so.6"], LIBS);
        assert_eq!(
            resolve_in("libc", &e).unwrap(),
            PathBuf::from("/opt/app/lib/libc.so.6")
        );
    }

    #[test]
    fn programs_in_path() {
        // `sh` is in /bin on every system the tests run on.
        let e = env(&[], LIBS);
        assert_eq!(resolve_in("sh", &e).unwrap(), PathBuf::from("/bin/sh"));
    }

    #[test]
    fn paths_absolute_and_relative() {
        let e = env(&[], LIBS);
        assert_eq!(resolve_in("/bin/sh", &e).unwrap(), PathBuf::from("/bin/sh"));
        let e = Environment {
            cwd: PathBuf::from("/bin"),
            ..env(&[], LIBS)
        };
        assert_eq!(
            resolve_in("../bin/./sh", &e).unwrap(),
            PathBuf::from("/bin/sh")
        );
        assert_eq!(
            resolve_in("./nope/x", &e).unwrap_err(),
            ResolveError::NoSuchFile(PathBuf::from("/bin/nope/x"))
        );
        assert_eq!(
            resolve_in("/", &e).unwrap_err(),
            ResolveError::NotAFile(PathBuf::from("/"))
        );
    }

    #[test]
    fn proc_maps_files() {
        let maps = "\
55d0c0a00000-55d0c0a2d000 r--p 00000000 fe:01 1234 /usr/bin/bash
55d0c0a2d000-55d0c0ae9000 r-xp 0002d000 fe:01 1234 /usr/bin/bash
7f1c00000000-7f1c00021000 rw-p 00000000 00:00 0
7f1c10000000-7f1c10028000 r--p 00000000 fe:01 99 /usr/lib/x86_64-linux-gnu/libc.so.6
7ffd5a3f0000-7ffd5a411000 rw-p 00000000 00:00 0 [stack]
";
        assert_eq!(
            mapped_files(maps),
            vec![
                PathBuf::from("/usr/bin/bash"),
                PathBuf::from("/usr/lib/x86_64-linux-gnu/libc.so.6")
            ]
        );
    }
}
