//! The tracker's own allocating work never recurses into tracking and never deadlocks:
//! interning new sites from 32 threads at once while every table lock is held (so the
//! threads interning park, and parking_lot grows its parking table, which allocates),
//! and symbolizing and writing profiles while other threads allocate.

mod common;

use std::sync::mpsc;
use std::time::Duration;

/// Shallow enough that every depth's whole stack fits the 48 frames kept, so each depth
/// is a distinct site.
const DEPTH: usize = 30;

#[global_allocator]
static ALLOC: memleak::TrackingAlloc = memleak::TrackingAlloc::system();

/// Each depth is a new call stack, so a new site to intern.
#[inline(never)]
fn nested(depth: usize, out: &mut Vec<Vec<u8>>) {
    if depth == 0 {
        out.push(std::hint::black_box(vec![1u8; 24]));
        return;
    }
    out.push(std::hint::black_box(vec![0u8; depth]));
    nested(depth - 1, out);
}

#[inline(never)]
fn hammer(rounds: usize) -> usize {
    let mut total = 0;
    for round in 0..rounds {
        let v: Vec<u64> = std::hint::black_box((0..(round % 64) as u64).collect());
        total += v.len();
    }
    total
}

#[test]
fn tracker_work_never_recurses_or_deadlocks() {
    memleak::start();
    let (done, finished) = mpsc::channel();
    std::thread::spawn(move || {
        let dir = tempfile::tempdir().expect("tempdir");
        let workers: Vec<_> = (0..32)
            .map(|_| {
                std::thread::spawn(|| {
                    // Reserved up front so `nested` allocates exactly one block per depth.
                    let mut kept = Vec::with_capacity(DEPTH + 1);
                    nested(DEPTH, &mut kept);
                    hammer(20_000) + kept.len()
                })
            })
            .collect();
        // Every table locked while the workers allocate: they park, and parking_lot
        // allocates its parking table from inside the tracker.
        memleak::__hold_tables_for_test(Duration::from_millis(200));
        // Profiles written while the workers allocate: symbolizing and writing allocate
        // heavily, all of it inside the guard.
        for i in 0..3 {
            memleak::write_profile(dir.path().join(format!("during-{i}.json")))
                .expect("profile during work");
        }
        let sum: usize = workers.into_iter().map(|w| w.join().expect("worker")).sum();
        let path = dir.path().join("after.json");
        memleak::write_profile(&path).expect("profile after work");
        let _ = done.send((sum, common::load(&path), memleak::stats()));
    });
    let (sum, profile, stats) = finished
        .recv_timeout(Duration::from_secs(120))
        .expect("deadlock: the scenario did not finish in 120 s");
    assert!(sum > 0);
    assert!(
        stats.overhead_allocs > 0,
        "the tracker's own allocations were not diverted"
    );
    // No site may belong to the tracker's own work: it was never tracked.
    for site in profile["sites"].as_array().expect("sites") {
        let functions = common::site_functions(&profile, site);
        let inner = functions.iter().find(|f| {
            [
                "memleak::site::",
                "memleak::session",
                "memleak::format",
                "memleak::symbolize",
                "memleak::thread::",
                "memleak::shard::",
                "parking_lot",
            ]
            .iter()
            .any(|prefix| f.starts_with(prefix))
        });
        assert!(
            inner.is_none(),
            "tracker work was tracked: {inner:?} in {functions:?}"
        );
    }
    // Every depth is a site of its own, shared by the 32 threads.
    let nested_sites = profile["sites"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|site| {
            common::site_functions(&profile, site)
                .iter()
                .any(|f| f.ends_with("reentrancy::nested"))
        })
        .count();
    assert_eq!(nested_sites, DEPTH + 1, "nested sites");
    assert_eq!(
        common::sum_for(&profile, "reentrancy::nested", "allocated_blocks"),
        32 * (DEPTH as u64 + 1)
    );
    assert_eq!(
        common::sum_for(&profile, "reentrancy::nested", "live_blocks"),
        0
    );
}
