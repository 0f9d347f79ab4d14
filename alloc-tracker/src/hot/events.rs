//! What happens on each allocator event: the hot path, in safe code.
//!
//! Every function here first checks that tracking is on (one relaxed load), then takes
//! the reentrancy guard *before* any lock, so the tracker's own allocations, and those
//! of a lock that parks, go straight to the inner allocator.

use crate::hot::guard::{self, Entry, Guard};
use crate::hot::record::Record;
use crate::hot::sampling::{self, Weight};
use crate::hot::shard::{self, Removal};
use crate::hot::site::Site;
use crate::hot::{counting, own_blocks, scope, site, state, stats, thread};
use crate::os::frames::{self, Capture, Stack};

/// Whether an allocation of `size` bytes, not yet made, needs no recording at all: under
/// sampling with nothing watching, when the thread's byte countdown goes on past it
/// (it is lowered then). Checked before the inner allocator is called, so that the
/// allocator can tail-call it: most allocations then cost a load and a subtraction.
#[inline(always)]
pub(crate) fn skips_alloc(size: usize) -> bool {
    state::now() == state::SAMPLING && !guard::is_inside() && sampling::countdown_continues(size)
}

/// Records a successful allocation of `size` bytes at `address` (under sampling, when
/// the thread's byte countdown runs out during it). Inline in the allocator: while not
/// recording, and under sampling for the allocations that are not sampled, this is all
/// that runs.
#[inline(always)]
pub(crate) fn on_alloc(address: usize, size: usize, align: usize) {
    let now = state::now();
    if now == state::SAMPLING {
        if !guard::is_inside() && sampling::countdown_continues(size) {
            return;
        }
    } else if !state::records(now) {
        if now == state::SCOPED {
            scoped_alloc(address, size);
        }
        return;
    }
    on_recorded_alloc(address, size, align);
}

/// [`on_alloc`] while recording, past the sampled mode's common case.
#[inline(never)]
fn on_recorded_alloc(address: usize, size: usize, align: usize) {
    if state::is_watched() {
        scoped_alloc(address, size);
    }
    let mean = sampling::mean_bytes();
    if mean != 0 && !sampled(size, mean) {
        return;
    }
    match guard::enter() {
        Entry::Entered(_guard) => {
            record_new(address, size, align, mean);
        }
        Entry::Reentrant => stats::count_overhead(size),
        Entry::Unavailable => stats::count_untracked(),
    }
}

/// Whether the allocation is to be recorded under sampling. The tracker's own
/// allocations are not (their points would be lost to the program's), but are counted
/// as overhead.
#[inline]
fn sampled(size: usize, mean: u64) -> bool {
    if guard::is_inside() {
        stats::count_overhead(size);
        return false;
    }
    sampling::take(size, mean)
}

/// Records that the block of `size` bytes at `address` is about to be freed. Called
/// before the inner allocator frees it, so no other thread can have been given the
/// address yet. Inline in the allocator, as [`on_alloc`].
#[inline(always)]
pub(crate) fn on_dealloc(address: usize, size: usize) {
    let now = state::now();
    if now == state::SAMPLING {
        if !sampling::may_be_recorded(address) && !guard::is_inside() {
            return;
        }
    } else if !state::records(now) {
        if now == state::SCOPED {
            scoped_free(address, size);
        } else {
            wait_for_scan();
        }
        return;
    }
    on_recorded_dealloc(address, size);
}

/// [`on_dealloc`] while recording, past the sampled mode's common case.
#[inline(never)]
fn on_recorded_dealloc(address: usize, size: usize) {
    if state::is_watched() {
        scoped_free(address, size);
    }
    let mean = sampling::mean_bytes();
    if mean != 0 && !sampling::may_be_recorded(address) {
        // Certainly never recorded: only the tracker's own frees are counted.
        if guard::is_inside() {
            stats::count_overhead_freed(size);
        }
        return;
    }
    match guard::enter() {
        Entry::Entered(_guard) => forget(address, mean),
        // A free inside the tracker is of the tracker's own memory.
        Entry::Reentrant => stats::count_overhead_freed(size),
        Entry::Unavailable => {}
    }
}

/// A realloc in flight: the old block's record is taken out before the inner realloc,
/// so a thread that is handed the old address meanwhile cannot collide with it.
#[derive(Debug)]
pub(crate) enum Realloc {
    /// Not recorded: tracking is off, or thread-local storage is gone.
    Untracked,
    /// Not recorded, but scopes are open: the new block may be a scope's.
    Scoped,
    /// A realloc of the tracker's own memory.
    Overhead { old_size: usize },
    /// Recorded: the old block's record, if it had one, is out of the table.
    Tracked {
        guard: Guard,
        old: Option<Record>,
        mean: u64,
    },
}

/// Takes the old block's record out before the inner realloc.
#[inline]
pub(crate) fn realloc_begin(address: usize, old_size: usize) -> Realloc {
    let now = state::now();
    if !state::records(now) {
        if now == state::SCOPED {
            if scope::any_open() {
                scope::on_free(address);
            }
            return Realloc::Scoped;
        }
        wait_for_scan();
        return Realloc::Untracked;
    }
    if state::is_watched() && scope::any_open() {
        scope::on_free(address);
    }
    let guard = match guard::enter() {
        Entry::Entered(guard) => guard,
        Entry::Reentrant => return Realloc::Overhead { old_size },
        Entry::Unavailable => {
            stats::count_untracked();
            return Realloc::Untracked;
        }
    };
    let mean = sampling::mean_bytes();
    if mean != 0 && !sampling::may_be_recorded(address) {
        return Realloc::Tracked {
            guard,
            old: None,
            mean,
        };
    }
    match shard::remove(address) {
        Removal::Removed(old) => {
            if mean != 0 && old.is_some() {
                sampling::note_forgotten(address);
            }
            Realloc::Tracked { guard, old, mean }
        }
        Removal::Frozen => {
            drop(guard);
            state::wait_while_frozen();
            Realloc::Untracked
        }
    }
}

