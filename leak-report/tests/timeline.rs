//! A profile with a timeline through the public API: growth found from the checkpoints
//! (and what is not growth), the layers at the peak, the text sections, report.json's
//! `growth`, `timeline` and `layers`, and the two SVGs.

#[path = "common/complete.rs"]
mod complete;

use std::path::Path;

use leak_report::{
    ProgramInfo, Report, TextOptions, has_timeline_chart, parse_profile, to_json, write_json,
    write_layers_flamegraph, write_text, write_timeline_chart,
};
use serde_json::{Value, json};

const K: u64 = 1024;
const M: u64 = 1024 * 1024;

/// One frame per function, `main`'s start-up below; `function @ line`.
fn stack(frames: &mut Vec<Value>, functions: &[(&str, u64)]) -> Vec<usize> {
    let startup = [
        ("std::rt::lang_start_internal", 0),
        ("main", 0),
        ("_start", 0),
    ];
    functions
        .iter()
        .chain(&startup)
        .map(|&(function, line)| {
            frames.push(json!({"ip": 0x1000 + 0x10 * frames.len(), "symbols": [
                {"function": function, "file": "/app/src/main.rs", "line": line}]}));
            frames.len() - 1
        })
        .collect()
}

/// A footprint whose malloc holds `in_use` bytes and `free` free, RSS 50 MiB above both.
fn footprint(in_use: u64, free: u64, level: &str, cgroup_current: u64) -> Value {
    json!({"source": "smaps_rollup", "rss": in_use + free + 50 * M,
           "anonymous": in_use + free + 2 * M, "file_backed": 48 * M, "swap": 0,
           "malloc": {"in_use": in_use, "free": free, "mmapped": 0},
           "pressure": {"level": level, "some": {"avg10": 12.5}, "full": {"avg10": 0.5}},
           "cgroup": {"version": 2, "current": cgroup_current, "limit": 1024 * M}})
}

/// Two seconds of an app: a cache that grows 50 KiB every 100 ms (from two profile
/// sites that trim to one stack), a 90 MiB buffer filled and freed (a sawtooth), a
/// 100 KiB table allocated once at 0.5 s, and 200 KiB that grew and was freed again.
fn app() -> Value {
    let mut frames = Vec::new();
    let sites = [
        stack(
            &mut frames,
            &[
                ("alloc::alloc::alloc", 0),
                ("app::remember", 10),
                ("app::main", 30),
            ],
        ),
        stack(
            &mut frames,
            &[
                ("alloc::raw_vec::finish_grow", 0),
                ("app::remember", 10),
                ("app::main", 30),
            ],
        ),
        stack(
            &mut frames,
            &[
                ("alloc::alloc::alloc", 0),
                ("app::sawtooth", 20),
                ("app::main", 31),
            ],
        ),
        stack(
            &mut frames,
            &[
                ("alloc::alloc::alloc", 0),
                ("app::load_table", 40),
                ("app::main", 32),
            ],
        ),
        stack(
            &mut frames,
            &[
                ("alloc::alloc::alloc", 0),
                ("app::batch", 50),
                ("app::main", 33),
            ],
        ),
    ];
    let sites: Vec<Value> = sites
        .iter()
        .enumerate()
        .map(|(id, frames)| json!({"id": id, "frames": frames}))
        .collect();
    let mut checkpoints = Vec::new();
    let mut samples = Vec::new();
    for i in 0..20_u64 {
        let cache = i * 50 * K;
        let sawtooth = if i % 2 == 1 { 90 * M } else { 0 };
        let table = if i >= 5 { 100 * K } else { 0 };
        let batch = if (5..15).contains(&i) {
            (i - 4) * 20 * K
        } else {
            0
        };
        let mut entries = vec![json!([0, cache / 2]), json!([1, cache - cache / 2])];
        for (site, bytes) in [(2, sawtooth), (3, table), (4, batch)] {
            if bytes > 0 {
                entries.push(json!([site, bytes]));
            }
        }
        checkpoints.push(json!({"t_ns": i * 100_000_000, "sites": entries}));
        let live = cache + sawtooth + table + batch;
        let level = if (6..8).contains(&i) {
            "warning"
        } else {
            "normal"
        };
        let kind = if i == 9 { "peak" } else { "interval" };
        samples.push(
            json!({"t_ns": i * 100_000_000, "kind": kind, "live_bytes": live,
            "live_blocks": 100 + i, "overhead_bytes": 64 * K,
            "footprint": footprint(live + 2 * M, 4 * M, level, 300 * M + i * 10 * M)}),
        );
    }
    // At exit: the cache (20 blocks of 50 KiB, over both sites) and the table.
    let mut live: Vec<Value> = (0..20)
        .map(|i| json!({"size": 50 * K, "site": i % 2, "reachable": true}))
        .collect();
    live.push(json!({"size": 100 * K, "site": 3, "reachable": true}));
    let heap = 1100 * K;
    let exit_footprint = footprint(heap + 64 * K + 21 * 16 + 3 * M, 150 * M, "normal", 980 * M);
    samples.push(
        json!({"t_ns": 2_000_000_000_u64, "kind": "exit", "live_bytes": heap,
        "live_blocks": 21, "overhead_bytes": 64 * K, "footprint": exit_footprint}),
    );
    let mut document = json!({
        "format": "memleak-profile", "version": 1, "reason": "exit",
        "exe": "/app/target/debug/app", "args": ["/app/target/debug/app"],
        "elapsed_ns": 2_000_000_000_u64,
        "totals": {"allocated_bytes": 2000 * M, "allocated_blocks": 5000,
                   "live_bytes": heap, "live_blocks": 21, "overhead_bytes": 64 * K,
                   "peak_live_bytes": 91 * M, "peak_live_blocks": 120},
        "frames": frames, "sites": sites, "live": live,
        "reachability": {"scanned": true, "complete": true},
        "footprint": exit_footprint,
        "timeline": {"interval_ms": 100, "samples": samples, "checkpoints": checkpoints},
    });
    complete::complete(&mut document);
    document
}

