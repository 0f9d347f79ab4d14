//! The outputs of a report with a reachability scan, through the public API: the text
//! report's sections, report.json's additions and the per-kind flamegraphs.

mod common;

use std::path::Path;

use common::{Block, profile_json, report, report_with};
use leak_report::{
    Amount, ProgramInfo, Report, SiteKind, TextOptions, flamegraph_kinds, parse_profile, to_json,
    write_json, write_kind_flamegraph, write_live_flamegraph, write_text,
};
use serde_json::json;

use SiteKind::{Definite, Indirect, Reachable, Runtime};

#[test]
fn kinds_flamegraphs() {
    let report = report(
        &[&["app::head"], &["app::tail"], &["app::cache"]],
        &[(0, 64, Some(&[1])), (1, 16, Some(&[])), (2, 8, None)],
    );
    assert_eq!(flamegraph_kinds(&report), [Definite, Indirect, Reachable]);
    let svg = |kind| {
        let mut out = Vec::new();
        write_kind_flamegraph(&report, kind, &mut out).unwrap();
        String::from_utf8(out).unwrap()
    };
    let definite = svg(Definite);
    assert!(definite.contains("app::head") && !definite.contains("app::tail"));
    assert!(definite.contains("Definitely lost"));
    let indirect = svg(Indirect);
    assert!(indirect.contains("app::tail") && !indirect.contains("app::head"));
    let nothing = svg(Runtime);
    assert!(
        nothing.contains("nothing held by the Rust runtime"),
        "{nothing}"
    );
    let mut live = Vec::new();
    write_live_flamegraph(&report, &mut live).unwrap();
    let live = String::from_utf8(live).unwrap();
    assert!(
        ["app::head", "app::tail", "app::cache"]
            .iter()
            .all(|f| live.contains(f))
    );
}

#[test]
fn json_additions() {
    let toml = "[[suppress]]\nfunction = \"app::cache\"\nreason = \"global\"\n\
                [[suppress]]\nfunction = \"app::nothing\"\nkind = \"indirect\"\n";
    let report = report_with(
        &[&["app::leak"], &["app::Node::new"], &["app::cache"]],
        &[
            (0, 64, Some(&[])),
            (1, 40, Some(&[2])),
            (1, 40, Some(&[1])),
            (2, 8, None),
        ],
        toml,
    );
    let value = to_json(&report);
    let summary = &value["summary"];
    assert_eq!(summary["live_at_exit"], json!({"bytes": 144, "blocks": 3}));
    assert_eq!(summary["definite"], json!({"bytes": 64, "blocks": 1}));
    assert_eq!(summary["indirect"], json!({"bytes": 80, "blocks": 2}));
    assert_eq!(summary["reachable"], json!({"bytes": 0, "blocks": 0}));
    assert_eq!(summary["cycles"], 1);
    assert_eq!(summary["suppressed"], json!({"bytes": 8, "blocks": 1}));
    assert_eq!(summary["runtime"], json!({"bytes": 0, "blocks": 0}));
    assert_eq!(
        value["reachability"],
        json!({"complete": true, "threads": 1, "root_bytes": 65536, "bytes_scanned": 10000, "scan_ns": 5000})
    );
    let kinds: Vec<&str> = value["sites"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["indirect", "definite"]);
    assert_eq!(
        value["sites"][0]["in_cycles"],
        json!({"bytes": 80, "blocks": 2})
    );
    assert!(value["sites"][1].get("in_cycles").is_none());
    assert_eq!(
        value["cycles"],
        json!([{"count": 1, "bytes": 80, "blocks": 2, "members": [{"site": 0, "bytes": 80, "blocks": 2}]}])
    );
    assert_eq!(
        value["suppressed"],
        json!([
            {"function": "app::cache", "kind": null, "reason": "global", "line": 1, "bytes": 8, "blocks": 1},
            {"function": "app::nothing", "kind": "indirect", "reason": null, "line": 4, "bytes": 0, "blocks": 0},
        ])
    );
    let mut written = Vec::new();
    write_json(&report, &mut written).unwrap();
    let written = String::from_utf8(written).unwrap();
    let keys: Vec<&str> = written
        .lines()
        .filter_map(|line| line.strip_prefix("  \"")?.split('"').next())
        .collect();
    assert_eq!(
        keys,
        [
            "format",
            "version",
            "program",
            "summary",
            "reachability",
            "sampling",
            "footprint",
            "layers",
            "timeline",
            "growth",
            "sites",
            "cycles",
            "suppressed"
        ]
    );
}

#[test]
fn an_incomplete_scan_is_said() {
    let mut value = profile_json(&[&["app::leak"]], &[(0, 8, Some(&[]))]);
    value["reachability"]["complete"] = json!(false);
    let profile = parse_profile(Path::new("/p.json"), value.to_string().as_bytes()).unwrap();
    let report = Report::build(&profile, ProgramInfo::from_profile(&profile));
    assert_eq!(to_json(&report)["reachability"]["complete"], false);
    let mut out = Vec::new();
    write_text(&report, &mut out, &TextOptions::default()).unwrap();
    let text = String::from_utf8(out).unwrap();
    assert!(
        text.contains("\nnote: the reachability scan was incomplete"),
        "{text}"
    );
}

