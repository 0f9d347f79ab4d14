//! `--fail-on` and `--max-leaked`: which findings fail the command. Leaks (definite and
//! indirect) by default; growth only when asked, since it is reachable memory that may be
//! by design. `--max-leaked` lets a program leak up to a budget of bytes.

use leak_report::{Report, SiteKind};

use crate::exit_code::{GROWTH_FOUND, LEAKS_FOUND, SUCCESS};

/// The findings that fail the command.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct FailOn {
    pub(crate) definite: bool,
    pub(crate) indirect: bool,
    pub(crate) growth: bool,
    /// Leaked bytes (of the kinds above) that still pass: `--max-leaked`, 0 by default.
    pub(crate) max_leaked: u64,
}

impl Default for FailOn {
    fn default() -> Self {
        Self {
            definite: true,
            indirect: true,
            growth: false,
            max_leaked: 0,
        }
    }
}

/// What `--max-leaked` takes, for the messages.
pub(crate) const EXPECTED_BYTES: &str =
    "a number of bytes, optionally with a binary suffix: `4096`, `64k`, `1MiB`";

/// A byte count: digits, then optionally `k`, `m` or `g` (binary multiples, any case) and
/// an optional `B` or `iB`. `None` for anything else, or beyond `u64`.
pub(crate) fn parse_bytes(text: &str) -> Option<u64> {
    let text = text.trim();
    let digits = text.chars().take_while(char::is_ascii_digit).count();
    let (number, suffix) = text.split_at(digits);
    let number: u64 = number.parse().ok()?;
    let suffix = suffix.to_ascii_lowercase();
    let unit = suffix
        .strip_suffix("ib")
        .or_else(|| suffix.strip_suffix('b'))
        .unwrap_or(&suffix);
    let shift = match unit {
        "" if !suffix.ends_with("ib") => 0,
        "k" => 10,
        "m" => 20,
        "g" => 30,
        _ => return None,
    };
    number.checked_mul(1 << shift)
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
            max_leaked: 0,
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
                        max_leaked: 0,
                    };
                }
                _ => return None,
            }
        }
        Some(fail_on)
    }

    /// The same, letting up to `bytes` leaked bytes pass.
    pub(crate) fn with_max_leaked(self, bytes: u64) -> Self {
        Self {
            max_leaked: bytes,
            ..self
        }
    }

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

    /// The bytes of the sites whose kind fails the command (see [`FailOn::fails_site`]).
    pub(crate) fn failing_bytes(self, report: &Report) -> u64 {
        report
            .sites()
            .iter()
            .filter(|site| self.fails_site(site.kind))
            .fold(0, |sum, site| sum.saturating_add(site.bytes))
    }

    /// The exit code a report gives: [`LEAKS_FOUND`] when the leaks of the kinds it fails
    /// on (without the exit scan, everything live at exit) come to more than
    /// `max_leaked` bytes, else [`GROWTH_FOUND`] for growth when it fails on growth, else
    /// [`SUCCESS`].
    pub(crate) fn outcome(self, report: &Report) -> u8 {
        if self.failing_bytes(report) > self.max_leaked {
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
                growth: true,
                max_leaked: 0,
            }
        );
        let any = FailOn::parse("any").unwrap();
        assert!(any.definite && any.indirect && any.growth);
        for bad in ["", "leaks", "definite,", "growth;any"] {
            assert_eq!(FailOn::parse(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn byte_budgets_take_binary_suffixes() {
        for (text, bytes) in [
            ("0", 0),
            ("4096", 4096),
            ("64k", 65_536),
            ("64KiB", 65_536),
            ("64kb", 65_536),
            (" 1M ", 1 << 20),
            ("2g", 2 << 30),
            ("10B", 10),
        ] {
            assert_eq!(parse_bytes(text), Some(bytes), "{text:?}");
        }
        for bad in [
            "",
            "k",
            "-1",
            "1.5M",
            "12x",
            "10iB",
            "99999999999999999999",
            "17179869184g",
        ] {
            assert_eq!(parse_bytes(bad), None, "{bad:?}");
        }
    }
}
