//! What happens on each allocator event: the hot path, in safe code.
//!
//! Every function here first checks that tracking is on (one relaxed load), then takes
//! the reentrancy guard *before* any lock, so the tracker's own allocations, and those
//! of a lock that parks, go straight to the inner allocator.

use crate::guard::{self, Entry, Guard};
use crate::os::frames::{self, Capture, Stack};
use crate::record::{Record, align_log2};
use crate::shard::{self, Removal};
use crate::site::Site;
use crate::{site, state, stats, thread};

/// Records a successful allocation of `size` bytes at `address`.
#[inline]
pub(crate) fn on_alloc(address: usize, size: usize, align: usize) {
    if !state::is_tracking() {
        return;
    }
    if let Some(_guard) = enter() {
        record_new(address, size, align);
    }
}

/// Records that the block at `address` is about to be freed. Called before the inner
/// allocator frees it, so no other thread can have been given the address yet.
#[inline]
pub(crate) fn on_dealloc(address: usize) {
    if !state::is_tracking() {
        wait_for_scan();
        return;
    }
    // A free inside the tracker is of the tracker's own memory: not recorded.
    if let Entry::Entered(_guard) = guard::enter() {
        forget(address);
    }
}

/// A realloc in flight: the old block's record is taken out before the inner realloc,
/// so a thread that is handed the old address meanwhile cannot collide with it.
#[derive(Debug)]
pub(crate) struct Realloc {
    guard: Option<Guard>,
    old: Option<Record>,
}

/// Takes the old block's record out before the inner realloc.
#[inline]
pub(crate) fn realloc_begin(address: usize) -> Realloc {
    let untracked = Realloc {
        guard: None,
        old: None,
    };
    if !state::is_tracking() {
        wait_for_scan();
        return untracked;
    }
    let Some(guard) = enter() else {
        return untracked;
    };
    match shard::remove(address) {
        Removal::Removed(old) => Realloc {
            guard: Some(guard),
            old,
        },
        Removal::Frozen => {
            state::wait_while_frozen();
            untracked
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
    new_size: usize,
    align: usize,
) {
    let Realloc { guard, old } = pending;
    let Some(_guard) = guard else {
        return;
    };
    if new_address == 0 {
        if let Some(record) = old
            && !shard::insert(old_address, record)
        {
            // The table could not take the record back: the block goes on untracked.
            record.site.on_free(record.size);
            stats::live_changed(-signed(record.size), -1);
            stats::count_untracked();
        }
        return;
    }
    match old {
        Some(record) => {
            record.site.on_free(record.size);
            stats::live_changed(-signed(record.size), -1);
        }
        None => stats::count_unknown_free(),
    }
    if let Some(site) = record_new(new_address, new_size, align) {
        site.on_realloc();
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

/// Takes the guard, counting the events that cannot be recorded.
#[inline]
fn enter() -> Option<Guard> {
    match guard::enter() {
        Entry::Entered(guard) => Some(guard),
        Entry::Reentrant => {
            stats::count_overhead();
            None
        }
        Entry::Unavailable => {
            stats::count_untracked();
            None
        }
    }
}

/// Captures the stack and records a new block. Must run with the guard held.
#[inline(never)]
fn record_new(address: usize, size: usize, align: usize) -> Option<&'static Site> {
    let current = thread::current();
    let mut stack = Stack::new();
    if frames::capture(&mut stack, current.stack_top) == Capture::Unwinder {
        stats::count_unwinder_fallback();
    }
    let Some(site) = site::intern(&stack) else {
        stats::count_untracked();
        return None;
    };
    let size = size as u64;
    let record = Record {
        size,
        birth_ns: state::elapsed_ns(),
        site,
        thread: current.id,
        align_log2: align_log2(align),
    };
    if !shard::insert(address, record) {
        stats::count_untracked();
        return None;
    }
    site.on_alloc(size);
    stats::live_changed(signed(size), 1);
    Some(site)
}

/// Forgets a freed block. Must run with the guard held.
fn forget(address: usize) {
    match shard::remove(address) {
        Removal::Removed(Some(record)) => {
            record.site.on_free(record.size);
            stats::live_changed(-signed(record.size), -1);
        }
        Removal::Removed(None) => stats::count_unknown_free(),
        Removal::Frozen => state::wait_while_frozen(),
    }
}

#[inline]
fn signed(size: u64) -> i64 {
    i64::try_from(size).unwrap_or(i64::MAX)
}
