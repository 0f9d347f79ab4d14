//! Overhead of `TrackingAlloc` against the untracked `System` allocator, in one run.
//!
//! `cargo bench -p alloc-tracker --bench overhead` (add `-- --rounds N` for more rounds).
//!
//! The parent re-runs this binary as children, alternating untracked and tracked, so
//! both see the same machine state; each child times the workloads in-process and
//! reports one line per workload. The untracked child sends every call straight to
//! `System` (one predictable branch in the switch below); the tracked child records
//! every allocation with its full stack. The parent prints, per workload, the median
//! wall ratio, its min-max over rounds, and the tracker's cost per allocation.

use std::alloc::{GlobalAlloc, Layout, System};
use std::collections::BTreeMap;
use std::hint::black_box;
use std::process::Command;
use std::sync::atomic::{AtomicBool, Ordering::Relaxed};
use std::time::Instant;

use alloc_tracker::TrackingAlloc;

/// Routes every call to `System` or to the tracker; decided once, before the workloads.
struct Switch;

static TRACKED: AtomicBool = AtomicBool::new(false);
static TRACKER: TrackingAlloc = TrackingAlloc::system();

// SAFETY: both targets are GlobalAllocs over `System`, so a block may be freed by
// either path: the tracker forwards to `System` and treats blocks it never saw as
// unknown (counted, not touched).
unsafe impl GlobalAlloc for Switch {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if TRACKED.load(Relaxed) {
            // SAFETY: the caller's contract is forwarded unchanged.
            unsafe { TRACKER.alloc(layout) }
        } else {
            // SAFETY: as above.
            unsafe { System.alloc(layout) }
        }
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        if TRACKED.load(Relaxed) {
            // SAFETY: the caller's contract is forwarded unchanged.
            unsafe { TRACKER.alloc_zeroed(layout) }
        } else {
            // SAFETY: as above.
            unsafe { System.alloc_zeroed(layout) }
        }
    }
    unsafe fn dealloc(&self, block: *mut u8, layout: Layout) {
        if TRACKED.load(Relaxed) {
            // SAFETY: the caller's contract is forwarded unchanged; every block came from `System`.
            unsafe { TRACKER.dealloc(block, layout) }
        } else {
            // SAFETY: as above.
            unsafe { System.dealloc(block, layout) }
        }
    }
    unsafe fn realloc(&self, block: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        if TRACKED.load(Relaxed) {
            // SAFETY: the caller's contract is forwarded unchanged; every block came from `System`.
            unsafe { TRACKER.realloc(block, layout, new_size) }
        } else {
            // SAFETY: as above.
            unsafe { System.realloc(block, layout, new_size) }
        }
    }
}

#[global_allocator]
static ALLOC: Switch = Switch;

const CHILD_VAR: &str = "ALLOC_TRACKER_BENCH_CHILD";

struct Workload {
    name: &'static str,
    /// Runs the workload; returns (checksum, allocations made).
    run: fn() -> (u64, u64),
}

const WORKLOADS: &[Workload] = &[
    Workload {
        name: "churn",
        run: churn,
    },
    Workload {
        name: "btree",
        run: btree,
    },
    Workload {
        name: "threads2",
        run: threads2,
    },
];

/// Small-object churn: 2M short-lived boxes of mixed sizes, a few kept a while.
fn churn() -> (u64, u64) {
    const N: u64 = 2_000_000;
    let mut ring: Vec<Option<Box<[u8]>>> = (0..64).map(|_| None).collect();
    let mut sum = 0u64;
    for i in 0..N {
        let size = 8 + (i as usize * 7) % 120;
        let block = black_box(vec![i as u8; size].into_boxed_slice());
        sum = sum.wrapping_add(u64::from(block[size / 2]));
        ring[(i % 64) as usize] = Some(block);
    }
    (sum, N + 1)
}

