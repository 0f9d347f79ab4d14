//! Growth: memory that keeps rising while the program runs, though still reachable (an
//! unbounded cache, a queue nobody drains). Found from the timeline's checkpoints, each
//! site's live bytes at a few moments, not from the blocks live at exit.
//!
//! Sites are summed by trimmed stack, as the report's sites are (the runtime's are left
//! out). Each gets a series: its live bytes at every checkpoint (0 where the checkpoint
//! does not list it), then at exit. The stack is **growing** when all of these hold:
//!
//! 1. the timeline has at least [`MIN_CHECKPOINTS`] checkpoints. The tracker takes them
//!    every 100 ms and at each step of heap activity (256 KiB allocated or freed at
//!    first, doubling as the run gets long), so a program of 30 ms has them too;
//! 2. the least-squares slope of bytes over time is positive (it is the reported rate);
//! 3. it mostly rises: of the steps between consecutive points, at least
//!    [`MIN_RISING_SHARE`] (80%) do not go down, and at least [`MIN_RISES`] (3) go up
//!    (one allocation that stays is a step, not growth);
//! 4. it did not fall back: the last value (at exit) is at least [`MIN_LAST_SHARE`] (90%)
//!    of the series' highest;
//! 5. it rose enough: the last value minus the first is at least [`MIN_RISE_BYTES`]
//!    (64 KiB) and at least [`MIN_RISE_SHARE`] (50%) of the last value;
//! 6. it was still rising late: from the series' middle point to the last, it rose by at
//!    least [`MIN_LATE_RISE_SHARE`] (25%) of the last value.
//!
//! A buffer that fills and is freed again (a sawtooth) fails 3 and 4; a steady state
//! fails 3; data built once (a table in a static, a cache filled at start-up) and kept
//! while the program works on fails 6, however many checkpoints saw it being built.
//! Growth is informational: it does not change whether the report has leaks, nor the
//! exit code. Suppressions do not apply to it.

use std::collections::HashMap;

use crate::profile::loaded::Profile;
use crate::profile::timeline::Checkpoint;
use crate::symbols::entry::StackEntry;
use crate::symbols::stack::SiteStack;

/// The fewest checkpoints growth is looked for in.
pub const MIN_CHECKPOINTS: usize = 4;
/// The share of steps that must not go down.
pub const MIN_RISING_SHARE: f64 = 0.8;
/// The fewest steps that must go up.
pub const MIN_RISES: usize = 3;
/// The last value must be at least this share of the highest.
pub const MIN_LAST_SHARE: f64 = 0.9;
/// The least rise, first value to last, in bytes: 64 KiB.
pub const MIN_RISE_BYTES: u64 = 64 * 1024;
/// The least rise, as a share of the last value.
pub const MIN_RISE_SHARE: f64 = 0.5;
/// The least rise from the series' middle point to its last, as a share of the last.
pub const MIN_LATE_RISE_SHARE: f64 = 0.25;

/// A stack whose live bytes kept rising while the program ran.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct GrowingSite {
    /// The least-squares rate over the checkpoints and exit, bytes per second.
    pub bytes_per_sec: f64,
    /// Live bytes at exit.
    pub live_bytes: u64,
    /// Live bytes at the first checkpoint.
    pub first_bytes: u64,
    /// The trimmed stack, innermost first, as in [`ReportSite`](crate::ReportSite).
    pub stack: Vec<StackEntry>,
}

/// How growth was looked for: over how many checkpoints and how long.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct GrowthWindow {
    /// Checkpoints in the timeline.
    pub checkpoints: usize,
    /// Nanoseconds from the first checkpoint to exit (0 without checkpoints).
    pub span_ns: u64,
}

impl GrowthWindow {
    /// Whether the timeline had enough checkpoints to look for growth at all
    /// (criterion 1).
    #[must_use]
    pub fn checked(&self) -> bool {
        self.checkpoints >= MIN_CHECKPOINTS
    }
}

