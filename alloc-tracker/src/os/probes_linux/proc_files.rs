//! Pure parsers for the `/proc` files of the footprint: no I/O, no panics, `None` for
//! anything missing or malformed.

use crate::os::footprint::{Pressure, PressureLevel, Stall};

/// Warning when some task lost at least this share (percent) of the last 10 seconds
/// waiting for memory. 10% means reclaim visibly slows the workload; below it, stalls
/// are the ordinary background of page-cache churn on a busy host.
pub(super) const WARNING_SOME_AVG10: f64 = 10.0;
/// Critical when every non-idle task was stalled at once for at least this share
/// (percent) of the last 10 seconds. A `full` stall means no task made progress at all:
/// 5% of wall time lost that way is thrashing, the state in which the OOM killer (or
/// systemd-oomd and Android's lmkd, which act on the same numbers at higher thresholds
/// because they kill) is about to step in.
pub(super) const CRITICAL_FULL_AVG10: f64 = 5.0;

/// The resident numbers of one process.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Resident {
    pub(super) rss: u64,
    pub(super) anonymous: Option<u64>,
    pub(super) file_backed: Option<u64>,
    pub(super) swap: Option<u64>,
}

/// `MemTotal` and `MemAvailable` of `/proc/meminfo`, in bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct MemInfo {
    pub(super) total: Option<u64>,
    pub(super) available: Option<u64>,
}

/// The value of a `Key:   123 kB` line, in bytes.
fn kib_field(text: &str, key: &str) -> Option<u64> {
    text.lines().find_map(|line| {
        let (name, rest) = line.split_once(':')?;
        if name.trim() != key {
            return None;
        }
        let mut words = rest.split_whitespace();
        let value: u64 = words.next()?.parse().ok()?;
        match words.next() {
            Some("kB") | None => value.checked_mul(1024),
            Some(_) => None,
        }
    })
}

/// Parses `/proc/<pid>/smaps_rollup` (kernel 4.14+). `Rss` is required.
pub(super) fn parse_smaps_rollup(text: &str) -> Option<Resident> {
    let rss = kib_field(text, "Rss")?;
    let anonymous = kib_field(text, "Anonymous");
    Some(Resident {
        rss,
        anonymous,
        file_backed: anonymous.map(|anonymous| rss.saturating_sub(anonymous)),
        swap: kib_field(text, "Swap"),
    })
}

/// Parses `/proc/<pid>/statm`: `size resident shared text lib data dt`, in pages.
/// `shared` counts resident file-backed and shared-memory pages, so anonymous is
/// `resident - shared`. Swap is not there.
pub(super) fn parse_statm(text: &str, page_size: u64) -> Option<Resident> {
    let mut fields = text.split_whitespace().map(str::parse::<u64>);
    let _size = fields.next()?.ok()?;
    let resident = fields.next()?.ok()?;
    let shared = fields.next().and_then(Result::ok);
    let rss = resident.checked_mul(page_size)?;
    let file_backed = shared
        .and_then(|shared| shared.checked_mul(page_size))
        .map(|bytes| bytes.min(rss));
    Some(Resident {
        rss,
        anonymous: file_backed.map(|file| rss - file),
        file_backed,
        swap: None,
    })
}

/// Parses `/proc/meminfo`; `None` when neither field is there.
pub(super) fn parse_meminfo(text: &str) -> Option<MemInfo> {
    let info = MemInfo {
        total: kib_field(text, "MemTotal"),
        available: kib_field(text, "MemAvailable"),
    };
    (info.total.is_some() || info.available.is_some()).then_some(info)
}

/// Parses `/proc/pressure/memory` (kernel 4.20+ with PSI on). The `some` line is
/// required; `full` is optional.
pub(super) fn parse_pressure(text: &str) -> Option<Pressure> {
    let mut some = None;
    let mut full = None;
    for line in text.lines() {
        let Some((kind, rest)) = line.split_once(' ') else {
            continue;
        };
        match kind {
            "some" => some = parse_stall(rest),
            "full" => full = parse_stall(rest),
            _ => {}
        }
    }
    let some = some?;
    Some(Pressure {
        level: level(&some, full.as_ref()),
        some: Some(some),
        full,
    })
}

/// `avg10=0.00 avg60=0.00 avg300=0.00 total=0`; every field required.
fn parse_stall(text: &str) -> Option<Stall> {
    let field = |key: &str| {
        text.split_whitespace()
            .find_map(|pair| pair.split_once('=').filter(|(name, _)| *name == key))
            .map(|(_, value)| value)
    };
    let share = |key: &str| {
        field(key)?
            .parse::<f64>()
            .ok()
            .filter(|v| v.is_finite() && *v >= 0.0)
    };
    Some(Stall {
        avg10: share("avg10")?,
        avg60: share("avg60")?,
        avg300: share("avg300")?,
        total_us: field("total")?.parse().ok()?,
    })
}

