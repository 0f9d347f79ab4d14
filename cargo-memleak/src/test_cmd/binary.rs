//! The test executables of a `cargo test --no-run` build, from its JSON messages, and the
//! directory each one's report files go to.

use crate::tracking::Tracking;
use std::path::PathBuf;

use cargo_metadata::{Artifact, TargetKind};

use crate::cargo::Runner;

/// A test executable that `cargo test --no-run` built: a target compiled with `--test`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct TestBinary {
    pub(crate) executable: PathBuf,
    pub(crate) package_id: String,
    /// The package's manifest: cargo runs a test binary in its directory.
    pub(crate) manifest_path: PathBuf,
    /// `lib` (for every library crate type), `bin`, `test`, `bench` or `example`.
    pub(crate) kind: String,
    /// The target's name.
    pub(crate) name: String,
    /// The package's name.
    pub(crate) package: String,
    pub(crate) src_path: PathBuf,
    /// What cargo runs it with (`target.<triple>.runner`), if anything.
    pub(crate) runner: Option<Runner>,
    /// How the tracker sees it (in-process until chosen).
    pub(crate) tracking: Tracking,
}

/// The test executables among `cargo test --no-run`'s artifacts: every one built with
/// `profile.test` and an `executable`, once each, ordered as cargo runs them (by
/// package, then library, binaries, tests, benches, examples, then name).
pub(crate) fn pick_test_binaries(artifacts: &[Artifact]) -> Vec<TestBinary> {
    const ORDER: [&str; 5] = ["lib", "bin", "test", "bench", "example"];
    let mut found: Vec<TestBinary> = Vec::new();
    for artifact in artifacts {
        let Some(executable) = artifact
            .executable
            .as_ref()
            .filter(|_| artifact.profile.test)
        else {
            continue;
        };
        let target = &artifact.target;
        let kind = match target.kind.first() {
            Some(TargetKind::Bin) => "bin",
            Some(TargetKind::Test) => "test",
            Some(TargetKind::Bench) => "bench",
            Some(TargetKind::Example) => "example",
            _ => "lib",
        };
        let binary = TestBinary {
            executable: executable.clone().into_std_path_buf(),
            package_id: artifact.package_id.repr.clone(),
            manifest_path: artifact.manifest_path.clone().into_std_path_buf(),
            kind: kind.to_owned(),
            name: target.name.clone(),
            package: package_name(&artifact.package_id.repr).to_owned(),
            src_path: target.src_path.clone().into_std_path_buf(),
            runner: None,
            tracking: Tracking::InProcess,
        };
        if !found.iter().any(|b| b.executable == binary.executable) {
            found.push(binary);
        }
    }
    let rank = |kind: &str| ORDER.iter().position(|k| *k == kind);
    found.sort_by(|a, b| {
        (&a.manifest_path, rank(&a.kind), &a.name).cmp(&(&b.manifest_path, rank(&b.kind), &b.name))
    });
    found
}

/// The package name in a package id: `name` in `...#name@1.0`, else the last path
/// segment of a `path+file:///w/name#1.0` id.
fn package_name(id: &str) -> &str {
    let (url, fragment) = id.split_once('#').unwrap_or((id, ""));
    match fragment.split_once('@') {
        Some((name, _)) => name,
        None => url.rsplit('/').next().unwrap_or(url),
    }
}

