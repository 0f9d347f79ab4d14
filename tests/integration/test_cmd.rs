//! `cargo memleak test` on the fixture crate `tests/fixtures/leaky-tests`: of its two unit
//! tests, the one that forgets a 1000-byte buffer is blamed by name, exactly, and the one
//! that frees everything is not.
//!
//! The fixture is its own workspace, so `cargo memleak` (our alias) cannot run in its
//! directory: it runs at our root, as every test here does, and `--manifest-path` points
//! `cargo metadata` and `cargo test` at the fixture, as a user of a nested crate would.
//! `CARGO_TARGET_DIR=target/memleak-e2e` is the fixture's target dir too, so its build
//! shares the tracker's dependencies with the examples' builds.

use std::sync::Mutex;

use crate::{cargo_memleak, cargo_memleak_with, code, json_file, out_dir, workspace_root};

/// The fixture's runs write the same directory: one test at a time.
static FIXTURE_RUNS: Mutex<()> = Mutex::new(());

/// The fixture's manifest, relative to the workspace root where the command runs.
const FIXTURE: &str = "tests/fixtures/leaky-tests/Cargo.toml";

/// The part of stdout after "leaks by test in `leaky_tests`:", up to a blank line.
fn leaks_by_test(stdout: &str) -> Option<&str> {
    let start = stdout.find("leaks by test in `leaky_tests`:\n")?;
    let section = &stdout[start..];
    Some(section.split("\n\n").next().unwrap_or(section))
}

/// The JUnit file of the fixture's run: well-formed, one suite for its one test binary,
/// a case per test it ran (the ignored one skipped), and one failure, on the leaking
/// test, with its leak and the leaking frame.
fn assert_junit_names_the_leaking_test(xml: &str) {
    let document = roxmltree::Document::parse(xml).unwrap_or_else(|e| panic!("{e}\n{xml}"));
    let root = document.root_element();
    assert_eq!(root.tag_name().name(), "testsuites", "{xml}");
    assert_eq!(
        (root.attribute("failures"), root.attribute("skipped")),
        (Some("1"), Some("1")),
        "{xml}"
    );
    let suites: Vec<_> = root
        .children()
        .filter(|n| n.has_tag_name("testsuite"))
        .collect();
    assert_eq!(suites.len(), 1, "{xml}");
    assert_eq!(suites[0].attribute("name"), Some("leaky_tests"));
    let cases: Vec<_> = suites[0]
        .children()
        .filter(|n| n.has_tag_name("testcase"))
        .collect();
    let names: Vec<&str> = cases.iter().filter_map(|c| c.attribute("name")).collect();
    assert_eq!(
        names,
        [
            "tests::compares_with_an_empty_array",
            "tests::frees_everything",
            "tests::leaks_a_buffer",
            "tests::leaks_then_fails"
        ],
        "{xml}"
    );
    let failures: Vec<(&str, roxmltree::Node<'_, '_>)> = cases
        .iter()
        .filter_map(|case| {
            let failure = case.children().find(|n| n.has_tag_name("failure"))?;
            Some((case.attribute("name")?, failure))
        })
        .collect();
    assert_eq!(failures.len(), 1, "{xml}");
    let (test, failure) = failures[0];
    assert_eq!(test, "tests::leaks_a_buffer");
    assert_eq!(
        failure.attribute("message"),
        Some("`tests::leaks_a_buffer` leaked 1000 bytes in 1 block")
    );
    let text = failure.text().unwrap_or("");
    assert!(
        text.contains("leaky_tests::tests::leaks_a_buffer (src/lib.rs:24)"),
        "{xml}"
    );
    let skipped = cases[3].children().any(|n| n.has_tag_name("skipped"));
    assert!(skipped, "the ignored test is not skipped\n{xml}");
}