/// A `BTreeMap<String, Vec<u64>>` of 200k keys: many live blocks, then all freed.
fn btree() -> (u64, u64) {
    const KEYS: u64 = 200_000;
    let mut map: BTreeMap<String, Vec<u64>> = BTreeMap::new();
    for i in 0..KEYS {
        let key = format!("key-{:08}", (i * 2_654_435_761) % 1_000_003);
        map.entry(key).or_default().extend([i, i + 1, i + 2]);
    }
    let sum = map
        .values()
        .map(|v| v.iter().sum::<u64>())
        .fold(0u64, u64::wrapping_add);
    // key + vec per entry, plus B-tree nodes (about one per 6 keys)
    (sum, KEYS * 2 + KEYS / 6)
}

/// The churn kernel on two threads at once.
fn threads2() -> (u64, u64) {
    let workers: Vec<_> = (0..2)
        .map(|_| {
            std::thread::spawn(|| {
                let mut sum = 0u64;
                for i in 0..1_000_000u64 {
                    let block = black_box(vec![i as u8; 16 + (i as usize % 48)]);
                    sum = sum.wrapping_add(u64::from(block[3]));
                }
                sum
            })
        })
        .collect();
    let sum = workers
        .into_iter()
        .map(|w| w.join().expect("worker"))
        .fold(0, u64::wrapping_add);
    (sum, 2_000_000)
}

fn child(mode: &str) {
    if mode == "tracked" {
        alloc_tracker::start();
        TRACKED.store(true, Relaxed);
    }
    for workload in WORKLOADS {
        let start = Instant::now();
        let (checksum, allocations) = (workload.run)();
        let nanos = start.elapsed().as_nanos();
        println!("{} {nanos} {allocations} {checksum}", workload.name);
    }
}

fn run_child(mode: &str) -> Vec<(String, f64, f64, u64)> {
    let exe = std::env::current_exe().expect("bench exe");
    let output = Command::new(exe)
        .env(CHILD_VAR, mode)
        .output()
        .expect("child runs");
    assert!(output.status.success(), "{mode} child failed: {output:?}");
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .filter_map(|line| {
            let mut parts = line.split_whitespace();
            let name = parts.next()?.to_owned();
            let nanos: f64 = parts.next()?.parse().ok()?;
            let allocations: f64 = parts.next()?.parse().ok()?;
            let checksum: u64 = parts.next()?.parse().ok()?;
            Some((name, nanos, allocations, checksum))
        })
        .collect()
}

fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

fn main() {
    if let Ok(mode) = std::env::var(CHILD_VAR) {
        child(&mode);
        return;
    }
    let args: Vec<String> = std::env::args().collect();
    let rounds = args
        .iter()
        .position(|a| a == "--rounds")
        .and_then(|i| args.get(i + 1))
        .and_then(|n| n.parse().ok())
        .unwrap_or(5usize);
    if args.iter().any(|a| a == "--list" || a == "--test") {
        return; // `cargo test --benches` / `cargo bench -- --list`: nothing to run as a test.
    }
    let mut samples: BTreeMap<String, (Vec<f64>, Vec<f64>, f64)> = BTreeMap::new();
    for _ in 0..rounds {
        let untracked = run_child("system");
        let tracked = run_child("tracked");
        for ((name, base, allocations, sum_a), (_, with, _, sum_b)) in
            untracked.into_iter().zip(tracked)
        {
            assert_eq!(sum_a, sum_b, "{name}: checksums differ between runs");
            let entry = samples
                .entry(name)
                .or_insert_with(|| (Vec::new(), Vec::new(), allocations));
            entry.0.push(with / base);
            entry.1.push((with - base) / allocations);
        }
    }
    println!(
        "alloc-tracker overhead vs System, {rounds} alternating rounds (full stacks, every allocation)"
    );
    println!(
        "{:<10} {:>12} {:>16} {:>18}",
        "workload", "median ratio", "min-max", "tracker ns/alloc"
    );
    for (name, (mut ratios, mut costs, _)) in samples {
        let (low, high) = (
            ratios.iter().copied().fold(f64::INFINITY, f64::min),
            ratios.iter().copied().fold(0.0, f64::max),
        );
        println!(
            "{name:<10} {:>11.2}x {:>16} {:>18.1}",
            median(&mut ratios),
            format!("{low:.2}-{high:.2}x"),
            median(&mut costs)
        );
    }
}
