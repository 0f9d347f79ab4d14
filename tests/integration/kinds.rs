//! Leak kinds end to end: each example's ground truth, from the exit scan through
//! `report.json` to the exit code.
//!
//! Cross-checked against valgrind memcheck (`--leak-check=full`) on the same examples
//! built without the tracker (`cargo build -p memleak-examples --examples`). Totals agree;
//! where the split differs, the reason is given at the test.

use crate::{
    Output, cargo_memleak, cargo_memleak_with, code, functions, leaky, report_json, workspace_root,
};

fn run(example: &str) -> (Output, serde_json::Value) {
    let output = cargo_memleak(&["run", "--example", example]);
    let report = report_json(example, &output);
    (output, report)
}

/// `summary.<kind>` as (bytes, blocks).
fn amount(report: &serde_json::Value, kind: &str) -> (u64, u64) {
    let entry = &report["summary"][kind];
    (
        entry["bytes"]
            .as_u64()
            .unwrap_or_else(|| panic!("summary.{kind}.bytes missing: {report:#}")),
        entry["blocks"]
            .as_u64()
            .unwrap_or_else(|| panic!("summary.{kind}.blocks missing: {report:#}")),
    )
}

/// Sites of `kind` whose stack names a function ending in `function`, as (bytes, blocks).
fn sites_of(report: &serde_json::Value, kind: &str, function: &str) -> Vec<(u64, u64)> {
    report["sites"]
        .as_array()
        .expect("sites")
        .iter()
        .filter(|site| {
            site["kind"] == kind && functions(site).iter().any(|f| f.ends_with(function))
        })
        .map(|site| {
            (
                site["bytes"].as_u64().unwrap(),
                site["blocks"].as_u64().unwrap(),
            )
        })
        .collect()
}

/// memcheck: "definitely lost: 10,496 bytes in 101 blocks", "still reachable: 544 bytes
/// in 1 blocks" (std's stack-overflow thread table, reachable for us too).
#[test]
fn leaky_loses_exactly_its_two_sites() {
    let output = leaky();
    let report = report_json("leaky", output);
    output.assert_code(code::LEAKS_FOUND);
    assert_eq!(amount(&report, "definite"), (10_496, 101), "{output:?}");
    assert_eq!(amount(&report, "indirect"), (0, 0));
    assert_eq!(
        sites_of(&report, "definite", "leak_some"),
        vec![(6400, 100)]
    );
    assert_eq!(sites_of(&report, "definite", "leak_box"), vec![(4096, 1)]);
}

/// memcheck: "definitely lost: 2,000 bytes in 50 blocks, indirectly lost: 2,000 bytes in
/// 50 blocks": it names one block of each cycle definitely lost. Nothing outside a pair
/// points into it, so we report every block as indirect, in 50 cycles.
#[test]
fn rc_cycles_are_indirect_not_definite() {
    let (output, report) = run("rc_cycle");
    output.assert_code(code::LEAKS_FOUND);
    assert_eq!(amount(&report, "definite"), (0, 0), "{output:?}");
    assert_eq!(amount(&report, "indirect"), (4000, 100));
    assert_eq!(report["summary"]["cycles"], 50);
    assert_eq!(
        sites_of(&report, "indirect", "make_pair")
            .iter()
            .map(|s| s.1)
            .sum::<u64>(),
        100
    );
}

/// memcheck: 96 bytes definitely and 96 indirectly lost (one cycle), plus "possibly lost:
/// 48 bytes", a block glibc allocates for the second thread with its own malloc, which
/// never passes through the Rust allocator.
#[test]
fn an_arc_cycle_across_threads_is_one_cycle() {
    let (output, report) = run("arc_cycle");
    output.assert_code(code::LEAKS_FOUND);
    assert_eq!(amount(&report, "definite"), (0, 0), "{output:?}");
    assert_eq!(amount(&report, "indirect"), (192, 2));
    assert_eq!(report["summary"]["cycles"], 1);
}

/// memcheck: "definitely lost: 2,048 bytes in 1 blocks".
#[test]
fn a_thread_that_forgot_a_buffer_leaks_it() {
    let (output, report) = run("thread_leak");
    output.assert_code(code::LEAKS_FOUND);
    assert_eq!(amount(&report, "definite"), (2048, 1), "{output:?}");
    assert_eq!(
        sites_of(&report, "definite", "forget_buffer"),
        vec![(2048, 1)]
    );

    // The same leak, suppressed by a memleak.toml: no leak left, and the report says
    // what the suppression hid. (Same target, so the same test: the runs share files.)
    let config = workspace_root().join("tests/fixtures/suppress-thread-leak.toml");
    let config = config.to_str().expect("UTF-8 path");
    let output = cargo_memleak(&["run", "--example", "thread_leak", "--config", config]);
    output.assert_code(code::SUCCESS);
    let report = report_json("thread_leak", &output);
    assert_eq!(amount(&report, "definite"), (0, 0), "{output:?}");
    assert_eq!(amount(&report, "suppressed"), (2048, 1), "{output:?}");
    assert_eq!(report["suppressed"][0]["bytes"], 2048);
    assert!(
        output
            .stdout
            .contains("suppressed by `*forget_buffer`: 2,048 bytes in 1 block"),
        "{output:?}"
    );
}