fn report(value: &Value) -> Report {
    let profile =
        parse_profile(Path::new("/app/profile.json"), value.to_string().as_bytes()).unwrap();
    Report::build(&profile, ProgramInfo::from_profile(&profile))
}

fn text(report: &Report) -> String {
    let mut out = Vec::new();
    write_text(report, &mut out, &TextOptions::default()).unwrap();
    String::from_utf8(out).unwrap()
}

#[test]
fn only_the_cache_grows() {
    let report = report(&app());
    assert!(report.growth_window().checked());
    assert_eq!(report.growth_window().checkpoints, 20);
    assert_eq!(report.growth_window().span_ns, 2_000_000_000);
    let growth = report.growth();
    assert_eq!(growth.len(), 1, "{growth:#?}");
    let cache = &growth[0];
    assert_eq!(cache.stack[0].function, "app::remember");
    assert_eq!((cache.first_bytes, cache.live_bytes), (0, 1000 * K));
    // Checkpoints at 50 KiB per 100 ms, and the exit point on the same line.
    assert!(
        (cache.bytes_per_sec - 500.0 * K as f64).abs() < 1.0,
        "{}",
        cache.bytes_per_sec
    );

    let value = to_json(&report);
    assert_eq!(
        value["growth"],
        json!([{"bytes_per_sec": 512_000.0, "live_bytes": 1000 * K, "first_bytes": 0,
                "stack": [{"function": "app::remember", "file": "/app/src/main.rs", "line": 10},
                          {"function": "app::main", "file": "/app/src/main.rs", "line": 30}]}])
    );
    assert_eq!(
        value["timeline"],
        json!({"samples": 21, "checkpoints": 20, "span_ns": 2_000_000_000_u64, "growth_checked": true})
    );
    assert!(!report.has_leaks(), "growth is not a leak");

    let out = text(&report);
    let section = out
        .split("\nGrowing sites")
        .nth(1)
        .unwrap_or_else(|| panic!("no growth section in\n{out}"));
    assert!(
        section.starts_with(
            " (live bytes kept rising over 20 checkpoints in 2.00 s; still reachable, so not \
             leaks, but unbounded):\n\n#1  +500.0 KiB/s, 1000.0 KiB live at exit (from 0)\n    \
             app::remember  /app/src/main.rs:10\n    app::main  /app/src/main.rs:30\n"
        ),
        "{section}"
    );
}

#[test]
fn too_few_checkpoints_are_not_checked() {
    let mut value = app();
    let checkpoints = value["timeline"]["checkpoints"].as_array_mut().unwrap();
    checkpoints.truncate(3);
    value["elapsed_ns"] = json!(250_000_000);
    let report = report(&value);
    assert!(!report.growth_window().checked());
    assert!(report.growth().is_empty());
    assert_eq!(to_json(&report)["timeline"]["growth_checked"], false);
    assert!(!text(&report).contains("Growing sites"));
}

