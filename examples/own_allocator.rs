//! A program whose `#[global_allocator]` never calls `malloc`: a bump allocator over a
//! static arena, as jemalloc or mimalloc would be. Under the interposer its Rust heap
//! goes unseen, and the report must say so (`warning: the program uses its own
//! allocator`) rather than call the heap clean, though 1,000 bytes are lost.
//!
//! Run it with `cargo memleak run --example own_allocator` (it has no tracker, so the
//! interposer runs it).

use std::alloc::{GlobalAlloc, Layout};
use std::cell::UnsafeCell;
use std::sync::atomic::{AtomicUsize, Ordering};

const ARENA_BYTES: usize = 4 << 20;

/// Hands out the arena from the start, never reuses it.
struct Bump {
    arena: UnsafeCell<[u8; ARENA_BYTES]>,
    used: AtomicUsize,
}

// SAFETY: every allocation gets a range of the arena of its own, reserved with a
// compare-and-swap on `used`.
unsafe impl Sync for Bump {}

// SAFETY: blocks are in bounds, aligned as asked, and never handed out twice.
unsafe impl GlobalAlloc for Bump {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let base = self.arena.get() as usize;
        let mut used = self.used.load(Ordering::Relaxed);
        loop {
            let start = (base + used).next_multiple_of(layout.align()) - base;
            let Some(end) = start
                .checked_add(layout.size())
                .filter(|&end| end <= ARENA_BYTES)
            else {
                return std::ptr::null_mut();
            };
            match self
                .used
                .compare_exchange_weak(used, end, Ordering::Relaxed, Ordering::Relaxed)
            {
                Ok(_) => return (base + start) as *mut u8,
                Err(actual) => used = actual,
            }
        }
    }

    unsafe fn dealloc(&self, _block: *mut u8, _layout: Layout) {}
}

#[global_allocator]
static BUMP: Bump = Bump {
    arena: UnsafeCell::new([0; ARENA_BYTES]),
    used: AtomicUsize::new(0),
};

fn main() {
    let words: Vec<String> = ["its", "own", "allocator"]
        .iter()
        .map(|w| (*w).to_owned())
        .collect();
    std::mem::forget(vec![7u8; 1000]);
    println!("own_allocator: {} (and 1000 bytes lost)", words.join(" "));
}
