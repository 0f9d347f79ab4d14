//! Noticing the heap's high points on the allocating thread, cheaply: `stats::publish`
//! (at most once per [`crate::PEAK_SLACK_BYTES`] of live change per thread) compares the
//! published live bytes with the next threshold (one atomic load). A thread that passes
//! it notes the figures and wakes the sampler thread, which reads the footprint; the
//! allocating thread itself never reads a file or calls into malloc's statistics.

use std::sync::OnceLock;
use std::sync::atomic::{
    AtomicBool, AtomicI64, AtomicU64,
    Ordering::{Acquire, Relaxed, Release},
};

use crate::hot::state;

/// A new peak is noted when live bytes reach the last one's plus a sixteenth, and at
/// least this much more (so the first at 1 MiB).
const PEAK_MIN_STEP: i64 = 1024 * 1024;
/// Published live bytes at which the next peak is due.
static NEXT_PEAK_AT: AtomicI64 = AtomicI64::new(PEAK_MIN_STEP);

/// The sampler thread to wake, once it runs.
static SAMPLER: OnceLock<std::thread::Thread> = OnceLock::new();
/// A peak not taken yet: its figures, then the flag (released after them). A newer
/// peak overwrites an older one: only the latest is kept.
static PENDING: AtomicBool = AtomicBool::new(false);
static PENDING_LIVE: AtomicI64 = AtomicI64::new(0);
static PENDING_BLOCKS: AtomicI64 = AtomicI64::new(0);
static PENDING_T_NS: AtomicU64 = AtomicU64::new(0);

/// A peak as noted on the allocating thread.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Peak {
    pub(crate) t_ns: u64,
    pub(crate) live_bytes: u64,
    pub(crate) live_blocks: u64,
}

/// Called by the sampler thread when it starts: it is the one to wake.
pub(crate) fn register_sampler(thread: std::thread::Thread) {
    let _ = SAMPLER.set(thread);
}

/// The peak noted since the last call, if any.
pub(crate) fn take_pending() -> Option<Peak> {
    if !PENDING.swap(false, Acquire) {
        return None;
    }
    Some(Peak {
        t_ns: PENDING_T_NS.load(Relaxed),
        live_bytes: u64::try_from(PENDING_LIVE.load(Relaxed)).unwrap_or(0),
        live_blocks: u64::try_from(PENDING_BLOCKS.load(Relaxed)).unwrap_or(0),
    })
}

/// Called with the new published live totals: notes a peak when `live` passed the
/// threshold.
#[inline]
pub(crate) fn on_published(live: i64, live_blocks: i64) {
    let due = NEXT_PEAK_AT.load(Relaxed);
    if live >= due {
        note(due, live, live_blocks);
    }
}

/// Where the peak after one noted at `live` bytes is due.
fn next_peak_at(live: i64) -> i64 {
    live.saturating_add((live / 16).max(PEAK_MIN_STEP))
}

#[cold]
fn note(due: i64, live: i64, live_blocks: i64) {
    // One thread notes each peak; the others go on.
    if NEXT_PEAK_AT
        .compare_exchange(due, next_peak_at(live), Relaxed, Relaxed)
        .is_err()
    {
        return;
    }
    PENDING_LIVE.store(live, Relaxed);
    PENDING_BLOCKS.store(live_blocks, Relaxed);
    PENDING_T_NS.store(state::elapsed_ns(), Relaxed);
    PENDING.store(true, Release);
    wake_sampler();
}

/// Wakes the sampler thread, once it runs, for a peak sample or a checkpoint.
pub(crate) fn wake_sampler() {
    if let Some(sampler) = SAMPLER.get() {
        sampler.unpark();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn peaks_come_every_sixteenth_and_at_least_every_mebibyte() {
        const MIB: i64 = 1024 * 1024;
        assert_eq!(PEAK_MIN_STEP, MIB);
        assert_eq!(next_peak_at(MIB), 2 * MIB);
        assert_eq!(next_peak_at(16 * MIB), 17 * MIB);
        assert_eq!(next_peak_at(160 * MIB), 170 * MIB);
        assert_eq!(next_peak_at(i64::MAX), i64::MAX);
    }

    #[test]
    fn only_the_latest_pending_peak_is_taken_once() {
        assert_eq!(take_pending(), None);
        note(NEXT_PEAK_AT.load(Relaxed), 2 << 20, 3);
        note(NEXT_PEAK_AT.load(Relaxed), 9 << 20, 5);
        let peak = take_pending().expect("a pending peak");
        assert_eq!((peak.live_bytes, peak.live_blocks), (9 << 20, 5));
        assert_eq!(take_pending(), None);
    }
}
