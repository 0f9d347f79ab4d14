//! Configuration from `MEMLEAK_*` environment variables.
//!
//! | variable | meaning |
//! |---|---|
//! | `MEMLEAK_OUT` | where the profile is written at exit; `%p` becomes the pid. Unset or empty: the tracker records nothing and writes nothing |
//! | `MEMLEAK_INTERVAL_MS` | milliseconds between the timeline's samples of the heap and the process's memory (default 100; `0`: no sampler thread, only the peak and exit samples). Read once, when tracking starts with `MEMLEAK_OUT` set; anything but decimal digits means the default |
//! | `MEMLEAK_SNAPSHOT_INTERVAL` | how often the sampler thread replaces the rolling profile, `NAME.rolling.EXT` beside `MEMLEAK_OUT` (`30s`, `5m`, `500ms`, `1h`; a bare number is seconds). Unset, empty or `0`: none |

use std::ffi::{CStr, OsString};
use std::path::PathBuf;
use std::sync::OnceLock;
use std::time::Duration;

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

/// The rolling profile's interval variable.
pub(crate) const SNAPSHOT_INTERVAL_VAR: &CStr = c"MEMLEAK_SNAPSHOT_INTERVAL";

/// The rolling profile's interval from `MEMLEAK_SNAPSHOT_INTERVAL`: `Ok(None)` when unset,
/// empty or 0; `Err` with the value when it is not a duration. Read on the sampler
/// thread, which may allocate.
pub(crate) fn snapshot_interval() -> Result<Option<Duration>, String> {
    let mut buffer = [0u8; 64];
    parse_duration(os::env_bytes(SNAPSHOT_INTERVAL_VAR, &mut buffer))
}

/// A duration as `MEMLEAK_SNAPSHOT_INTERVAL` takes it: decimal digits, then `ms`, `s`,
/// `m` or `h` (none: seconds); spaces around are ignored.
pub(crate) fn parse_duration(raw: Option<&[u8]>) -> Result<Option<Duration>, String> {
    let Some(text) = raw.map(<[u8]>::trim_ascii).filter(|text| !text.is_empty()) else {
        return Ok(None);
    };
    let shown = || String::from_utf8_lossy(text).into_owned();
    let text = std::str::from_utf8(text).map_err(|_| shown())?;
    let digits = text.bytes().take_while(u8::is_ascii_digit).count();
    let (number, unit) = text.split_at(digits);
    let number: u64 = number.parse().map_err(|_| shown())?;
    let millis_per = match unit.trim_ascii() {
        "ms" => 1,
        "" | "s" => 1000,
        "m" => 60_000,
        "h" => 3_600_000,
        _ => return Err(shown()),
    };
    let millis = number.checked_mul(millis_per).ok_or_else(shown)?;
    Ok((millis > 0).then(|| Duration::from_millis(millis)))
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

    #[test]
    fn snapshot_intervals_are_durations_with_units() {
        let parse = |text: &str| parse_duration(Some(text.as_bytes()));
        assert_eq!(parse("30s"), Ok(Some(Duration::from_secs(30))));
        assert_eq!(parse(" 5m "), Ok(Some(Duration::from_secs(300))));
        assert_eq!(parse("500ms"), Ok(Some(Duration::from_millis(500))));
        assert_eq!(parse("1h"), Ok(Some(Duration::from_secs(3600))));
        assert_eq!(parse("2 s"), Ok(Some(Duration::from_secs(2))));
        assert_eq!(parse("60"), Ok(Some(Duration::from_secs(60))));
        assert_eq!(parse("0"), Ok(None));
        assert_eq!(parse_duration(None), Ok(None));
        assert_eq!(parse_duration(Some(b"  ")), Ok(None));
        for bad in ["fast", "5d", "-1s", "1.5s", "s", "99999999999999999999h"] {
            assert_eq!(parse(bad), Err(bad.to_owned()), "{bad}");
        }
    }
}
