//! This library's own global allocator: the engine's tables, sites and buffers go to the
//! real allocator directly (never through the exported functions, so never recorded as
//! the program's), and are counted as the tracker's overhead.

use std::alloc::{GlobalAlloc, Layout};

use memleak::interposer::{self as engine, MALLOC_ALIGN};

use crate::real;

/// Allocates from the real allocator.
#[derive(Debug)]
struct RealAllocator;

#[global_allocator]
static ALLOCATOR: RealAllocator = RealAllocator;

// SAFETY: every block comes from the real `malloc` or `memalign` with at least the
// layout's size and alignment, and goes back to the real `free` or `realloc`, which
// accept blocks of either.
unsafe impl GlobalAlloc for RealAllocator {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let block = if layout.align() <= MALLOC_ALIGN {
            real::malloc(layout.size())
        } else {
            real::memalign(layout.align(), layout.size())
        };
        if !block.is_null() {
            engine::count_own_alloc(layout.size());
        }
        block.cast()
    }

    unsafe fn dealloc(&self, block: *mut u8, layout: Layout) {
        engine::count_own_free(layout.size());
        // SAFETY: `block` came from `alloc` or `realloc` above (GlobalAlloc's contract).
        unsafe { real::free(block.cast()) }
    }

    unsafe fn realloc(&self, block: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        if layout.align() > MALLOC_ALIGN || crate::bootstrap::owns(block.cast()) {
            // SAFETY: GlobalAlloc's contract, forwarded to the copying default.
            return unsafe { default_realloc(self, block, layout, new_size) };
        }
        // SAFETY: a block of the real allocator with malloc's alignment.
        let moved = unsafe { real::realloc(block.cast(), new_size) };
        if !moved.is_null() {
            engine::count_own_free(layout.size());
            engine::count_own_alloc(new_size);
        }
        moved.cast()
    }
}

/// Allocate, copy, free: for blocks `realloc` cannot move with their alignment.
///
/// # Safety
/// GlobalAlloc::realloc's contract.
unsafe fn default_realloc(
    allocator: &RealAllocator,
    block: *mut u8,
    layout: Layout,
    new_size: usize,
) -> *mut u8 {
    let Ok(new_layout) = Layout::from_size_align(new_size, layout.align()) else {
        return std::ptr::null_mut();
    };
    // SAFETY: a valid layout of non-zero size (GlobalAlloc's realloc contract).
    let moved = unsafe { allocator.alloc(new_layout) };
    if !moved.is_null() {
        // SAFETY: both blocks are live and distinct, each at least the copied size.
        unsafe { std::ptr::copy_nonoverlapping(block, moved, layout.size().min(new_size)) };
        // SAFETY: `block` is live with `layout` (the caller's promise).
        unsafe { allocator.dealloc(block, layout) };
    }
    moved
}