/// The name of each binary's directory under `<target dir>/memleak/test/`, in order: its
/// target name; `<name>-<kind>` when two binaries share the name (a package's library
/// and binary); `<package>-<name>-<kind>` when even that is shared (two packages' `it`).
pub(crate) fn dir_names(binaries: &[TestBinary]) -> Vec<String> {
    let tiers = |b: &TestBinary| {
        [
            b.name.clone(),
            format!("{}-{}", b.name, b.kind),
            format!("{}-{}-{}", b.package, b.name, b.kind),
        ]
    };
    binaries
        .iter()
        .map(|binary| {
            let mine = tiers(binary);
            let tier = (0..2)
                .find(|&tier| {
                    binaries
                        .iter()
                        .filter(|other| tiers(other)[tier] == mine[tier])
                        .count()
                        == 1
                })
                .unwrap_or(2);
            mine[tier].clone()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;

    use serde_json::json;

    use crate::build_messages::test_artifact;

    /// An artifact of package `lt` (or `a`, for the proc macro) in /w.
    fn built(kind: &str, crate_type: &str, name: &str, test: bool, exe: Option<&str>) -> Artifact {
        let package = if kind == "proc-macro" { "a" } else { "lt" };
        let src = match kind {
            "test" => format!("/w/{package}/tests/{name}.rs"),
            "bin" => format!("/w/{package}/src/main.rs"),
            "example" => format!("/w/{package}/examples/{name}.rs"),
            _ => format!("/w/{package}/src/lib.rs"),
        };
        test_artifact(&json!({
            "package_id": format!("path+file:///w/{package}#0.1.0"),
            "manifest_path": format!("/w/{package}/Cargo.toml"),
            "target": {"kind": [kind], "crate_types": [crate_type], "name": name, "src_path": src},
            "test": test, "executable": exe}))
    }

    #[test]
    fn test_binaries_are_the_test_profile_executables_in_cargo_order() {
        let lib = built("lib", "lib", "lt", false, None);
        let example = built("example", "bin", "ex", false, Some("/t/debug/examples/ex"));
        let it_test = built("test", "bin", "it", true, Some("/t/debug/deps/it-3c4d"));
        let artifacts = [
            lib.clone(),
            example.clone(),
            it_test.clone(),
            built("bin", "bin", "lt", true, Some("/t/debug/deps/lt-5e6f")),
            built("lib", "lib", "lt", true, Some("/t/debug/deps/lt-1a2b")),
            it_test,
            built(
                "proc-macro",
                "proc-macro",
                "a",
                true,
                Some("/t/debug/deps/a-7a8b"),
            ),
        ];
        let binaries = pick_test_binaries(&artifacts);
        let names: Vec<(&str, &str, &str)> = binaries
            .iter()
            .map(|b| {
                (
                    b.kind.as_str(),
                    b.name.as_str(),
                    b.executable.to_str().unwrap(),
                )
            })
            .collect();
        assert_eq!(
            names,
            [
                ("lib", "a", "/t/debug/deps/a-7a8b"),
                ("lib", "lt", "/t/debug/deps/lt-1a2b"),
                ("bin", "lt", "/t/debug/deps/lt-5e6f"),
                ("test", "it", "/t/debug/deps/it-3c4d"),
            ]
        );
        assert_eq!(binaries[1].manifest_path, Path::new("/w/lt/Cargo.toml"));
        assert_eq!(binaries[1].src_path, Path::new("/w/lt/src/lib.rs"));
        assert_eq!(binaries[1].package_id, "path+file:///w/lt#0.1.0");
        assert!(pick_test_binaries(&[lib, example]).is_empty());
    }

    #[test]
    fn package_names_from_ids() {
        assert_eq!(package_name("path+file:///w/lt#0.1.0"), "lt");
        assert_eq!(
            package_name("path+file:///w/examples#memleak-examples@0.1.0"),
            "memleak-examples"
        );
        assert_eq!(
            package_name("registry+https://github.com/rust-lang/crates.io-index#serde@1.0.0"),
            "serde"
        );
        assert_eq!(package_name(""), "");
    }

    #[test]
    fn dir_names_are_target_names_made_unique() {
        let binary = |package: &str, kind: &str, name: &str| TestBinary {
            executable: PathBuf::new(),
            package_id: String::new(),
            manifest_path: PathBuf::new(),
            kind: kind.into(),
            name: name.into(),
            package: package.into(),
            src_path: PathBuf::new(),
            runner: None,
            tracking: Tracking::InProcess,
        };
        let binaries = [
            binary("a", "lib", "a"),
            binary("a", "bin", "a"),
            binary("a", "test", "it"),
            binary("b", "test", "it"),
            binary("b", "test", "other"),
        ];
        assert_eq!(
            dir_names(&binaries),
            ["a-lib", "a-bin", "a-it-test", "b-it-test", "other"]
        );
    }
}
