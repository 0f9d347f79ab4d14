//! `report.json`, for CI: the stable, versioned schema of `docs/report-json.md`.

use std::io;

use serde::Serialize;
use serde_json::Value;

use crate::analysis::findings::{ReportCycle, ReportSite, ReportSuppression};
use crate::model::{Amount, SiteKind};
use crate::profile::footprint::Footprint;
use crate::profile::loaded::Reachability;
use crate::profile::sampling::Sampling;
use crate::render::json::entry::WireEntry;
use crate::render::json::memory::wire_timeline;
use crate::render::json::memory::{WireGrowth, WireMemoryLayers, WireTimeline};
use crate::report::model::Report;

/// The `format` value of `report.json`.
pub const REPORT_FORMAT: &str = "memleak-report";

/// The `version` of `report.json` this crate writes. Version 2 gave `layers` its
/// `at_peak`/`at_exit` shape (see `docs/report-json.md`).
pub const REPORT_VERSION: u64 = 2;

/// report.json as a value (see `docs/report-json.md`). Every site is included, runtime
/// ones too, in the report's order.
#[must_use]
pub fn to_json(report: &Report) -> Value {
    // Serializing plain structs with string keys into a `Value` cannot fail.
    serde_json::to_value(wire(report)).unwrap_or(Value::Null)
}

/// report.json, pretty-printed, with a trailing newline. Keys come in the documented
/// order (`format`, `version`, `program`, `summary`, `reachability`, `sampling`, `footprint`,
/// `layers`, `timeline`, `growth`, `sites`, `cycles`, `suppressed`), not sorted.
///
/// # Errors
/// Write errors.
pub fn write_json(report: &Report, out: &mut dyn io::Write) -> io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, &wire(report))?;
    out.write_all(b"\n")
}

fn wire(report: &Report) -> Wire<'_> {
    let program = report.program();
    let summary = report.summary();
    let scanned = report.reachability().is_some();
    Wire {
        format: REPORT_FORMAT,
        version: REPORT_VERSION,
        program: WireProgram {
            exe: &program.exe,
            args: &program.args,
            exit_code: program.exit_code,
            exit_signal: program.exit_signal,
            build: program.build(),
            mode: report.mode().name(),
            own_allocator: report.own_allocator(),
            unsymbolized: report
                .symbol_warnings()
                .iter()
                .map(|warning| WireUnsymbolized {
                    module: &warning.module,
                    frames: warning.frames,
                    rebuilt: warning.is_rebuilt(),
                    message: warning.to_string(),
                })
                .collect(),
        },
        summary: WireSummary {
            live_at_exit: summary.live_at_exit.into(),
            total_allocated: summary.total_allocated.into(),
            peak_live: summary.peak_live.into(),
            runtime: summary.runtime.into(),
            definite: scanned.then(|| summary.definite.into()),
            indirect: scanned.then(|| summary.indirect.into()),
            reachable: scanned.then(|| summary.reachable.into()),
            cycles: scanned.then_some(summary.cycles),
            suppressed: summary.suppressed.into(),
        },
        reachability: report.reachability().map(WireReachability::from),
        sampling: report.sampling(),
        footprint: report.footprint(),
        layers: WireMemoryLayers::from(report.layers()),
        timeline: wire_timeline(report),
        growth: report.growth().iter().map(WireGrowth::from).collect(),
        sites: report.sites().iter().map(WireSite::from).collect(),
        cycles: report.cycles().iter().map(WireCycle::from).collect(),
        suppressed: report
            .suppressed()
            .iter()
            .map(WireSuppressed::from)
            .collect(),
    }
}

