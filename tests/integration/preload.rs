//! The zero-change mode: the interposer preloaded as `malloc`, on programs that have the
//! tracker in them (forced with `--mode preload`) and on ones that do not (chosen by
//! itself), with C code's blocks attributed by stack.

use std::path::PathBuf;

use crate::{
    Output, cargo_memleak, cargo_memleak_in, code, functions, json_file, live_sites, workspace_root,
};

/// The target directory of the preloaded runs of the examples: the in-process runs of the
/// other tests write their reports to the same `target/memleak/<example>` directories.
pub(crate) fn preload_target_dir() -> PathBuf {
    workspace_root().join("target").join("memleak-e2e-preload")
}

/// `cargo memleak run --example NAME --mode preload`, into [`preload_target_dir`].
fn run_preloaded(example: &str) -> Output {
    let target_dir = preload_target_dir();
    let target_dir = target_dir.to_str().expect("a UTF-8 path");
    cargo_memleak(&[
        "run",
        "--example",
        example,
        "--mode",
        "preload",
        "--target-dir",
        target_dir,
    ])
}

/// A file of a preloaded run of `example`, parsed.
fn preloaded_json(example: &str, file: &str, output: &Output) -> serde_json::Value {
    let dir = preload_target_dir().join("memleak").join(example);
    json_file(&dir.join(file), output)
}

/// The same definite figures as in-process: 10,496 bytes in 101 blocks, at the same two
/// functions, all of them Rust heap.
#[test]
fn leaky_under_the_interposer_has_the_in_process_figures() {
    let output = run_preloaded("leaky");
    output.assert_code(code::LEAKS_FOUND);
    assert!(
        output
            .stdout
            .contains("\nmemleak report for leaky (exit code 0, preload, debug build)\n"),
        "{output:?}"
    );
    let report = preloaded_json("leaky", "report.json", &output);
    assert_eq!(report["program"]["mode"], "preload", "{output:?}");
    assert_eq!(report["summary"]["definite"]["bytes"], 10_496, "{output:?}");
    assert_eq!(report["summary"]["definite"]["blocks"], 101, "{output:?}");
    let live = live_sites(&report);
    let expected = [
        ("leaky::leak_some", 6400, 100),
        ("leaky::leak_box", 4096, 1),
    ];
    assert_eq!(live.len(), expected.len(), "{live:#?}\n{output:?}");
    for (site, (function, bytes, blocks)) in live.iter().zip(expected) {
        assert_eq!(functions(site)[0], function, "{site:#}");
        assert_eq!(site["bytes"], bytes, "{site:#}");
        assert_eq!(site["blocks"], blocks, "{site:#}");
        assert_eq!(site["origin"], "rust", "{site:#}");
    }
}

/// The C string that `strdup` allocates and the program loses: a native definite leak
/// whose stack goes from `strdup` to the Rust function that called it.
#[test]
fn a_c_allocation_is_a_native_leak_of_the_rust_caller() {
    let output = run_preloaded("native");
    output.assert_code(code::LEAKS_FOUND);
    let report = preloaded_json("native", "report.json", &output);
    let live = live_sites(&report);
    assert_eq!(live.len(), 1, "{live:#?}\n{output:?}");
    let site = live[0];
    assert_eq!(site["kind"], "definite", "{site:#}");
    assert_eq!(site["origin"], "native", "{site:#}");
    assert_eq!(site["bytes"], 23, "{site:#}");
    assert_eq!(site["blocks"], 1, "{site:#}");
    let stack = functions(site);
    assert_eq!(stack[..2], ["strdup", "native::lose_c_string"], "{site:#}");
    assert!(
        output
            .stdout
            .contains("23 bytes in 1 block  native: malloc outside Rust's allocator"),
        "{output:?}"
    );
    // The 16 blocks of 64 KiB kept in a static: reachable, native, 1 MiB in the layers.
    let reachable_native: u64 = report["sites"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["kind"] == "reachable" && s["origin"] == "native")
        .map(|s| s["bytes"].as_u64().unwrap())
        .sum();
    assert!(reachable_native >= 16 * 65_536, "{report:#}");
    let native_layer = report["layers"]["at_exit"]["native"].as_u64().unwrap();
    assert!(native_layer >= 16 * 65_536 + 23, "{report:#}");
}