#[test]
fn the_leaking_test_is_named_with_its_exact_leak() {
    let _one_at_a_time = FIXTURE_RUNS
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    assert!(workspace_root().join(FIXTURE).is_file());
    let scratch = tempfile::tempdir().unwrap();
    let junit = scratch.path().join("junit.xml");
    // As a GitHub Actions step whose checkout is this repository, with JUnit XML for
    // the CI's test view.
    let root = workspace_root();
    let output = cargo_memleak_with(
        &workspace_root(),
        &[
            "test",
            "--manifest-path",
            FIXTURE,
            "--junit",
            junit.to_str().unwrap(),
        ],
        &[
            ("GITHUB_ACTIONS", Some("true")),
            ("GITHUB_WORKSPACE", root.to_str()),
        ],
    );
    output.assert_code(code::LEAKS_FOUND);
    assert_junit_names_the_leaking_test(&std::fs::read_to_string(&junit).unwrap());
    // The annotation points at the leaking line, relative to the checkout.
    assert!(
        output.stdout.contains(
            "::error file=tests/fixtures/leaky-tests/src/lib.rs,line=24,title=memleak%3A \
             definitely lost::1000 bytes in 1 block definitely lost, allocated in \
             leaky_tests::tests::leaks_a_buffer"
        ),
        "{output:?}"
    );
    // The tests' own output passes through.
    assert!(
        output.stdout.contains("test tests::leaks_a_buffer ... ok"),
        "{output:?}"
    );
    // Inference-sensitive code still compiles with the tracker in the crate graph.
    assert!(
        output
            .stdout
            .contains("test tests::compares_with_an_empty_array ... ok"),
        "{output:?}"
    );
    let section =
        leaks_by_test(&output.stdout).unwrap_or_else(|| panic!("no per-test summary\n{output:?}"));
    // The annotations follow it (workflow commands, which GitHub does not show).
    let lines: Vec<&str> = section
        .lines()
        .skip(1)
        .filter(|line| !line.starts_with("::"))
        .collect();
    assert_eq!(lines.len(), 1, "one leaking test expected\n{output:?}");
    assert!(
        lines[0].starts_with("test `tests::leaks_a_buffer` leaked 1000 bytes in 1 block ("),
        "{output:?}"
    );
    // On Linux the thread name is cut to 15 bytes, and still fits only this test.
    assert!(
        lines[0].contains("by the name of its thread"),
        "attributed another way than by thread name\n{output:?}"
    );
    assert!(!section.contains("frees_everything"), "{output:?}");
    assert!(
        !output.stdout.contains("`tests::frees_everything` leaked"),
        "{output:?}"
    );

    let dir_of_run = out_dir("test/leaky_tests");
    for name in ["profile.json", "report.txt", "report.json", "live.svg"] {
        let size = std::fs::metadata(dir_of_run.join(name)).map_or(0, |m| m.len());
        assert!(
            size > 0,
            "{} is missing or empty\n{output:?}",
            dir_of_run.join(name).display()
        );
    }
    assert!(
        output.stderr.contains("memleak/test/leaky_tests"),
        "stderr does not say where the files are\n{output:?}"
    );

    // This run as the baseline (the layout of target/memleak/test/): the same leak is
    // known and passes; against a baseline without the binary, it is a new leak.
    let baseline = scratch.path().join("baseline");
    std::fs::create_dir_all(baseline.join("leaky_tests")).unwrap();
    std::fs::copy(
        dir_of_run.join("report.json"),
        baseline.join("leaky_tests").join("report.json"),
    )
    .unwrap();
    let baseline = baseline.to_str().unwrap();
    let known = cargo_memleak(&["test", "--manifest-path", FIXTURE, "--baseline", baseline]);
    known.assert_code(code::SUCCESS);
    assert!(known.stdout.contains("not regressed"), "{known:?}");
    let empty = scratch.path().join("empty");
    std::fs::create_dir(&empty).unwrap();
    let new = cargo_memleak(&[
        "test",
        "--manifest-path",
        FIXTURE,
        "--baseline",
        empty.to_str().unwrap(),
    ]);
    new.assert_code(code::REGRESSED);
    assert!(
        new.stdout.contains(
            "new leak: leaky_tests::tests::leaks_a_buffer  tests/fixtures/leaky-tests/src/lib.rs:24 \
             leaks 1,000 B in 1 block"
        ),
        "{new:?}"
    );

    // Suppressed, the same leak fails nothing, and the report says what was hidden.
    // (Same output directory, so the same test.)
    let output = cargo_memleak(&[
        "test",
        "--manifest-path",
        FIXTURE,
        "--config",
        "tests/fixtures/suppress-leaky-tests.toml",
    ]);
    output.assert_code(code::SUCCESS);
    assert!(
        output
            .stdout
            .contains("suppressed by `*::leaks_a_buffer`: 1,000 bytes in 1 block"),
        "{output:?}"
    );
    assert!(leaks_by_test(&output.stdout).is_none(), "{output:?}");
}

#[test]
fn doctests_are_refused_before_any_build() {
    let output = cargo_memleak(&["test", "--manifest-path", FIXTURE, "--doc"]);
    output.assert_code(code::USAGE_ERROR);
    assert!(
        output.stderr.contains("`--doc` is not supported"),
        "{output:?}"
    );
}

#[test]
fn test_help_explains_the_attribution() {
    let output = cargo_memleak(&["test", "--help"]);
    output.assert_code(code::SUCCESS);
    for needed in [
        "--no-fail-fast",
        "thread",
        "memleak/test/",
        "Exit codes",
        "LEAKS_FOUND",
    ] {
        assert!(output.stdout.contains(needed), "no {needed:?}\n{output:?}");
    }
}

/// A test that leaks 1000 bytes and then fails: the same exact figures whatever
/// RUST_BACKTRACE says, five runs each, though with it set the failure's backtrace fills
/// std's symbolizer caches with stale pointers to the lost block.
#[test]
fn a_failing_tests_leak_is_the_same_whatever_rust_backtrace_says() {
    let _one_at_a_time = FIXTURE_RUNS
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let args = ["test", "--manifest-path", FIXTURE, "--", "--ignored"];
    for setting in [None, Some("0"), Some("1"), Some("full")] {
        for run in 1..=5 {
            let env = [("RUST_BACKTRACE", setting)];
            let output = cargo_memleak_with(&workspace_root(), &args, &env);
            let context = format!("RUST_BACKTRACE={setting:?}, run {run}\n{output:?}");
            assert_eq!(output.code, Some(code::TARGET_FAILED), "{context}");
            assert!(
                output
                    .stdout
                    .contains("test tests::leaks_then_fails ... FAILED"),
                "{context}"
            );
            let report = json_file(&out_dir("test/leaky_tests").join("report.json"), &output);
            let summary = &report["summary"];
            assert_eq!(
                (
                    summary["definite"]["bytes"].as_u64(),
                    summary["definite"]["blocks"].as_u64(),
                    summary["indirect"]["blocks"].as_u64(),
                ),
                (Some(1000), Some(1), Some(0)),
                "{context}"
            );
            let section = leaks_by_test(&output.stdout).unwrap_or_default();
            assert!(
                section.contains("test `tests::leaks_then_fails` leaked 1000 bytes in 1 block"),
                "{context}"
            );
        }
    }
}
