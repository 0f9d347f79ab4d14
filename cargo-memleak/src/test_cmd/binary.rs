//! The test executables of a `cargo test --no-run` build, from its JSON messages, and the
//! directory each one's report files go to.

use std::path::PathBuf;

use serde_json::Value;

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
}

/// The test executables among `cargo test --no-run`'s messages: every `compiler-artifact`
/// with `profile.test == true` and an `executable`, once each, ordered as cargo runs
/// them (by package, then library, binaries, tests, benches, examples, then name).
pub(crate) fn pick_test_binaries<'a>(
    messages: impl IntoIterator<Item = &'a str>,
) -> Vec<TestBinary> {
    const ORDER: [&str; 5] = ["lib", "bin", "test", "bench", "example"];
    let mut found: Vec<TestBinary> = Vec::new();
    for message in messages {
        let Ok(message) = serde_json::from_str::<Value>(message) else {
            continue;
        };
        let executable = message["executable"].as_str();
        if message["reason"] != "compiler-artifact" || message["profile"]["test"] != true {
            continue;
        }
        let Some(executable) = executable else {
            continue;
        };
        let target = &message["target"];
        let kind = match target["kind"][0].as_str().unwrap_or("lib") {
            kind @ ("bin" | "test" | "bench" | "example") => kind,
            _ => "lib",
        };
        let text = |value: &Value| value.as_str().unwrap_or_default().to_owned();
        let binary = TestBinary {
            executable: executable.into(),
            package_id: text(&message["package_id"]),
            manifest_path: text(&message["manifest_path"]).into(),
            kind: kind.to_owned(),
            name: text(&target["name"]),
            package: package_name(&text(&message["package_id"])).to_owned(),
            src_path: text(&target["src_path"]).into(),
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

    const LIB: &str = r#"{"reason":"compiler-artifact","package_id":"path+file:///w/lt#0.1.0","target":{"kind":["lib"],"name":"lt"},"profile":{"test":false},"executable":null}"#;
    const EXAMPLE: &str = r#"{"reason":"compiler-artifact","package_id":"path+file:///w/lt#0.1.0","target":{"kind":["example"],"name":"ex"},"profile":{"test":false},"executable":"/t/debug/examples/ex"}"#;
    const FINISHED: &str = r#"{"reason":"build-finished","success":true}"#;
    const LIB_TEST: &str = r#"{"reason":"compiler-artifact","package_id":"path+file:///w/lt#0.1.0","manifest_path":"/w/lt/Cargo.toml","target":{"kind":["lib"],"crate_types":["lib"],"name":"lt","src_path":"/w/lt/src/lib.rs","test":true},"profile":{"test":true},"executable":"/t/debug/deps/lt-1a2b","fresh":false}"#;
    const IT_TEST: &str = r#"{"reason":"compiler-artifact","package_id":"path+file:///w/lt#0.1.0","manifest_path":"/w/lt/Cargo.toml","target":{"kind":["test"],"crate_types":["bin"],"name":"it","src_path":"/w/lt/tests/it.rs","test":true},"profile":{"test":true},"executable":"/t/debug/deps/it-3c4d","fresh":true}"#;
    const BIN_TEST: &str = r#"{"reason":"compiler-artifact","package_id":"path+file:///w/lt#0.1.0","manifest_path":"/w/lt/Cargo.toml","target":{"kind":["bin"],"crate_types":["bin"],"name":"lt","src_path":"/w/lt/src/main.rs","test":true},"profile":{"test":true},"executable":"/t/debug/deps/lt-5e6f","fresh":true}"#;
    const PROC_MACRO_TEST: &str = r#"{"reason":"compiler-artifact","package_id":"path+file:///w/a#0.1.0","manifest_path":"/w/a/Cargo.toml","target":{"kind":["proc-macro"],"crate_types":["proc-macro"],"name":"a","src_path":"/w/a/src/lib.rs"},"profile":{"test":true},"executable":"/t/debug/deps/a-7a8b","fresh":true}"#;

    #[test]
    fn test_binaries_are_the_test_profile_executables_in_cargo_order() {
        let lines = [
            LIB,
            EXAMPLE,
            IT_TEST,
            "garbage",
            BIN_TEST,
            LIB_TEST,
            IT_TEST,
            PROC_MACRO_TEST,
            FINISHED,
        ];
        let binaries = pick_test_binaries(lines);
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
        assert!(pick_test_binaries([LIB, EXAMPLE, FINISHED]).is_empty());
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