/// The growing stacks of a profile, fastest first, and the window they were looked for
/// in. `stacks[i]` is the trimmed stack of profile site `i` (`None`: not needed, as it
/// appears in no checkpoint); `exit_bytes[i]` its live bytes at exit.
pub(crate) fn find_growth(
    profile: &Profile,
    stacks: &[Option<SiteStack>],
    exit_bytes: &[u64],
) -> (Vec<GrowingSite>, GrowthWindow) {
    let checkpoints: &[Checkpoint] = profile
        .timeline()
        .map_or(&[], |timeline| &timeline.checkpoints);
    let (Some(first), Some(last)) = (checkpoints.first(), checkpoints.last()) else {
        return (Vec::new(), GrowthWindow::default());
    };
    let exit_ns = profile.elapsed_ns().max(last.t_ns);
    let window = GrowthWindow {
        checkpoints: checkpoints.len(),
        span_ns: exit_ns - first.t_ns,
    };
    if !window.checked() {
        return (Vec::new(), window);
    }
    let times: Vec<f64> = checkpoints
        .iter()
        .map(|checkpoint| checkpoint.t_ns)
        .chain([exit_ns])
        .map(|t| (t - first.t_ns) as f64 / 1e9)
        .collect();
    let points = times.len();

    // One series per trimmed stack, in order of first appearance.
    let mut index: HashMap<&[StackEntry], usize> = HashMap::new();
    let mut series: Vec<(&[StackEntry], Vec<u64>)> = Vec::new();
    // Each site's group, found once: a site is in every checkpoint, and hashing its
    // whole stack each time made reports of 100,000 sites take seconds.
    let mut known: Vec<Option<Option<usize>>> = vec![None; stacks.len()];
    let mut group_of = |site: usize| -> Option<usize> {
        if let Some(&Some(group)) = known.get(site) {
            return group;
        }
        let stack = stacks.get(site)?.as_ref().filter(|stack| !stack.runtime);
        let group = stack.map(|stack| {
            let key = &stack.stack[..];
            *index.entry(key).or_insert_with(|| {
                series.push((key, vec![0; points]));
                series.len() - 1
            })
        });
        if let Some(slot) = known.get_mut(site) {
            *slot = Some(group);
        }
        group
    };
    let mut additions: Vec<(usize, usize, u64)> = Vec::new();
    for (at, checkpoint) in checkpoints.iter().enumerate() {
        for &(id, bytes) in &checkpoint.sites {
            if let Some(group) = profile.site_position(id).and_then(&mut group_of) {
                additions.push((group, at, bytes));
            }
        }
    }
    for (site, &bytes) in exit_bytes.iter().enumerate() {
        if bytes > 0
            && let Some(group) = group_of(site)
        {
            additions.push((group, points - 1, bytes));
        }
    }
    for (group, at, bytes) in additions {
        let value = &mut series[group].1[at];
        *value = value.saturating_add(bytes);
    }

    let mut growing: Vec<GrowingSite> = series
        .into_iter()
        .filter_map(|(stack, values)| {
            let bytes_per_sec = growth_rate(&times, &values)?;
            Some(GrowingSite {
                bytes_per_sec,
                live_bytes: *values.last()?,
                first_bytes: values[0],
                stack: stack.to_vec(),
            })
        })
        .collect();
    growing.sort_by(|a, b| {
        b.bytes_per_sec
            .total_cmp(&a.bytes_per_sec)
            .then_with(|| a.stack.cmp(&b.stack))
    });
    (growing, window)
}

/// The rate in bytes per second when the series (`values` at `times`, seconds) passes
/// criteria 2 to 6 of the module docs; `None` otherwise.
pub(crate) fn growth_rate(times: &[f64], values: &[u64]) -> Option<f64> {
    let (&first, &last) = (values.first()?, values.last()?);
    let steps = values.len().checked_sub(1).filter(|&steps| steps > 0)?;
    let not_down = values.windows(2).filter(|pair| pair[1] >= pair[0]).count();
    let rises = values.windows(2).filter(|pair| pair[1] > pair[0]).count();
    if (not_down as f64) < MIN_RISING_SHARE * steps as f64 || rises < MIN_RISES {
        return None;
    }
    let highest = values.iter().copied().max()?;
    if (last as f64) < MIN_LAST_SHARE * highest as f64 {
        return None;
    }
    let rise = last.saturating_sub(first);
    if rise < MIN_RISE_BYTES || (rise as f64) < MIN_RISE_SHARE * last as f64 {
        return None;
    }
    let middle = values.get(values.len() / 2).copied().unwrap_or(first);
    if (last.saturating_sub(middle) as f64) < MIN_LATE_RISE_SHARE * last as f64 {
        return None;
    }
    let slope = slope(times, values)?;
    (slope > 0.0).then_some(slope)
}

