//! Helpers shared by the integration tests of reachability kinds: hand-built profiles
//! with a scan, loaded from JSON.

// Each test binary uses some of these helpers: `expect` would fail in the others.
#![allow(dead_code)]

use std::path::Path;

use leak_report::{Amount, ProgramInfo, Report, SiteKind, Suppressions, parse_profile};
use serde_json::{Value, json};

mod complete;
pub(crate) use complete::complete;

/// A block: its site (index into the sites), size, and `None` when reachable, else the
/// indices of the unreachable blocks it points to.
pub(crate) type Block<'a> = (usize, u64, Option<&'a [u64]>);

/// A scanned profile whose site `i` has the functions `sites[i]` (innermost first) on top
/// of `main`'s start-up, one frame each.
pub(crate) fn profile_json(sites: &[&[&str]], blocks: &[Block<'_>]) -> Value {
    let mut frames = Vec::new();
    let mut site_values = Vec::new();
    for (id, functions) in sites.iter().enumerate() {
        let mut indices = Vec::new();
        let startup = ["std::rt::lang_start_internal", "main", "_start"];
        for function in functions.iter().chain(&startup) {
            indices.push(frames.len());
            let line = frames.len() + 10;
            frames.push(json!({"ip": 0x1000 + 0x10 * frames.len(), "symbols": [
                {"function": function, "file": "/app/src/main.rs", "line": line}
            ]}));
        }
        site_values.push(json!({"id": id, "frames": indices}));
    }
    let live: Vec<Value> = blocks
        .iter()
        .map(|&(site, size, refs)| match refs {
            None => json!({"size": size, "site": site, "reachable": true}),
            Some(refs) => json!({"size": size, "site": site, "reachable": false, "refs": refs}),
        })
        .collect();
    let mut document = json!({
        "format": "memleak-profile", "version": 1,
        "exe": "/app/target/debug/app", "args": ["/app/target/debug/app"],
        "totals": {"allocated_bytes": 100000, "allocated_blocks": 1000,
                   "peak_live_bytes": 50000, "peak_live_blocks": 500},
        "frames": frames, "sites": site_values, "live": live,
        "reachability": {"scanned": true, "scan_ns": 5000, "root_bytes": 65536,
                         "bytes_scanned": 10000, "threads": 1, "complete": true},
    });
    complete(&mut document);
    document
}

pub(crate) fn report_with(sites: &[&[&str]], blocks: &[Block<'_>], suppressions: &str) -> Report {
    let text = profile_json(sites, blocks).to_string();
    let profile = parse_profile(Path::new("/app/profile.json"), text.as_bytes()).unwrap();
    let suppressions = Suppressions::parse(Path::new("/app/memleak.toml"), suppressions).unwrap();
    Report::build_with(
        &profile,
        ProgramInfo {
            exit_code: Some(0),
            ..ProgramInfo::from_profile(&profile)
        },
        &suppressions,
    )
}

pub(crate) fn report(sites: &[&[&str]], blocks: &[Block<'_>]) -> Report {
    report_with(sites, blocks, "")
}

/// (kind, top function, bytes, blocks) of every site, in the report's order.
pub(crate) fn sites(report: &Report) -> Vec<(SiteKind, &str, u64, u64)> {
    report
        .sites()
        .iter()
        .map(|site| {
            (
                site.kind,
                site.stack[0].function.as_str(),
                site.bytes,
                site.blocks,
            )
        })
        .collect()
}

/// (definite, indirect, reachable, cycles) of the summary.
pub(crate) fn kinds(report: &Report) -> (Amount, Amount, Amount, u64) {
    let summary = report.summary();
    (
        summary.definite,
        summary.indirect,
        summary.reachable,
        summary.cycles,
    )
}

/// Nothing.
pub(crate) const A: Amount = Amount::new(0, 0);
