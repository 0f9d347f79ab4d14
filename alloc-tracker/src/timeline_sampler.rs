//! Who fills the timeline: a sampler thread every `MEMLEAK_INTERVAL_MS`, allocating
//! threads when the tracked heap reaches a new high, and the exit path.
//!
//! The sampler thread is started once, when tracking starts with `MEMLEAK_OUT` set
//! (often inside the first allocation of the process, so it is a bare detached
//! pthread, see `os::spawn_detached`). It holds the reentrancy guard for its whole life:
//! everything it allocates goes to the inner allocator, counted as overhead, and it
//! never shows up as a thread or a leak of the program. It keeps no process alive
//! (`exit` does not wait for it), stops at the exit profile, and does not exist in a
//! forked child (threads do not survive `fork`, and a forked child records nothing).
//!
//! Peak samples add no work to the allocation path: they are noticed in
//! `stats::publish`, which runs at most once per [`crate::PEAK_SLACK_BYTES`] of live
//! change per thread, when the published live bytes pass the next threshold (one atomic
//! load). The allocating thread then only notes the figures and wakes the sampler,
//! which reads the footprint (`/proc` files, `mallinfo2`: a millisecond on a big heap);
//! without a sampler thread the allocating thread reads it itself.

use std::sync::OnceLock;
use std::sync::atomic::{
    AtomicBool, AtomicI64, AtomicU64,
    Ordering::{Acquire, Relaxed, Release},
};
use std::time::{Duration, Instant};

use crate::guard::{self, Entry};
use crate::timeline::{self, Checkpoint, Sample, SampleKind};
use crate::{config, fork, os, site, state, stats};

static STARTED: AtomicBool = AtomicBool::new(false);
static STOPPING: AtomicBool = AtomicBool::new(false);
/// The running sampler's interval; 0 while none runs.
static INTERVAL_MS: AtomicU64 = AtomicU64::new(0);

/// A new peak sample is taken when live bytes reach the last one's plus a sixteenth,
/// and at least this much more (so the first at 1 MiB).
const PEAK_MIN_STEP: i64 = 1024 * 1024;
/// Published live bytes at which the next peak sample is due.
static NEXT_PEAK_AT: AtomicI64 = AtomicI64::new(PEAK_MIN_STEP);

/// The running sampler thread, to wake for a peak sample.
static SAMPLER: OnceLock<std::thread::Thread> = OnceLock::new();
/// A peak the sampler is to sample: its figures, then the flag (released after them).
static PEAK_PENDING: AtomicBool = AtomicBool::new(false);
static PENDING_LIVE: AtomicI64 = AtomicI64::new(0);
static PENDING_BLOCKS: AtomicI64 = AtomicI64::new(0);
static PENDING_T_NS: AtomicU64 = AtomicU64::new(0);

/// Starts the sampler thread once, unless `MEMLEAK_INTERVAL_MS` is 0. Allocates nothing
/// through the tracker: safe inside the allocator. Without a thread (spawn failed, or a
/// platform without one) the timeline has only its peak and exit samples.
pub(crate) fn start() {
    if STARTED.swap(true, Relaxed) || fork::in_child() {
        return;
    }
    let interval = config::interval_ms();
    if interval == 0 {
        return;
    }
    INTERVAL_MS.store(interval, Relaxed);
    if !os::spawn_detached(run) {
        INTERVAL_MS.store(0, Relaxed);
    }
}

/// Ends the sampler's loop: the exit profile is being written.
pub(crate) fn stop() {
    STOPPING.store(true, Relaxed);
}

/// The running sampler's interval, 0 when none runs.
pub(crate) fn interval_ms() -> u64 {
    INTERVAL_MS.load(Relaxed)
}

/// The sampler thread's body.
fn run() {
    let Entry::Entered(guard) = guard::enter() else {
        return;
    };
    // Held until the thread is gone, its thread-locals' destructors included.
    std::mem::forget(guard);
    let _ = SAMPLER.set(std::thread::current());
    let interval = Duration::from_millis(interval_ms().max(1));
    let mut scratch: Vec<(u32, u64)> = Vec::new();
    let mut due = Instant::now() + interval;
    loop {
        // Woken early for a peak sample, or by a spurious wake-up: only a due tick ticks.
        if let Some(wait) = due.checked_duration_since(Instant::now()) {
            std::thread::park_timeout(wait);
        }
        if STOPPING.load(Relaxed) || fork::in_child() {
            return;
        }
        take_pending_peak();
        let now = Instant::now();
        if now < due {
            continue;
        }
        due += interval;
        if due < now {
            // Late (a slow sample, a suspended process): start afresh from now.
            due = now + interval;
        }
        // Off (not started, stopped, or the exit scan's freeze): nothing to sample.
        if state::is_tracking() {
            tick(&mut scratch);
        }
    }
}

