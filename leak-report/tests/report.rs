//! The whole pipeline through the public API: the fixture file loaded from disk, then the
//! text, JSON and SVG outputs.

use std::path::Path;

use leak_report::{
    ProgramInfo, Report, SiteKind, TextOptions, load_profile, write_json, write_live_flamegraph,
    write_text,
};

fn report() -> Report {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/leaky.json");
    let profile = load_profile(&path).unwrap();
    Report::build(
        &profile,
        ProgramInfo {
            exit_code: Some(0),
            ..ProgramInfo::from_profile(&profile)
        },
    )
}

#[test]
fn leaks_are_found_and_runtime_is_not_one() {
    let report = report();
    assert!(report.has_leaks());
    assert_eq!(report.leaked_bytes(), 10_496);
    assert_eq!(report.leaked_blocks(), 101);
    assert_eq!(report.summary().runtime.bytes, 1072);
    let top = &report.sites()[0];
    assert_eq!(top.kind, SiteKind::LiveAtExit);
    let functions: Vec<&str> = top
        .stack
        .iter()
        .map(|entry| entry.function.as_str())
        .collect();
    assert_eq!(functions, ["leaky::leak_some", "leaky::main"]);
}

#[test]
fn text_report_lines() {
    let mut out = Vec::new();
    write_text(&report(), &mut out, &TextOptions::default()).unwrap();
    let text = String::from_utf8(out).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(
        lines[0],
        "memleak report for leaky (exit code 0, in-process)"
    );
    assert_eq!(
        lines[1],
        "live at exit: 10,496 bytes in 101 blocks from 2 sites"
    );
    assert!(lines[2].starts_with("runtime: 1,072 bytes in 2 blocks held by the Rust runtime"));
    assert!(lines.contains(&"#1  6,400 bytes in 100 blocks"));
    assert!(lines.contains(&"#2  4,096 bytes in 1 block"));
    assert!(lines.iter().any(|line| line.starts_with("    leaky::leak_some  ") && line.ends_with("leaky.rs:14")));
    assert!(
        !text.contains("std::"),
        "plumbing and runtime stay out of the text: {text}"
    );
}

#[test]
fn json_and_svg() {
    let report = report();
    let mut json = Vec::new();
    write_json(&report, &mut json).unwrap();
    let value: serde_json::Value = serde_json::from_slice(&json).unwrap();
    assert_eq!(value["summary"]["live_at_exit"]["bytes"], 10_496);
    assert_eq!(
        value["sites"][0]["stack"][0]["function"],
        "leaky::leak_some"
    );

    let mut svg = Vec::new();
    write_live_flamegraph(&report, &mut svg).unwrap();
    let svg = String::from_utf8(svg).unwrap();
    assert!(svg.contains("<svg") && svg.contains("leaky::leak_box"));
}

/// Loads a profile written by the real tracker (Rust 1.95, Linux x86_64, debug build).
fn tracker_report(name: &str) -> Report {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name);
    let profile = load_profile(&path).unwrap();
    Report::build(&profile, ProgramInfo::from_profile(&profile))
}

fn leak_stacks(report: &Report) -> Vec<(u64, u64, Vec<String>)> {
    report
        .leak_sites()
        .map(|site| {
            let stack = site
                .stack
                .iter()
                .map(|entry| format!("{}:{}", entry.function, entry.line.unwrap_or(0)))
                .collect();
            (site.bytes, site.blocks, stack)
        })
        .collect()
}

/// `cargo memleak run --example leaky`: its two leaks exactly, and std's stack-overflow
/// thread table (allocated in `std::rt::init`) as runtime.
#[test]
fn tracker_profile_of_the_leaky_example() {
    let report = tracker_report("tracker-leaky.json");
    assert_eq!(
        leak_stacks(&report),
        [
            (
                6400,
                100,
                vec![
                    "leaky::leak_some:14".to_owned(),
                    "leaky::main:38".to_owned()
                ]
            ),
            (
                4096,
                1,
                vec!["leaky::leak_box:22".to_owned(), "leaky::main:39".to_owned()]
            ),
        ]
    );
    assert_eq!(
        (
            report.summary().runtime.bytes,
            report.summary().runtime.blocks
        ),
        (544, 1)
    );
}

/// A program that reads a line from stdin and leaks it, leaves a detached thread running
/// at exit, and forgets a vector in a joined thread (profile of a scratch program).
/// stdin's buffer, the running thread's handle, name, result slot and closure box, and
/// the stack-overflow tables are runtime; the line, its box and both vectors are not.
#[test]
fn tracker_profile_with_threads_and_stdin() {
    let report = tracker_report("tracker-threads.json");
    assert_eq!(
        leak_stacks(&report),
        [
            (77, 1, vec!["scratch::main::{{closure}}:29".to_owned()]),
            (55, 1, vec!["scratch::main::{{closure}}:34".to_owned()]),
            (24, 1, vec!["scratch::main:24".to_owned()]),
            (16, 1, vec!["scratch::main:23".to_owned()]),
        ]
    );
    assert_eq!(
        (
            report.summary().runtime.bytes,
            report.summary().runtime.blocks
        ),
        (8839, 6)
    );
    let runtime: Vec<u64> = report
        .sites()
        .iter()
        .filter(|site| site.kind == SiteKind::Runtime)
        .map(|site| site.bytes)
        .collect();
    assert_eq!(runtime[0], 8192, "stdin's buffer");
}
