//! The footprint of a profile through the public API: loading it (and rejecting a
//! malformed one), the layers derived from it, report.json's `footprint` and `layers`,
//! and the text report's "memory at exit" block.

use std::path::Path;

use leak_report::{Error, Layers, Limit, ProgramInfo, Report, TextOptions, parse_profile};
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
    report
        .write_text(&mut out, &TextOptions::default())
        .unwrap();
    String::from_utf8(out).unwrap()
}

/// The lines between the summary's `allocated:` line (and its notes) and the first
/// blank line.
fn memory_block(report: &Report) -> Vec<String> {
    text(report)
        .lines()
        .skip_while(|line| !line.starts_with("allocated: "))
        .skip(1)
        .skip_while(|line| line.starts_with("note: "))
        .take_while(|line| !line.is_empty())
        .map(str::to_owned)
        .collect()
}

#[test]
fn real_profile_layers_text_and_json() {
    let report = tracker(|_| {}).unwrap();
    let layers = *report.layers().unwrap();
    assert_eq!(layers.heap_tracked, 11_040);
    assert_eq!(layers.malloc_in_use, Some(42_288));
    assert_eq!(layers.malloc_untracked, Some(31_248));
    assert_eq!(layers.malloc_free, Some(92_880));
    assert_eq!(layers.rss, Some(3_678_208));
    assert_eq!(layers.other_anonymous, Some(151_552));
    assert_eq!(layers.file_backed, Some(3_391_488));
    assert_eq!(layers.swap, Some(0));
    let cgroup = report.footprint().unwrap().cgroup.as_ref().unwrap();
    assert_eq!(cgroup.limit, Some(Limit::Max));

    assert_eq!(
        memory_block(&report),
        [
            "process at exit: RSS 3.5 MiB = heap (tracked) 10.8 KiB + native/other malloc \
             ~30.5 KiB + malloc free 90.7 KiB + other anonymous 148.0 KiB + file-backed 3.2 MiB; \
             swap 0",
            "cgroup: 387.3 MiB of no limit, peak 462.3 MiB; pressure normal; 23.0 GiB available \
             of 23.5 GiB",
        ]
    );

    let mut out = Vec::new();
    report.write_json(&mut out).unwrap();
    let written = String::from_utf8(out).unwrap();
    let at = |key: &str| written.find(&format!("\n  \"{key}\": ")).unwrap();
    let order = ["summary", "reachability", "footprint", "layers", "sites"];
    assert!(
        order.windows(2).all(|pair| at(pair[0]) < at(pair[1])),
        "{written}"
    );
    let value = report.to_json();
    assert_eq!(
        value["footprint"],
        fixture("tracker-footprint.json")["footprint"]
    );
    assert_eq!(
        value["layers"],
        json!({
            "tracker": {"heap": 11040},
            "allocator": {"in_use": 42288, "untracked": 31248, "free": 92880},
            "os": {"rss": 3678208, "other_anonymous": 151552, "file_backed": 3391488, "swap": 0},
        })
    );
}

#[test]
fn unknown_values_are_null_in_json_and_left_out_of_the_text() {
    let report = tracker(|value| {
        let footprint = &mut value["footprint"];
        footprint["malloc"] = Value::Null;
        footprint["anonymous"] = Value::Null;
        footprint["pressure"] = Value::Null;
        footprint["mem_total"] = Value::Null;
        footprint["cgroup"] = json!({"version": 2, "current": null, "limit": 1_073_741_824_u64,
                                     "high": "max", "peak": null, "oom": 0, "oom_kill": 2});
    })
    .unwrap();
    assert_eq!(
        memory_block(&report),
        [
            "process at exit: RSS 3.5 MiB; heap (tracked) 10.8 KiB, file-backed 3.2 MiB; swap 0",
            "cgroup: a 1.0 GiB limit, 2 OOM kills; 23.0 GiB available",
        ]
    );
    let value = report.to_json();
    assert_eq!(
        value["layers"],
        json!({
            "tracker": {"heap": 11040},
            "allocator": {"in_use": null, "untracked": null, "free": null},
            "os": {"rss": 3678208, "other_anonymous": null, "file_backed": 3391488, "swap": 0},
        })
    );
    assert_eq!(value["footprint"]["malloc"], Value::Null);
    assert_eq!(value["footprint"]["cgroup"]["high"], "max");
    assert_eq!(value["footprint"]["cgroup"]["limit"], 1_073_741_824_u64);
    // An absent field reads as unknown, and is written as null.
    assert_eq!(value["footprint"]["cgroup"]["failcnt"], Value::Null);

    // Everything unknown (today's macOS): no block, but the layers say what is known.
    let report =
        tracker(|value| value["footprint"] = json!({"source": null, "rss": null})).unwrap();
    assert!(memory_block(&report).is_empty(), "{}", text(&report));
    let layers = report.layers().unwrap();
    assert_eq!(
        (layers.heap_tracked, layers.rss, layers.malloc_untracked),
        (11_040, None, None)
    );
    assert_eq!(report.to_json()["footprint"]["cgroup"], Value::Null);
}

#[test]
fn parts_that_do_not_add_up_are_listed_not_equated() {
    // malloc reports less in use than the tracker saw live (another inner allocator):
    // the estimate is clamped at 0 and the parts no longer add up to the RSS.
    let report = tracker(|value| {
        value["reason"] = json!("request");
        let footprint = &mut value["footprint"];
        footprint["malloc"] = json!({"in_use": 4000, "free": 0, "mmapped": 0});
        footprint["pressure"]["level"] = json!("critical");
        footprint["pressure"]["some"]["avg10"] = json!(40.5);
        footprint["pressure"]["full"]["avg10"] = json!(12.25);
    })
    .unwrap();
    let layers: &Layers = report.layers().unwrap();
    assert_eq!(layers.malloc_untracked, Some(0));
    assert_eq!(layers.other_anonymous, Some(286_720 - 4000));
    let block = memory_block(&report);
    assert_eq!(
        block[0],
        "process when written: RSS 3.5 MiB; heap (tracked) 10.8 KiB, native/other malloc ~0, \
         malloc free 0, other anonymous 276.1 KiB, file-backed 3.2 MiB; swap 0"
    );
    assert!(
        block[1]
            .contains("; pressure critical (stalled: some 40.50%, full 12.25% of the last 10 s);"),
        "{}",
        block[1]
    );
}

#[test]
fn a_profile_without_footprint_has_no_block_and_null_json() {
    let mut value = fixture("tracker-footprint.json");
    value.as_object_mut().unwrap().remove("footprint");
    let profile = parse_profile(Path::new("/t/p.json"), value.to_string().as_bytes()).unwrap();
    assert!(profile.footprint().is_none());
    let report = Report::build(&profile, ProgramInfo::from_profile(&profile));
    assert!(report.footprint().is_none() && report.layers().is_none());
    assert!(memory_block(&report).is_empty());
    assert!(!text(&report).contains("process at exit"));
    let json = report.to_json();
    assert_eq!(json["footprint"], Value::Null);
    assert_eq!(json["layers"], Value::Null);

    // The older, hand-written fixture has none either.
    let older = fixture("leaky.json");
    let profile = parse_profile(Path::new("/t/old.json"), older.to_string().as_bytes()).unwrap();
    let report = Report::build(&profile, ProgramInfo::from_profile(&profile));
    assert_eq!(report.to_json()["layers"], Value::Null);
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
