//! Overhead of `TrackingAlloc`, and of the peer `dhat::Alloc`, against the untracked
//! `System` allocator, in one run.
//!
//! `cargo bench -p memleak --bench overhead [-- [--rounds N] [--scale F] [--modes M,..]
//! [WORKLOAD...]]`
//! (5 rounds, full size, every workload by default; see `docs/benchmarks.md`).
//!
//! The parent re-runs this binary as one child per (round, workload, mode), alternating
//! the three modes (rotating their order each round) so all see the same machine state.
//! The untracked child sends every call straight to `System` (one predictable branch in
//! the switch below); the tracked child calls `memleak::start()` and records every
//! allocation with its full stack; the dhat child runs a `dhat::Profiler` (testing mode:
//! no file) behind `dhat::Alloc`. Each child times its workload in-process, then reports
//! the wall time, the checksum and its peak RSS (`VmHWM`); the parent also times each
//! child whole, spawn to reaped, and reads its peak RSS from `wait4`. One more, untimed
//! child per workload counts the allocator calls exactly. The parent asserts the
//! checksums agree and prints, per workload, the median wall ratios with their min-max
//! over rounds, the peak RSS ratios and the cost per allocation, for the workload alone
//! and for the whole process, and how the threads variants scale.

use std::time::Instant;

#[path = "overhead/child.rs"]
mod child;
#[path = "overhead/switch.rs"]
mod switch;
#[path = "overhead/table.rs"]
mod table;
#[path = "overhead/workloads.rs"]
mod workloads;

use child::{CHILD_VAR, SCALE_VAR, Sample, WORKLOAD_VAR, run_child};
use table::Rounds;
use workloads::{WORKLOADS, Workload};

#[global_allocator]
static ALLOC: switch::Switch = switch::Switch;

const MODES: [&str; 4] = ["system", "tracked", "sampled", "dhat"];

fn main() {
    if let Ok(mode) = std::env::var(CHILD_VAR) {
        let name = std::env::var(WORKLOAD_VAR).expect("workload named");
        let scale = std::env::var(SCALE_VAR)
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or(1.0);
        child::run_in_child(&mode, &name, scale);
        return;
    }
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.iter().any(|a| a == "--list" || a == "--test") {
        return; // `cargo test --benches` / `cargo bench -- --list`: nothing to run as a test.
    }
    let value_of = |flag: &str| {
        args.iter()
            .position(|a| a == flag)
            .and_then(|i| args.get(i + 1))
    };
    // `--modes system,tracked` runs only those (system always runs: it is the baseline).
    let modes: Vec<&str> = match value_of("--modes") {
        Some(list) => MODES
            .iter()
            .copied()
            .filter(|m| *m == "system" || list.split(',').any(|w| w == *m))
            .collect(),
        None => MODES.to_vec(),
    };
    let rounds: usize = value_of("--rounds").map_or(5, |n| n.parse().expect("--rounds N"));
    let scale: f64 = value_of("--scale").map_or(1.0, |n| n.parse().expect("--scale F"));
    assert!(
        rounds > 0 && scale > 0.0,
        "--rounds and --scale must be positive"
    );
    // Anything else that is not a flag (cargo passes `--bench`) nor a flag's value
    // filters workloads by name.
    let filters: Vec<&String> = args
        .iter()
        .enumerate()
        .filter(|&(i, a)| {
            !a.starts_with("--")
                && (i == 0 || !matches!(args[i - 1].as_str(), "--rounds" | "--scale" | "--modes"))
        })
        .map(|(_, a)| a)
        .collect();
    let selected: Vec<&Workload> = WORKLOADS
        .iter()
        .filter(|w| filters.is_empty() || filters.iter().any(|f| w.name.contains(f.as_str())))
        .collect();
    assert!(!selected.is_empty(), "no workload matches {filters:?}");

    let started = Instant::now();
    println!("workloads (scale {scale}), allocator calls counted exactly in an untimed child:");
    println!(
        "{:<9} {:>11} {:>9} {:>11}  what",
        "workload", "allocs", "reallocs", "frees"
    );
    let counts: Vec<Sample> = selected
        .iter()
        .map(|w| {
            let count = run_child("count", w, scale);
            println!(
                "{:<9} {:>11} {:>9} {:>11}  {}",
                w.name,
                count.allocs,
                count.reallocs,
                count.frees,
                (w.describe)(scale)
            );
            count
        })
        .collect();

    let mut results: Vec<Rounds> = selected.iter().map(|_| Rounds::default()).collect();
    for round in 0..rounds {
        for ((workload, count), result) in selected.iter().zip(&counts).zip(&mut results) {
            for k in 0..modes.len() {
                let mode = modes[(round + k) % modes.len()];
                let sample = run_child(mode, workload, scale);
                assert_eq!(
                    sample.checksum, count.checksum,
                    "{}: {mode} checksum differs from the counting run",
                    workload.name
                );
                match mode {
                    "system" => result.system.push(sample),
                    "tracked" => result.tracked.push(sample),
                    "sampled" => result.sampled.push(sample),
                    _ => result.dhat.push(sample),
                }
            }
        }
        eprintln!(
            "round {}/{rounds} done ({:.0} s)",
            round + 1,
            started.elapsed().as_secs_f64()
        );
    }

    table::print_workload_table(&selected, &counts, &results, rounds);
    table::print_whole_process_table(&selected, &results);
    table::print_thread_scaling(&selected, &results);
    println!("(total {:.0} s)", started.elapsed().as_secs_f64());
}
