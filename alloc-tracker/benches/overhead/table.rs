//! The bench's tables: the workload alone (timed inside each child), the whole process
//! (spawn to reaped, profile written), and how the threads variants scale.

use crate::child::{SAMPLE_BYTES, Sample};
use crate::workloads::Workload;

pub(crate) fn median(values: &[f64]) -> f64 {
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

/// Per workload, per round: each mode's samples.
#[derive(Debug, Default)]
pub(crate) struct Rounds {
    pub(crate) system: Vec<Sample>,
    pub(crate) tracked: Vec<Sample>,
    pub(crate) sampled: Vec<Sample>,
    pub(crate) dhat: Vec<Sample>,
}

/// Each round's `a / b` of one figure.
fn ratios(a: &[Sample], b: &[Sample], figure: fn(&Sample) -> f64) -> Vec<f64> {
    a.iter()
        .zip(b)
        .map(|(x, y)| figure(x) / figure(y))
        .collect()
}

/// The median with `digits` decimals and `suffix`; "-" for a mode that did not run.
fn show(values: &[f64], digits: usize, suffix: &str) -> String {
    if values.is_empty() {
        "-".to_owned()
    } else {
        format!("{:.digits$}{suffix}", median(values))
    }
}

/// The min-max; "-" for a mode that did not run.
fn spread(values: &[f64]) -> String {
    if values.is_empty() {
        "-".to_owned()
    } else {
        min_max(values)
    }
}

/// The columns both tables share, formatted: the wall part (the median untracked ms of
/// `nanos`, then each mode's ratio to it and the ratio's min-max) and the memory part
/// (the median untracked peak of `kib` in MiB, then each mode's ratio to it).
fn shared_columns(
    result: &Rounds,
    nanos: fn(&Sample) -> f64,
    kib: fn(&Sample) -> f64,
) -> (String, String) {
    let sys_ms: Vec<f64> = result.system.iter().map(|s| nanos(s) / 1e6).collect();
    let sys_mib: Vec<f64> = result.system.iter().map(|s| kib(s) / 1024.0).collect();
    let tracker = ratios(&result.tracked, &result.system, nanos);
    let sampled = ratios(&result.sampled, &result.system, nanos);
    let dhat = ratios(&result.dhat, &result.system, nanos);
    let wall = format!(
        "{:>7} {:>7} {:>11} {:>7} {:>11} {:>7} {:>13}",
        show(&sys_ms, 0, ""),
        show(&tracker, 2, "x"),
        spread(&tracker),
        show(&sampled, 3, "x"),
        spread(&sampled),
        show(&dhat, 1, "x"),
        spread(&dhat),
    );
    let memory = format!(
        "{:>7} {:>7} {:>7} {:>8}",
        show(&sys_mib, 0, ""),
        show(&ratios(&result.tracked, &result.system, kib), 2, "x"),
        show(&ratios(&result.sampled, &result.system, kib), 2, "x"),
        show(&ratios(&result.dhat, &result.system, kib), 2, "x"),
    );
    (wall, memory)
}

/// The workload alone: wall time and peak RSS ratios, and the cost per allocation.
pub(crate) fn print_workload_table(
    selected: &[&Workload],
    counts: &[Sample],
    results: &[Rounds],
    rounds: usize,
) {
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
    for ((workload, count), result) in selected.iter().zip(counts).zip(results) {
        let dhat_vs_tracker = ratios(&result.dhat, &result.tracked, |s| s.nanos);
        let events = (count.allocs + count.reallocs) as f64;
        let per_alloc = |with: &[Sample]| -> Vec<f64> {
            with.iter()
                .zip(&result.system)
                .map(|(w, s)| (w.nanos - s.nanos) / events)
                .collect()
        };
        let (wall, memory) = shared_columns(result, |s| s.nanos, |s| s.peak_kib);
        println!(
            "{:<9} {wall} {:>8} {memory} {:>6} {:>6} {:>7}",
            workload.name,
            show(&dhat_vs_tracker, 1, "x"),
            show(&per_alloc(&result.tracked), 0, ""),
            show(&per_alloc(&result.sampled), 1, ""),
            show(&per_alloc(&result.dhat), 0, ""),
        );
    }
    println!(
        "(ratios: median over rounds of each round's mode/system; dhat/trk: of dhat/tracked; \
         ns: median of (mode - system) / (allocs + reallocs); sys MiB: median VmHWM)"
    );
}

/// The whole process as a user feels it: spawn to reaped (start, workload, exit scan,
/// profile written), and the peak RSS over all of it.
pub(crate) fn print_whole_process_table(selected: &[&Workload], results: &[Rounds]) {
    println!();
    println!(
        "whole process, start to exit (tracked and sampled children write their profile), \
         vs System:"
    );
    println!(
        "{:<9} {:>7} {:>7} {:>11} {:>7} {:>11} {:>7} {:>13} {:>7} {:>7} {:>7} {:>8} {:>8}",
        "workload",
        "sys ms",
        "tracker",
        "min-max",
        "sampled",
        "min-max",
        "dhat",
        "min-max",
        "sys MiB",
        "RSS trk",
        "RSS smp",
        "RSS dhat",
        "+MiB trk",
    );
    for (workload, result) in selected.iter().zip(results) {
        let added_mib: Vec<f64> = result
            .tracked
            .iter()
            .zip(&result.system)
            .map(|(t, s)| (t.whole_peak_kib - s.whole_peak_kib) / 1024.0)
            .collect();
        let (wall, memory) = shared_columns(result, |s| s.whole_nanos, |s| s.whole_peak_kib);
        println!(
            "{:<9} {wall} {memory} {:>8}",
            workload.name,
            show(&added_mib, 1, ""),
        );
    }
    println!(
        "(wall: spawn to reaped, timed by the parent; RSS: wait4's ru_maxrss, exit included; \
         sampled: MEMLEAK_SAMPLE_BYTES={SAMPLE_BYTES})"
    );
}

/// The threads variants against threads2 (the same total work on 2, 4, 8 threads): how
/// the untracked program's own time scales, and how the tracker's ratio does.
pub(crate) fn print_thread_scaling(selected: &[&Workload], results: &[Rounds]) {
    let find = |name: &str| {
        selected
            .iter()
            .position(|w| w.name == name)
            .map(|at| &results[at])
    };
    let Some(base) = find("threads2") else {
        return;
    };
    let figures = |result: &Rounds| {
        let sys: Vec<f64> = result.system.iter().map(|s| s.nanos).collect();
        let tracker = ratios(&result.tracked, &result.system, |s| s.nanos);
        (
            median(&sys),
            (!tracker.is_empty()).then(|| median(&tracker)),
        )
    };
    let (base_sys, base_tracker) = figures(base);
    println!();
    println!("thread scaling (workload alone, medians; the same total boxes on each):");
    for name in ["threads4", "threads8"] {
        let Some(result) = find(name) else {
            continue;
        };
        let (sys, tracker) = figures(result);
        let growth = match (tracker, base_tracker) {
            (Some(t), Some(b)) => format!("{:.2}x", t / b),
            _ => "-".to_owned(),
        };
        println!(
            "{name}: untracked time {:.2}x threads2's; tracker ratio {growth} threads2's",
            sys / base_sys
        );
    }
}
