//! `cargo memleak report`: a bad profile exits 13 with leak-report's message naming the
//! file, never a panic; a good one renders.

use std::path::Path;

use crate::{Output, cargo_memleak, code, leaky, out_dir};

fn report(profile: &Path) -> Output {
    cargo_memleak(&["report", profile.to_str().expect("temp paths are UTF-8")])
}

fn assert_unreadable(profile: &Path) {
    let output = report(profile);
    output.assert_code(code::PROFILE_UNREADABLE);
    assert!(
        output.stderr.contains(&profile.display().to_string()),
        "the message does not name the file\n{output:?}"
    );
    assert!(output.stderr.contains("error: "), "{output:?}");
}

/// leaky's profile, from the shared run.
fn real_profile() -> Vec<u8> {
    let output = leaky();
    output.assert_code(code::LEAKS_FOUND);
    std::fs::read(out_dir("leaky").join("profile.json")).expect("leaky wrote no profile")
}

#[test]
fn corrupt_profile_is_unreadable() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("corrupt.json");
    std::fs::write(&path, "{ this is not a profile").unwrap();
    assert_unreadable(&path);
}

#[test]
fn missing_profile_is_unreadable() {
    let dir = tempfile::tempdir().unwrap();
    assert_unreadable(&dir.path().join("missing.json"));
}

#[test]
fn truncated_profile_is_unreadable() {
    let profile = real_profile();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("truncated.json");
    std::fs::write(&path, &profile[..profile.len() / 2]).unwrap();
    assert_unreadable(&path);
}

#[test]
fn future_version_is_unreadable() {
    let mut profile: serde_json::Value = serde_json::from_slice(&real_profile()).unwrap();
    profile["version"] = 999.into();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("future.json");
    std::fs::write(&path, serde_json::to_vec(&profile).unwrap()).unwrap();
    assert_unreadable(&path);
}

#[test]
fn real_profile_renders_as_json_and_svg() {
    real_profile();
    let dir = tempfile::tempdir().unwrap();
    let svg = dir.path().join("live.svg");
    let profile = out_dir("leaky").join("profile.json");
    let output = cargo_memleak(&[
        "report",
        profile.to_str().unwrap(),
        "--json",
        "--svg",
        svg.to_str().unwrap(),
    ]);
    output.assert_code(code::LEAKS_FOUND);
    let json: serde_json::Value =
        serde_json::from_str(&output.stdout).unwrap_or_else(|e| panic!("{e}\n{output:?}"));
    assert_eq!(json["format"], "memleak-report", "{output:?}");
    assert!(std::fs::read_to_string(&svg).unwrap().contains("<svg"));
}
