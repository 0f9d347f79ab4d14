//! The timeline: a child that grows a cache for 300 ms under `MEMLEAK_INTERVAL_MS=10`
//! writes interval samples, checkpoints in which the cache's site grows, a peak sample
//! and, last, the exit sample; the sampler thread is nowhere in the profile, and a
//! grandchild forked meanwhile exits normally and writes nothing. With
//! `MEMLEAK_INTERVAL_MS=0` only the peak and exit samples remain.

mod common;

use std::collections::BTreeSet;
use std::process::Command;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use serde_json::Value;

#[global_allocator]
static ALLOC: memleak::TrackingAlloc = memleak::TrackingAlloc::system();

const CHILD: &str = "ALLOC_TRACKER_TIMELINE_CHILD";
const BLOCK: usize = 64 * 1024;

static CACHE: Mutex<Vec<Vec<u8>>> = Mutex::new(Vec::new());

#[inline(never)]
fn grow_cache() {
    let block = std::hint::black_box(vec![7u8; BLOCK]);
    CACHE.lock().unwrap().push(block);
}

/// A grandchild that allocates and leaves through `exit` (so through the exit hook).
fn fork_and_exit() {
    // SAFETY: the child only allocates, frees and calls `exit`.
    let pid = unsafe { libc::fork() };
    assert!(pid >= 0, "fork failed");
    if pid == 0 {
        let blocks: Vec<Vec<u8>> = (0..64).map(|n| vec![n as u8; 1024]).collect();
        std::hint::black_box(&blocks);
        // SAFETY: ends the child through the C exit path, atexit handlers included.
        unsafe { libc::exit(0) };
    }
    let start = Instant::now();
    let mut status = 0;
    loop {
        // SAFETY: `pid` is our child; `status` is a valid out-pointer.
        if unsafe { libc::waitpid(pid, &raw mut status, libc::WNOHANG) } == pid {
            break;
        }
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "grandchild hangs"
        );
        std::thread::sleep(Duration::from_millis(1));
    }
    assert!(libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0);
}

fn child_main() -> ! {
    let start = Instant::now();
    let mut forked = false;
    let mut grown = 0;
    // At least 2 MiB even on a starved machine: the peak sample needs 1 MiB.
    while start.elapsed() < Duration::from_millis(300) || grown < 32 {
        grow_cache();
        grown += 1;
        if !forked && start.elapsed() > Duration::from_millis(100) {
            fork_and_exit();
            forked = true;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    println!("child done");
    std::process::exit(0);
}

/// Runs the child; returns its only profile (the grandchild must not write one).
fn run_child(interval: &str) -> Value {
    let dir = tempfile::tempdir().expect("tempdir");
    let exe = std::env::current_exe().expect("test exe");
    let output = Command::new(exe)
        .args(["--exact", "samples_over_time", "--nocapture"])
        .env(CHILD, "1")
        .env("MEMLEAK_OUT", dir.path().join("profile-%p.json"))
        .env("MEMLEAK_INTERVAL_MS", interval)
        .output()
        .expect("child runs");
    assert_eq!(output.status.code(), Some(0), "{output:?}");
    assert!(String::from_utf8_lossy(&output.stdout).contains("child done"));
    let written: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(
        written.len(),
        1,
        "one profile, none from the grandchild: {written:?}"
    );
    common::load(&written[0])
}

fn of_kind<'a>(samples: &'a [Value], kind: &str) -> Vec<&'a Value> {
    samples.iter().filter(|s| s["kind"] == kind).collect()
}

fn keys(object: &Value) -> BTreeSet<String> {
    object
        .as_object()
        .expect("object")
        .keys()
        .cloned()
        .collect()
}

