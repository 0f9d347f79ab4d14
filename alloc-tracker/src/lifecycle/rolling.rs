//! The rolling profile (`MEMLEAK_SNAPSHOT_INTERVAL`): for long-running services, mostly
//! in the sampled mode, a snapshot profile replaced every interval at
//! `NAME.rolling.EXT` beside `MEMLEAK_OUT`, so that something outside the process can
//! ship the heap in use (converted to pprof by `cargo memleak report`) to a continuous
//! profiler while the program runs.
//!
//! The sampler thread writes it, between its ticks: it exists only with
//! `MEMLEAK_INTERVAL_MS` above 0, and the interval is rounded up to whole ticks. Each
//! write is atomic (a temporary file renamed over the last one), so a reader never sees
//! half a profile.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::config;
use crate::lifecycle::exit;

/// When the next rolling profile is due, if they are asked for.
pub(crate) struct Rolling {
    every: Duration,
    next: Instant,
}

impl Rolling {
    /// The schedule `MEMLEAK_SNAPSHOT_INTERVAL` asks for, the first write one interval
    /// from now; `None` when unset. A value that is not a duration says so on stderr
    /// once, and writes nothing.
    pub(crate) fn from_env() -> Option<Self> {
        let every = match config::snapshot_interval() {
            Ok(every) => every?,
            Err(value) => {
                let _ = writeln!(
                    std::io::stderr(),
                    "memleak: MEMLEAK_SNAPSHOT_INTERVAL={value:?} is not a duration (`30s`, \
                     `5m`, `500ms`, `1h`; a bare number is seconds); no rolling profile is \
                     written"
                );
                return None;
            }
        };
        Some(Self {
            every,
            next: Instant::now() + every,
        })
    }

    /// Writes the rolling profile if it is due, and schedules the next. Must run with
    /// the reentrancy guard held (on the sampler thread).
    pub(crate) fn write_if_due(&mut self, now: Instant) {
        if now < self.next {
            return;
        }
        self.next = now + self.every;
        let Some(path) = config::out_path() else {
            return;
        };
        if let Err(error) = exit::write_snapshot_now(&rolling_path(&path)) {
            let _ = writeln!(std::io::stderr(), "{error}");
        }
    }
}

/// `dir/profile.json` → `dir/profile.rolling.json`.
pub(crate) fn rolling_path(profile: &Path) -> PathBuf {
    let stem = profile.file_stem().unwrap_or_default().to_string_lossy();
    let name = match profile.extension() {
        Some(extension) => format!("{stem}.rolling.{}", extension.to_string_lossy()),
        None => format!("{stem}.rolling"),
    };
    profile.with_file_name(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_rolling_profile_is_beside_the_profile() {
        assert_eq!(
            rolling_path(Path::new("/t/memleak/app/profile.json")),
            PathBuf::from("/t/memleak/app/profile.rolling.json")
        );
        assert_eq!(rolling_path(Path::new("out")), PathBuf::from("out.rolling"));
    }
}