/// 4 threads allocating with malloc, calloc, realloc, posix_memalign and Vec, freeing
/// each other's blocks: exact lost figures per origin, and no crash.
#[test]
fn threads_mixing_c_and_rust_blocks_end_with_exact_figures() {
    let output = run_preloaded("preload_stress");
    output.assert_code(code::LEAKS_FOUND);
    assert!(
        output
            .stdout
            .contains("preload_stress: 4 threads x 25000 rounds"),
        "{output:?}"
    );
    let report = preloaded_json("preload_stress", "report.json", &output);
    assert_eq!(report["summary"]["definite"]["bytes"], 24_018, "{output:?}");
    assert_eq!(report["summary"]["definite"]["blocks"], 12, "{output:?}");
    assert_eq!(report["summary"]["indirect"]["blocks"], 0, "{output:?}");
    let live = live_sites(&report);
    let found: Vec<(&str, &str, u64, u64)> = live
        .iter()
        .map(|s| {
            (
                functions(s)[0],
                s["origin"].as_str().unwrap(),
                s["bytes"].as_u64().unwrap(),
                s["blocks"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        found,
        [
            ("preload_stress::lose_rust_block", "rust", 12_006, 4),
            ("preload_stress::lose_c_blocks", "native", 8_006, 4),
            ("preload_stress::lose_c_blocks", "native", 4_006, 4),
        ],
        "{output:?}"
    );
    let profile = preloaded_json("preload_stress", "profile.json", &output);
    let totals = &profile["totals"];
    // Every block freed was seen allocated, and every one was recorded.
    assert_eq!(totals["unknown_frees"], 0, "{totals:#}");
    assert_eq!(totals["untracked_allocs"], 0, "{totals:#}");
    // The workers' blocks: 4 x 25,000 rounds, plus the realloc of the 4 x 4,166 rounds
    // that grow a malloc block (round % 4 == 3, not a Rust round), plus the 12 lost ones;
    // then a few dozen of the runtime's.
    let workers = 4 * 25_000 + 4 * 4_166 + 12;
    let allocated = totals["allocated_blocks"].as_u64().unwrap();
    assert!((workers..workers + 100).contains(&allocated), "{totals:#}");
}

/// A program without the tracker runs under the interposer by itself.
#[test]
fn a_program_without_the_tracker_runs_preloaded() {
    let output = cargo_memleak(&["run", "--example", "no_tracker"]);
    output.assert_code(code::SUCCESS);
    assert!(
        output.stdout.contains("no_tracker: no tracker here"),
        "{output:?}"
    );
    assert!(
        output
            .stdout
            .contains("memleak report for no_tracker (exit code 0, preload, debug build)"),
        "{output:?}"
    );
    assert!(output.stdout.contains("\nno leaks: "), "{output:?}");
}

/// A crate that knows nothing of memleak: its tests run under the interposer, and the
/// leak is found and charged to the test that made it.
#[test]
fn cargo_memleak_test_tracks_a_crate_without_the_tracker() {
    let fixture = workspace_root().join("tests/fixtures/plain-tests");
    let output = cargo_memleak_in(&fixture, &["test"]);
    output.assert_code(code::LEAKS_FOUND);
    assert!(
        output
            .stdout
            .contains("test tests::forgets_its_scratch_buffer ... ok"),
        "{output:?}"
    );
    assert!(
        output
            .stdout
            .contains("(exit code 0, preload, debug build)"),
        "{output:?}"
    );
    assert!(
        output
            .stdout
            .contains("definitely lost: 1,840 bytes in 1 block from 1 site"),
        "{output:?}"
    );
    let by_test = output
        .stdout
        .split("leaks by test in ")
        .nth(1)
        .unwrap_or_else(|| panic!("no leaks by test\n{output:?}"));
    assert!(
        by_test.contains("test `tests::forgets_its_scratch_buffer` leaked 1840 bytes in 1 block"),
        "{output:?}"
    );
    assert!(!by_test.contains("tests::parses_pairs"), "{output:?}");
}

/// A program whose `#[global_allocator]` does not call malloc: the report says its heap
/// went unseen instead of calling it clean.
#[test]
fn a_program_with_its_own_allocator_is_not_called_clean() {
    let output = cargo_memleak(&["run", "--example", "own_allocator"]);
    output.assert_code(code::SUCCESS);
    assert!(
        output.stdout.contains(
            "warning: the program uses its own allocator (its own `#[global_allocator]`): \
             its Rust heap bypasses malloc"
        ),
        "{output:?}"
    );
    let report = crate::report_json("own_allocator", &output);
    assert_eq!(
        report["program"]["own_allocator"], "its own `#[global_allocator]`",
        "{report:#}"
    );
}
