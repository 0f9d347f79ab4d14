//! One side of a comparison: what a run leaked, held at exit and peaked at, in all and
//! by stack, from a report built from a profile or from a `report.json` file.

use std::collections::BTreeMap;
use std::path::Path;

use serde::Deserialize;

use crate::error::Error;
use crate::model::{Amount, Origin, SiteKind};
use crate::profile::loaded::Profile;
use crate::report::model::Report;
use crate::symbols::entry::StackEntry;
use crate::symbols::stack::analyse_site;

/// A run's figures, as [`compare`](crate::compare) compares them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct DiffSide {
    /// The leaks (definite and indirect; without a scan, everything live at exit but
    /// the runtime's; nothing under sampling, where nothing is called a leak).
    pub leaked: Amount,
    /// Everything live at exit but the runtime's.
    pub live: Amount,
    /// The most bytes live at once, and the blocks then.
    pub peak: Amount,
    /// The stacks, by [`DiffSite::key`]: sites of one trimmed stack but different kinds
    /// are one entry.
    pub sites: Vec<DiffSite>,
}

/// One stack's figures in a run.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct DiffSite {
    /// The trimmed stack, innermost first.
    pub stack: Vec<StackEntry>,
    /// Where the blocks came from.
    pub origin: Origin,
    /// Its leaks.
    pub leaked: Amount,
    /// Its blocks live at exit, leaks included.
    pub live: Amount,
    /// The most bytes it held at once; `None` from a `report.json`, which does not say.
    pub peak_bytes: Option<u64>,
}

impl DiffSite {
    /// What matches a site across two runs: its origin and its functions, innermost
    /// first. Not lines: an edit above a leak moves it without making it another leak.
    #[must_use]
    pub fn key(&self) -> (Origin, Vec<&str>) {
        (
            self.origin,
            self.stack
                .iter()
                .map(|entry| entry.function.as_str())
                .collect(),
        )
    }
}

impl DiffSide {
    /// The figures of a report, with each stack's peak when its `profile` is given.
    #[must_use]
    pub fn from_report(report: &Report, profile: Option<&Profile>) -> Self {
        let sampled = report.sampling().is_some();
        let mut side = Collector::default();
        for site in report.sites() {
            let amount = Amount::new(site.bytes, site.blocks);
            side.add_live(&site.stack, site.origin, site.kind, amount, sampled);
        }
        if let Some(profile) = profile {
            for site in profile.sites() {
                let analysed = analyse_site(profile, site);
                let peak = Some(site.peak_live_bytes);
                let none = Amount::default();
                side.add(&analysed.stack, analysed.origin, none, none, peak);
            }
        }
        let summary = report.summary();
        side.finish(summary.peak_live)
    }

    /// The figures of a `report.json` (docs/report-json.md), `bytes` read from `path`.
    ///
    /// # Errors
    /// [`Error::InvalidReport`] when it is not JSON, not a `memleak-report`, or lacks a
    /// field the comparison reads (named by its path).
    pub fn from_report_json(path: &Path, bytes: &[u8]) -> Result<Self, Error> {
        let invalid = |message: String| Error::InvalidReport {
            path: path.to_owned(),
            message,
        };
        let deserializer = &mut serde_json::Deserializer::from_slice(bytes);
        let json: ReportJson = serde_path_to_error::deserialize(deserializer)
            .map_err(|e| invalid(format!("`{}`: {}", e.path(), e.inner())))?;
        if json.format != crate::render::json::report::REPORT_FORMAT {
            return Err(invalid(format!(
                "expected format \"{}\", found \"{}\"",
                crate::render::json::report::REPORT_FORMAT,
                json.format
            )));
        }
        let sampled = json.sampling.is_some_and(|value| !value.is_null());
        let mut side = Collector::default();
        for site in json.sites {
            let Some(kind) = SiteKind::from_json_name(&site.kind) else {
                return Err(invalid(format!("unknown site kind \"{}\"", site.kind)));
            };
            let origin = match site.origin.as_deref() {
                Some("native") => Origin::Native,
                _ => Origin::Rust,
            };
            let stack: Vec<StackEntry> = site
                .stack
                .into_iter()
                .map(|entry| StackEntry {
                    function: entry.function,
                    file: entry.file,
                    line: entry.line,
                    ip: entry.ip,
                })
                .collect();
            let amount = Amount::new(site.bytes, site.blocks);
            side.add_live(&stack, origin, kind, amount, sampled);
        }
        let peak = json.summary.peak_live;
        Ok(side.finish(Amount::new(peak.bytes, peak.blocks)))
    }
}

/// Sums sites by key.
#[derive(Default)]
struct Collector {
    sites: BTreeMap<(Origin, Vec<String>), DiffSite>,
}

