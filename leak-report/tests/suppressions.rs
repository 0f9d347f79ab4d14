//! `memleak.toml` through the public API: loading from disk, errors that name the file
//! and the line, and suppressions applied to a profile without a reachability scan.

use std::fs;
use std::path::Path;

use leak_report::{
    Amount, Error, ProgramInfo, Report, SiteKind, Suppressions, TextOptions, flamegraph_kinds,
    load_profile, to_json, write_text,
};

/// Writes `text` as `memleak.toml` in a fresh directory and loads it.
fn load(text: &str) -> (tempfile::TempDir, Result<Suppressions, Error>) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("memleak.toml");
    fs::write(&path, text).unwrap();
    let result = Suppressions::load(&path);
    (dir, result)
}

#[test]
fn a_file_loads() {
    let (_dir, suppressions) = load(
        "# accepted leaks\n\n[[suppress]]\nfunction = \"leaky::leak_box\"\nreason = \"on purpose\"\n",
    );
    let suppressions = suppressions.unwrap();
    assert_eq!(suppressions.entries().len(), 1);
    let entry = &suppressions.entries()[0];
    assert_eq!(
        (
            entry.function.as_str(),
            entry.kind,
            entry.reason.as_deref(),
            entry.line
        ),
        ("leaky::leak_box", None, Some("on purpose"), 3)
    );
}

#[test]
fn every_error_names_the_file_and_the_line() {
    let cases: [(&str, usize, &str); 7] = [
        (
            "[[suppress]]\nfunction = \"a\"\nkind = \"lost\"\n",
            3,
            "unknown kind `lost`",
        ),
        ("[[suppress]]\nfunction = \"\"\n", 2, "`function` is empty"),
        (
            "[[suppress]]\nfunction = \"a\"\nwhy = \"b\"\n",
            3,
            "unknown field `why`",
        ),
        (
            "\n[[suppress]]\nreason = \"b\"\n",
            2,
            "missing field `function`",
        ),
        (
            "[[suppress]]\nfunction = [\"a\"]\n",
            2,
            "invalid type: sequence, expected a string",
        ),
        (
            "[[suppress]]\nfunction = \"a\"\nkind = 1\n",
            3,
            "invalid type: integer `1`",
        ),
        ("[[suppress]]\nfunction = \"a\n", 2, "invalid basic string"),
    ];
    for (text, line, needle) in cases {
        let (dir, result) = load(text);
        let error = result.unwrap_err();
        let path = dir.path().join("memleak.toml");
        assert_eq!(error.path(), path);
        assert!(
            matches!(&error, Error::InvalidSuppressions { line: Some(at), .. } if *at == line),
            "{text:?}: {error:?}"
        );
        let message = error.to_string();
        let start = format!(
            "suppressions file {} is invalid at line {line}: ",
            path.display()
        );
        assert!(message.starts_with(&start), "{message}");
        assert!(message.contains(needle), "{needle:?} not in {message}");
        assert!(!message.ends_with('.'), "{message}");
    }
    let error = Suppressions::load(Path::new("/nonexistent/memleak.toml")).unwrap_err();
    assert!(matches!(error, Error::SuppressionsIo { .. }), "{error:?}");
}

/// The leaky fixture has no scan: a suppression without a kind hides live-at-exit
/// memory; one with a kind hides nothing.
#[test]
fn suppressions_without_a_scan() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/leaky.json");
    let profile = load_profile(&path).unwrap();
    let suppressions = Suppressions::parse(
        Path::new("memleak.toml"),
        "[[suppress]]\nfunction = \"leaky::leak_box\"\n\
         [[suppress]]\nfunction = \"leaky::*\"\nkind = \"definite\"\n",
    )
    .unwrap();
    let report = Report::build_with(&profile, ProgramInfo::from_profile(&profile), &suppressions);
    assert_eq!(report.summary().live_at_exit, Amount::new(6400, 100));
    assert_eq!(report.summary().suppressed, Amount::new(4096, 1));
    let hidden: Vec<Amount> = report
        .suppressed()
        .iter()
        .map(|entry| entry.hidden)
        .collect();
    assert_eq!(hidden, [Amount::new(4096, 1), Amount::new(0, 0)]);
    assert!(report.has_leaks());
    assert_eq!(report.leaked_bytes(), 6400);
    assert!(
        report
            .sites()
            .iter()
            .all(|site| site.stack[0].function != "leaky::leak_box")
    );
    assert_eq!(flamegraph_kinds(&report), [SiteKind::LiveAtExit]);

    let mut out = Vec::new();
    write_text(&report, &mut out, &TextOptions::default()).unwrap();
    let text = String::from_utf8(out).unwrap();
    assert!(
        text.ends_with("\n\nsuppressed by `leaky::leak_box`: 4,096 bytes in 1 block\n"),
        "{text}"
    );
    assert!(
        text.contains("\nlive at exit: 6,400 bytes in 100 blocks from 1 site\n"),
        "{text}"
    );

    let json = to_json(&report);
    assert_eq!(json["summary"]["definite"], serde_json::Value::Null);
    assert_eq!(json["summary"]["cycles"], serde_json::Value::Null);
    assert_eq!(json["reachability"], serde_json::Value::Null);
    assert_eq!(json["cycles"], serde_json::json!([]));
    assert_eq!(json["suppressed"][0]["bytes"], 4096);
}
