//! Blocks that C code allocated through the preloaded `malloc` while the tracker was
//! calling it, and that C code may free later, outside the tracker.
//!
//! Under the interposer, the tracker's own Rust allocations go to the real allocator
//! directly, but the C library functions it calls allocate through the exported
//! `malloc`. Most of those blocks stay the tracker's. Some do not: the first time a
//! worker thread parks on one of the tracker's locks, glibc's
//! `__cxa_thread_atexit_impl` `calloc`s the entry of the thread's TLS destructor list,
//! and `__call_tls_dtors` frees it at the thread's exit, with no tracker frame on the
//! stack. Without this set, that free found no record and counted as an unknown free.
//!
//! A fixed, lock-free open-addressing set: an insert claims the first empty or deleted
//! slot along the address's probe sequence; a lookup walks it until an empty slot (never
//! a deleted one, which an insert may have passed). An address is never in the set
//! twice, since a live block's address belongs to no other live block. When the probe
//! sequence is full the block is not noted, and its later free counts as unknown, as
//! before: the set is for exactness, never for safety.

use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};

const SLOTS: usize = 4096;
const MAX_PROBES: usize = 64;
const EMPTY: usize = 0;
const DELETED: usize = 1;

#[expect(
    clippy::declare_interior_mutable_const,
    reason = "the initialiser of the static array below, one fresh atomic per slot"
)]
const FRESH: AtomicUsize = AtomicUsize::new(EMPTY);
static SLOT: [AtomicUsize; SLOTS] = [FRESH; SLOTS];
/// Addresses noted and not yet taken: lets the common case skip the probe.
static NOTED: AtomicUsize = AtomicUsize::new(0);

/// The slots `address` may live in, in order.
fn probe_sequence(address: usize) -> impl Iterator<Item = &'static AtomicUsize> {
    // Fibonacci hashing of the address without its low (alignment) bits.
    let hash = (address >> 4).wrapping_mul(0x9e37_79b9_7f4a_7c15_u64 as usize);
    let start = hash >> (usize::BITS - SLOTS.trailing_zeros());
    (0..MAX_PROBES).map(move |step| &SLOT[(start + step) % SLOTS])
}

/// Notes that the block at `address` was allocated for the tracker's own calls into C.
pub(crate) fn note(address: usize) {
    if address <= DELETED {
        return;
    }
    for slot in probe_sequence(address) {
        let seen = slot.load(Relaxed);
        if (seen == EMPTY || seen == DELETED)
            && slot
                .compare_exchange(seen, address, Relaxed, Relaxed)
                .is_ok()
        {
            NOTED.fetch_add(1, Relaxed);
            return;
        }
    }
}

/// Takes `address` out of the set: whether it was there, i.e. whether the block being
/// freed was one of the tracker's own.
pub(crate) fn take(address: usize) -> bool {
    if NOTED.load(Relaxed) == 0 || address <= DELETED {
        return false;
    }
    for slot in probe_sequence(address) {
        let seen = slot.load(Relaxed);
        if seen == EMPTY {
            return false;
        }
        if seen == address {
            // Only the block's own free can take it: nobody else changes this slot.
            slot.store(DELETED, Relaxed);
            NOTED.fetch_sub(1, Relaxed);
            return true;
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn noted_blocks_are_taken_once_and_others_never() {
        let addresses: Vec<usize> = (1..=300).map(|i| 0x7f00_0000_0000 + i * 48).collect();
        for &address in &addresses {
            note(address);
        }
        assert!(!take(0x7f00_0000_0000 + 301 * 48));
        for &address in &addresses {
            assert!(take(address), "{address:#x}");
            assert!(!take(address), "{address:#x}");
        }
        // Deleted slots are reused, and lookups pass over them.
        for &address in addresses.iter().rev() {
            note(address);
        }
        for &address in &addresses {
            assert!(take(address), "{address:#x}");
        }
        assert!(!take(0) && !take(DELETED));
    }
}
