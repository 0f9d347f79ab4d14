//! `cargo memleak run` on the examples: exact figures for the known leaks, nothing for
//! the clean program, the setup message for a program without the tracker.

use crate::{
    cargo_memleak, clean, code, functions, leaky, live_sites, out_dir, report_json, workspace_root,
};

#[test]
fn leaky_exits_10_and_the_json_has_both_sites_exactly() {
    let output = leaky();
    output.assert_code(code::LEAKS_FOUND);
    let report = report_json("leaky", output);
    let live = live_sites(&report);
    assert!(
        live.len() >= 2,
        "fewer than two live sites: {live:#?}\n{output:?}"
    );
    let expected = [("leak_some", 6400, 100), ("leak_box", 4096, 1)];
    for (site, (function, bytes, blocks)) in live.iter().zip(expected) {
        assert!(
            functions(site).iter().any(|f| f.ends_with(function)),
            "the site with {bytes} bytes should be {function}'s: {site:#}\n{output:?}"
        );
        assert_eq!(site["bytes"], bytes, "{function}: {site:#}");
        assert_eq!(site["blocks"], blocks, "{function}: {site:#}");
    }
}

#[test]
fn leaky_output_passes_through_and_the_text_report_names_both_sites() {
    let output = leaky();
    output.assert_code(code::LEAKS_FOUND);
    assert!(
        output
            .stdout
            .contains("leaky: leaked 100 x 64 bytes and 1 x 4096 bytes"),
        "the program's own line is missing\n{output:?}"
    );
    for (function, bytes, blocks) in [("leak_some", 6400, 100), ("leak_box", 4096, 1)] {
        let site = text_site(&output.stdout, function)
            .unwrap_or_else(|| panic!("no {function} in the report\n{output:?}"));
        assert!(
            mentions(site, bytes),
            "{function}: no {bytes} bytes in\n{site}\n{output:?}"
        );
        assert!(
            mentions(site, blocks),
            "{function}: no {blocks} blocks in\n{site}\n{output:?}"
        );
    }
}

/// In a GitHub Actions step, one `::error` annotation per leak site, at the line of
/// examples/leaky.rs that allocated it, after the report.
#[test]
fn leaky_in_a_github_step_annotates_each_leak_at_its_line() {
    let output = leaky();
    output.assert_code(code::LEAKS_FOUND);
    let source = std::fs::read_to_string(workspace_root().join("examples/leaky.rs")).unwrap();
    let line_of = |code: &str| {
        source
            .lines()
            .position(|line| line.contains(code))
            .map(|index| index + 1)
            .unwrap_or_else(|| panic!("no {code} in examples/leaky.rs"))
    };
    let annotations: Vec<&str> = output
        .stdout
        .lines()
        .filter(|line| line.starts_with("::error"))
        .collect();
    let expected = [
        (
            line_of("vec![0u8; 64]"),
            "6400 bytes in 100 blocks",
            "leaky::leak_some",
        ),
        (
            line_of("Box::new([7u8; 4096])"),
            "4096 bytes in 1 block",
            "leaky::leak_box",
        ),
    ];
    assert_eq!(annotations.len(), expected.len(), "{output:?}");
    for (annotation, (line, amount, function)) in annotations.iter().zip(expected) {
        let place = format!("::error file=examples/leaky.rs,line={line},");
        assert!(annotation.starts_with(&place), "{annotation}\n{output:?}");
        assert!(
            annotation.contains(amount) && annotation.contains(function),
            "{annotation}"
        );
    }
    let report_end = output.stdout.find("definitely lost:").unwrap();
    assert!(
        output.stdout.find("::error").unwrap() > report_end,
        "{output:?}"
    );
}

#[test]
fn leaky_leaves_the_report_files() {
    let output = leaky();
    output.assert_code(code::LEAKS_FOUND);
    for name in [
        "profile.json",
        "report.txt",
        "report.json",
        "live.svg",
        "definite.svg",
    ] {
        let path = out_dir("leaky").join(name);
        let size = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
        assert!(
            size > 0,
            "{} is missing or empty\n{output:?}",
            path.display()
        );
    }
    let svg = std::fs::read_to_string(out_dir("leaky").join("live.svg")).unwrap();
    assert!(svg.contains("<svg"), "live.svg is not an SVG");
    assert!(
        output.stderr.contains("memleak/leaky"),
        "stderr does not say where the files are\n{output:?}"
    );
}

