//! The bench's global allocator: every call goes to `System`, the tracker or dhat, as the
//! child's mode says (set once, before its workload), or to `System` with counters.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicU8, AtomicU64, Ordering::Relaxed};

use memleak::TrackingAlloc;

/// Routes every call to `System`, the tracker or dhat; decided once per child, before
/// its workload.
pub(crate) struct Switch;

pub(crate) const UNTRACKED: u8 = 0;
pub(crate) const TRACKED: u8 = 1;
pub(crate) const DHAT: u8 = 2;
/// `System`, counting every call (the untimed counting child).
pub(crate) const COUNTING: u8 = 3;

pub(crate) static MODE: AtomicU8 = AtomicU8::new(UNTRACKED);
static TRACKER: TrackingAlloc = TrackingAlloc::system();
static PEER: dhat::Alloc = dhat::Alloc;
pub(crate) static ALLOCS: AtomicU64 = AtomicU64::new(0);
pub(crate) static REALLOCS: AtomicU64 = AtomicU64::new(0);
pub(crate) static FREES: AtomicU64 = AtomicU64::new(0);

// SAFETY: all three targets are GlobalAllocs over `System`, so a block may be freed by
// any path: the tracker and dhat forward to `System` and treat blocks they never saw
// (allocated before the mode was set) as unknown, counted or ignored but not touched.
unsafe impl GlobalAlloc for Switch {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        match MODE.load(Relaxed) {
            // SAFETY: the caller's contract is forwarded unchanged.
            UNTRACKED => unsafe { System.alloc(layout) },
            // SAFETY: as above.
            TRACKED => unsafe { TRACKER.alloc(layout) },
            // SAFETY: as above.
            DHAT => unsafe { PEER.alloc(layout) },
            _ => {
                ALLOCS.fetch_add(1, Relaxed);
                // SAFETY: as above.
                unsafe { System.alloc(layout) }
            }
        }
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        match MODE.load(Relaxed) {
            // SAFETY: the caller's contract is forwarded unchanged.
            UNTRACKED => unsafe { System.alloc_zeroed(layout) },
            // SAFETY: as above.
            TRACKED => unsafe { TRACKER.alloc_zeroed(layout) },
            // SAFETY: as above.
            DHAT => unsafe { PEER.alloc_zeroed(layout) },
            _ => {
                ALLOCS.fetch_add(1, Relaxed);
                // SAFETY: as above.
                unsafe { System.alloc_zeroed(layout) }
            }
        }
    }
    unsafe fn dealloc(&self, block: *mut u8, layout: Layout) {
        match MODE.load(Relaxed) {
            // SAFETY: the caller's contract is forwarded unchanged; every block came
            // from `System`, whichever path allocated it.
            UNTRACKED => unsafe { System.dealloc(block, layout) },
            // SAFETY: as above.
            TRACKED => unsafe { TRACKER.dealloc(block, layout) },
            // SAFETY: as above.
            DHAT => unsafe { PEER.dealloc(block, layout) },
            _ => {
                FREES.fetch_add(1, Relaxed);
                // SAFETY: as above.
                unsafe { System.dealloc(block, layout) }
            }
        }
    }
    unsafe fn realloc(&self, block: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        match MODE.load(Relaxed) {
            // SAFETY: the caller's contract is forwarded unchanged; every block came
            // from `System`, whichever path allocated it.
            UNTRACKED => unsafe { System.realloc(block, layout, new_size) },
            // SAFETY: as above.
            TRACKED => unsafe { TRACKER.realloc(block, layout, new_size) },
            // SAFETY: as above.
            DHAT => unsafe { PEER.realloc(block, layout, new_size) },
            _ => {
                REALLOCS.fetch_add(1, Relaxed);
                // SAFETY: as above.
                unsafe { System.realloc(block, layout, new_size) }
            }
        }
    }
}
