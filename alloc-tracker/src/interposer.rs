//! The engine's entry points for the preloaded interposer (the `memleak-preload`
//! library, which exports `malloc` and its family): the same hot path, exit hook, scan
//! and profile as `TrackingAlloc`, so both modes report alike. Not an API for programs:
//! hidden from the docs, and nothing here is called unless that library is preloaded.

use std::ops::Range;

use crate::hot::{events, guard, own_blocks, sampling, state, stats};
use crate::lifecycle::start;
use crate::os;

/// The alignment `malloc` guarantees (glibc's on 64-bit targets), recorded as the
/// alignment of blocks that asked for no more.
pub const MALLOC_ALIGN: usize = 2 * std::mem::size_of::<usize>();

/// Starts the engine for the interposer, from its library constructor. `own_code` is
/// any address inside the interposer (its frames lead every stack and are dropped).
/// Returns whether recording started (`MEMLEAK_OUT` is set).
pub fn start(own_code: usize) -> bool {
    let modules = os::loaded_modules();
    let code_of = |module: &os::module::Module| -> Range<usize> {
        let start = module.segments.iter().map(|s| s.start).min().unwrap_or(0);
        let end = module.segments.iter().map(|s| s.end).max().unwrap_or(0);
        start..end
    };
    let own = modules
        .iter()
        .map(code_of)
        .find(|code| code.contains(&own_code))
        .unwrap_or(0..0);
    let exe = std::env::current_exe()
        .map(|path| path.display().to_string())
        .unwrap_or_default();
    let program = modules
        .iter()
        .find(|module| module.path == exe)
        .map_or(0..0, code_of);
    drop(modules);
    // Whatever start-up allocates in other code (pthread_create's, for the sampler
    // thread) is the tracker's own.
    let _guard = guard::enter();
    start::start_preloaded(own, program)
}

/// Whether an allocation of `size` bytes, before the real call, needs no recording at
/// all (sampled mode, not a sample point): the export can then tail-call the real one.
#[inline]
#[must_use]
pub fn skips_alloc(size: usize) -> bool {
    events::skips_alloc(size)
}

/// Whether this event is the C library's, called by the tracker, while every block is
/// recorded (under sampling an unknown free goes uncounted anyway). The state first:
/// plain loads, where the guard is thread-local storage.
#[inline]
fn for_the_tracker() -> bool {
    state::is_tracking() && sampling::mean_bytes() == 0 && guard::is_inside()
}

/// A block of `size` bytes at `address`, just returned by the real allocator.
#[inline]
pub fn on_alloc(address: usize, size: usize, align: usize) {
    if for_the_tracker() {
        // The C library allocating for the tracker: it may free the block later itself.
        own_blocks::note(address);
    }
    events::on_alloc(address, size, align);
}

/// The block at `address` is about to be given back to the real allocator.
#[inline]
pub fn on_free(address: usize) {
    if for_the_tracker() {
        own_blocks::take(address);
    }
    // The size only matters for the tracker's own blocks, which the interposer's
    // own allocator counts itself.
    events::on_dealloc(address, 0);
}

/// A `realloc` between [`realloc_begin`] and [`realloc_end`].
#[derive(Debug)]
pub struct Realloc(events::Realloc);

/// Before the real `realloc` of the block at `address`.
#[inline]
#[must_use]
pub fn realloc_begin(address: usize) -> Realloc {
    Realloc(events::realloc_begin(address, 0))
}

/// After it: `new_address` is 0 when it failed (the old block is then unchanged).
#[inline]
pub fn realloc_end(pending: Realloc, old_address: usize, new_address: usize, new_size: usize) {
    // Overhead: the realloc began inside the tracker (the other kinds of pending realloc
    // hold the guard themselves).
    if new_address != 0
        && sampling::mean_bytes() == 0
        && matches!(pending.0, events::Realloc::Overhead { .. })
    {
        own_blocks::take(old_address);
        own_blocks::note(new_address);
    }
    events::realloc_end(
        pending.0,
        old_address,
        new_address,
        (0, new_size),
        MALLOC_ALIGN,
    );
}

/// One of the interposer's own allocations (the engine's tables), of `size` bytes.
#[inline]
pub fn count_own_alloc(size: usize) {
    stats::count_overhead(size);
}

/// One of the interposer's own blocks, of `size` bytes, freed.
#[inline]
pub fn count_own_free(size: usize) {
    stats::count_overhead_freed(size);
}
