//! Values that take user-space knowledge to print: buffers as escaped
//! text, timestamps as wall-clock time, uids as user names.

use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};

/// `buf()` contents as bpftrace's `%r` prints them: printable ASCII as is,
/// every other byte as `\xNN`.
pub fn escape_buffer(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len());
    for &b in bytes {
        if (0x20..0x7f).contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("\\x{b:02x}"));
        }
    }
    out
}

fn clock_ns(clock: libc::clockid_t) -> i128 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid timespec for clock_gettime to fill.
    unsafe { libc::clock_gettime(clock, &mut ts) };
    i128::from(ts.tv_sec) * 1_000_000_000 + i128::from(ts.tv_nsec)
}

/// Wall-clock nanoseconds at boot, measured once, as bpftrace does: the
/// nanoseconds `nsecs` gives are added to it.
fn boot_wall_ns() -> i128 {
    static BOOT: OnceLock<i128> = OnceLock::new();
    *BOOT.get_or_init(|| clock_ns(libc::CLOCK_REALTIME) - clock_ns(libc::CLOCK_BOOTTIME))
}

/// Formats seconds since the epoch in local time with strftime(3).
pub fn format_local_time(seconds: i64, format: &str) -> String {
    if format.is_empty() {
        return String::new();
    }
    let Ok(c_format) = std::ffi::CString::new(format) else {
        return String::new();
    };
    let t: libc::time_t = seconds;
    // SAFETY: an all-zero `tm` is a valid value for localtime_r to fill.
    let mut tm: libc::tm = unsafe { std::mem::zeroed() };
    // SAFETY: both pointers are valid for the call.
    if unsafe { libc::localtime_r(&t, &mut tm) }.is_null() {
        return String::new();
    }
    let mut buf = vec![0u8; 256 + format.len() * 4];
    // SAFETY: `buf` has `buf.len()` writable bytes; format and tm are valid.
    let n = unsafe { libc::strftime(buf.as_mut_ptr().cast(), buf.len(), c_format.as_ptr(), &tm) };
    String::from_utf8_lossy(&buf[..n]).into_owned()
}

/// A `strftime()` value: nanoseconds since boot, in `format`.
pub fn format_timestamp(nsecs: u64, format: &str) -> String {
    let wall = boot_wall_ns() + i128::from(nsecs);
    format_local_time((wall / 1_000_000_000) as i64, format)
}

/// `time(fmt)`: now, in local time.
pub fn format_now(format: &str) -> String {
    format_local_time(
        (clock_ns(libc::CLOCK_REALTIME) / 1_000_000_000) as i64,
        format,
    )
}

/// The name of user `uid`, or the number when it has none.
pub fn user_name(uid: u32) -> String {
    static NAMES: OnceLock<Mutex<HashMap<u32, String>>> = OnceLock::new();
    let names = NAMES.get_or_init(Default::default);
    let mut names = names.lock().unwrap_or_else(|e| e.into_inner());
    names
        .entry(uid)
        .or_insert_with(|| lookup_user(uid).unwrap_or_else(|| uid.to_string()))
        .clone()
}

fn lookup_user(uid: u32) -> Option<String> {
    let mut buf = vec![0 as libc::c_char; 4096];
    // SAFETY: an all-zero passwd is a valid value for getpwuid_r to fill.
    let mut pwd: libc::passwd = unsafe { std::mem::zeroed() };
    let mut result: *mut libc::passwd = std::ptr::null_mut();
    // SAFETY: every pointer is valid for the call; buf has buf.len() bytes.
    let rc = unsafe { libc::getpwuid_r(uid, &mut pwd, buf.as_mut_ptr(), buf.len(), &mut result) };
    if rc != 0 || result.is_null() {
        return None;
    }
    // SAFETY: on success pw_name points to a NUL-terminated string in buf.
    let name = unsafe { std::ffi::CStr::from_ptr(pwd.pw_name) };
    Some(name.to_string_lossy().into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buffers_escape_what_is_not_printable() {
        // What bpftrace 0.17 printed for buf("ab\x01\n\xff\"\\c", 9).
        assert_eq!(
            escape_buffer(b"ab\x01\n\xff\"\\c\0"),
            "ab\\x01\\x0a\\xff\"\\c\\x00"
        );
        assert_eq!(escape_buffer(b""), "");
    }

    #[test]
    fn root_has_a_name_and_unknown_users_a_number() {
        assert_eq!(user_name(0), "root");
        assert_eq!(user_name(4_000_000_000), "4000000000");
    }

    #[test]
    fn local_time_formats_with_strftime() {
        assert_eq!(format_local_time(0, ""), "");
        assert_eq!(format_local_time(86_400 * 365, "%Y"), "1971");
        assert_eq!(format_local_time(0, "100%%"), "100%");
    }
}
