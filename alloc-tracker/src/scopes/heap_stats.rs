//! `HeapStats`: the heap's figures now, for the whole process and the calling thread.

use std::cell::Cell;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

use crate::hot::counting::{self, Figures};
use crate::scopes::open;

/// The size of the probe each call allocates and frees, to see the tracker installed.
const PROBE_BYTES: u64 = 8;
/// Probes so far, in the process and on this thread.
static PROBES: AtomicU64 = AtomicU64::new(0);

thread_local! {
    static THREAD_PROBES: Cell<u64> = const { Cell::new(0) };
}

/// Live, peak and total figures of the heap, counted from the first
/// [`HeapStats::get`] of the process on.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct HeapCounts {
    /// Bytes allocated and not freed since counting started (0 when more was freed: the
    /// blocks of before).
    pub live_bytes: u64,
    /// Blocks, likewise.
    pub live_blocks: u64,
    /// The most bytes live at once.
    pub peak_bytes: u64,
    /// The blocks live at that moment.
    pub peak_blocks: u64,
    /// Bytes allocated in all.
    pub total_bytes: u64,
    /// Blocks allocated in all.
    pub total_blocks: u64,
}

impl From<Figures> for HeapCounts {
    fn from(figures: Figures) -> Self {
        let positive = |value: i64| u64::try_from(value).unwrap_or(0);
        Self {
            live_bytes: positive(figures.live_bytes),
            live_blocks: positive(figures.live_blocks),
            peak_bytes: positive(figures.peak_bytes),
            peak_blocks: positive(figures.peak_blocks),
            total_bytes: figures.total_bytes,
            total_blocks: figures.total_blocks,
        }
    }
}

/// The heap's figures: [`HeapStats::get`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct HeapStats {
    /// Every thread's allocations and frees.
    pub process: HeapCounts,
    /// The calling thread's own: what it allocated, less what it freed (whichever
    /// thread had allocated it).
    pub thread: HeapCounts,
}

impl HeapStats {
    /// The figures now. Counting starts at the first call of the process (all zeros
    /// then); from then on every allocation and free updates shared counters, which a
    /// test does not notice and a production hot path would. Panics, saying what to
    /// add, when [`TrackingAlloc`](crate::TrackingAlloc) is not the global allocator.
    ///
    /// ```
    /// # #[global_allocator]
    /// # static ALLOC: memleak::TrackingAlloc = memleak::TrackingAlloc::system();
    /// # fn main() {
    /// let before = memleak::HeapStats::get().thread;
    /// let buffer = vec![0u8; 4096];
    /// let after = memleak::HeapStats::get().thread;
    /// assert_eq!(after.live_bytes - before.live_bytes, 4096);
    /// assert_eq!(after.total_blocks - before.total_blocks, 1);
    /// # drop(buffer);
    /// # }
    /// ```
    #[track_caller]
    #[must_use]
    pub fn get() -> Self {
        open::start_counting();
        let before = counting::thread().total_blocks;
        drop(std::hint::black_box(Box::new(0x6865_6170_u64)));
        assert!(
            counting::thread().total_blocks > before,
            "memleak::HeapStats::get: the memleak tracker is not this program's global \
             allocator, so it cannot see any allocation; {}",
            open::SETUP
        );
        // Every call's probe (8 bytes, allocated and freed) is left out of the totals.
        let all = PROBES.fetch_add(1, Relaxed) + 1;
        let own = THREAD_PROBES
            .try_with(|probes| {
                probes.set(probes.get() + 1);
                probes.get()
            })
            .unwrap_or(0);
        let mut thread = HeapCounts::from(counting::thread());
        let mut process = HeapCounts::from(counting::process());
        for (counts, probes) in [(&mut thread, own), (&mut process, all)] {
            counts.total_blocks = counts.total_blocks.saturating_sub(probes);
            counts.total_bytes = counts.total_bytes.saturating_sub(probes * PROBE_BYTES);
        }
        Self { process, thread }
    }
}
