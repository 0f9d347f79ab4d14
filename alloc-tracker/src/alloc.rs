//! `TrackingAlloc`: the only `unsafe impl GlobalAlloc` of the crate.
//!
//! Invariants, relied on everywhere in the tracker:
//! - never unwind and never panic: every path below is panic-free, and failures of the
//!   tracker (a table that cannot grow) drop the record, never the allocation;
//! - never allocate outside the reentrancy guard: the guard is taken before any lock,
//!   and whatever the tracker allocates while holding it goes straight to `A`;
//! - forward all four methods to `A` (its real `alloc_zeroed` and `realloc`, not the
//!   trait's copying defaults) and return exactly what `A` returned;
//! - record only non-null results; a failed realloc leaves the old record in place;
//! - remove a block's record *before* `A` frees it, so another thread that `A` hands
//!   the same address cannot have its record removed;
//! - thread-locals are `const`-initialised with no `Drop`, read with `try_with`;
//! - no `static mut`: atomics and locks with `const` constructors only;
//! - pointers are kept as `usize` and never dereferenced.

use std::alloc::{GlobalAlloc, Layout, System};

use crate::hot::{events, state};
use crate::lifecycle::start;

/// A global allocator that records every allocation's call site, size and lifetime,
/// then forwards to the inner allocator `A` (the system allocator by default).
///
/// ```
/// #[global_allocator]
/// static ALLOC: memleak::TrackingAlloc = memleak::TrackingAlloc::system();
/// # fn main() {}
/// ```
///
/// Recording is on when `MEMLEAK_OUT` is set (or after [`crate::start`]); otherwise
/// every call is a plain forward behind one predictable branch.
#[derive(Debug, Default, Clone, Copy)]
pub struct TrackingAlloc<A = System> {
    inner: A,
}

impl TrackingAlloc<System> {
    /// Tracks allocations made through the system allocator.
    #[must_use]
    pub const fn system() -> Self {
        Self { inner: System }
    }
}

impl<A> TrackingAlloc<A> {
    /// Tracks allocations made through `inner`.
    pub const fn new(inner: A) -> Self {
        Self { inner }
    }

    /// The wrapped allocator.
    pub const fn inner(&self) -> &A {
        &self.inner
    }
}

// SAFETY: every method forwards to `A` with the caller's own arguments and returns
// `A`'s result unchanged, so `A`'s GlobalAlloc guarantees carry over. The recording
// around each call never unwinds, never touches the block's memory, and allocates only
// through `A` (the reentrancy guard), as listed at the top of this file.
unsafe impl<A: GlobalAlloc> GlobalAlloc for TrackingAlloc<A> {
    #[inline]
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if events::skips_alloc(layout.size()) {
            // SAFETY: the caller upholds `alloc`'s contract, which is exactly `A::alloc`'s.
            return unsafe { self.inner.alloc(layout) };
        }
        // SAFETY: the caller upholds `alloc`'s contract (non-zero size), which is
        // exactly `A::alloc`'s.
        let block = unsafe { self.inner.alloc(layout) };
        if !block.is_null() {
            decide_on_first_allocation();
            events::on_alloc(block as usize, layout.size(), layout.align());
        }
        block
    }

    #[inline]
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        if events::skips_alloc(layout.size()) {
            // SAFETY: the caller upholds `alloc_zeroed`'s contract, which is exactly
            // `A::alloc_zeroed`'s.
            return unsafe { self.inner.alloc_zeroed(layout) };
        }
        // SAFETY: same contract as `alloc`, forwarded unchanged to `A`.
        let block = unsafe { self.inner.alloc_zeroed(layout) };
        if !block.is_null() {
            decide_on_first_allocation();
            events::on_alloc(block as usize, layout.size(), layout.align());
        }
        block
    }

    #[inline]
    unsafe fn dealloc(&self, block: *mut u8, layout: Layout) {
        events::on_dealloc(block as usize, layout.size());
        // SAFETY: the caller guarantees `block` was allocated by this allocator (so by
        // `A`, which did every allocation) with `layout`.
        unsafe { self.inner.dealloc(block, layout) }
    }

    #[inline]
    unsafe fn realloc(&self, block: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        decide_on_first_allocation();
        let pending = events::realloc_begin(block as usize, layout.size());
        // SAFETY: the caller guarantees `block` came from this allocator (so from `A`)
        // with `layout`, and that `new_size` is valid for `layout.align()`.
        let moved = unsafe { self.inner.realloc(block, layout, new_size) };
        events::realloc_end(
            pending,
            block as usize,
            moved as usize,
            (layout.size(), new_size),
            layout.align(),
        );
        moved
    }
}

/// Start-up, the one call from the allocator into the lifecycle code: whether to record
/// is decided at the first allocation of the process (a free always follows one).
#[inline(always)]
fn decide_on_first_allocation() {
    if state::is_undecided() {
        start::on_first_allocation();
    }
}
