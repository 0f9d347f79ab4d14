//! One child process: runs one workload in one mode. Inside, it times the workload alone;
//! outside, the parent times the whole process (start, workload, exit, profile written)
//! and reads its peak RSS from `wait4`.

use std::hint::black_box;
use std::process::{Command, Stdio};
use std::sync::atomic::Ordering::Relaxed;
use std::time::Instant;

use crate::switch::{ALLOCS, COUNTING, DHAT, FREES, MODE, REALLOCS, TRACKED};
use crate::workloads::{WORKLOADS, Workload};

pub(crate) const CHILD_VAR: &str = "ALLOC_TRACKER_BENCH_CHILD";
pub(crate) const WORKLOAD_VAR: &str = "ALLOC_TRACKER_BENCH_WORKLOAD";
pub(crate) const SCALE_VAR: &str = "ALLOC_TRACKER_BENCH_SCALE";
/// The sampled child's mean gap between samples: jemalloc's and Go's default.
pub(crate) const SAMPLE_BYTES: &str = "524288";

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

/// In the child: runs one workload in one mode and prints
/// `nanos checksum peak_rss_kib allocs reallocs frees` (counts only when counting).
pub(crate) fn run_in_child(mode: &str, name: &str, scale: f64) {
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

/// What one child reported, and what the parent saw of it.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Sample {
    /// The workload alone, timed inside the child.
    pub(crate) nanos: f64,
    pub(crate) checksum: u64,
    /// `VmHWM` right after the workload.
    pub(crate) peak_kib: f64,
    pub(crate) allocs: u64,
    pub(crate) reallocs: u64,
    pub(crate) frees: u64,
    /// The whole process, spawn to reaped, timed by the parent.
    pub(crate) whole_nanos: f64,
    /// The whole process's peak RSS (`ru_maxrss`), exit and profile writing included.
    pub(crate) whole_peak_kib: f64,
}

/// In the parent: runs one child and reads its report.
pub(crate) fn run_child(mode: &str, workload: &Workload, scale: f64) -> Sample {
    let exe = std::env::current_exe().expect("bench exe");
    let mut command = Command::new(exe);
    if mode == "sampled" {
        command.env("MEMLEAK_SAMPLE_BYTES", SAMPLE_BYTES);
    } else {
        command.env_remove("MEMLEAK_SAMPLE_BYTES");
    }
    // The tracked children run as `cargo memleak` runs a program: with MEMLEAK_OUT set,
    // so the timeline sampler thread runs too, and a profile is written at exit.
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
    command
        .env(CHILD_VAR, mode)
        .env(WORKLOAD_VAR, workload.name)
        .env(SCALE_VAR, scale.to_string())
        .stdout(Stdio::piped());
    let (text, whole_nanos, whole_peak_kib) = spawn_and_reap(&mut command);
    let _ = std::fs::remove_file(&profile);
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
        whole_nanos,
        whole_peak_kib,
    }
}

/// Runs `command` to its end: its stdout, its wall time from spawn to reaped, and its
/// peak RSS in KiB. Panics when it fails.
fn spawn_and_reap(command: &mut Command) -> (String, f64, f64) {
    let started = Instant::now();
    let mut child = command.spawn().expect("child runs");
    let mut text = String::new();
    if let Some(mut stdout) = child.stdout.take() {
        std::io::Read::read_to_string(&mut stdout, &mut text).expect("child's report");
    }
    let pid = libc::pid_t::try_from(child.id()).expect("pid fits");
    let mut status = 0;
    // SAFETY: an all-zero `rusage` is a valid value of this plain C struct.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: `pid` is our unreaped child; `status` and `usage` are valid for writes.
    let reaped = unsafe { libc::wait4(pid, &raw mut status, 0, &raw mut usage) };
    let whole = started.elapsed().as_nanos() as f64;
    assert_eq!(reaped, pid, "wait4 failed");
    assert!(
        libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0,
        "child failed: status {status:#x}, report {text:?}"
    );
    // Reaped by wait4 above; `Child` has no destructor that would wait again.
    drop(child);
    (text, whole, usage.ru_maxrss as f64)
}
