//! When the inner allocator fails, the program sees exactly what it would untracked: a
//! null pointer (an `Err` from `try_reserve`). Nothing is recorded for a failed call, and
//! a failed `realloc` leaves the old block tracked, still live.

mod common;

use std::alloc::{GlobalAlloc, Layout, System};

/// `System`, except that it refuses every request of exactly `REFUSED` bytes.
struct Refusing;

const REFUSED: usize = 12_345;

// SAFETY: forwards to `System` with the caller's arguments, or returns null, which
// every GlobalAlloc method may do to signal failure.
unsafe impl GlobalAlloc for Refusing {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if layout.size() == REFUSED {
            return std::ptr::null_mut();
        }
        // SAFETY: the caller's contract, forwarded unchanged.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, block: *mut u8, layout: Layout) {
        // SAFETY: every block came from `System`.
        unsafe { System.dealloc(block, layout) }
    }
    unsafe fn realloc(&self, block: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        if new_size == REFUSED {
            return std::ptr::null_mut();
        }
        // SAFETY: the caller's contract, forwarded unchanged; the block came from `System`.
        unsafe { System.realloc(block, layout, new_size) }
    }
}

#[global_allocator]
static ALLOC: memleak::TrackingAlloc<Refusing> = memleak::TrackingAlloc::new(Refusing);

#[inline(never)]
fn keep_a_buffer() -> Vec<u8> {
    std::hint::black_box(vec![1u8; 100])
}

#[test]
fn failed_allocations_are_passed_on_and_not_recorded() {
    memleak::start();
    let before = memleak::stats();

    let layout = Layout::from_size_align(REFUSED, 8).unwrap();
    // SAFETY: a non-zero layout; the (null) result is not used as a block.
    let block = unsafe { std::alloc::alloc(layout) };
    assert!(
        block.is_null(),
        "the inner allocator's null must come through"
    );
    let mut wanted: Vec<u8> = Vec::new();
    assert!(wanted.try_reserve_exact(REFUSED).is_err());

    // A realloc to the refused size fails; the buffer keeps its old block and record.
    let mut kept = keep_a_buffer();
    assert!(kept.try_reserve_exact(REFUSED - 100).is_err());
    assert_eq!(kept.len(), 100);

    let after = memleak::stats();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("profile.json");
    memleak::write_profile(&path).unwrap();
    let profile = common::load(&path);
    assert_eq!(
        common::sum_for(&profile, "alloc_failure::keep_a_buffer", "live_bytes"),
        100
    );
    assert_eq!(
        common::sum_for(&profile, "alloc_failure::keep_a_buffer", "live_blocks"),
        1
    );
    let refused_live = profile["live"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|block| block["size"] == REFUSED as u64)
        .count();
    assert_eq!(refused_live, 0, "a failed allocation was recorded");
    assert_eq!(after.untracked_allocs, before.untracked_allocs);
    drop(kept);
}