/// Takes the peak sample an allocating thread asked for, if any. Must run with the
/// reentrancy guard held (the probes allocate).
pub(crate) fn take_pending_peak() {
    if !PEAK_PENDING.swap(false, Acquire) {
        return;
    }
    let footprint = os::sample_footprint_while_running();
    timeline::offer_peak(Sample {
        t_ns: PENDING_T_NS.load(Relaxed),
        kind: SampleKind::Peak,
        live_bytes: u64::try_from(PENDING_LIVE.load(Relaxed)).unwrap_or(0),
        live_blocks: u64::try_from(PENDING_BLOCKS.load(Relaxed)).unwrap_or(0),
        overhead_bytes: stats::overhead_live_bytes(),
        footprint,
    });
}

/// One interval tick: the sample and the checkpoint the stores still keep at their
/// current resolution, or nothing.
fn tick(scratch: &mut Vec<(u32, u64)>) {
    let wanted = timeline::next_tick();
    if !wanted.sample && !wanted.checkpoint {
        return;
    }
    // First, as the exit snapshot does: the probe sees the process before this tick's
    // own buffers grow it.
    let footprint = os::sample_footprint_while_running();
    let overhead_bytes = stats::overhead_live_bytes();
    let t_ns = state::elapsed_ns();
    let sites = site::all_sites();
    scratch.clear();
    let (mut live_bytes, mut live_blocks) = (0u64, 0u64);
    for site in &sites {
        let counts = site.counts();
        live_bytes += counts.live_bytes;
        live_blocks += counts.live_blocks;
        if wanted.checkpoint && counts.live_bytes > 0 && scratch.try_reserve(1).is_ok() {
            scratch.push((site.id(), counts.live_bytes));
        }
    }
    drop(sites);
    let checkpoint = if wanted.checkpoint {
        timeline::largest_sites(scratch).map(|sites| Checkpoint { t_ns, sites })
    } else {
        None
    };
    let sample = wanted.sample.then_some(Sample {
        t_ns,
        kind: SampleKind::Interval,
        live_bytes,
        live_blocks,
        overhead_bytes,
        footprint,
    });
    timeline::record_interval(sample, checkpoint);
}

/// Called by `stats::publish` with the new published live totals, on an allocating
/// thread with the reentrancy guard held: takes a peak sample when `live` passed the
/// threshold.
#[inline]
pub(crate) fn on_published(live: i64, live_blocks: i64) {
    let due = NEXT_PEAK_AT.load(Relaxed);
    if live >= due {
        take_peak_sample(due, live, live_blocks);
    }
}

/// Where the peak sample after one taken at `live` bytes is due.
fn next_peak_at(live: i64) -> i64 {
    live.saturating_add((live / 16).max(PEAK_MIN_STEP))
}

#[cold]
fn take_peak_sample(due: i64, live: i64, live_blocks: i64) {
    let next = next_peak_at(live);
    // One thread takes each sample; the others go on.
    if NEXT_PEAK_AT
        .compare_exchange(due, next, Relaxed, Relaxed)
        .is_err()
    {
        return;
    }
    let t_ns = state::elapsed_ns();
    if interval_ms() != 0
        && let Some(sampler) = SAMPLER.get()
    {
        // A newer peak overwrites one the sampler has not taken yet.
        PENDING_LIVE.store(live, Relaxed);
        PENDING_BLOCKS.store(live_blocks, Relaxed);
        PENDING_T_NS.store(t_ns, Relaxed);
        PEAK_PENDING.store(true, Release);
        sampler.unpark();
        return;
    }
    let footprint = os::sample_footprint_while_running();
    timeline::offer_peak(Sample {
        t_ns,
        kind: SampleKind::Peak,
        live_bytes: u64::try_from(live).unwrap_or(0),
        live_blocks: u64::try_from(live_blocks).unwrap_or(0),
        overhead_bytes: stats::overhead_live_bytes(),
        footprint,
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn peak_samples_come_every_sixteenth_and_at_least_every_mebibyte() {
        const MIB: i64 = 1024 * 1024;
        assert_eq!(NEXT_PEAK_AT.load(Relaxed), MIB);
        assert_eq!(next_peak_at(MIB), 2 * MIB);
        assert_eq!(next_peak_at(16 * MIB), 17 * MIB);
        assert_eq!(next_peak_at(160 * MIB), 170 * MIB);
        assert_eq!(next_peak_at(i64::MAX), i64::MAX);
    }
}