/// The least-squares slope of `values` over `times`; `None` when the times do not vary.
fn slope(times: &[f64], values: &[u64]) -> Option<f64> {
    let n = times.len().min(values.len()) as f64;
    let mean_t = times.iter().sum::<f64>() / n;
    let mean_v = values.iter().map(|&v| v as f64).sum::<f64>() / n;
    let (mut covariance, mut variance) = (0.0, 0.0);
    for (&t, &v) in times.iter().zip(values) {
        covariance += (t - mean_t) * (v as f64 - mean_v);
        variance += (t - mean_t) * (t - mean_t);
    }
    (variance > 0.0).then(|| covariance / variance)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Times 0, 0.1, 0.2, ... seconds.
    fn every_100ms(values: &[u64]) -> Option<f64> {
        let times: Vec<f64> = (0..values.len()).map(|i| i as f64 / 10.0).collect();
        growth_rate(&times, values)
    }

    const K: u64 = 1024;

    #[test]
    fn a_steady_rise_is_growth_at_its_slope() {
        let values: Vec<u64> = (0..10).map(|i| i * 50 * K).collect();
        let rate = every_100ms(&values).unwrap();
        assert!((rate - 500.0 * K as f64).abs() < 1e-6, "{rate}");
        // Flat steps between rises are fine; so is one dip in five steps.
        assert!(every_100ms(&[0, 100 * K, 100 * K, 200 * K, 200 * K, 300 * K]).is_some());
        assert!(every_100ms(&[0, 100 * K, 90 * K, 200 * K, 250 * K, 300 * K]).is_some());
    }

    #[test]
    fn what_is_not_growth() {
        let cases: [(&str, &[u64]); 9] = [
            (
                "falls back at the end",
                &[0, 100 * K, 200 * K, 300 * K, 400 * K, 0],
            ),
            (
                "fell to under 90% of its peak",
                &[0, 100 * K, 200 * K, 400 * K, 400 * K, 350 * K],
            ),
            ("a sawtooth", &[0, 90 * K, 0, 90 * K, 0, 90 * K, 0, 90 * K]),
            (
                "two dips in six steps",
                &[0, 100 * K, 50 * K, 200 * K, 150 * K, 300 * K, 400 * K],
            ),
            ("one step that stays", &[0, 0, 0, 500 * K, 500 * K, 500 * K]),
            (
                "too small a rise",
                &[0, 10 * K, 20 * K, 30 * K, 40 * K, 50 * K],
            ),
            (
                "big but mostly there from the start",
                &[900 * K, 920 * K, 940 * K, 960 * K, 980 * K, 1000 * K],
            ),
            ("one point", &[100 * K]),
            (
                "built in steps, then kept",
                &[
                    0,
                    100 * K,
                    200 * K,
                    300 * K,
                    300 * K,
                    300 * K,
                    300 * K,
                    300 * K,
                ],
            ),
        ];
        for (what, values) in cases {
            assert_eq!(every_100ms(values), None, "{what}");
        }
        assert_eq!(
            growth_rate(&[1.0; 6], &[0, K, 2 * K, 3 * K, 400 * K, 500 * K]),
            None
        );
        assert_eq!(growth_rate(&[], &[]), None);
    }

    #[test]
    fn thresholds_are_inclusive() {
        // Exactly 64 KiB of rise, exactly 50% of the last value, exactly 80% not down.
        let values = [64 * K, 70 * K, 60 * K, 80 * K, 100 * K, 128 * K];
        assert!(every_100ms(&values).is_some());
        let values = [64 * K + 1, 70 * K, 60 * K, 80 * K, 100 * K, 128 * K];
        assert!(every_100ms(&values).is_none(), "rise one byte short");
        // The last value exactly 90% of the highest.
        let values = [0, 20 * K, 40 * K, 60 * K, 100 * K, 90 * K];
        assert!(every_100ms(&values).is_some());
        // Exactly 25% of the last value from the middle point on.
        let values = [0, 100 * K, 200 * K, 300 * K, 350 * K, 400 * K];
        assert!(every_100ms(&values).is_some());
        let values = [0, 100 * K, 200 * K, 300 * K + 1, 350 * K, 400 * K];
        assert!(every_100ms(&values).is_none(), "late rise one byte short");
    }
}
