//! `--fail-on`: which findings fail the command. Leaks (definite and indirect) by
//! default; growth only when asked, since it is reachable memory that may be by design.

use leak_report::{Report, SiteKind};

use crate::exit_code::{GROWTH_FOUND, LEAKS_FOUND, SUCCESS};

/// The findings that fail the command.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct FailOn {
    pub(crate) definite: bool,
    pub(crate) indirect: bool,
    pub(crate) growth: bool,
}

impl Default for FailOn {
    fn default() -> Self {
        Self {
            definite: true,
            indirect: true,
            growth: false,
        }
    }
}

/// What `--fail-on` takes, for the messages.
pub(crate) const EXPECTED: &str =
    "a comma-separated list of `definite`, `indirect`, `growth`, or `any` for all three";

impl FailOn {
    /// Parses `definite,growth`, `any`, ...: the list replaces the default. `None` when a
    /// name is unknown or the list is empty.
    pub(crate) fn parse(text: &str) -> Option<Self> {
        let mut fail_on = Self {
            definite: false,
            indirect: false,
            growth: false,
        };
        for name in text.split(',').map(str::trim) {
            match name {
                "definite" => fail_on.definite = true,
                "indirect" => fail_on.indirect = true,
                "growth" => fail_on.growth = true,
                "any" => {
                    fail_on = Self {
                        definite: true,
                        indirect: true,
                        growth: true,
                    };
                }
                _ => return None,
            }
        }
        Some(fail_on)
    }

    /// The exit code a report gives: [`LEAKS_FOUND`] for a leak of a kind it fails on
    /// (without the exit scan, any block live at exit, as `has_leaks` says), else
    /// [`GROWTH_FOUND`] for growth when it fails on growth, else [`SUCCESS`].
    /// Whether a site of this kind is one of the leaks that fail the command.
    pub(crate) fn fails_site(self, kind: SiteKind) -> bool {
        match kind {
            SiteKind::Definite => self.definite,
            SiteKind::Indirect => self.indirect,
            // Without the exit scan, what is live at exit is the leak figure.
            SiteKind::LiveAtExit => self.definite || self.indirect,
            _ => false,
        }
    }

    pub(crate) fn outcome(self, report: &Report) -> u8 {
        let found = |kind: SiteKind| report.sites_of(kind).next().is_some();
        let leaks = if report.reachability().is_some() {
            (self.definite && found(SiteKind::Definite))
                || (self.indirect && found(SiteKind::Indirect))
        } else {
            (self.definite || self.indirect) && report.has_leaks()
        };
        if leaks {
            LEAKS_FOUND
        } else if self.growth && !report.growth().is_empty() {
            GROWTH_FOUND
        } else {
            SUCCESS
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_list_replaces_the_default_and_any_means_all() {
        assert_eq!(
            FailOn::default(),
            FailOn::parse("definite,indirect").unwrap()
        );
        let growth = FailOn::parse("growth").unwrap();
        assert!(growth.growth && !growth.definite && !growth.indirect);
        assert_eq!(
            FailOn::parse(" definite , growth ").unwrap(),
            FailOn {
                definite: true,
                indirect: false,
                growth: true
            }
        );
        let any = FailOn::parse("any").unwrap();
        assert!(any.definite && any.indirect && any.growth);
        for bad in ["", "leaks", "definite,", "growth;any"] {
            assert_eq!(FailOn::parse(bad), None, "{bad:?}");
        }
    }
}
