//! The in-test API's functions: leaks, a memory limit, no allocation at all.

use crate::scopes::leaks::Leaks;
use crate::scopes::open::Scope;
use crate::scopes::symbols;

/// Runs `work` and returns what it allocated on this thread, and on the threads it
/// started, and had not freed when it returned; its return value is dropped first.
/// Exact while other threads (the other tests of a parallel `cargo test`) allocate too:
/// they are not counted.
///
/// A thread `work` starts (and any that thread starts) counts if it has finished when
/// `work` returns: one it joined has; one `std::thread::scope` waited for is given up to
/// 100 ms to exit. A thread still running then (a pool's worker) is not counted, nor is a
/// thread started before `work`, even when it runs `work`'s jobs.
///
/// Panics, saying what to add, when [`TrackingAlloc`](crate::TrackingAlloc) is not the
/// global allocator; and when called inside another of these scopes (they do not nest).
///
/// ```
/// # #[global_allocator]
/// # static ALLOC: memleak::TrackingAlloc = memleak::TrackingAlloc::system();
/// # fn main() {
/// let found = memleak::leaks(|| {
///     std::mem::forget(vec![0u8; 1000]);
///     let freed = vec![1u8; 64];
///     freed.len()
/// });
/// assert_eq!((found.bytes(), found.blocks()), (1000, 1));
/// # }
/// ```
#[track_caller]
pub fn leaks<R>(work: impl FnOnce() -> R) -> Leaks {
    let mut scope = Scope::open("leaks", None);
    drop(work());
    Leaks::from_counts(&scope.close())
}

/// [`leaks`], then panics if anything leaked, listing each leaking stack's first frames
/// with file and line.
///
/// ```should_panic
/// # #[global_allocator]
/// # static ALLOC: memleak::TrackingAlloc = memleak::TrackingAlloc::system();
/// # fn main() {
/// memleak::assert_no_leaks(|| std::mem::forget(String::from("lost")));
/// # }
/// ```
#[track_caller]
pub fn assert_no_leaks<R>(work: impl FnOnce() -> R) {
    leaks(work).assert_none();
}

/// Runs `work` and returns its value; panics when the bytes it held live at once (on
/// this thread and the threads it started, as [`leaks`] counts them) went over `limit`,
/// saying the peak and the stack that held most then. A started thread counts toward the
/// peak while it runs, whether or not it has finished when `work` returns.
///
/// ```
/// # #[global_allocator]
/// # static ALLOC: memleak::TrackingAlloc = memleak::TrackingAlloc::system();
/// # fn main() {
/// let sum: u64 = memleak::limit_memory(64 * 1024, || vec![1u64; 1000].iter().sum());
/// assert_eq!(sum, 1000);
/// # }
/// ```
#[track_caller]
pub fn limit_memory<R>(limit: u64, work: impl FnOnce() -> R) -> R {
    let mut scope = Scope::open("limit_memory", Some(limit));
    let value = work();
    let counts = scope.close();
    if counts.peak_bytes > limit {
        let top = counts
            .top_at_peak
            .map_or_else(String::new, |(site, bytes)| {
                format!(
                    "; at that peak most of it, {bytes} bytes, was allocated at:{}",
                    symbols::stack_lines(site)
                )
            });
        panic!(
            "memleak::limit_memory: the live heap peaked at {} bytes, {} over the limit of \
             {limit} bytes{top}",
            counts.peak_bytes,
            counts.peak_bytes - limit,
        );
    }
    value
}

/// Runs `work` and returns its value; panics if it allocated at all (starting a thread
/// allocates), naming the first allocation's stack: for code that must not allocate.
///
/// ```should_panic
/// # #[global_allocator]
/// # static ALLOC: memleak::TrackingAlloc = memleak::TrackingAlloc::system();
/// # fn main() {
/// let n = 7;
/// memleak::assert_no_alloc(|| format!("{n}").len());
/// # }
/// ```
#[track_caller]
pub fn assert_no_alloc<R>(work: impl FnOnce() -> R) -> R {
    let mut scope = Scope::open("assert_no_alloc", None);
    let value = work();
    let counts = scope.close();
    if counts.allocated_blocks > 0 {
        let (blocks, bytes) = (counts.allocated_blocks, counts.allocated_bytes);
        let plural = if blocks == 1 { "" } else { "s" };
        panic!(
            "memleak::assert_no_alloc: {blocks} allocation{plural} ({bytes} bytes); the \
             first at:{}",
            symbols::stack_lines(counts.first_site.flatten())
        );
    }
    value
}