/// Checks shared by both runs; returns the samples.
fn check_common(profile: &Value) -> Vec<Value> {
    let timeline = &profile["timeline"];
    let samples = timeline["samples"].as_array().expect("samples").clone();
    let times: Vec<u64> = samples
        .iter()
        .map(|s| s["t_ns"].as_u64().unwrap())
        .collect();
    assert!(times.windows(2).all(|w| w[0] <= w[1]), "{times:?}");
    let top = keys(&profile["footprint"]);
    for sample in &samples {
        assert_eq!(keys(&sample["footprint"]), top, "{sample}");
        for field in ["live_bytes", "live_blocks", "overhead_bytes"] {
            assert!(sample[field].is_u64(), "{field}: {sample}");
        }
    }
    let exit = samples.last().expect("an exit sample");
    assert_eq!(exit["kind"], "exit");
    assert_eq!(of_kind(&samples, "exit").len(), 1);
    assert_eq!(exit["live_bytes"], profile["totals"]["live_bytes"]);
    let peaks = of_kind(&samples, "peak");
    assert_eq!(peaks.len(), 1, "{samples:?}");
    assert!(peaks[0]["live_bytes"].as_u64().unwrap() >= 1024 * 1024);
    assert!(profile["totals"]["overhead_bytes"].as_u64().unwrap() > 0);
    let threads = profile["threads"].as_array().unwrap();
    assert!(
        threads.iter().all(|t| t["name"] != "memleak-sampler"),
        "{threads:?}"
    );
    samples
}

/// The cache's live bytes at each checkpoint.
fn cache_bytes(profile: &Value) -> Vec<u64> {
    let cache_sites: BTreeSet<u64> = profile["sites"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|site| {
            common::site_functions(profile, site)
                .iter()
                .any(|f| f.ends_with("timeline::grow_cache"))
        })
        .map(|site| site["id"].as_u64().unwrap())
        .collect();
    assert!(!cache_sites.is_empty());
    profile["timeline"]["checkpoints"]
        .as_array()
        .unwrap()
        .iter()
        .map(|checkpoint| {
            checkpoint["sites"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|pair| cache_sites.contains(&pair[0].as_u64().unwrap()))
                .map(|pair| pair[1].as_u64().unwrap())
                .sum()
        })
        .collect()
}

#[test]
fn samples_over_time() {
    if std::env::var_os(CHILD).is_some() {
        child_main();
    }

    let profile = run_child("10");
    assert_eq!(profile["timeline"]["interval_ms"], 10);
    let samples = check_common(&profile);
    let intervals = of_kind(&samples, "interval");
    assert!(
        intervals.len() >= 10,
        "{} interval samples",
        intervals.len()
    );
    let live: Vec<u64> = intervals
        .iter()
        .map(|s| s["live_bytes"].as_u64().unwrap())
        .collect();
    assert!(live.last() > live.first(), "{live:?}");
    if cfg!(target_os = "linux") {
        assert!(intervals.iter().all(|s| s["footprint"]["rss"].is_u64()));
    }
    // One checkpoint with each interval sample, at its time, and the ones taken by heap
    // activity between them: all in time order.
    let checkpoints = profile["timeline"]["checkpoints"].as_array().unwrap();
    let times: Vec<u64> = checkpoints
        .iter()
        .map(|checkpoint| checkpoint["t_ns"].as_u64().unwrap())
        .collect();
    assert!(times.windows(2).all(|w| w[0] <= w[1]), "{times:?}");
    for sample in &intervals {
        let t_ns = sample["t_ns"].as_u64().unwrap();
        assert!(times.contains(&t_ns), "no checkpoint at {t_ns}: {times:?}");
    }
    assert!(checkpoints.len() >= intervals.len());
    let cache = cache_bytes(&profile);
    assert!(cache.windows(2).all(|w| w[0] <= w[1]), "{cache:?}");
    assert!(cache.last() > cache.first(), "{cache:?}");
    assert!(*cache.last().unwrap() >= 16 * BLOCK as u64, "{cache:?}");

    let profile = run_child("0");
    assert_eq!(profile["timeline"]["interval_ms"], 0);
    let samples = check_common(&profile);
    assert_eq!(samples.len(), 2, "only the peak and the exit: {samples:?}");
    assert!(
        profile["timeline"]["checkpoints"]
            .as_array()
            .unwrap()
            .is_empty()
    );
}
