//! `cargo memleak diff` and `run --baseline` on one program run with and without its
//! leak (`examples/leak_on_request.rs`: `-- leak` loses 2,560 bytes in 10 blocks in
//! `remember_request`).

use std::path::Path;

use crate::{Output, cargo_memleak, code, out_dir};

/// `cargo memleak run --example leak_on_request [ARGS...]`.
fn run(args: &[&str]) -> Output {
    let mut all = vec!["run", "--example", "leak_on_request"];
    all.extend(args);
    cargo_memleak(&all)
}

/// Copies a file of the last run out of its directory, which the next run empties.
fn keep(name: &str, to: &Path) -> String {
    let kept = to.join(name);
    std::fs::copy(
        out_dir("leak_on_request").join(name.rsplit('-').next().unwrap()),
        &kept,
    )
    .unwrap();
    kept.to_str().unwrap().to_owned()
}

/// `run --junit`: one case, the program, failed with the text report.
fn assert_run_junit(xml: &str) {
    let document = roxmltree::Document::parse(xml).unwrap_or_else(|e| panic!("{e}\n{xml}"));
    let cases: Vec<_> = document
        .descendants()
        .filter(|n| n.has_tag_name("testcase"))
        .collect();
    assert_eq!(cases.len(), 1, "{xml}");
    assert_eq!(cases[0].attribute("name"), Some("leak_on_request"));
    let failure = cases[0]
        .children()
        .find(|n| n.has_tag_name("failure"))
        .unwrap_or_else(|| panic!("no failure\n{xml}"));
    assert_eq!(failure.attribute("message"), Some("leaks found"));
    let text = failure.text().unwrap_or("");
    assert!(
        text.contains("definitely lost: 2,560 bytes in 10 blocks")
            && text.contains("leak_on_request::remember_request"),
        "{xml}"
    );
}

/// Two runs of one program diff to exit 0; from the run without the leak to the run
/// with it, `diff` exits "regressed" (16) and names the new leak; with `--baseline`, a
/// run passes when its leak is in the baseline and regresses when it is not.
#[test]
fn diff_and_baseline_name_a_new_leak_and_pass_known_ones() {
    let dir = tempfile::tempdir().unwrap();
    run(&[]).assert_code(code::SUCCESS);
    let clean_report = keep("clean-report.json", dir.path());
    let clean_profile = keep("clean-profile.json", dir.path());
    run(&[]).assert_code(code::SUCCESS);
    let again = keep("again-profile.json", dir.path());
    let junit = dir.path().join("junit.xml");
    let output = run(&["--junit", junit.to_str().unwrap(), "--", "leak"]);
    output.assert_code(code::LEAKS_FOUND);
    assert_run_junit(&std::fs::read_to_string(&junit).unwrap());
    let leaky_profile = keep("leaky-profile.json", dir.path());
    let leaky_report = keep("leaky-report.json", dir.path());

    // Two runs without the leak, as profiles and as report.json against a profile.
    for base in [&clean_profile, &clean_report] {
        let output = cargo_memleak(&["diff", base, &again]);
        output.assert_code(code::SUCCESS);
        assert!(output.stdout.contains("not regressed"), "{output:?}");
    }

    // Without the leak, then with it.
    let svg = dir.path().join("diff.svg");
    let output = cargo_memleak(&[
        "diff",
        &clean_profile,
        &leaky_profile,
        "--svg",
        svg.to_str().unwrap(),
    ]);
    output.assert_code(code::REGRESSED);
    let new_leak = output
        .stdout
        .lines()
        .find(|line| line.contains("new leak: leak_on_request::remember_request"))
        .unwrap_or_else(|| panic!("no new leak named\n{output:?}"));
    assert!(
        new_leak.contains("examples/leak_on_request.rs:")
            && new_leak.ends_with("leaks 2,560 B in 10 blocks"),
        "{output:?}"
    );
    assert!(
        output
            .stdout
            .contains("leaked bytes grew by more than 5%: 0 -> 2,560"),
        "{output:?}"
    );
    let image = std::fs::read_to_string(&svg).unwrap();
    assert!(
        image.contains("leak_on_request::remember_request"),
        "{image}"
    );
    // The other way round the leak is fixed: no regression.
    let fixed = cargo_memleak(&["diff", &leaky_report, &clean_profile]);
    fixed.assert_code(code::SUCCESS);
    assert!(
        fixed.stdout.contains("[leak fixed]") || fixed.stdout.contains("[gone]"),
        "{fixed:?}"
    );

    // The leak is known to the baseline: the run passes though it leaks.
    let known = run(&["--baseline", &leaky_report, "--", "leak"]);
    known.assert_code(code::SUCCESS);
    assert!(
        known
            .stdout
            .contains("definitely lost: 2,560 bytes in 10 blocks")
            && known.stdout.contains("not regressed"),
        "{known:?}"
    );
    // It is not: regressed, though a leak alone would exit 10.
    let new = run(&["--baseline", &clean_report, "--", "leak"]);
    new.assert_code(code::REGRESSED);
    assert!(
        new.stdout
            .contains("new leak: leak_on_request::remember_request"),
        "{new:?}"
    );
    // Leaks of no kind `--fail-on` names pass, and the last line says why.
    let growth_only = run(&["--fail-on", "growth", "--", "leak"]);
    growth_only.assert_code(code::SUCCESS);
    assert!(
        growth_only
            .stderr
            .contains("leaks found: 2560 bytes in 10 blocks, none of a kind --fail-on names"),
        "{growth_only:?}"
    );
    // A baseline that is not there fails before the build.
    let missing = run(&["--baseline", "/nonexistent/report.json"]);
    missing.assert_code(code::PROFILE_UNREADABLE);
    assert!(
        missing.stderr.contains("/nonexistent/report.json"),
        "{missing:?}"
    );
}
