//! Checkpoints by heap activity, as massif takes its snapshots by bytes allocated: a
//! program that runs 30 ms gets no interval checkpoint, yet its growth is there to see.
//!
//! The activity is massif's: bytes allocated plus bytes freed, as threads publish it
//! (`stats::publish`, every 64 KiB of it per thread). Each time it passes the next step,
//! the publishing thread notes it and wakes the sampler thread, which takes the
//! checkpoint (each site's live bytes). The step starts at [`FIRST_STEP`] and doubles
//! each time the checkpoint store halves its resolution, so a run of hours keeps a
//! bounded number of them.

use std::sync::atomic::{
    AtomicBool, AtomicU64,
    Ordering::{Acquire, Relaxed, Release},
};

/// Activity between two checkpoints at first: 256 KiB.
pub(crate) const FIRST_STEP: u64 = 256 * 1024;

/// Published activity so far, in bytes.
static ACTIVITY: AtomicU64 = AtomicU64::new(0);
/// The activity at which the next checkpoint is due; `u64::MAX` while one is pending.
static NEXT_AT: AtomicU64 = AtomicU64::new(FIRST_STEP);
static PENDING: AtomicBool = AtomicBool::new(false);

/// Called with each thread's published activity.
#[inline]
pub(crate) fn on_published(bytes: u64) {
    let activity = ACTIVITY.fetch_add(bytes, Relaxed) + bytes;
    let due = NEXT_AT.load(Relaxed);
    if activity >= due {
        note(due);
    }
}

#[cold]
fn note(due: u64) {
    // One thread notes each checkpoint; the sampler schedules the next.
    if NEXT_AT
        .compare_exchange(due, u64::MAX, Relaxed, Relaxed)
        .is_ok()
    {
        PENDING.store(true, Release);
        crate::hot::peak::wake_sampler();
    }
}

/// Whether a checkpoint is due; clears the flag.
pub(crate) fn take_pending() -> bool {
    PENDING.swap(false, Acquire)
}

/// Schedules the next checkpoint `step` bytes of activity from now.
pub(crate) fn schedule_next(step: u64) {
    let next = ACTIVITY.load(Relaxed).saturating_add(step.max(1));
    NEXT_AT.store(next, Relaxed);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_checkpoint_is_due_once_per_step_of_activity() {
        assert!(!take_pending());
        on_published(100 * 1024);
        on_published(100 * 1024);
        assert!(!take_pending(), "200 KiB of 256");
        on_published(60 * 1024);
        assert!(take_pending());
        // Noted, not yet scheduled: no second checkpoint meanwhile.
        on_published(1 << 30);
        assert!(!take_pending());
        schedule_next(FIRST_STEP);
        on_published(FIRST_STEP - 1);
        assert!(!take_pending());
        on_published(1);
        assert!(take_pending());
    }
}