/// The document, field for field as in `docs/report-json.md`.
#[derive(Serialize)]
struct Wire<'a> {
    format: &'static str,
    version: u64,
    program: WireProgram<'a>,
    summary: WireSummary,
    reachability: Option<WireReachability>,
    sampling: Option<Sampling>,
    footprint: Option<&'a Footprint>,
    layers: WireMemoryLayers<'a>,
    timeline: Option<WireTimeline>,
    growth: Vec<WireGrowth<'a>>,
    sites: Vec<WireSite<'a>>,
    cycles: Vec<WireCycle>,
    suppressed: Vec<WireSuppressed<'a>>,
}

#[derive(Serialize)]
struct WireProgram<'a> {
    exe: &'a str,
    args: &'a [String],
    exit_code: Option<i32>,
    exit_signal: Option<i32>,
    build: Option<&'a str>,
    mode: &'static str,
    own_allocator: Option<&'a str>,
    unsymbolized: Vec<WireUnsymbolized<'a>>,
}

#[derive(Serialize)]
struct WireUnsymbolized<'a> {
    module: &'a str,
    frames: usize,
    rebuilt: bool,
    message: String,
}

#[derive(Serialize)]
struct WireSummary {
    live_at_exit: WireAmount,
    total_allocated: WireAmount,
    peak_live: WireAmount,
    runtime: WireAmount,
    definite: Option<WireAmount>,
    indirect: Option<WireAmount>,
    reachable: Option<WireAmount>,
    cycles: Option<u64>,
    suppressed: WireAmount,
}

#[derive(Serialize)]
struct WireReachability {
    complete: bool,
    threads: u64,
    root_bytes: u64,
    bytes_scanned: u64,
    scan_ns: u64,
}

impl From<&Reachability> for WireReachability {
    fn from(scan: &Reachability) -> Self {
        Self {
            complete: scan.complete,
            threads: scan.threads,
            root_bytes: scan.root_bytes,
            bytes_scanned: scan.bytes_scanned,
            scan_ns: scan.scan_ns,
        }
    }
}

#[derive(Serialize)]
struct WireAmount {
    bytes: u64,
    blocks: u64,
}

impl From<Amount> for WireAmount {
    fn from(amount: Amount) -> Self {
        Self {
            bytes: amount.bytes,
            blocks: amount.blocks,
        }
    }
}

#[derive(Serialize)]
struct WireSite<'a> {
    kind: &'static str,
    origin: &'static str,
    bytes: u64,
    blocks: u64,
    /// Only on indirect sites.
    #[serde(skip_serializing_if = "Option::is_none")]
    in_cycles: Option<WireAmount>,
    stack: Vec<WireEntry<'a>>,
}

impl<'a> From<&'a ReportSite> for WireSite<'a> {
    fn from(site: &'a ReportSite) -> Self {
        Self {
            kind: site.kind.as_str(),
            origin: site.origin.name(),
            bytes: site.bytes,
            blocks: site.blocks,
            in_cycles: (site.kind == SiteKind::Indirect).then(|| site.in_cycles.into()),
            stack: site.stack.iter().map(WireEntry::from).collect(),
        }
    }
}

#[derive(Serialize)]
struct WireCycle {
    count: u64,
    bytes: u64,
    blocks: u64,
    members: Vec<WireMember>,
}

#[derive(Serialize)]
struct WireMember {
    site: usize,
    bytes: u64,
    blocks: u64,
}

impl From<&ReportCycle> for WireCycle {
    fn from(cycle: &ReportCycle) -> Self {
        Self {
            count: cycle.count,
            bytes: cycle.bytes,
            blocks: cycle.blocks,
            members: cycle
                .members
                .iter()
                .map(|member| WireMember {
                    site: member.site,
                    bytes: member.bytes,
                    blocks: member.blocks,
                })
                .collect(),
        }
    }
}

#[derive(Serialize)]
struct WireSuppressed<'a> {
    function: &'a str,
    kind: Option<&'static str>,
    reason: Option<&'a str>,
    line: usize,
    bytes: u64,
    blocks: u64,
}