#[test]
fn layers_at_the_peak_and_at_exit() {
    let report = report(&app());
    let layers = report.layers();
    // The `peak` sample (0.9 s) saw less than the last interval sample: the layers take
    // the highest sample, as the chart marks it.
    let peak = layers.at_peak.clone().unwrap();
    assert_eq!(peak.t_ns, 1_900_000_000);
    assert_eq!(peak.tracked_heap, 950 * K + 90 * M + 100 * K);
    assert!(peak.estimated);
    // 119 blocks at the exit average: 21 blocks, 16 bytes each.
    assert_eq!(peak.malloc_overhead, Some(119 * 16));
    assert_eq!(peak.native, Some(2 * M - 64 * K - 119 * 16));
    let exit = layers.at_exit.clone().unwrap();
    assert_eq!(exit.native, Some(3 * M));
    assert_eq!(exit.allocator_free, Some(150 * M));
    assert_eq!(report.sample_layers().len(), 21);

    let out = text(&report);
    let section: Vec<&str> = out
        .lines()
        .skip_while(|line| !line.starts_with("Memory layers"))
        .collect();
    assert!(
        section[1].contains("at peak (1.90 s)  at exit (2.00 s)"),
        "{out}"
    );
    let native = section
        .iter()
        .find(|l| l.contains("native (malloc"))
        .unwrap();
    assert!(
        native.contains("~1.9 MiB") && native.contains(" 3.0 MiB"),
        "{native}"
    );
    for words in [
        "malloc holds 150.0 MiB free (fragmentation): more than the 4.1 MiB live heap.",
        "native: 3.0 MiB allocated with malloc outside Rust's allocator",
        "cgroup: 980.0 MiB of a 1.0 GiB limit",
        "warning: memory pressure reached warning at 0.60 s",
        "warning: the cgroup came within 4.3% of its 1.0 GiB memory limit (980.0 MiB charged at 2.00 s)",
    ] {
        assert!(out.contains(words), "no {words:?} in\n{out}");
    }
    let value = to_json(&report);
    assert_eq!(
        value["layers"]["at_peak"]["estimates"],
        json!(["malloc_overhead", "native"])
    );
    assert_eq!(value["layers"]["at_peak"]["pressure"], "normal");
    assert_eq!(value["layers"]["at_exit"]["native"], 3 * M);
}

#[test]
fn the_timeline_chart_draws_four_lines_bands_and_markers() {
    let report = report(&app());
    assert!(has_timeline_chart(&report));
    let mut out = Vec::new();
    write_timeline_chart(&report, &mut out).unwrap();
    let svg = String::from_utf8(out).unwrap();
    assert!(svg.starts_with("<?xml") && svg.trim_end().ends_with("</svg>"));
    assert_eq!(svg.matches("<polyline").count(), 4, "{svg}");
    for needle in [
        "Memory over time: app",
        "21 samples over 2.00 s",
        "time since the program started (s)",
        "memory (MiB)",
        "RSS (OS)",
        "tracked heap (tracker)",
        "native (malloc - tracker, estimate)",
        "malloc free space",
        "memory pressure: warning",
        ">peak</text>",
        ">exit</text>",
    ] {
        assert!(svg.contains(needle), "no {needle:?}");
    }
    // Two samples at warning: two bands of that colour, plus the legend's swatch.
    assert_eq!(svg.matches("fill=\"#fbefc0\"").count(), 3);
    let mut again = Vec::new();
    write_timeline_chart(&report, &mut again).unwrap();
    assert_eq!(again, svg.as_bytes(), "deterministic");

    // One sample: nothing to chart, said in a small SVG.
    let mut value = app();
    value["timeline"]["samples"]
        .as_array_mut()
        .unwrap()
        .truncate(1);
    let short = self::report(&value);
    assert!(!has_timeline_chart(&short));
    let mut out = Vec::new();
    write_timeline_chart(&short, &mut out).unwrap();
    assert!(
        String::from_utf8(out)
            .unwrap()
            .contains("fewer than two samples")
    );
}

#[test]
fn the_layers_flamegraph_splits_the_rss() {
    let report = report(&app());
    let mut out = Vec::new();
    write_layers_flamegraph(&report, &mut out).unwrap();
    let svg = String::from_utf8(out).unwrap();
    for needle in [
        "Resident memory at exit, by layer",
        "app: RSS 204.1 MiB at exit: tracked heap 1.1 MiB, native 3.0 MiB, malloc free 150.0 MiB",
        "app::remember",
        "app::load_table",
        "malloc free space",
        "native (malloc, not via Rust)",
        "file-backed",
    ] {
        assert!(svg.contains(needle), "no {needle:?}");
    }
}

#[test]
fn a_profile_without_a_timeline_reports_as_before() {
    let mut value = app();
    value.as_object_mut().unwrap().remove("timeline");
    let report = report(&value);
    assert!(report.growth().is_empty() && report.samples().is_empty());
    assert_eq!(report.layers().at_peak, None);
    assert!(report.layers().at_exit.is_some());
    let json = to_json(&report);
    assert_eq!(json["timeline"], Value::Null);
    assert_eq!(json["layers"]["at_peak"], Value::Null);
    assert!(!has_timeline_chart(&report));
    assert!(text(&report).contains("at exit (2.00 s)  source"));
}

