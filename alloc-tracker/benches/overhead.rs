//! Overhead of `TrackingAlloc`, and of the peer `dhat::Alloc`, against the untracked
//! `System` allocator, in one run.
//!
//! `cargo bench -p memleak --bench overhead [-- [--rounds N] [--scale F] [--modes M,..] [WORKLOAD...]]`
//! (5 rounds, full size, every workload by default; see `docs/benchmarks.md`).
//!
//! The parent re-runs this binary as one child per (round, workload, mode), alternating
//! the three modes (rotating their order each round) so all see the same machine state.
//! The untracked child sends every call straight to `System` (one predictable branch in
//! the switch below); the tracked child calls `memleak::start()` and records every
//! allocation with its full stack; the dhat child runs a `dhat::Profiler` (testing mode:
//! no file) behind `dhat::Alloc`. Each child times its workload in-process, then reports
//! the wall time, the checksum and its peak RSS (`VmHWM`). One more, untimed child per
//! workload counts the allocator calls exactly. The parent asserts the checksums agree
//! and prints, per workload, the median wall ratios with their min-max over rounds, the
//! peak RSS ratios and the cost per allocation.

use std::alloc::{GlobalAlloc, Layout, System};
use std::hint::black_box;
use std::process::Command;
use std::sync::atomic::{AtomicU8, AtomicU64, Ordering::Relaxed};
use std::time::Instant;

use memleak::TrackingAlloc;

#[path = "overhead/workloads.rs"]
mod workloads;

use workloads::{WORKLOADS, Workload};

/// Routes every call to `System`, the tracker or dhat; decided once per child, before
/// its workload.
struct Switch;

const UNTRACKED: u8 = 0;
const TRACKED: u8 = 1;
const DHAT: u8 = 2;
/// `System`, counting every call (the untimed counting child).
const COUNTING: u8 = 3;

static MODE: AtomicU8 = AtomicU8::new(UNTRACKED);
static TRACKER: TrackingAlloc = TrackingAlloc::system();
static PEER: dhat::Alloc = dhat::Alloc;
static ALLOCS: AtomicU64 = AtomicU64::new(0);
static REALLOCS: AtomicU64 = AtomicU64::new(0);
static FREES: AtomicU64 = AtomicU64::new(0);

// SAFETY: all three targets are GlobalAllocs over `System`, so a block may be freed by
// any path: the tracker and dhat forward to `System` and treat blocks they never saw
// (allocated before the mode was set) as unknown, counted or ignored but not touched.
unsafe impl GlobalAlloc for Switch {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        match MODE.load(Relaxed) {
            // SAFETY: the caller's contract is forwarded unchanged.
            UNTRACKED => unsafe { System.alloc(layout) },
            // SAFETY: as above.
            TRACKED => unsafe { TRACKER.alloc(layout) },
            // SAFETY: as above.
            DHAT => unsafe { PEER.alloc(layout) },
            _ => {
                ALLOCS.fetch_add(1, Relaxed);
                // SAFETY: as above.
                unsafe { System.alloc(layout) }
            }
        }
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        match MODE.load(Relaxed) {
            // SAFETY: the caller's contract is forwarded unchanged.
            UNTRACKED => unsafe { System.alloc_zeroed(layout) },
            // SAFETY: as above.
            TRACKED => unsafe { TRACKER.alloc_zeroed(layout) },
            // SAFETY: as above.
            DHAT => unsafe { PEER.alloc_zeroed(layout) },
            _ => {
                ALLOCS.fetch_add(1, Relaxed);
                // SAFETY: as above.
                unsafe { System.alloc_zeroed(layout) }
            }
        }
    }
    unsafe fn dealloc(&self, block: *mut u8, layout: Layout) {
        match MODE.load(Relaxed) {
            // SAFETY: the caller's contract is forwarded unchanged; every block came
            // from `System`, whichever path allocated it.
            UNTRACKED => unsafe { System.dealloc(block, layout) },
            // SAFETY: as above.
            TRACKED => unsafe { TRACKER.dealloc(block, layout) },
            // SAFETY: as above.
            DHAT => unsafe { PEER.dealloc(block, layout) },
            _ => {
                FREES.fetch_add(1, Relaxed);
                // SAFETY: as above.
                unsafe { System.dealloc(block, layout) }
            }
        }
    }
    unsafe fn realloc(&self, block: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        match MODE.load(Relaxed) {
            // SAFETY: the caller's contract is forwarded unchanged; every block came
            // from `System`, whichever path allocated it.
            UNTRACKED => unsafe { System.realloc(block, layout, new_size) },
            // SAFETY: as above.
            TRACKED => unsafe { TRACKER.realloc(block, layout, new_size) },
            // SAFETY: as above.
            DHAT => unsafe { PEER.realloc(block, layout, new_size) },
            _ => {
                REALLOCS.fetch_add(1, Relaxed);
                // SAFETY: as above.
                unsafe { System.realloc(block, layout, new_size) }
            }
        }
    }
}

