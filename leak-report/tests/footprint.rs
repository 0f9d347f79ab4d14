//! The footprint of a profile through the public API: loading it (and rejecting a
//! malformed one), the layers derived from it, report.json's `footprint` and `layers`,
//! and the text report's "Memory layers" section with its warnings.

use std::path::Path;

use leak_report::{
    Error, Limit, MemoryLayers, ProgramInfo, Report, TextOptions, parse_profile, to_json,
    write_json, write_text,
};
use serde_json::{Value, json};

fn fixture(name: &str) -> Value {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name);
    serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
}

/// The real tracker's profile of the `leaky` example, with `edit` applied.
fn tracker(edit: impl FnOnce(&mut Value)) -> Result<Report, Error> {
    let mut value = fixture("tracker-footprint.json");
    edit(&mut value);
    let profile = parse_profile(Path::new("/t/profile.json"), value.to_string().as_bytes())?;
    Ok(Report::build(&profile, ProgramInfo::from_profile(&profile)))
}

fn text(report: &Report) -> String {
    let mut out = Vec::new();
    write_text(report, &mut out, &TextOptions::default()).unwrap();
    String::from_utf8(out).unwrap()
}

/// The "Memory layers" section and what follows it, to the end of the report.
fn memory_section(report: &Report) -> Vec<String> {
    text(report)
        .lines()
        .skip_while(|line| !line.starts_with("Memory layers"))
        .map(str::to_owned)
        .collect()
}

#[test]
fn real_profile_layers_text_and_json() {
    let report = tracker(|_| {}).unwrap();
    let layers = report.layers();
    assert_eq!(layers.at_peak, None, "no timeline, no peak");
    let exit = layers.at_exit.clone().unwrap();
    assert_eq!(exit.tracked_heap, 11_040);
    assert_eq!(exit.tracker_overhead, None, "an older tracker: unknown");
    // 102 live blocks: glibc chunk headers and rounding.
    assert_eq!(exit.malloc_overhead, Some(1632));
    assert_eq!(exit.native, Some(42_288 - 11_040 - 1632));
    assert_eq!(exit.allocator_free, Some(92_880));
    assert_eq!(exit.rss, Some(3_678_208));
    assert_eq!(exit.other_anonymous, Some(151_552));
    assert_eq!(exit.file_backed, Some(3_391_488));
    assert_eq!(exit.swap, Some(0));
    assert!(!exit.estimated);
    let cgroup = report.footprint().unwrap().cgroup.as_ref().unwrap();
    assert_eq!(cgroup.limit, Some(Limit::Max));

    assert_eq!(
        memory_section(&report),
        [
            "Memory layers (where the resident memory went; ~ marks an estimate):",
            "                                 at exit (0.00 s)  source",
            "  RSS                                     3.5 MiB  OS: /proc/self/smaps_rollup",
            "  tracked heap                           10.8 KiB  tracker: live blocks",
            "  tracker overhead                        unknown  tracker: its own allocations",
            "  malloc per-block overhead               1.6 KiB  glibc chunk sizes of the live blocks",
            "  native (malloc, not via Rust)          28.9 KiB  malloc: mallinfo2 in use - tracked heap - per-block overhead (includes the tracker's own)",
            "  malloc free space                      90.7 KiB  malloc: mallinfo2",
            "  other anonymous                       148.0 KiB  OS: /proc/self/smaps_rollup anonymous - malloc's total",
            "  file-backed                             3.2 MiB  OS: /proc/self/smaps_rollup",
            "  swap (not resident)                           0  OS: /proc/self/smaps_rollup",
            "  memory pressure                          normal  OS: /proc/pressure/memory (PSI)",
            "",
            "cgroup: 387.3 MiB of no limit, peak 462.3 MiB; 23.0 GiB available of 23.5 GiB",
        ]
    );

    let mut out = Vec::new();
    write_json(&report, &mut out).unwrap();
    let written = String::from_utf8(out).unwrap();
    let at = |key: &str| written.find(&format!("\n  \"{key}\": ")).unwrap();
    let order = [
        "summary",
        "reachability",
        "footprint",
        "layers",
        "timeline",
        "growth",
        "sites",
    ];
    assert!(
        order.windows(2).all(|pair| at(pair[0]) < at(pair[1])),
        "{written}"
    );
    let value = to_json(&report);
    let mut footprint = fixture("tracker-footprint.json")["footprint"].clone();
    footprint["phys_footprint"] = Value::Null;
    footprint["compressed"] = Value::Null;
    footprint["malloc"]["releasable"] = Value::Null;
    footprint["malloc"]["arenas"] = Value::Null;
    footprint["malloc"]["free_outside_main_arena"] = Value::Null;
    assert_eq!(value["footprint"], footprint);
    assert_eq!(
        value["layers"],
        json!({
            "at_peak": null,
            "at_exit": {"t_ns": 4_000_000, "rss": 3_678_208, "tracked_heap": 11_040,
                        "tracker_overhead": null, "malloc_overhead": 1632, "native": 29_616,
                        "allocator_free": 92_880, "not_resident": 0, "other_anonymous": 151_552,
                        "file_backed": 3_391_488, "swap": 0, "pressure": "normal",
                        "estimates": []},
        })
    );
    assert_eq!(value["timeline"], Value::Null);
    assert_eq!(value["growth"], json!([]));
}

