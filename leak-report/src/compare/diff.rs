//! Two runs compared: the change in leaked, live and peak bytes, in all and per stack,
//! and whether the second regressed against the first.

use std::collections::HashMap;

use crate::compare::side::{DiffSide, DiffSite};
use crate::model::Amount;
use crate::symbols::entry::StackEntry;

/// What changed from a base run to a new one.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Diff {
    /// The base run's totals (its sites are in [`sites`](Self::sites)).
    pub base: Totals,
    /// The new run's totals.
    pub new: Totals,
    /// Every stack of either run, the biggest change first (leaked bytes, then live, then
    /// peak; then by stack, so the order is stable).
    pub sites: Vec<SiteChange>,
}

/// A run's totals.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Totals {
    /// Leaked.
    pub leaked: Amount,
    /// Live at exit, the runtime's left out.
    pub live: Amount,
    /// The peak.
    pub peak: Amount,
}

/// One stack in both runs; a side without it has zeros (and no peak).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct SiteChange {
    /// The stack as the new run has it (the base's, for a stack gone).
    pub stack: Vec<StackEntry>,
    /// In the base run.
    pub base: DiffSite,
    /// In the new run.
    pub new: DiffSite,
    /// Whether the base run had the stack at all.
    pub in_base: bool,
    /// Whether the new run has it.
    pub in_new: bool,
}

impl SiteChange {
    /// New leaked bytes minus base leaked bytes.
    #[must_use]
    pub fn leaked_change(&self) -> i128 {
        i128::from(self.new.leaked.bytes) - i128::from(self.base.leaked.bytes)
    }

    /// New live bytes minus base live bytes.
    #[must_use]
    pub fn live_change(&self) -> i128 {
        i128::from(self.new.live.bytes) - i128::from(self.base.live.bytes)
    }

    /// New peak minus base peak, when both runs say.
    #[must_use]
    pub fn peak_change(&self) -> Option<i128> {
        Some(i128::from(self.new.peak_bytes?) - i128::from(self.base.peak_bytes?))
    }

    /// Whether it leaks in the new run and did not in the base.
    #[must_use]
    pub fn is_new_leak(&self) -> bool {
        self.new.leaked.bytes > 0 && self.base.leaked.bytes == 0
    }
}

/// How much growth is tolerated before a run counts as regressed.
#[derive(Debug, Clone, Copy, PartialEq)]
#[non_exhaustive]
pub enum Threshold {
    /// More than this many bytes.
    Bytes(u64),
    /// More than this percentage of the base figure (any growth from 0).
    Percent(f64),
}

impl Threshold {
    /// Whether going from `base` to `new` grows by more than the threshold.
    #[must_use]
    pub fn exceeded(self, base: u64, new: u64) -> bool {
        let Some(growth) = new.checked_sub(base).filter(|&growth| growth > 0) else {
            return false;
        };
        match self {
            Self::Bytes(bytes) => growth > bytes,
            Self::Percent(percent) => growth as f64 > base as f64 * percent / 100.0,
        }
    }
}

/// Why a run regressed.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Regression {
    /// A stack leaks that did not: index into [`Diff::sites`]. Always a regression,
    /// whatever the threshold: a known leak may grow a little, a new one is new.
    NewLeak(usize),
    /// The leaked bytes grew by more than the threshold.
    Leaked {
        /// Base.
        base: u64,
        /// New.
        new: u64,
    },
    /// The peak grew by more than the threshold.
    Peak {
        /// Base.
        base: u64,
        /// New.
        new: u64,
    },
}

/// Compares two runs stack by stack (stacks match by origin and functions, see
/// [`DiffSite::key`]).
#[must_use]
pub fn compare(base: &DiffSide, new: &DiffSide) -> Diff {
    let mut sites: Vec<SiteChange> = Vec::new();
    let mut index: HashMap<_, usize> = HashMap::new();
    for site in &base.sites {
        index.insert(site.key(), sites.len());
        sites.push(SiteChange {
            stack: site.stack.clone(),
            base: site.clone(),
            new: empty_like(site),
            in_base: true,
            in_new: false,
        });
    }
    for site in &new.sites {
        match index.get(&site.key()) {
            Some(&at) => {
                let change = &mut sites[at];
                change.stack = site.stack.clone();
                change.new = site.clone();
                change.in_new = true;
            }
            None => sites.push(SiteChange {
                stack: site.stack.clone(),
                base: empty_like(site),
                new: site.clone(),
                in_base: false,
                in_new: true,
            }),
        }
    }
    sites.sort_by(|a, b| {
        let size = |change: &SiteChange| {
            (
                change.leaked_change().abs(),
                change.live_change().abs(),
                change.peak_change().map_or(0, i128::abs),
            )
        };
        size(b).cmp(&size(a)).then_with(|| a.stack.cmp(&b.stack))
    });
    let totals = |side: &DiffSide| Totals {
        leaked: side.leaked,
        live: side.live,
        peak: side.peak,
    };
    Diff {
        base: totals(base),
        new: totals(new),
        sites,
    }
}

