//! Process-wide counters that are not per site: rare events, and the peak of live bytes.
//!
//! No cache line shared by all threads is written per allocation: the peak is kept from
//! per-thread deltas that reach the shared total only once they exceed
//! [`PEAK_SLACK_BYTES`], so the peak is exact to within that many bytes per thread; the
//! heap activity (bytes allocated and freed, for `hot::volume`) once it exceeds
//! [`ACTIVITY_SLACK_BYTES`].

use std::cell::Cell;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering::Relaxed};

use crate::hot::site::{self, SiteCounts};

/// How far a thread's unpublished share of live bytes may drift before it is added to
/// the shared total (and so how far `peak_live_bytes` may be off, per thread).
pub const PEAK_SLACK_BYTES: i64 = 8 * 1024;

/// How much heap activity (bytes allocated and freed) a thread gathers before it is
/// added to the shared total.
const ACTIVITY_SLACK_BYTES: u64 = 64 * 1024;

static UNKNOWN_FREES: AtomicU64 = AtomicU64::new(0);
static UNTRACKED_ALLOCS: AtomicU64 = AtomicU64::new(0);
static OVERHEAD_ALLOCS: AtomicU64 = AtomicU64::new(0);
static OVERHEAD_LIVE_BYTES: AtomicI64 = AtomicI64::new(0);
static UNWINDER_FALLBACKS: AtomicU64 = AtomicU64::new(0);

static PUBLISHED_LIVE_BYTES: AtomicI64 = AtomicI64::new(0);
static PUBLISHED_LIVE_BLOCKS: AtomicI64 = AtomicI64::new(0);
static PEAK_LIVE_BYTES: AtomicI64 = AtomicI64::new(0);
static PEAK_LIVE_BLOCKS: AtomicI64 = AtomicI64::new(0);

thread_local! {
    /// Live bytes, live blocks and activity not yet published.
    static UNPUBLISHED: Cell<(i64, i64, u64)> = const { Cell::new((0, 0, 0)) };
}

/// A free or realloc of a block the tracker never saw.
pub(crate) fn count_unknown_free() {
    UNKNOWN_FREES.fetch_add(1, Relaxed);
}

/// An allocation let through unrecorded.
pub(crate) fn count_untracked() {
    UNTRACKED_ALLOCS.fetch_add(1, Relaxed);
}

/// One of the tracker's own allocations, of `size` bytes.
pub(crate) fn count_overhead(size: usize) {
    OVERHEAD_ALLOCS.fetch_add(1, Relaxed);
    OVERHEAD_LIVE_BYTES.fetch_add(signed(size), Relaxed);
}

/// One of the tracker's own blocks, of `size` bytes, freed.
pub(crate) fn count_overhead_freed(size: usize) {
    OVERHEAD_LIVE_BYTES.fetch_sub(signed(size), Relaxed);
}

/// Bytes the tracker itself holds now (its tables, sites, buffers), as requested from
/// the inner allocator: the tracker's share of the allocator layer.
pub(crate) fn overhead_live_bytes() -> u64 {
    u64::try_from(OVERHEAD_LIVE_BYTES.load(Relaxed)).unwrap_or(0)
}

fn signed(size: usize) -> i64 {
    i64::try_from(size).unwrap_or(i64::MAX)
}

/// A stack that needed the unwinder.
pub(crate) fn count_unwinder_fallback() {
    UNWINDER_FALLBACKS.fetch_add(1, Relaxed);
}

/// Adds a change of live memory to this thread's share, publishing it when it (or the
/// activity) is large.
#[inline]
pub(crate) fn live_changed(bytes: i64, blocks: i64) {
    let _ = UNPUBLISHED.try_with(|cell| {
        let (pending_bytes, pending_blocks, activity) = cell.get();
        let pending_bytes = pending_bytes + bytes;
        let pending_blocks = pending_blocks + blocks;
        let activity = activity + bytes.unsigned_abs();
        if pending_bytes.abs() < PEAK_SLACK_BYTES && activity < ACTIVITY_SLACK_BYTES {
            cell.set((pending_bytes, pending_blocks, activity));
            return;
        }
        cell.set((0, 0, 0));
        publish(pending_bytes, pending_blocks, activity);
    });
}