#[test]
fn unknown_values_are_null_in_json_and_unknown_in_the_text() {
    let report = tracker(|value| {
        value["totals"]["overhead_bytes"] = json!(20_000);
        let footprint = &mut value["footprint"];
        footprint["malloc"] = Value::Null;
        footprint["anonymous"] = Value::Null;
        footprint["pressure"] = Value::Null;
        footprint["mem_total"] = Value::Null;
        footprint["cgroup"] = json!({"version": 2, "current": null, "limit": 1_073_741_824_u64,
                                     "high": "max", "peak": null, "oom": 0, "oom_kill": 2});
    })
    .unwrap();
    let section = memory_section(&report);
    let row = |label: &str| {
        section
            .iter()
            .find(|line| line.starts_with(&format!("  {label} ")))
            .unwrap_or_else(|| panic!("no {label} in {section:#?}"))
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
    };
    assert_eq!(
        row("tracker overhead"),
        "tracker overhead 19.5 KiB tracker: its own allocations"
    );
    assert!(row("native").starts_with(
        "native (malloc, not via Rust) unknown malloc: mallinfo2 in use - the three above"
    ));
    assert!(row("malloc free space").starts_with("malloc free space unknown"));
    assert!(row("memory pressure").starts_with("memory pressure unknown"));
    assert_eq!(
        section.last().unwrap(),
        "cgroup: a 1.0 GiB limit, 2 OOM kills; 23.0 GiB available"
    );
    let value = to_json(&report);
    let exit = &value["layers"]["at_exit"];
    for field in [
        "malloc_overhead",
        "native",
        "allocator_free",
        "other_anonymous",
        "pressure",
    ] {
        assert_eq!(exit[field], Value::Null, "{field}");
    }
    assert_eq!(exit["tracker_overhead"], 20_000);
    assert_eq!(exit["rss"], 3_678_208);
    assert_eq!(value["footprint"]["malloc"], Value::Null);
    assert_eq!(value["footprint"]["cgroup"]["high"], "max");
    assert_eq!(value["footprint"]["cgroup"]["limit"], 1_073_741_824_u64);
    // An absent field reads as unknown, and is written as null.
    assert_eq!(value["footprint"]["cgroup"]["failcnt"], Value::Null);

    // Everything unknown (today's macOS): the layers say what is known.
    let report =
        tracker(|value| value["footprint"] = json!({"source": null, "rss": null})).unwrap();
    let exit = report.layers().at_exit.clone().unwrap();
    assert_eq!(
        (exit.tracked_heap, exit.rss, exit.native),
        (11_040, None, None)
    );
    assert!(
        memory_section(&report)[2].ends_with("unknown  OS"),
        "{:#?}",
        memory_section(&report)
    );
    assert_eq!(to_json(&report)["footprint"]["cgroup"], Value::Null);
}