#[global_allocator]
static ALLOC: Switch = Switch;

const CHILD_VAR: &str = "ALLOC_TRACKER_BENCH_CHILD";
const WORKLOAD_VAR: &str = "ALLOC_TRACKER_BENCH_WORKLOAD";
const SCALE_VAR: &str = "ALLOC_TRACKER_BENCH_SCALE";
const MODES: [&str; 4] = ["system", "tracked", "sampled", "dhat"];
/// The sampled child's mean gap between samples: jemalloc's and Go's default.
const SAMPLE_BYTES: &str = "524288";

/// Peak resident set size of this process so far, in KiB (`VmHWM`; 0 where unknown).
fn peak_rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
            line.split_whitespace().nth(1)?.parse().ok()
        })
        .unwrap_or(0)
}

/// One child: runs one workload in one mode and prints
/// `nanos checksum peak_rss_kib allocs reallocs frees` (counts only when counting).
fn child(mode: &str, name: &str, scale: f64) {
    let workload = WORKLOADS
        .iter()
        .find(|w| w.name == name)
        .expect("known workload");
    let mut profiler = None;
    match mode {
        // The sampled child is the tracked one with MEMLEAK_SAMPLE_BYTES set, which
        // `start` reads.
        "tracked" | "sampled" => {
            memleak::start();
            MODE.store(TRACKED, Relaxed);
        }
        "dhat" => {
            MODE.store(DHAT, Relaxed);
            profiler = Some(dhat::Profiler::builder().testing().build());
        }
        "count" => MODE.store(COUNTING, Relaxed),
        _ => {}
    }
    let counts_before = [&ALLOCS, &REALLOCS, &FREES].map(|c| c.load(Relaxed));
    let start = Instant::now();
    let checksum = black_box((workload.run)(scale));
    let nanos = start.elapsed().as_nanos();
    let counts = [&ALLOCS, &REALLOCS, &FREES]
        .iter()
        .zip(counts_before)
        .map(|(c, before)| c.load(Relaxed) - before)
        .collect::<Vec<_>>();
    let peak = peak_rss_kib();
    println!(
        "{nanos} {checksum} {peak} {} {} {}",
        counts[0], counts[1], counts[2]
    );
    drop(profiler);
}

/// What one child reported.
#[derive(Clone, Copy, Debug)]
struct Sample {
    nanos: f64,
    checksum: u64,
    peak_kib: f64,
    allocs: u64,
    reallocs: u64,
    frees: u64,
}

fn run_child(mode: &str, workload: &Workload, scale: f64) -> Sample {
    let exe = std::env::current_exe().expect("bench exe");
    let mut command = Command::new(exe);
    if mode == "sampled" {
        command.env("MEMLEAK_SAMPLE_BYTES", SAMPLE_BYTES);
    } else {
        command.env_remove("MEMLEAK_SAMPLE_BYTES");
    }
    // The tracked children run as `cargo memleak` runs a program: with MEMLEAK_OUT set,
    // so the timeline sampler thread runs too, and a profile is written at exit (after
    // the timed part).
    let profile = std::env::temp_dir().join(format!(
        "memleak-bench-{}-{mode}-{}.json",
        std::process::id(),
        workload.name
    ));
    if matches!(mode, "tracked" | "sampled") {
        command.env("MEMLEAK_OUT", &profile);
    } else {
        command.env_remove("MEMLEAK_OUT");
    }
    let output = command
        .env(CHILD_VAR, mode)
        .env(WORKLOAD_VAR, workload.name)
        .env(SCALE_VAR, scale.to_string())
        .output()
        .expect("child runs");
    let _ = std::fs::remove_file(&profile);
    assert!(
        output.status.success(),
        "{mode} child for {} failed: {output:?}",
        workload.name
    );
    let text = String::from_utf8_lossy(&output.stdout);
    let fields: Vec<u64> = text
        .split_whitespace()
        .map(|f| f.parse().expect("child reports numbers"))
        .collect();
    let [nanos, checksum, peak, allocs, reallocs, frees] = fields[..] else {
        panic!(
            "{mode} child for {}: unexpected report {text:?}",
            workload.name
        );
    };
    Sample {
        nanos: nanos as f64,
        checksum,
        peak_kib: peak as f64,
        allocs,
        reallocs,
        frees,
    }
}