#[cold]
fn publish(bytes: i64, blocks: i64, activity: u64) {
    let live = PUBLISHED_LIVE_BYTES.fetch_add(bytes, Relaxed) + bytes;
    let live_blocks = PUBLISHED_LIVE_BLOCKS.fetch_add(blocks, Relaxed) + blocks;
    if live > PEAK_LIVE_BYTES.fetch_max(live, Relaxed) {
        PEAK_LIVE_BLOCKS.store(live_blocks, Relaxed);
    }
    crate::hot::peak::on_published(live, live_blocks);
    crate::hot::volume::on_published(activity);
}

/// Totals over the whole run so far.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Stats {
    /// Bytes of every tracked allocation (a realloc counts its new size).
    pub allocated_bytes: u64,
    /// Tracked allocations (a realloc counts as one).
    pub allocated_blocks: u64,
    /// Bytes freed (a realloc frees its old size).
    pub freed_bytes: u64,
    /// Frees of tracked blocks (a realloc counts as one).
    pub freed_blocks: u64,
    /// Reallocs of tracked blocks.
    pub reallocs: u64,
    /// Bytes still allocated.
    pub live_bytes: u64,
    /// Blocks still allocated.
    pub live_blocks: u64,
    /// The most bytes live at once, exact within [`PEAK_SLACK_BYTES`] per thread.
    pub peak_live_bytes: u64,
    /// Live blocks when `peak_live_bytes` was reached.
    pub peak_live_blocks: u64,
    /// Frees and reallocs of blocks allocated before tracking started.
    pub unknown_frees: u64,
    /// Allocations let through unrecorded (the tracker's tables could not grow).
    pub untracked_allocs: u64,
    /// The tracker's own allocations, sent to the inner allocator.
    pub overhead_allocs: u64,
    /// Stacks captured with the unwinder because the frame-pointer chain was broken.
    pub unwinder_fallbacks: u64,
    /// Distinct call sites.
    pub sites: u64,
}

/// Sums the per-site counters and adds the process-wide ones.
pub(crate) fn collect(sites: &[&'static site::Site]) -> Stats {
    let mut sum = SiteCounts::default();
    for site in sites {
        let counts = site.counts();
        sum.allocated_bytes += counts.allocated_bytes;
        sum.allocated_blocks += counts.allocated_blocks;
        sum.freed_blocks += counts.freed_blocks;
        sum.live_bytes += counts.live_bytes;
        sum.live_blocks += counts.live_blocks;
        sum.reallocs += counts.reallocs;
    }
    let peak_bytes = u64::try_from(PEAK_LIVE_BYTES.load(Relaxed)).unwrap_or(0);
    let peak_blocks = u64::try_from(PEAK_LIVE_BLOCKS.load(Relaxed)).unwrap_or(0);
    let (peak_live_bytes, peak_live_blocks) = if sum.live_bytes > peak_bytes {
        (sum.live_bytes, sum.live_blocks)
    } else {
        (peak_bytes, peak_blocks)
    };
    Stats {
        allocated_bytes: sum.allocated_bytes,
        allocated_blocks: sum.allocated_blocks,
        freed_bytes: sum.allocated_bytes.saturating_sub(sum.live_bytes),
        freed_blocks: sum.freed_blocks,
        reallocs: sum.reallocs,
        live_bytes: sum.live_bytes,
        live_blocks: sum.live_blocks,
        peak_live_bytes,
        peak_live_blocks,
        unknown_frees: UNKNOWN_FREES.load(Relaxed),
        untracked_allocs: UNTRACKED_ALLOCS.load(Relaxed),
        overhead_allocs: OVERHEAD_ALLOCS.load(Relaxed),
        unwinder_fallbacks: UNWINDER_FALLBACKS.load(Relaxed),
        sites: sites.len() as u64,
    }
}
