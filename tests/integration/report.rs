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

/// `cargo memleak report PROFILE --format FORMAT -o FILE` on leaky's profile.
pub(crate) fn export(format: &str, file: &Path) -> Output {
    real_profile();
    let profile = out_dir("leaky").join("profile.json");
    cargo_memleak(&[
        "report",
        profile.to_str().unwrap(),
        "--format",
        format,
        "-o",
        file.to_str().unwrap(),
    ])
}

/// leaky's profile, from the shared run.
pub(crate) fn real_profile() -> Vec<u8> {
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

/// A profile whose program was rebuilt after the run: the build id in the profile no
/// longer matches the file, so the report says so and shows addresses, never the names
/// of another build. The leak figures, which do not depend on names, stay exact.
#[test]
fn rebuilt_binary_gives_a_warning_not_wrong_names() {
    let mut profile: serde_json::Value = serde_json::from_slice(&real_profile()).unwrap();
    let exe = profile["exe"].as_str().unwrap().to_owned();
    let modules = profile["modules"].as_array_mut().expect("a module map");
    let own = modules
        .iter_mut()
        .find(|module| module["path"] == exe.as_str())
        .expect("the executable is in the module map");
    assert_eq!(own["build_id"].as_str().map_or(0, str::len), 40, "{own}");
    own["build_id"] = "0123456789abcdef0123456789abcdef01234567".into();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("rebuilt.json");
    std::fs::write(&path, serde_json::to_vec(&profile).unwrap()).unwrap();

    let output = report(&path);
    output.assert_code(code::LEAKS_FOUND);
    let warning = format!("warning: {exe} was rebuilt after the run (build id ");
    assert!(output.stdout.contains(&warning), "{output:?}");
    assert!(
        output
            .stdout
            .contains("the run's was 0123456789abcdef0123456789abcdef01234567)"),
        "{output:?}"
    );
    assert!(
        output
            .stdout
            .contains("definitely lost: 10,496 bytes in 101 blocks"),
        "{output:?}"
    );
    assert!(!output.stdout.contains("leaky::leak_some"), "{output:?}");
    assert!(output.stdout.contains("??  0x"), "{output:?}");

    let json = cargo_memleak(&["report", path.to_str().unwrap(), "--json"]);
    let json: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
    let unsymbolized = &json["program"]["unsymbolized"];
    assert_eq!(unsymbolized[0]["module"], exe.as_str(), "{unsymbolized}");
    assert_eq!(unsymbolized[0]["rebuilt"], true);
    assert!(unsymbolized[0]["frames"].as_u64().unwrap() > 0);
}

/// `--format folded -o FILE`: leaky's two leak sites as folded stacks, exact bytes, for
/// any flamegraph tool; the report's exit code is still the leaks'.
#[test]
fn real_profile_exports_folded_stacks() {
    let dir = tempfile::tempdir().unwrap();
    let folded = dir.path().join("live.folded");
    let output = export("folded", &folded);
    output.assert_code(code::LEAKS_FOUND);
    assert!(
        output
            .stderr
            .contains(&format!("wrote {}", folded.display())),
        "{output:?}"
    );
    assert_eq!(output.stdout, "", "{output:?}");
    let text = std::fs::read_to_string(&folded).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    let leak_some = lines
        .iter()
        .find(|line| line.contains("leaky::leak_some"))
        .unwrap_or_else(|| panic!("no leak_some line in\n{text}"));
    assert!(leak_some.ends_with(";leaky::leak_some 6400"), "{text}");
    assert!(leak_some.starts_with("leaky::main;"), "{text}");
    assert!(
        lines
            .iter()
            .any(|line| line.ends_with(";leaky::leak_box 4096")),
        "{text}"
    );
}

/// An output file that cannot be written: exit 14 with a message naming it.
#[test]
fn unwritable_output_is_named() {
    real_profile();
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("no-such-dir").join("report.txt");
    let profile = out_dir("leaky").join("profile.json");
    let output = cargo_memleak(&[
        "report",
        profile.to_str().unwrap(),
        "-o",
        target.to_str().unwrap(),
    ]);
    output.assert_code(code::SETUP_ERROR);
    assert!(
        output.stderr.contains(&target.display().to_string()),
        "{output:?}"
    );
}

/// `--max-leaked BYTES`: leaky's 10,496 leaked bytes pass a budget of 10,496 (or 11k)
/// and fail one of 10,495 (or 10k); a budget that is not a size is a usage error.
#[test]
fn max_leaked_is_a_budget_of_leaked_bytes() {
    real_profile();
    let profile = out_dir("leaky").join("profile.json");
    let profile = profile.to_str().unwrap();
    for (budget, expected) in [
        ("10496", code::SUCCESS),
        ("11k", code::SUCCESS),
        ("10495", code::LEAKS_FOUND),
        ("10k", code::LEAKS_FOUND),
    ] {
        let output = cargo_memleak(&["report", profile, "--max-leaked", budget]);
        assert_eq!(
            output.code,
            Some(expected),
            "--max-leaked {budget}\n{output:?}"
        );
        assert!(
            output
                .stdout
                .contains("definitely lost: 10,496 bytes in 101 blocks"),
            "{output:?}"
        );
    }
    let output = cargo_memleak(&["report", profile, "--max-leaked", "lots"]);
    output.assert_code(code::USAGE_ERROR);
    assert!(output.stderr.contains("--max-leaked"), "{output:?}");
}

/// `--format dhat`: DHAT's JSON with every field valgrind's dh_view.js checks for when
/// block lifetimes are off, and leaky's allocation totals by stack.
#[test]
fn real_profile_exports_dhat_json() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("dhat.json");
    let output = export("dhat", &path);
    output.assert_code(code::LEAKS_FOUND);
    let dhat: serde_json::Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    // dh_view.js's `buildTree` and `checkPP`, for `bklt: false` and `bkacc: false`.
    for field in [
        "dhatFileVersion",
        "mode",
        "verb",
        "bklt",
        "bkacc",
        "tu",
        "Mtu",
        "cmd",
        "pid",
        "te",
        "pps",
        "ftbl",
    ] {
        assert!(dhat.get(field).is_some(), "no {field}: {dhat:#}");
    }
    assert_eq!(dhat["dhatFileVersion"], 2);
    assert_eq!(
        (&dhat["bklt"], &dhat["bkacc"]),
        (&false.into(), &false.into())
    );
    assert!(dhat["te"].as_u64().unwrap() > 0, "{dhat:#}");
    let ftbl = dhat["ftbl"].as_array().unwrap();
    assert_eq!(ftbl[0], "[root]");
    let frame = |pp: &serde_json::Value| {
        let index = pp["fs"][0].as_u64().unwrap();
        ftbl[usize::try_from(index).unwrap()]
            .as_str()
            .unwrap()
            .to_owned()
    };
    let pps = dhat["pps"].as_array().unwrap();
    for pp in pps {
        for field in ["tb", "tbk", "fs"] {
            assert!(pp.get(field).is_some(), "no {field}: {pp}");
        }
    }
    // dh_view refuses two points with the same frames ("repeated location").
    let stacks: std::collections::HashSet<String> =
        pps.iter().map(|pp| pp["fs"].to_string()).collect();
    assert_eq!(stacks.len(), pps.len(), "{dhat:#}");
    let leak_some = pps
        .iter()
        .find(|pp| frame(pp).starts_with("leaky::leak_some ("))
        .unwrap_or_else(|| panic!("no leak_some point: {dhat:#}"));
    assert_eq!(
        (&leak_some["tb"], &leak_some["tbk"]),
        (&6400.into(), &100.into())
    );
    assert!(frame(leak_some).contains("examples/leaky.rs:"), "{dhat:#}");
}
