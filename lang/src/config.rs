//! Settings from the command line and the environment that change how a
//! program is checked and compiled: string size, `--unsafe`, `-c`.

use crate::types::DEFAULT_STR_SIZE;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Config {
    /// Bytes of a string read from memory (`str()`), NUL included:
    /// `BPFTRACE_STRLEN` (or `BPFTRACE_MAX_STRLEN`) or `--strlen`.
    pub strlen: u32,
    /// `--unsafe`: allow builtins that act on the system (`system`,
    /// `signal`, `override`).
    pub unsafe_ok: bool,
    /// `-c CMD` was given, so `cpid` has a value.
    pub child: bool,
}

impl Default for Config {
    fn default() -> Config {
        Config {
            strlen: DEFAULT_STR_SIZE,
            unsafe_ok: false,
            child: false,
        }
    }
}

/// Reads a string size from the environment as bpftrace does: a positive
/// integer; `None` when the variable is not set.
pub fn strlen_from_env(lookup: impl Fn(&str) -> Option<String>) -> Result<Option<u32>, String> {
    // bpftrace 0.17 reads BPFTRACE_STRLEN; later versions renamed it
    // BPFTRACE_MAX_STRLEN. The older name wins when both are set.
    for name in ["BPFTRACE_STRLEN", "BPFTRACE_MAX_STRLEN"] {
        if let Some(text) = lookup(name) {
            return match text.trim().parse::<u32>() {
                Ok(n) if n > 0 => Ok(Some(n)),
                _ => Err(format!(
                    "Env var '{name}' did not contain a valid uint64_t, or was zero-valued."
                )),
            };
        }
    }
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env<'a>(pairs: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<String> + 'a {
        move |name| {
            pairs
                .iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| v.to_string())
        }
    }

    #[test]
    fn strlen_comes_from_either_name() {
        assert_eq!(strlen_from_env(env(&[])), Ok(None));
        assert_eq!(
            strlen_from_env(env(&[("BPFTRACE_STRLEN", "128")])),
            Ok(Some(128))
        );
        assert_eq!(
            strlen_from_env(env(&[("BPFTRACE_MAX_STRLEN", "32")])),
            Ok(Some(32))
        );
        assert_eq!(
            strlen_from_env(env(&[
                ("BPFTRACE_STRLEN", "8"),
                ("BPFTRACE_MAX_STRLEN", "32")
            ])),
            Ok(Some(8))
        );
    }

    #[test]
    fn bad_strlen_is_reported_like_bpftrace() {
        for bad in ["abc", "0", "-1", ""] {
            assert_eq!(
                strlen_from_env(env(&[("BPFTRACE_STRLEN", bad)])),
                Err("Env var 'BPFTRACE_STRLEN' did not contain a valid uint64_t, or was zero-valued.".into())
            );
        }
    }
}