impl Collector {
    /// Adds a site live at exit of `kind`: the runtime's are left out, and under
    /// sampling nothing is a leak.
    fn add_live(
        &mut self,
        stack: &[StackEntry],
        origin: Origin,
        kind: SiteKind,
        amount: Amount,
        sampled: bool,
    ) {
        if kind == SiteKind::Runtime {
            return;
        }
        let leaked = if kind.is_leak() && !sampled {
            amount
        } else {
            Amount::default()
        };
        self.add(stack, origin, leaked, amount, None);
    }

    fn add(
        &mut self,
        stack: &[StackEntry],
        origin: Origin,
        leaked: Amount,
        live: Amount,
        peak_bytes: Option<u64>,
    ) {
        let key = (
            origin,
            stack.iter().map(|entry| entry.function.clone()).collect(),
        );
        let site = self.sites.entry(key).or_insert_with(|| DiffSite {
            stack: stack.to_vec(),
            origin,
            ..DiffSite::default()
        });
        site.leaked.add(leaked);
        site.live.add(live);
        if let Some(peak) = peak_bytes {
            site.peak_bytes = Some(site.peak_bytes.unwrap_or(0).saturating_add(peak));
        }
    }

    fn finish(self, peak: Amount) -> DiffSide {
        let sites: Vec<DiffSite> = self.sites.into_values().collect();
        let mut side = DiffSide {
            peak,
            ..DiffSide::default()
        };
        for site in &sites {
            side.leaked.add(site.leaked);
            side.live.add(site.live);
        }
        side.sites = sites;
        side
    }
}

/// The part of `report.json` a comparison reads; the rest is ignored.
#[derive(Deserialize)]
struct ReportJson {
    format: String,
    summary: SummaryJson,
    #[serde(default)]
    sampling: Option<serde_json::Value>,
    sites: Vec<SiteJson>,
}

#[derive(Deserialize)]
struct SummaryJson {
    peak_live: AmountJson,
}

#[derive(Deserialize)]
struct AmountJson {
    bytes: u64,
    blocks: u64,
}

#[derive(Deserialize)]
struct SiteJson {
    kind: String,
    #[serde(default)]
    origin: Option<String>,
    bytes: u64,
    blocks: u64,
    stack: Vec<EntryJson>,
}

#[derive(Deserialize)]
struct EntryJson {
    function: String,
    file: Option<String>,
    line: Option<u64>,
    #[serde(default)]
    ip: Option<u64>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::findings::ProgramInfo;
    use crate::render::json::report::to_json;
    use crate::testing::leaky;

    #[test]
    fn a_report_and_its_report_json_give_the_same_figures_but_peaks() {
        let profile = leaky();
        let report = Report::build(&profile, ProgramInfo::from_profile(&profile));
        let json = serde_json::to_vec(&to_json(&report)).unwrap();
        let from_json = DiffSide::from_report_json(Path::new("/r.json"), &json).unwrap();
        let from_report = DiffSide::from_report(&report, None);
        assert_eq!(from_json, from_report);
        assert_eq!(
            from_json.leaked,
            Amount::new(report.leaked_bytes(), report.leaked_blocks())
        );
        assert_eq!(from_json.peak, report.summary().peak_live);
        assert!(from_json.sites.iter().all(|site| site.peak_bytes.is_none()));
        // With the profile, every stack that allocated has its peak.
        let with_peaks = DiffSide::from_report(&report, Some(&profile));
        let leak_some = with_peaks
            .sites
            .iter()
            .find(|site| site.stack[0].function == "leaky::leak_some")
            .unwrap();
        assert_eq!(leak_some.leaked, Amount::new(6400, 100));
        assert_eq!(leak_some.peak_bytes, Some(6400));
    }

    #[test]
    fn bad_report_json_is_named() {
        let cases: [(&str, &str); 4] = [
            ("{", "EOF"),
            (
                r#"{"format": "memleak-profile", "summary": {"peak_live": {"bytes": 1, "blocks": 1}}, "sites": []}"#,
                "expected format",
            ),
            (r#"{"format": "memleak-report", "sites": []}"#, "summary"),
            (
                r#"{"format": "memleak-report", "summary": {"peak_live": {"bytes": 1, "blocks": 1}}, "sites": [{"kind": "odd", "bytes": 1, "blocks": 1, "stack": []}]}"#,
                "odd",
            ),
        ];
        for (text, expected) in cases {
            let error =
                DiffSide::from_report_json(Path::new("/r.json"), text.as_bytes()).unwrap_err();
            let message = error.to_string();
            assert!(
                message.contains("/r.json") && message.contains(expected),
                "{text}: {message}"
            );
        }
    }
}