/// A definite leak, 50 two-block cycles, a cycle below a definite block, reachable
/// memory and a suppression.
fn mixed_report() -> Report {
    let mut refs: Vec<Vec<u64>> = vec![vec![2], vec![], vec![3], vec![2]];
    for pair in 0..50_u64 {
        let a = 6 + 2 * pair;
        refs.push(vec![a + 1]);
        refs.push(vec![a]);
    }
    let mut blocks: Vec<Block<'_>> = vec![
        (0, 4096, Some(&refs[0])),
        (1, 256, Some(&refs[1])),
        (2, 64, Some(&refs[2])),
        (2, 64, Some(&refs[3])),
        (3, 1024, None),
        (4, 512, None),
    ];
    for pair in refs[4..].chunks(2) {
        blocks.push((5, 48, Some(&pair[0])));
        blocks.push((6, 16, Some(&pair[1])));
    }
    let sites: &[&[&str]] = &[
        &["app::leak_graph", "app::main"],
        &["app::registry::register", "app::main"],
        &["app::graph::Node::new", "app::leak_graph", "app::main"],
        &["app::CACHE::init", "app::main"],
        &["std::io::stdio::_print", "app::main"],
        &["app::pairs::Node::new", "app::make_pairs", "app::main"],
        &["app::pairs::Peer::new", "app::make_pairs", "app::main"],
    ];
    let toml = "[[suppress]]\nfunction = \"app::registry::*\"\nkind = \"definite\"\n\
                reason = \"leaked on purpose\"\n";
    report_with(sites, &blocks, toml)
}

fn text(report: &Report, options: &TextOptions) -> String {
    let mut out = Vec::new();
    write_text(report, &mut out, options).unwrap();
    String::from_utf8(out).unwrap()
}

#[test]
fn text_report_with_every_kind() {
    let expected = "\
memleak report for app (exit code 0, in-process)
definitely lost: 4,096 bytes in 1 block from 1 site
indirectly lost: 3,328 bytes in 102 blocks from 3 sites (50 cycles)
allocated: 100,000 bytes in 1,000 blocks over the run; peak live: 50,000 bytes in 500 blocks

definitely lost (unreachable, and no other lost block points to them):

#1  4,096 bytes in 1 block
    app::leak_graph  /app/src/main.rs:10
    app::main  /app/src/main.rs:11

cycles (lost blocks pointing at each other; no other lost block points to them):

#2  50 cycles of 2 blocks: 3,200 bytes in 100 blocks
    app::pairs::Node::new  /app/src/main.rs:36  (2,400 bytes in 50 blocks)
    app::pairs::Peer::new  /app/src/main.rs:42  (800 bytes in 50 blocks)

indirectly lost (pointed to by other lost blocks):

#3  128 bytes in 2 blocks
    app::graph::Node::new  /app/src/main.rs:20
    app::leak_graph  /app/src/main.rs:21
    app::main  /app/src/main.rs:22

1,536 bytes in 2 blocks still reachable at exit (not leaks; --show-reachable lists them)

suppressed by `app::registry::*`: 256 bytes in 1 block (definite only) - leaked on purpose
";
    let report = mixed_report();
    assert_eq!(text(&report, &TextOptions::default()), expected);
    assert!(report.has_leaks());
    assert_eq!((report.leaked_bytes(), report.leaked_blocks()), (7424, 103));
    assert_eq!(report.summary().live_at_exit, Amount::new(8960, 105));
    assert_eq!(report.summary().reachable, Amount::new(1536, 2));
}

#[test]
fn text_report_lists_reachable_sites_on_request() {
    let options = TextOptions {
        show_reachable: true,
        max_frames: 1,
        max_sites: 1,
        ..TextOptions::default()
    };
    let out = text(&mixed_report(), &options);
    assert!(
        out.contains(
            "\n#3  128 bytes in 2 blocks\n    app::graph::Node::new  /app/src/main.rs:20\n    \
             ... 2 more frames\n"
        ),
        "{out}"
    );
    assert!(
        out.contains(
            "\n1,536 bytes in 2 blocks still reachable at exit (not leaks):\n\n\
             #4  1,024 bytes in 1 block\n    app::CACHE::init  /app/src/main.rs:26\n    \
             ... 1 more frame\n\n... 1 more site: 512 bytes in 1 block\n"
        ),
        "{out}"
    );
    assert!(
        out.contains(
            "\n#2  50 cycles of 2 blocks: 3,200 bytes in 100 blocks\n    \
             app::pairs::Node::new  /app/src/main.rs:36  (2,400 bytes in 50 blocks)\n    \
             ... 1 more site\n"
        ),
        "{out}"
    );
}

#[test]
fn no_leaks_with_a_scan() {
    let report = report(&[&["app::cache"]], &[(0, 100, None)]);
    let expected = "\
memleak report for app (exit code 0, in-process)
no leaks: nothing the program allocated was unreachable at exit
allocated: 100,000 bytes in 1,000 blocks over the run; peak live: 50,000 bytes in 500 blocks

100 bytes in 1 block still reachable at exit (not leaks; --show-reachable lists them)
";
    assert_eq!(text(&report, &TextOptions::default()), expected);
}