impl<'a> From<&'a ReportSuppression> for WireSuppressed<'a> {
    fn from(entry: &'a ReportSuppression) -> Self {
        let suppression = &entry.suppression;
        Self {
            function: &suppression.function,
            kind: suppression.kind.map(SiteKind::as_str),
            reason: suppression.reason.as_deref(),
            line: suppression.line,
            bytes: entry.hidden.bytes,
            blocks: entry.hidden.blocks,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::findings::ProgramInfo;
    use crate::testing::leaky;
    use serde_json::json;

    fn leaky_report() -> Report {
        let profile = leaky();
        Report::build(
            &profile,
            ProgramInfo {
                exit_code: Some(0),
                ..ProgramInfo::from_profile(&profile)
            },
        )
    }

    #[test]
    fn shape_follows_the_contract() {
        let mut out = Vec::new();
        write_json(&leaky_report(), &mut out).unwrap();
        assert!(out.ends_with(b"}\n"));
        let text = String::from_utf8(out.clone()).unwrap();
        assert!(
            text.starts_with(
                "{\n  \"format\": \"memleak-report\",\n  \"version\": 2,\n  \"program\": {"
            ),
            "pretty-printed, in the documented order: {text}"
        );
        let value: Value = serde_json::from_slice(&out).unwrap();
        assert_eq!(value, to_json(&leaky_report()));

        assert_eq!(value["format"], "memleak-report");
        assert_eq!(value["version"], 2);
        assert_eq!(
            value["program"]["exe"],
            "/work/proj/target/memleak/debug/examples/leaky"
        );
        assert_eq!(value["program"]["args"][1], "--fast");
        assert_eq!(value["program"]["exit_code"], 0);
        assert_eq!(value["program"]["mode"], "inprocess");
        let summary = &value["summary"];
        assert_eq!(
            summary["live_at_exit"],
            json!({"bytes": 10496, "blocks": 101})
        );
        assert_eq!(
            summary["total_allocated"],
            json!({"bytes": 20000, "blocks": 300})
        );
        assert_eq!(summary["peak_live"], json!({"bytes": 12000, "blocks": 120}));
        assert_eq!(summary["runtime"], json!({"bytes": 1072, "blocks": 2}));

        let sites = value["sites"].as_array().unwrap();
        assert_eq!(sites.len(), 4);
        assert_eq!(
            sites[0],
            json!({"kind": "live_at_exit", "origin": "rust", "bytes": 6400, "blocks": 100, "stack": [
                {"function": "leaky::leak_some", "file": "/work/proj/examples/leaky.rs", "line": 14},
                {"function": "leaky::main", "file": "/work/proj/examples/leaky.rs", "line": 37},
            ]})
        );
        let kinds: Vec<&str> = sites
            .iter()
            .map(|site| site["kind"].as_str().unwrap())
            .collect();
        assert_eq!(
            kinds,
            ["live_at_exit", "live_at_exit", "runtime", "runtime"]
        );
        let bytes: Vec<u64> = sites
            .iter()
            .map(|site| site["bytes"].as_u64().unwrap())
            .collect();
        assert_eq!(bytes, [6400, 4096, 1024, 48]);
    }

    #[test]
    fn unknown_exit_is_null_and_unresolved_entries_carry_their_ip() {
        let mut profile_json: Value = serde_json::from_str(crate::testing::LEAKY).unwrap();
        profile_json["frames"][15]["symbols"] = json!([]);
        let profile = crate::symbols::load::parse_profile(
            std::path::Path::new("/p.json"),
            profile_json.to_string().as_bytes(),
        )
        .unwrap();
        let value = to_json(&Report::build(
            &profile,
            ProgramInfo::from_profile(&profile),
        ));
        assert_eq!(value["program"]["exit_code"], Value::Null);
        assert_eq!(
            value["sites"][1]["stack"][0],
            json!({"function": "??", "file": null, "line": null, "ip": 12288})
        );
    }
}
