//! `cargo memleak report --format pprof` read by the tools that consume it.

use std::process::Command;

use crate::report::export;
use crate::{code, tools};

/// `--format pprof -o FILE`: `go tool pprof -top` reads leaky's export and shows
/// `leak_some` holding its 6,400 bytes under `inuse_space`, the default sample type.
#[test]
fn go_pprof_reads_the_pprof_export() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("leaky.pb.gz");
    let output = export("pprof", &path);
    output.assert_code(code::LEAKS_FOUND);
    let bytes = std::fs::read(&path).unwrap();
    assert_eq!(bytes[..2], [0x1f, 0x8b], "not gzip\n{output:?}");
    let Some(go) = tools::find(
        &["go", "/usr/lib/go/bin/go"],
        "the pprof export in Go's pprof",
    ) else {
        return;
    };
    let top = Command::new(go)
        .args(["tool", "pprof", "-top"])
        .arg(&path)
        .env("HOME", dir.path())
        .env("GOCACHE", dir.path().join("gocache"))
        .output()
        .expect("failed to run go tool pprof");
    let stdout = String::from_utf8_lossy(&top.stdout);
    let stderr = String::from_utf8_lossy(&top.stderr);
    assert!(top.status.success(), "{stdout}\n{stderr}");
    assert!(stdout.contains("Type: inuse_space"), "{stdout}");
    // `      flat  flat%   sum%        cum   cum%`, then one line per function.
    let leak_some = stdout
        .lines()
        .find(|line| line.trim_end().ends_with(" leaky::leak_some"))
        .unwrap_or_else(|| panic!("no leak_some line:\n{stdout}"));
    let flat = leak_some.split_whitespace().next().unwrap();
    assert_eq!(flat, "6400B", "{stdout}");
    assert!(
        stdout
            .lines()
            .any(|line| line.trim_end().ends_with(" leaky::leak_box")
                && line.split_whitespace().next() == Some("4096B")),
        "{stdout}"
    );
}