/// The level for a pair of stall lines; see [`WARNING_SOME_AVG10`] and
/// [`CRITICAL_FULL_AVG10`].
pub(super) fn level(some: &Stall, full: Option<&Stall>) -> PressureLevel {
    if full.is_some_and(|full| full.avg10 >= CRITICAL_FULL_AVG10) {
        PressureLevel::Critical
    } else if some.avg10 >= WARNING_SOME_AVG10 {
        PressureLevel::Warning
    } else {
        PressureLevel::Normal
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixture(name: &str) -> String {
        let path = format!(
            "{}/tests/fixtures/proc/files/{name}",
            env!("CARGO_MANIFEST_DIR")
        );
        std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
    }

    #[test]
    fn smaps_rollup_gives_rss_anonymous_file_and_swap() {
        let r = parse_smaps_rollup(&fixture("smaps_rollup")).unwrap();
        assert_eq!(r.rss, 1764 * 1024);
        assert_eq!(r.anonymous, Some(112 * 1024));
        assert_eq!(r.file_backed, Some((1764 - 112) * 1024));
        assert_eq!(r.swap, Some(8 * 1024));
    }

    #[test]
    fn smaps_rollup_without_anonymous_keeps_rss_only() {
        let r = parse_smaps_rollup(&fixture("smaps_rollup_minimal")).unwrap();
        assert_eq!(r.rss, 4096 * 1024);
        assert_eq!((r.anonymous, r.file_backed, r.swap), (None, None, None));
    }

    #[test]
    fn malformed_and_empty_smaps_rollup_are_none() {
        assert_eq!(parse_smaps_rollup(&fixture("smaps_rollup_malformed")), None);
        assert_eq!(parse_smaps_rollup(&fixture("empty")), None);
        assert_eq!(parse_smaps_rollup("Rss: 18446744073709551615 kB"), None);
        assert_eq!(parse_smaps_rollup("Rss: 12 MB"), None);
    }

    #[test]
    fn statm_is_pages_times_page_size() {
        let r = parse_statm(&fixture("statm"), 4096).unwrap();
        assert_eq!(r.rss, 457 * 4096);
        assert_eq!(r.file_backed, Some(428 * 4096));
        assert_eq!(r.anonymous, Some((457 - 428) * 4096));
        assert_eq!(r.swap, None);
        assert_eq!(parse_statm("10 5", 4096).unwrap().anonymous, None);
        assert_eq!(parse_statm("10 5 9", 4096).unwrap().anonymous, Some(0));
    }

    #[test]
    fn malformed_and_empty_statm_are_none() {
        assert_eq!(parse_statm(&fixture("statm_malformed"), 4096), None);
        assert_eq!(parse_statm(&fixture("empty"), 4096), None);
        assert_eq!(parse_statm("1 18446744073709551615 0", 4096), None);
    }

    #[test]
    fn meminfo_gives_total_and_available() {
        let m = parse_meminfo(&fixture("meminfo")).unwrap();
        assert_eq!(m.total, Some(24_684_092 * 1024));
        assert_eq!(m.available, Some(24_221_632 * 1024));
        let old = parse_meminfo(&fixture("meminfo_no_available")).unwrap();
        assert_eq!((old.total, old.available), (Some(1_015_024 * 1024), None));
        assert_eq!(parse_meminfo(&fixture("empty")), None);
        assert_eq!(parse_meminfo(&fixture("smaps_rollup_malformed")), None);
    }

    #[test]
    fn pressure_lines_are_parsed() {
        let p = parse_pressure(&fixture("pressure_memory")).unwrap();
        let some = p.some.unwrap();
        let full = p.full.unwrap();
        assert_eq!(
            (some.avg10, some.avg60, some.avg300, some.total_us),
            (12.5, 3.2, 0.8, 1_234_567)
        );
        assert_eq!((full.avg10, full.total_us), (1.25, 234_567));
        assert_eq!(p.level, PressureLevel::Warning);
        let some_only = parse_pressure(&fixture("pressure_some_only")).unwrap();
        assert_eq!(
            (some_only.full, some_only.level),
            (None, PressureLevel::Normal)
        );
    }

    #[test]
    fn malformed_and_empty_pressure_are_none() {
        assert_eq!(parse_pressure(&fixture("pressure_malformed")), None);
        assert_eq!(parse_pressure(&fixture("empty")), None);
        assert_eq!(
            parse_pressure("some avg10=NaN avg60=0 avg300=0 total=0"),
            None
        );
        assert_eq!(
            parse_pressure("some avg10=-1 avg60=0 avg300=0 total=0"),
            None
        );
    }

    #[test]
    fn thresholds_pick_the_level() {
        let stall = |avg10| Stall {
            avg10,
            avg60: 0.0,
            avg300: 0.0,
            total_us: 0,
        };
        assert_eq!(level(&stall(9.99), None), PressureLevel::Normal);
        assert_eq!(level(&stall(10.0), None), PressureLevel::Warning);
        assert_eq!(
            level(&stall(10.0), Some(&stall(4.99))),
            PressureLevel::Warning
        );
        assert_eq!(
            level(&stall(0.0), Some(&stall(5.0))),
            PressureLevel::Critical
        );
    }
}