#[test]
fn clean_has_no_site_of_its_own_and_exits_0() {
    let output = clean();
    output.assert_code(code::SUCCESS);
    assert!(output.stdout.contains("clean: checksum"), "{output:?}");
    let report = report_json("clean", output);
    // memcheck agrees: nothing lost.
    assert_eq!(report["summary"]["definite"]["bytes"], 0, "{output:?}");
    assert_eq!(report["summary"]["indirect"]["bytes"], 0, "{output:?}");
    for site in live_sites(&report) {
        let own = functions(site)
            .into_iter()
            .find(|f| f.starts_with("clean::"));
        assert!(
            own.is_none(),
            "clean leaked from {own:?}: {site:#}\n{output:?}"
        );
    }
}

#[test]
fn in_process_mode_without_the_tracker_gets_the_lines_to_add() {
    let output = cargo_memleak(&["run", "--example", "no_tracker", "--mode", "inprocess"]);
    output.assert_code(code::SETUP_ERROR);
    for needed in [
        "#[global_allocator]",
        "cfg(memleak)",
        "memleak::TrackingAlloc",
        "no_tracker.rs",
        "--mode preload",
    ] {
        assert!(
            output.stderr.contains(needed),
            "no {needed:?} in the message\n{output:?}"
        );
    }
}

/// The part of the text report about the site whose stack has `function`: from the
/// blank line (or start) before its first mention to the blank line after it.
fn text_site<'a>(text: &'a str, function: &str) -> Option<&'a str> {
    let at = text.find(function)?;
    let start = text[..at].rfind("\n\n").map_or(0, |i| i + 2);
    let end = text[at..].find("\n\n").map_or(text.len(), |i| at + i);
    Some(&text[start..end])
}

/// Whether `text` has the number as a word, plain or with `,` or `_` between thousands.
fn mentions(text: &str, number: u64) -> bool {
    text.split(|c: char| !(c.is_ascii_digit() || c == ',' || c == '_'))
        .map(|word| word.replace([',', '_'], ""))
        .any(|word| word == number.to_string())
}

#[test]
fn mentions_reads_numbers_as_words() {
    assert!(mentions("6400 bytes in 100 blocks", 6400));
    assert!(mentions("6,400 B, 100 blocks", 100));
    assert!(mentions("(1 block)", 1));
    assert!(!mentions("16400 bytes", 6400));
    assert!(!mentions("leak_box 4096.5", 1));
    assert!(mentions("in 100, then", 100));
}

/// A package with the tracker's `#[global_allocator]` in both its library and its
/// binary: rustc's error is passed on, and cargo-memleak says which one to remove.
#[test]
fn two_global_allocators_are_explained() {
    let manifest = "tests/fixtures/two-allocators/Cargo.toml";
    let output = cargo_memleak(&["run", "--manifest-path", manifest]);
    output.assert_code(code::BUILD_FAILED);
    assert!(
        output
            .stderr
            .contains("conflicts with global allocator in: two_allocators"),
        "rustc's error is not shown\n{output:?}"
    );
    assert!(
        output.stderr.contains(
            "help: binary `two-allocators` (" // the binary target, then its source
        ) && output
            .stderr
            .contains("keep the library's (it covers the binaries, tests and examples that use the library) and remove the one in"),
        "no advice\n{output:?}"
    );
    assert!(
        output
            .stderr
            .contains("and the crate `two_allocators` both declare a `#[global_allocator]`"),
        "{output:?}"
    );
    assert!(
        output.stderr.contains("two-allocators/src/main.rs"),
        "{output:?}"
    );
    // Colour codes only on a terminal.
    assert!(!output.stderr.contains('\u{1b}'), "{output:?}");
}

/// A crate whose `.cargo/config.toml` sets `build.rustflags` it cannot build without, and a
/// runner: cargo memleak passes the flags on with its own (it used to set `RUSTFLAGS`,
/// which makes cargo ignore every configured rustflag) and runs the program through the
/// runner.
#[test]
fn configured_rustflags_are_kept() {
    let dir = crate::workspace_root().join("tests/fixtures/config-flags");
    let output = crate::cargo_memleak_in(&dir, &["run"]);
    output.assert_code(code::LEAKS_FOUND);
    assert!(
        output.stdout.contains("config-flags: leaked 321 bytes"),
        "{output:?}"
    );
    // Through the configured `target.<cfg>.runner`, as cargo run would.
    assert!(
        output.stdout.contains("config-flags: runner used"),
        "{output:?}"
    );
    assert!(
        output
            .stdout
            .contains("definitely lost: 321 bytes in 1 block"),
        "{output:?}"
    );
    assert!(
        output.stdout.contains("config_flags::leak_with_the_flag"),
        "{output:?}"
    );
    // The tests are built the same way (the binary's test harness has no tests to run).
    let output = crate::cargo_memleak_in(&dir, &["test"]);
    output.assert_code(code::SUCCESS);
    assert!(!output.stderr.contains("built without"), "{output:?}");
}
