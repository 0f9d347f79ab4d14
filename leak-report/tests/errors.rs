//! Every way `load_profile` rejects a file, through the public API and real files: the
//! right variant, and a message that names the file.

use std::fs;
use std::path::{Path, PathBuf};

use leak_report::{Error, load_profile};

const LEAKY: &str = include_str!("fixtures/leaky.json");

/// Writes `bytes` to a file in a fresh directory and loads it.
fn load(bytes: &[u8]) -> (tempfile::TempDir, PathBuf, Error) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("profile.json");
    fs::write(&path, bytes).unwrap();
    let error = load_profile(&path).expect_err("must be rejected");
    (dir, path, error)
}

/// The fixture with `from` replaced by `to` (which must occur).
fn fixture_with(from: &str, to: &str) -> String {
    assert!(LEAKY.contains(from), "fixture lacks {from}");
    LEAKY.replacen(from, to, 1)
}

/// Loads `bytes`, checks the message names the file and contains every `needle`.
fn rejected(bytes: &[u8], needles: &[&str]) -> Error {
    let (_dir, path, error) = load(bytes);
    let message = error.to_string();
    assert!(
        message.contains(&path.display().to_string()),
        "no file in: {message}"
    );
    assert_eq!(error.path(), path);
    assert!(!message.ends_with('.'), "{message}");
    for needle in needles {
        assert!(message.contains(needle), "{needle:?} not in: {message}");
    }
    error
}

#[test]
fn the_fixture_itself_loads() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/leaky.json");
    let profile = load_profile(&path).unwrap();
    assert_eq!(profile.sites().len(), 6);
}

#[test]
fn unreadable_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("missing.json");
    let error = load_profile(&path).unwrap_err();
    assert!(matches!(error, Error::Io { .. }), "{error:?}");
    assert!(error.to_string().contains("missing.json"));
    let source = std::error::Error::source(&error).expect("io source");
    assert!(
        source.to_string().to_lowercase().contains("no such file"),
        "{source}"
    );

    let error = load_profile(dir.path()).unwrap_err();
    assert!(matches!(error, Error::Io { .. }), "a directory: {error:?}");
}

#[test]
fn empty_file() {
    let error = rejected(b"", &["is empty"]);
    assert!(matches!(error, Error::Empty { .. }), "{error:?}");
}

#[test]
fn truncated_file() {
    let cut = &LEAKY.as_bytes()[..LEAKY.len() / 2];
    let error = rejected(cut, &["truncated", "line ", "column "]);
    assert!(matches!(error, Error::Truncated { .. }), "{error:?}");
}

#[test]
fn not_json() {
    let error = rejected(
        b"{\"format\": \"memleak-profile\",\n  oops}",
        &["not valid JSON", "line 2, column 3"],
    );
    assert!(
        matches!(
            error,
            Error::Corrupt {
                line: 2,
                column: 3,
                ..
            }
        ),
        "{error:?}"
    );
    let error = rejected(b"\x00\xff\xfe binary", &["not valid JSON"]);
    assert!(matches!(error, Error::Corrupt { .. }), "{error:?}");
}

#[test]
fn other_format() {
    let error = rejected(
        br#"{"format":"other"}"#,
        &["not a memleak profile", "\"other\""],
    );
    assert!(
        matches!(&error, Error::WrongFormat { found, .. } if found == "format \"other\""),
        "{error:?}"
    );
}

#[test]
fn newer_version() {
    let text = fixture_with("\"version\": 1", "\"version\": 3");
    let error = rejected(
        text.as_bytes(),
        &["version 3", "up to 2", "upgrade cargo-memleak"],
    );
    assert!(
        matches!(
            error,
            Error::UnsupportedVersion {
                found: 3,
                supported: 2,
                ..
            }
        ),
        "{error:?}"
    );
}

#[test]
fn missing_field() {
    let text = fixture_with("\"peak_live_bytes\": 12000, ", "");
    let error = rejected(text.as_bytes(), &["missing", "`totals.peak_live_bytes`"]);
    assert!(
        matches!(&error, Error::MissingField { field, .. } if field == "totals.peak_live_bytes"),
        "{error:?}"
    );
}

#[test]
fn mistyped_field() {
    let text = fixture_with("\"size\": 4096", "\"size\": \"4096\"");
    let error = rejected(
        text.as_bytes(),
        &["invalid field `live[100].size`", "expected u64"],
    );
    assert!(matches!(error, Error::InvalidField { .. }), "{error:?}");
}

#[test]
fn dangling_frame_index() {
    let text = fixture_with(
        "\"frames\": [0, 1, 2, 15, 16,",
        "\"frames\": [0, 1, 2, 15, 99,",
    );
    let error = rejected(
        text.as_bytes(),
        &["sites[2].frames[4]", "frame index 99", "only 29"],
    );
    assert!(
        matches!(
            error,
            Error::DanglingFrame {
                site: 2,
                position: 4,
                frame: 99,
                frames: 29,
                ..
            }
        ),
        "{error:?}"
    );
}

#[test]
fn dangling_site_id() {
    let text = fixture_with("\"site\": 4,", "\"site\": 44,");
    let error = rejected(text.as_bytes(), &["live[102].site", "site id 44"]);
    assert!(
        matches!(
            error,
            Error::DanglingSite {
                block: 102,
                site: 44,
                ..
            }
        ),
        "{error:?}"
    );
}

#[test]
fn duplicate_site_id() {
    let text = fixture_with("{\"id\": 5,", "{\"id\": 3,");
    let error = rejected(text.as_bytes(), &["sites[5]", "repeats site id 3"]);
    assert!(
        matches!(
            error,
            Error::DuplicateSite {
                index: 5,
                id: 3,
                ..
            }
        ),
        "{error:?}"
    );
}

/// The fixture with a reachability scan whose block 101 points to a block that is not
/// there, or to a reachable one.
#[test]
fn bad_reachability_fields() {
    let mut value: serde_json::Value = serde_json::from_str(LEAKY).unwrap();
    value["reachability"] = serde_json::json!({"scanned": true, "scan_ns": 0, "root_bytes": 0,
                                             "bytes_scanned": 0, "threads": 0, "complete": true});
    let blocks = value["live"].as_array_mut().unwrap();
    for block in blocks.iter_mut() {
        block["reachable"] = serde_json::json!(false);
    }
    blocks[101]["refs"] = serde_json::json!([0, 103]);
    let error = rejected(
        value.to_string().as_bytes(),
        &["live[101].refs[1] is block index 103", "only 103 entries"],
    );
    assert!(
        matches!(
            error,
            Error::DanglingRef {
                block: 101,
                position: 1,
                target: 103,
                blocks: 103,
                ..
            }
        ),
        "{error:?}"
    );

    value["live"][101]["refs"] = serde_json::json!([0]);
    value["live"][0]["reachable"] = serde_json::json!(true);
    let error = rejected(
        value.to_string().as_bytes(),
        &[
            "invalid field `live[101].refs[0]`",
            "points to live[0], which is reachable",
        ],
    );
    assert!(matches!(error, Error::InvalidField { .. }), "{error:?}");

    value["live"][0]
        .as_object_mut()
        .unwrap()
        .remove("reachable");
    let error = rejected(
        value.to_string().as_bytes(),
        &["missing the field `live[0].reachable`"],
    );
    assert!(matches!(error, Error::MissingField { .. }), "{error:?}");
}
