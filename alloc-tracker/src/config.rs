//! Configuration from `MEMLEAK_*` environment variables.
//!
//! | variable | meaning |
//! |---|---|
//! | `MEMLEAK_OUT` | where the profile is written at exit; `%p` becomes the pid. Unset or empty: the tracker records nothing and writes nothing |
//! | `MEMLEAK_INTERVAL_MS` | milliseconds between the timeline's samples of the heap and the process's memory (default 100; `0`: no sampler thread, only the peak and exit samples). Read once, when tracking starts with `MEMLEAK_OUT` set; anything but decimal digits means the default |

use std::ffi::{CStr, OsString};
use std::path::PathBuf;
use std::sync::OnceLock;

use crate::os;

/// The output path variable, as a C string so it can be read without allocating.
pub(crate) const OUT_VAR: &CStr = c"MEMLEAK_OUT";

/// The timeline's sampling interval variable.
pub(crate) const INTERVAL_VAR: &CStr = c"MEMLEAK_INTERVAL_MS";

/// The interval when `MEMLEAK_INTERVAL_MS` is unset, empty or not a number.
pub(crate) const DEFAULT_INTERVAL_MS: u64 = 100;

/// The sampling interval from `MEMLEAK_INTERVAL_MS`, read without allocating; 0 means
/// no sampler.
pub(crate) fn interval_ms() -> u64 {
    let mut buffer = [0u8; 24];
    parse_interval(os::env_bytes(INTERVAL_VAR, &mut buffer))
}

/// The interval a value of `MEMLEAK_INTERVAL_MS` asks for (`None`: unset).
pub(crate) fn parse_interval(raw: Option<&[u8]>) -> u64 {
    let Some(text) = raw.map(<[u8]>::trim_ascii).filter(|text| !text.is_empty()) else {
        return DEFAULT_INTERVAL_MS;
    };
    std::str::from_utf8(text)
        .ok()
        .filter(|text| text.bytes().all(|b| b.is_ascii_digit()))
        .and_then(|text| text.parse().ok())
        .unwrap_or(DEFAULT_INTERVAL_MS)
}

/// `MEMLEAK_OUT` as the interposer found it at start-up (it then hides the variable from
/// the program).
static CAPTURED_OUT: OnceLock<OsString> = OnceLock::new();

/// Reads `MEMLEAK_OUT` once for good; returns whether it is set and not empty.
pub(crate) fn capture_out_path() -> bool {
    let raw = OUT_VAR
        .to_str()
        .ok()
        .and_then(std::env::var_os)
        .unwrap_or_default();
    !CAPTURED_OUT.get_or_init(|| raw).is_empty()
}

/// The profile path from `MEMLEAK_OUT` (as captured at start-up, if it was) with `%p`
/// expanded, or `None` when unset or empty.
pub(crate) fn out_path() -> Option<PathBuf> {
    let raw = match CAPTURED_OUT.get() {
        Some(captured) => captured.clone(),
        None => std::env::var_os(OUT_VAR.to_str().ok()?)?,
    };
    if raw.is_empty() {
        return None;
    }
    Some(expand_pattern(&raw, std::process::id()))
}

/// Expands `%p` to the pid and `%%` to `%`; other text is kept as is.
pub(crate) fn expand_pattern(pattern: &std::ffi::OsStr, pid: u32) -> PathBuf {
    let Some(text) = pattern.to_str() else {
        return PathBuf::from(pattern);
    };
    let mut out = String::with_capacity(text.len() + 8);
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c != '%' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('p') => out.push_str(&pid.to_string()),
            Some('%') => out.push('%'),
            Some(other) => {
                out.push('%');
                out.push(other);
            }
            None => out.push('%'),
        }
    }
    PathBuf::from(OsString::from(out))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pid_pattern_expands() {
        let path = expand_pattern("out/%p/profile-%p.json".as_ref(), 42);
        assert_eq!(path, PathBuf::from("out/42/profile-42.json"));
        assert_eq!(
            expand_pattern("100%%-%x%".as_ref(), 1),
            PathBuf::from("100%-%x%")
        );
    }

    #[test]
    fn the_interval_is_decimal_milliseconds_with_a_default() {
        assert_eq!(parse_interval(None), DEFAULT_INTERVAL_MS);
        assert_eq!(parse_interval(Some(b"")), DEFAULT_INTERVAL_MS);
        assert_eq!(parse_interval(Some(b" 250 ")), 250);
        assert_eq!(parse_interval(Some(b"0")), 0);
        for bad in [
            &b"-5"[..],
            b"1e3",
            b"10ms",
            b"+7",
            b"99999999999999999999999",
        ] {
            assert_eq!(parse_interval(Some(bad)), DEFAULT_INTERVAL_MS, "{bad:?}");
        }
    }
}