/// Finishes a realloc: `new_address` is 0 when the inner realloc failed (the old block
/// is then unchanged and its record goes back).
#[inline]
pub(crate) fn realloc_end(
    pending: Realloc,
    old_address: usize,
    new_address: usize,
    (old_size, new_size): (usize, usize),
    align: usize,
) {
    let watched = matches!(pending, Realloc::Scoped)
        || (state::is_watched() && !matches!(pending, Realloc::Untracked));
    if new_address != 0 && watched {
        if scope::any_open() {
            scope::on_alloc(new_address, new_size);
        }
        if counting::is_on() && !guard::is_inside() {
            counting::on_free(old_size);
            counting::on_alloc(new_size);
        }
    }
    // The guard is held to the end of this function: recording allocates.
    let (_guard, old, mean) = match pending {
        Realloc::Untracked | Realloc::Scoped => return,
        Realloc::Overhead { old_size } => {
            if new_address != 0 {
                stats::count_overhead_freed(old_size);
                stats::count_overhead(new_size);
            }
            return;
        }
        Realloc::Tracked { guard, old, mean } => (guard, old, mean),
    };
    if new_address == 0 {
        if let Some(record) = old {
            put_back(old_address, record, mean);
        }
        return;
    }
    match old {
        Some(record) => settle_free(old_address, &record, mean),
        None if mean == 0 => count_unknown_free(old_address),
        // Under sampling most blocks were never recorded.
        None => {}
    }
    if mean != 0 && !sampling::take(new_size, mean) {
        return;
    }
    if let Some(site) = record_new(new_address, new_size, align, mean) {
        site.on_realloc();
    }
}

/// An allocation while scopes are open or `HeapStats` counts: the tracker's own
/// allocations are neither.
#[inline]
fn scoped_alloc(address: usize, size: usize) {
    if counting::is_on() && !guard::is_inside() {
        counting::on_alloc(size);
    }
    if scope::any_open() {
        scope::on_alloc(address, size);
    }
}

/// A free while scopes are open or `HeapStats` counts.
#[inline]
fn scoped_free(address: usize, size: usize) {
    if counting::is_on() && !guard::is_inside() {
        counting::on_free(size);
    }
    if scope::any_open() {
        scope::on_free(address);
    }
}

/// A free (or realloc) from outside the tracker during the exit scan waits for it: the
/// block may be one the scan is reading.
#[inline]
fn wait_for_scan() {
    if state::is_frozen() && !guard::is_inside() {
        state::wait_while_frozen();
    }
}

/// Captures the stack and records a new block. Must run with the guard held.
#[inline(never)]
fn record_new(address: usize, size: usize, align: usize, mean: u64) -> Option<&'static Site> {
    let current = thread::current();
    let mut stack = Stack::new();
    if frames::capture(&mut stack, current.stack_top) == Capture::Unwinder {
        stats::count_unwinder_fallback();
    }
    let Some(site) = site::intern(&stack) else {
        stats::count_untracked();
        return None;
    };
    let record = Record::new(size as u64, site, state::elapsed_ns(), current.id, align);
    // The size as the record keeps it, so the free subtracts what this adds.
    let size = record.size();
    if !shard::insert(address, record) {
        stats::count_untracked();
        return None;
    }
    if mean != 0 {
        sampling::note_recorded(address);
    }
    let weight = Weight::of(size, address, mean);
    site.on_alloc(weight, Some(current.id));
    stats::live_changed(signed(weight.bytes), signed(weight.blocks));
    Some(site)
}

/// Forgets a freed block. Must run with the guard held.
fn forget(address: usize, mean: u64) {
    match shard::remove(address) {
        Removal::Removed(Some(record)) => {
            if mean != 0 {
                sampling::note_forgotten(address);
            }
            settle_free(address, &record, mean);
        }
        Removal::Removed(None) if mean == 0 => count_unknown_free(address),
        Removal::Removed(None) => {}
        Removal::Frozen => state::wait_while_frozen(),
    }
}

/// A free (or realloc) of a block with no record: unknown, unless C code allocated it
/// for the tracker (see [`own_blocks`]).
fn count_unknown_free(address: usize) {
    if !own_blocks::take(address) {
        stats::count_unknown_free();
    }
}

/// Puts back the record of a block whose realloc failed.
fn put_back(address: usize, record: Record, mean: u64) {
    if shard::insert(address, record) {
        if mean != 0 {
            sampling::note_recorded(address);
        }
        return;
    }
    // The table could not take the record back: the block goes on untracked.
    settle_free(address, &record, mean);
    stats::count_untracked();
}

/// Counts the end of a recorded block, with the weight its allocation counted.
#[inline]
fn settle_free(address: usize, record: &Record, mean: u64) {
    let weight = Weight::of(record.size(), address, mean);
    if let Some(site) = record.site() {
        site.on_free(weight, thread::id());
    }
    stats::live_changed(-signed(weight.bytes), -signed(weight.blocks));
}

#[inline]
fn signed(amount: u64) -> i64 {
    i64::try_from(amount).unwrap_or(i64::MAX)
}
