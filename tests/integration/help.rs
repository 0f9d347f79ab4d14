//! `--help` works the way the README shows it, and documents the exit codes.

use crate::{cargo_memleak, code};

fn assert_lists_exit_codes(args: &[&str]) {
    let output = cargo_memleak(args);
    output.assert_code(code::SUCCESS);
    for needed in [
        "Exit codes",
        "10  leaks found",
        "LEAKS_FOUND",
        "TARGET_FAILED",
        "PROFILE_UNREADABLE",
        "SETUP_ERROR",
    ] {
        assert!(
            output.stdout.contains(needed),
            "no {needed:?} in the help\n{output:?}"
        );
    }
}

#[test]
fn memleak_help_lists_exit_codes() {
    assert_lists_exit_codes(&["--help"]);
}

#[test]
fn run_help_lists_exit_codes() {
    assert_lists_exit_codes(&["run", "--help"]);
    let output = cargo_memleak(&["run", "--help"]);
    assert!(output.stdout.contains("--example <NAME>"), "{output:?}");
    assert!(output.stdout.contains("MEMLEAK_OUT"), "{output:?}");
}

#[test]
fn usage_errors_exit_2() {
    let output = cargo_memleak(&["run", "--no-such-option"]);
    output.assert_code(code::USAGE_ERROR);
    assert!(output.stderr.contains("--no-such-option"), "{output:?}");
}

/// The README's "In your tests" file is `alloc-tracker/tests/in_your_tests.rs`, which
/// `cargo test --workspace` runs: what users copy passes.
#[test]
fn the_readmes_test_file_is_the_one_that_runs() {
    let root = crate::workspace_root();
    let readme = std::fs::read_to_string(root.join("README.md")).expect("README.md");
    let file = std::fs::read_to_string(root.join("alloc-tracker/tests/in_your_tests.rs"))
        .expect("the test file");
    assert!(
        readme.contains(&format!("```rust\n{file}```")),
        "README.md's \"In your tests\" block differs from alloc-tracker/tests/in_your_tests.rs"
    );
}
