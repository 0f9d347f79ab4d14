//! Loading never panics and building a report from what loads never panics either:
//! every truncation of the fixture, and random corruptions of it.

#[path = "common/complete.rs"]
mod complete;

use std::io;
use std::path::Path;

use leak_report::{
    Error, ProgramInfo, Report, TextOptions, flamegraph_kinds, parse_profile, write_json,
    write_kind_flamegraph, write_live_flamegraph, write_text,
};

const LEAKY: &str = include_str!("fixtures/leaky.json");

fn parse(bytes: &[u8]) -> Result<leak_report::Profile, Error> {
    parse_profile(Path::new("/x/prof.json"), bytes)
}

#[test]
fn every_truncation_of_the_fixture_is_reported_as_truncated() {
    let bytes = LEAKY.trim_end().as_bytes();
    for end in 0..bytes.len() {
        match parse(&bytes[..end]) {
            Err(Error::Truncated { .. } | Error::Empty { .. }) => {}
            other => panic!("cut at {end}: {other:?}"),
        }
    }
}

#[test]
fn corrupted_bytes_never_panic_load_or_build() {
    let pristine = LEAKY.as_bytes();
    let mut state = 0x2545_f491_4f6c_dd1d_u64;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        usize::try_from(state % 1_000_003).unwrap()
    };
    let replacements = b"0123456789{}[]\",:-e.x \xff";
    let mut loaded = 0;
    for _ in 0..2000 {
        let mut bytes = pristine.to_vec();
        for _ in 0..1 + next() % 4 {
            let at = next() % bytes.len();
            bytes[at] = replacements[next() % replacements.len()];
        }
        if let Ok(profile) = parse(&bytes) {
            loaded += 1;
            let report = Report::build(&profile, ProgramInfo::from_profile(&profile));
            write_text(&report, &mut io::sink(), &TextOptions::default()).unwrap();
            write_json(&report, &mut io::sink()).unwrap();
            write_live_flamegraph(&report, &mut io::sink()).unwrap();
        }
    }
    // Most corruptions land in strings and numbers: the report code ran on many of them.
    assert!(loaded > 100, "only {loaded} corrupted profiles loaded");
}

/// Random scanned profiles (random reachability, edges and sites, one site std's own)
/// with random suppressions: building and rendering never panic, and every live byte is
/// counted exactly once (shown in a site, or hidden by a suppression).
#[test]
fn random_scans_conserve_bytes() {
    let mut state = 0x1234_5678_9abc_def1_u64;
    let mut next = move |bound: u64| {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state % bound
    };
    let functions = ["app::a", "app::b", "app::c", "std::io::stdio::_print"];
    for _ in 0..300 {
        let count = 1 + next(30);
        let reachable: Vec<bool> = (0..count).map(|_| next(3) == 0).collect();
        let mut live = Vec::new();
        let mut total = 0_u64;
        for block in 0..count as usize {
            let size = 1 + next(100);
            total += size;
            let site = next(4);
            if reachable[block] {
                live.push(serde_json::json!({"size": size, "site": site, "reachable": true}));
            } else {
                let refs: Vec<u64> = (0..next(3))
                    .map(|_| next(count))
                    .filter(|&to| !reachable[to as usize])
                    .collect();
                live.push(serde_json::json!({"size": size, "site": site, "reachable": false, "refs": refs}));
            }
        }
        let frames: Vec<_> = functions
            .iter()
            .map(|f| serde_json::json!({"ip": 1, "symbols": [{"function": f}]}))
            .collect();
        let sites: Vec<_> = (0..4)
            .map(|id| serde_json::json!({"id": id, "frames": [id]}))
            .collect();
        let mut document = serde_json::json!({
            "format": "memleak-profile", "version": 1, "exe": "/p", "args": [],
            "totals": {"allocated_bytes": 0, "allocated_blocks": 0,
                       "peak_live_bytes": 0, "peak_live_blocks": 0},
            "frames": frames, "sites": sites, "live": live,
            "reachability": {"complete": next(2) == 0},
        });
        complete::complete(&mut document);
        let profile = parse(document.to_string().as_bytes()).unwrap();
        let kinds = [
            "",
            "kind = \"definite\"\n",
            "kind = \"indirect\"\n",
            "kind = \"reachable\"\n",
        ];
        let mut toml = String::new();
        for _ in 0..next(3) {
            let function = ["app::a", "app::?", "*::b", "std::*"][next(4) as usize];
            toml.push_str(&format!(
                "[[suppress]]\nfunction = \"{function}\"\n{}",
                kinds[next(4) as usize]
            ));
        }
        let suppressions = leak_report::Suppressions::parse(Path::new("m.toml"), &toml).unwrap();
        let report =
            Report::build_with(&profile, ProgramInfo::from_profile(&profile), &suppressions);
        let shown: u64 = report.sites().iter().map(|site| site.bytes).sum();
        let summary = report.summary();
        assert_eq!(
            shown + summary.suppressed.bytes,
            total,
            "{document}\n{toml}"
        );
        assert_eq!(
            summary.live_at_exit.bytes + summary.runtime.bytes + summary.suppressed.bytes,
            total
        );
        assert_eq!(
            report.has_leaks(),
            summary.definite.bytes + summary.indirect.bytes > 0
        );
        let in_cycles: u64 = report.sites().iter().map(|site| site.in_cycles.bytes).sum();
        let cycles: u64 = report.cycles().iter().map(|cycle| cycle.bytes).sum();
        assert_eq!(in_cycles, cycles);
        assert_eq!(
            summary.cycles,
            report.cycles().iter().map(|c| c.count).sum::<u64>()
        );
        let options = TextOptions {
            show_reachable: true,
            ..TextOptions::default()
        };
        write_text(&report, &mut io::sink(), &options).unwrap();
        write_json(&report, &mut io::sink()).unwrap();
        for kind in flamegraph_kinds(&report) {
            write_kind_flamegraph(&report, kind, &mut io::sink()).unwrap();
        }
    }
}
