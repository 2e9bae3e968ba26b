//! Values that take user-space knowledge to print: buffers as escaped
//! text, timestamps as wall-clock time, uids as user names, network
//! addresses as text.

use std::collections::HashMap;
use std::net::{Ipv4Addr, Ipv6Addr};
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

/// An `ntop()` value: the address family as a little-endian u64, then 16
/// address bytes. Printed as `inet_ntop(3)` does, as bpftrace prints it;
/// an unknown family prints as nothing.
pub fn format_inet(raw: &[u8]) -> String {
    let mut bytes = [0u8; 24];
    let n = raw.len().min(24);
    bytes[..n].copy_from_slice(&raw[..n]);
    let family = u64::from_le_bytes(bytes[..8].try_into().expect("8 bytes"));
    let addr: [u8; 16] = bytes[8..].try_into().expect("16 bytes");
    match family {
        2 => Ipv4Addr::new(addr[0], addr[1], addr[2], addr[3]).to_string(),
        10 => format_ipv6(addr),
        _ => String::new(),
    }
}

/// RFC 5952 text, and like glibc an IPv4-compatible address
/// (`::a.b.c.d`, 96 zero bits then anything but `0.0.x.x`) in dotted form,
/// where Rust writes hexadecimal.
fn format_ipv6(addr: [u8; 16]) -> String {
    if addr[..12].iter().all(|&b| b == 0) && addr[12..14] != [0, 0] {
        let v4 = Ipv4Addr::new(addr[12], addr[13], addr[14], addr[15]);
        return format!("::{v4}");
    }
    Ipv6Addr::from(addr).to_string()
}

/// A `macaddr()` value: six bytes in upper-case hexadecimal, as bpftrace.
pub fn format_mac(raw: &[u8]) -> String {
    let mut bytes = [0u8; 6];
    let n = raw.len().min(6);
    bytes[..n].copy_from_slice(&raw[..n]);
    let parts: Vec<String> = bytes.iter().map(|b| format!("{b:02X}")).collect();
    parts.join(":")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn inet(family: u64, addr: &[u8]) -> Vec<u8> {
        let mut raw = family.to_le_bytes().to_vec();
        raw.extend_from_slice(addr);
        raw.resize(24, 0);
        raw
    }

    #[test]
    fn inet_addresses_print_as_inet_ntop_does() {
        // What bpftrace 0.17 printed for ntop(0x0100007f), ntop(10, 1),
        // ntop(10, 0x0100007f) and ntop(7, 1).
        assert_eq!(format_inet(&inet(2, &[127, 0, 0, 1])), "127.0.0.1");
        assert_eq!(format_inet(&inet(10, &[1])), "100::");
        assert_eq!(format_inet(&inet(10, &[0x7f, 0, 0, 1])), "7f00:1::");
        assert_eq!(format_inet(&inet(7, &[1])), "");
        // glibc's inet_ntop, as Python's socket.inet_ntop shows it.
        let mut v6 = [0u8; 16];
        v6[15] = 1;
        assert_eq!(format_inet(&inet(10, &v6)), "::1");
        v6[12..].copy_from_slice(&[127, 0, 0, 1]);
        assert_eq!(format_inet(&inet(10, &v6)), "::127.0.0.1");
        v6[10..12].copy_from_slice(&[0xff, 0xff]);
        assert_eq!(format_inet(&inet(10, &v6)), "::ffff:127.0.0.1");
        let mut small = [0u8; 16];
        small[14..].copy_from_slice(&[1, 2]);
        assert_eq!(format_inet(&inet(10, &small)), "::102");
        assert_eq!(format_inet(&inet(10, &[0; 16])), "::");
        let doc = [0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 1];
        assert_eq!(format_inet(&inet(10, &doc)), "2001:db8::1:0:0:1");
    }

    #[test]
    fn mac_addresses_are_upper_case_hex() {
        assert_eq!(
            format_mac(&[0x00, 0x1b, 0x21, 0xab, 0xcd, 0xef]),
            "00:1B:21:AB:CD:EF"
        );
        assert_eq!(format_mac(&[0; 6]), "00:00:00:00:00:00");
    }

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