#[test]
fn hostile_numbers_never_panic() {
    let mut value = app();
    let timeline = &mut value["timeline"];
    for sample in timeline["samples"].as_array_mut().unwrap() {
        sample["live_bytes"] = json!(u64::MAX);
        sample["live_blocks"] = json!(u64::MAX);
        sample["overhead_bytes"] = json!(u64::MAX);
        sample["footprint"]["rss"] = json!(u64::MAX);
        sample["footprint"]["malloc"] =
            json!({"in_use": u64::MAX, "free": u64::MAX, "mmapped": u64::MAX});
        sample["footprint"]["cgroup"] = json!({"current": u64::MAX, "limit": 1});
    }
    timeline["samples"][3]["t_ns"] = json!(u64::MAX);
    timeline["samples"][4]["t_ns"] = json!(0);
    for checkpoint in timeline["checkpoints"].as_array_mut().unwrap() {
        checkpoint["sites"] = json!([[0, u64::MAX], [1, u64::MAX], [4, 0]]);
    }
    value["elapsed_ns"] = json!(0);
    for edited in [value.clone(), {
        let mut same_time = value;
        for checkpoint in same_time["timeline"]["checkpoints"].as_array_mut().unwrap() {
            checkpoint["t_ns"] = json!(7);
        }
        same_time
    }] {
        let report = report(&edited);
        let _ = text(&report);
        let mut out = Vec::new();
        write_json(&report, &mut out).unwrap();
        write_timeline_chart(&report, &mut out).unwrap();
        write_layers_flamegraph(&report, &mut out).unwrap();
    }
}

/// The real tracker's profile of the `sawtooth` example: a 100 MiB buffer filled and
/// freed ten times. Not growth; the peak sample saw the buffer.
#[test]
fn real_sawtooth_profile() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/tracker-sawtooth.json");
    let bytes = std::fs::read(&path).unwrap();
    let profile = parse_profile(&path, &bytes).unwrap();
    let report = Report::build(&profile, ProgramInfo::from_profile(&profile));
    let window = report.growth_window();
    assert_eq!((window.checkpoints, window.span_ns), (15, 1_432_000_051));
    assert!(window.checked());
    assert!(report.growth().is_empty(), "{:#?}", report.growth());
    // The peak sample came while the buffer grew: 104,858,148 bytes asked for, not all
    // of them written yet, so not all resident.
    let peak = report.layers().at_peak.clone().unwrap();
    assert_eq!((peak.t_ns, peak.tracked_heap), (124_000_004, 94_715_460));
    assert!(peak.heap_not_resident);
    let rss = peak.rss.unwrap();
    let resident: u64 = [
        Some(peak.tracked_heap),
        peak.tracker_overhead,
        peak.other_anonymous,
        peak.file_backed,
    ]
    .into_iter()
    .flatten()
    .sum();
    assert!(resident <= rss, "{peak:?}");
    let exit = report.layers().at_exit.clone().unwrap();
    assert_eq!(exit.tracked_heap, 544);
    assert_eq!(exit.tracker_overhead, Some(11_487));
    assert_eq!(exit.malloc_overhead, Some(16));
    assert!(
        exit.native.is_some_and(|native| native < 1 << 20),
        "{exit:?}"
    );
    assert!(has_timeline_chart(&report));
    let mut svg = Vec::new();
    write_timeline_chart(&report, &mut svg).unwrap();
    let svg = String::from_utf8(svg).unwrap();
    assert!(svg.contains("17 samples over 1.54 s") && svg.contains("memory (MiB)"));
}

#[test]
fn a_value_alone_between_unknown_ones_is_drawn_as_a_dot() {
    // The tracker skips mallinfo2 while it is over its time budget: the sample before
    // exit has no malloc figures, so the malloc-derived lines end in a lone exit value.
    let mut value = app();
    let samples = value["timeline"]["samples"].as_array_mut().unwrap();
    let before_exit = samples.len() - 2;
    samples[before_exit]["footprint"]["malloc"] = Value::Null;
    let report = report(&value);
    let mut out = Vec::new();
    write_timeline_chart(&report, &mut out).unwrap();
    let svg = String::from_utf8(out).unwrap();
    let dots: Vec<&str> = svg.lines().filter(|l| l.starts_with("<circle")).collect();
    assert_eq!(dots.len(), 2, "{svg}");
    assert!(
        dots.iter().any(|d| d.contains("#c8302c")),
        "native: {dots:?}"
    );
    assert!(
        dots.iter().any(|d| d.contains("#e08a00")),
        "malloc free: {dots:?}"
    );
}
