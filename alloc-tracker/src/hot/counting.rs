//! Heap counters for `memleak::HeapStats`: live, peak and total bytes and blocks,
//! process-wide and per thread, counted from the first `HeapStats::get()` on (before it,
//! the allocator does not pay for them).
//!
//! Process-wide figures are shared atomics, updated on every event while counting: fine
//! in tests, where they are asked for, not for a production hot path.

use std::cell::Cell;
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, Ordering::Relaxed};

static ON: AtomicBool = AtomicBool::new(false);

static LIVE_BYTES: AtomicI64 = AtomicI64::new(0);
static LIVE_BLOCKS: AtomicI64 = AtomicI64::new(0);
static PEAK_BYTES: AtomicI64 = AtomicI64::new(0);
static PEAK_BLOCKS: AtomicI64 = AtomicI64::new(0);
static TOTAL_BYTES: AtomicU64 = AtomicU64::new(0);
static TOTAL_BLOCKS: AtomicU64 = AtomicU64::new(0);

/// One thread's or the process's figures.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Figures {
    pub(crate) live_bytes: i64,
    pub(crate) live_blocks: i64,
    pub(crate) peak_bytes: i64,
    pub(crate) peak_blocks: i64,
    pub(crate) total_bytes: u64,
    pub(crate) total_blocks: u64,
}

thread_local! {
    static THREAD: Cell<Figures> = const {
        Cell::new(Figures {
            live_bytes: 0,
            live_blocks: 0,
            peak_bytes: 0,
            peak_blocks: 0,
            total_bytes: 0,
            total_blocks: 0,
        })
    };
}

/// Whether counting has started.
#[inline]
pub(crate) fn is_on() -> bool {
    ON.load(Relaxed)
}

/// Starts counting; returns whether it was off.
pub(crate) fn start() -> bool {
    !ON.swap(true, Relaxed)
}

/// An allocation of `size` bytes (a realloc's new block too).
#[inline]
pub(crate) fn on_alloc(size: usize) {
    let size = i64::try_from(size).unwrap_or(i64::MAX);
    let live = LIVE_BYTES.fetch_add(size, Relaxed) + size;
    let blocks = LIVE_BLOCKS.fetch_add(1, Relaxed) + 1;
    if live > PEAK_BYTES.fetch_max(live, Relaxed) {
        PEAK_BLOCKS.store(blocks, Relaxed);
    }
    TOTAL_BYTES.fetch_add(size.unsigned_abs(), Relaxed);
    TOTAL_BLOCKS.fetch_add(1, Relaxed);
    let _ = THREAD.try_with(|cell| {
        let mut figures = cell.get();
        figures.live_bytes += size;
        figures.live_blocks += 1;
        if figures.live_bytes > figures.peak_bytes {
            figures.peak_bytes = figures.live_bytes;
            figures.peak_blocks = figures.live_blocks;
        }
        figures.total_bytes += size.unsigned_abs();
        figures.total_blocks += 1;
        cell.set(figures);
    });
}

/// A free of `size` bytes (a realloc's old block too).
#[inline]
pub(crate) fn on_free(size: usize) {
    let size = i64::try_from(size).unwrap_or(i64::MAX);
    LIVE_BYTES.fetch_sub(size, Relaxed);
    LIVE_BLOCKS.fetch_sub(1, Relaxed);
    let _ = THREAD.try_with(|cell| {
        let mut figures = cell.get();
        figures.live_bytes -= size;
        figures.live_blocks -= 1;
        cell.set(figures);
    });
}

/// The process's figures now.
pub(crate) fn process() -> Figures {
    Figures {
        live_bytes: LIVE_BYTES.load(Relaxed),
        live_blocks: LIVE_BLOCKS.load(Relaxed),
        peak_bytes: PEAK_BYTES.load(Relaxed),
        peak_blocks: PEAK_BLOCKS.load(Relaxed),
        total_bytes: TOTAL_BYTES.load(Relaxed),
        total_blocks: TOTAL_BLOCKS.load(Relaxed),
    }
}

/// The calling thread's figures now.
pub(crate) fn thread() -> Figures {
    THREAD.try_with(Cell::get).unwrap_or_default()
}