/// memcheck: nothing lost; "possibly lost: 5,440 bytes in 101 blocks" is the cache's
/// hash table and strings, reached through hashbrown's pointer into the middle of its
/// allocation: an interior pointer, a reference for us.
#[test]
fn memory_held_by_statics_is_reachable() {
    let (output, report) = run("statics");
    output.assert_code(code::SUCCESS);
    assert_eq!(amount(&report, "definite"), (0, 0), "{output:?}");
    assert_eq!(amount(&report, "indirect"), (0, 0));
    let (reachable_bytes, _) = amount(&report, "reachable");
    // 100 strings of 12 bytes, the table, the leaked 512-byte config, the 8000-byte table.
    assert!(reachable_bytes >= 1200 + 512 + 8000, "{report:#}");
}

/// memcheck: nothing lost; 336 bytes "possibly lost" are glibc's own allocations for
/// the thread (not Rust's), and the rest still reachable.
#[test]
fn a_running_thread_holds_its_memory() {
    let (output, report) = run("detached");
    output.assert_code(code::SUCCESS);
    assert_eq!(amount(&report, "definite"), (0, 0), "{output:?}");
    assert_eq!(amount(&report, "indirect"), (0, 0));
    assert!(amount(&report, "reachable").0 >= 4096);
}

/// A program that loses 1,256 bytes in 2 blocks and then panics: the same definite
/// figures whatever RUST_BACKTRACE says, five runs each, though with it set the panic
/// fills std's symbolizer caches with stale pointers to the lost blocks.
#[test]
fn a_panic_backtrace_does_not_change_the_leaks_and_an_abort_leaves_only_its_error() {
    let settings = [None, Some("0"), Some("1"), Some("full")];
    for setting in settings.into_iter().flat_map(|setting| [setting; 5]) {
        let env = [("RUST_BACKTRACE", setting)];
        let output =
            cargo_memleak_with(&workspace_root(), &["run", "--example", "panicking"], &env);
        // The program's own panic: `assert_code` would take it for cargo-memleak's.
        assert_eq!(output.code, Some(code::TARGET_FAILED), "{output:?}");
        let report = report_json("panicking", &output);
        let definite = &report["summary"]["definite"];
        assert_eq!(
            (definite["bytes"].as_u64(), definite["blocks"].as_u64()),
            (Some(1256), Some(2)),
            "RUST_BACKTRACE={setting:?}\n{output:?}"
        );
        assert_eq!(report["summary"]["indirect"]["blocks"], 0, "{output:?}");
        // With a backtrace printed, the caches are there (reachable): the case is real.
        let reachable = report["summary"]["reachable"]["bytes"].as_u64().unwrap();
        let printed = matches!(setting, Some("1" | "full"));
        assert_eq!(
            reachable > 1 << 20,
            printed,
            "{reachable} B reachable\n{output:?}"
        );
        let growth = report["growth"].as_array().unwrap();
        assert!(growth.is_empty(), "RUST_BACKTRACE={setting:?}: {growth:#?}");
    }

    // Then a run that writes no profile (the program aborts) leaves none of the files
    // above: only error.txt, which says why. (Here: the runs share the directory.)
    let dir = crate::out_dir("panicking");
    assert!(dir.join("definite.svg").is_file());
    let aborted = cargo_memleak(&["run", "--example", "panicking", "--", "abort"]);
    assert_eq!(aborted.code, Some(code::TARGET_FAILED), "{aborted:?}");
    let mut left: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    left.sort();
    assert_eq!(left, ["error.txt"], "{aborted:?}");
    let error = std::fs::read_to_string(dir.join("error.txt")).unwrap();
    assert!(
        error.contains("signal 6")
            && error.contains("wrote no profile")
            && error.contains("without running its exit hooks"),
        "{error}"
    );
}

/// A worker that still runs at exit holds its 4,096-byte block only in a register (the
/// address is masked everywhere in memory): the exit scan reads running threads'
/// registers, so the block is reachable, not lost. Without them: 4,096 bytes definite.
#[cfg(any(target_arch = "x86_64", target_arch = "aarch64"))]
#[test]
fn a_block_held_only_in_a_running_threads_register_is_reachable() {
    let output = cargo_memleak(&["run", "--example", "register_held"]);
    let report = report_json("register_held", &output);
    output.assert_code(code::SUCCESS);
    assert_eq!(amount(&report, "definite"), (0, 0), "{output:?}");
    assert_eq!(amount(&report, "indirect"), (0, 0), "{output:?}");
    assert_eq!(
        sites_of(&report, "reachable", "allocate_hidden"),
        vec![(4096, 1)],
        "{output:?}"
    );
}