#[test]
fn pressure_and_cgroup_headroom_are_warned_about() {
    // A profile written on request under critical pressure, the cgroup 97% full.
    let report = tracker(|value| {
        value["reason"] = json!("request");
        let footprint = &mut value["footprint"];
        footprint["pressure"]["level"] = json!("critical");
        footprint["pressure"]["some"]["avg10"] = json!(40.5);
        footprint["pressure"]["full"]["avg10"] = json!(12.25);
        footprint["cgroup"]["limit"] = json!(419_430_400);
    })
    .unwrap();
    let section = memory_section(&report);
    assert!(section[1].contains("when written (0.00 s)"), "{section:#?}");
    let warnings: Vec<&String> = section
        .iter()
        .filter(|l| l.starts_with("warning: "))
        .collect();
    assert_eq!(
        warnings,
        [
            "warning: memory pressure reached critical at 0.00 s (tasks stalled waiting for \
             memory: some 40.50%, full 12.25% of the last 10 s): the system was short of memory",
            "warning: the cgroup came within 3.2% of its 400.0 MiB memory limit (387.3 MiB \
             charged at 0.00 s): at the limit, the kernel reclaims and then OOM-kills",
        ]
    );
}

#[test]
fn a_profile_without_footprint_has_no_section_and_null_layers() {
    let mut value = fixture("tracker-footprint.json");
    value.as_object_mut().unwrap().remove("footprint");
    let profile = parse_profile(Path::new("/t/p.json"), value.to_string().as_bytes()).unwrap();
    assert!(profile.footprint().is_none());
    let report = Report::build(&profile, ProgramInfo::from_profile(&profile));
    assert!(report.footprint().is_none());
    assert_eq!(report.layers(), &MemoryLayers::default());
    assert!(memory_section(&report).is_empty());
    let json = to_json(&report);
    assert_eq!(json["footprint"], Value::Null);
    assert_eq!(json["layers"], json!({"at_peak": null, "at_exit": null}));

    // The older, hand-written fixture has none either.
    let older = fixture("leaky.json");
    let profile = parse_profile(Path::new("/t/old.json"), older.to_string().as_bytes()).unwrap();
    let report = Report::build(&profile, ProgramInfo::from_profile(&profile));
    assert_eq!(
        to_json(&report)["layers"],
        json!({"at_peak": null, "at_exit": null})
    );
}

#[test]
fn malformed_footprints_are_rejected_naming_the_field() {
    type Edit = fn(&mut Value);
    let cases: [(Edit, &str, &str); 5] = [
        (
            |v| v["footprint"]["rss"] = json!("3 MiB"),
            "footprint.rss",
            "invalid type: string \"3 MiB\", expected u64",
        ),
        (
            |v| v["footprint"]["cgroup"]["limit"] = json!("none"),
            "footprint.cgroup.limit",
            "expected a byte count or \"max\"",
        ),
        (
            |v| v["footprint"]["malloc"] = json!([1, 2, 3]),
            "footprint.malloc",
            "expected an object",
        ),
        (
            |v| v["footprint"]["pressure"]["some"]["avg10"] = json!(-3.5),
            "footprint.pressure.some.avg10",
            "must be 0 to 100, found -3.5",
        ),
        (
            |v| v["footprint"]["pressure"]["full"]["total_us"] = json!(0.5),
            "footprint.pressure.full.total_us",
            "expected u64",
        ),
    ];
    for (edit, field, wanted) in cases {
        let error = tracker(edit).unwrap_err();
        let message = error.to_string();
        assert!(
            message.starts_with(&format!(
                "profile /t/profile.json has an invalid field `{field}`: "
            )),
            "{message}"
        );
        assert!(message.contains(wanted), "{message}");
    }
}