fn median(values: &[f64]) -> f64 {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let n = sorted.len();
    if n % 2 == 1 {
        sorted[n / 2]
    } else {
        (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0
    }
}

fn min_max(values: &[f64]) -> String {
    let low = values.iter().copied().fold(f64::INFINITY, f64::min);
    let high = values.iter().copied().fold(0.0, f64::max);
    format!("{low:.2}-{high:.2}")
}

/// Per workload, per round: the three modes' samples.
#[derive(Debug, Default)]
struct Rounds {
    system: Vec<Sample>,
    tracked: Vec<Sample>,
    sampled: Vec<Sample>,
    dhat: Vec<Sample>,
}

fn main() {
    if let Ok(mode) = std::env::var(CHILD_VAR) {
        let name = std::env::var(WORKLOAD_VAR).expect("workload named");
        let scale = std::env::var(SCALE_VAR)
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or(1.0);
        child(&mode, &name, scale);
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

    println!();
    println!(
        "wall time and peak RSS vs System, {rounds} alternating rounds; tracker: full stacks, \
         every allocation; sampled: the tracker with MEMLEAK_SAMPLE_BYTES={SAMPLE_BYTES}; \
         dhat: dhat::Alloc + Profiler (testing mode, default 10-frame stacks)"
    );
    println!(
        "{:<9} {:>7} {:>7} {:>11} {:>7} {:>11} {:>7} {:>13} {:>8} {:>7} {:>7} {:>7} {:>8} {:>6} {:>6} {:>7}",
        "workload",
        "sys ms",
        "tracker",
        "min-max",
        "sampled",
        "min-max",
        "dhat",
        "min-max",
        "dhat/trk",
        "sys MiB",
        "RSS trk",
        "RSS smp",
        "RSS dhat",
        "trk ns",
        "smp ns",
        "dhat ns",
    );
    for ((workload, count), result) in selected.iter().zip(&counts).zip(&results) {
        let ratios = |a: &[Sample], b: &[Sample], f: fn(&Sample) -> f64| -> Vec<f64> {
            a.iter().zip(b).map(|(x, y)| f(x) / f(y)).collect()
        };
        // "-" for a mode that did not run.
        let show = |values: &[f64], digits: usize, suffix: &str| -> String {
            if values.is_empty() {
                "-".to_owned()
            } else {
                format!("{:.digits$}{suffix}", median(values))
            }
        };
        let spread = |values: &[f64]| -> String {
            if values.is_empty() {
                "-".to_owned()
            } else {
                min_max(values)
            }
        };
        let tracker = ratios(&result.tracked, &result.system, |s| s.nanos);
        let sampled = ratios(&result.sampled, &result.system, |s| s.nanos);
        let dhat = ratios(&result.dhat, &result.system, |s| s.nanos);
        let dhat_vs_tracker = ratios(&result.dhat, &result.tracked, |s| s.nanos);
        let rss_tracker = ratios(&result.tracked, &result.system, |s| s.peak_kib);
        let rss_sampled = ratios(&result.sampled, &result.system, |s| s.peak_kib);
        let rss_dhat = ratios(&result.dhat, &result.system, |s| s.peak_kib);
        let events = (count.allocs + count.reallocs) as f64;
        let per_alloc = |with: &[Sample]| -> Vec<f64> {
            with.iter()
                .zip(&result.system)
                .map(|(w, s)| (w.nanos - s.nanos) / events)
                .collect()
        };
        let sys_ms: Vec<f64> = result.system.iter().map(|s| s.nanos / 1e6).collect();
        let sys_mib: Vec<f64> = result.system.iter().map(|s| s.peak_kib / 1024.0).collect();
        println!(
            "{:<9} {:>7} {:>7} {:>11} {:>7} {:>11} {:>7} {:>13} {:>8} {:>7} {:>7} {:>7} {:>8} {:>6} {:>6} {:>7}",
            workload.name,
            show(&sys_ms, 0, ""),
            show(&tracker, 2, "x"),
            spread(&tracker),
            show(&sampled, 3, "x"),
            spread(&sampled),
            show(&dhat, 1, "x"),
            spread(&dhat),
            show(&dhat_vs_tracker, 1, "x"),
            show(&sys_mib, 0, ""),
            show(&rss_tracker, 2, "x"),
            show(&rss_sampled, 2, "x"),
            show(&rss_dhat, 2, "x"),
            show(&per_alloc(&result.tracked), 0, ""),
            show(&per_alloc(&result.sampled), 1, ""),
            show(&per_alloc(&result.dhat), 0, ""),
        );
    }
    println!(
        "(ratios: median over rounds of each round's mode/system; dhat/trk: of dhat/tracked; \
         ns: median of (mode - system) / (allocs + reallocs); sys MiB: median VmHWM; total {:.0} s)",
        started.elapsed().as_secs_f64()
    );
}