/// A side's site with nothing in it: what the other side has where it has nothing.
fn empty_like(site: &DiffSite) -> DiffSite {
    DiffSite {
        stack: site.stack.clone(),
        origin: site.origin,
        ..DiffSite::default()
    }
}

impl Diff {
    /// Why the new run regressed against the base, `threshold` applied to the leaked
    /// bytes and the peak; empty when it did not.
    #[must_use]
    pub fn regressions(&self, threshold: Threshold) -> Vec<Regression> {
        let mut found: Vec<Regression> = self
            .sites
            .iter()
            .enumerate()
            .filter(|(_, site)| site.is_new_leak())
            .map(|(at, _)| Regression::NewLeak(at))
            .collect();
        let (base, new) = (self.base.leaked.bytes, self.new.leaked.bytes);
        if threshold.exceeded(base, new) {
            found.push(Regression::Leaked { base, new });
        }
        let (base, new) = (self.base.peak.bytes, self.new.peak.bytes);
        if threshold.exceeded(base, new) {
            found.push(Regression::Peak { base, new });
        }
        found
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::findings::ProgramInfo;
    use crate::report::model::Report;
    use crate::testing::{on_main, profile};

    /// The figures of a profile without a scan whose site `i` has `sites[i]`: a
    /// function called from `main`, and its live blocks' sizes (all leaks).
    fn side(sites: &[(&str, &[u64])]) -> DiffSide {
        let stacks: Vec<Vec<&str>> = sites.iter().map(|(f, _)| on_main(&[f])).collect();
        let built: Vec<(&[&str], &[u64])> = stacks
            .iter()
            .zip(sites)
            .map(|(stack, (_, sizes))| (stack.as_slice(), *sizes))
            .collect();
        let profile = profile(&built);
        let report = Report::build(&profile, ProgramInfo::from_profile(&profile));
        DiffSide::from_report(&report, Some(&profile))
    }

    #[test]
    fn a_run_against_itself_has_no_change_and_no_regression() {
        let run = side(&[("app::keep", &[100, 28]), ("app::other", &[8])]);
        let diff = compare(&run, &run);
        assert_eq!(diff.base, diff.new);
        assert_eq!(diff.new.leaked, Amount::new(136, 3));
        assert!(
            diff.sites
                .iter()
                .all(|site| site.leaked_change() == 0 && site.in_base && site.in_new)
        );
        assert_eq!(diff.regressions(Threshold::Bytes(0)), []);
    }

    #[test]
    fn a_new_leak_regresses_whatever_the_threshold_and_is_listed_first() {
        let base = side(&[("app::keep", &[100])]);
        let new = side(&[("app::keep", &[100]), ("app::lose", &[50, 50])]);
        let diff = compare(&base, &new);
        let first = &diff.sites[0];
        assert_eq!(first.stack[0].function, "app::lose");
        assert!(first.is_new_leak() && !first.in_base && first.in_new);
        assert_eq!(first.new.leaked, Amount::new(100, 2));
        assert_eq!(first.leaked_change(), 100);
        assert_eq!(
            diff.regressions(Threshold::Bytes(1 << 20)),
            [Regression::NewLeak(0)]
        );
        assert_eq!(
            diff.regressions(Threshold::Percent(50.0)),
            [
                Regression::NewLeak(0),
                Regression::Leaked {
                    base: 100,
                    new: 200
                },
                Regression::Peak {
                    base: 100,
                    new: 200
                },
            ]
        );
        // The other way round, the leak is fixed: nothing regressed.
        let fixed = compare(&new, &base);
        assert!(!fixed.sites[0].in_new);
        assert_eq!(fixed.sites[0].leaked_change(), -100);
        assert_eq!(fixed.regressions(Threshold::Bytes(0)), []);
    }

    #[test]
    fn a_known_leak_that_grows_regresses_past_the_threshold_only() {
        let base = side(&[("app::keep", &[100])]);
        let new = side(&[("app::keep", &[100, 10])]);
        let diff = compare(&base, &new);
        assert_eq!(diff.sites.len(), 1);
        assert_eq!(diff.sites[0].leaked_change(), 10);
        assert_eq!(diff.regressions(Threshold::Bytes(10)), []);
        assert_eq!(diff.regressions(Threshold::Percent(10.0)), []);
        assert_eq!(
            diff.regressions(Threshold::Bytes(9))[0],
            Regression::Leaked {
                base: 100,
                new: 110
            }
        );
        assert!(!diff.regressions(Threshold::Percent(9.9)).is_empty());
    }

    #[test]
    fn thresholds() {
        assert!(!Threshold::Bytes(0).exceeded(5, 5));
        assert!(!Threshold::Bytes(0).exceeded(5, 4));
        assert!(Threshold::Bytes(0).exceeded(5, 6));
        assert!(Threshold::Percent(10.0).exceeded(0, 1));
        assert!(!Threshold::Percent(10.0).exceeded(1000, 1100));
        assert!(Threshold::Percent(10.0).exceeded(1000, 1101));
        assert!(!Threshold::Bytes(u64::MAX).exceeded(0, u64::MAX));
    }
}
