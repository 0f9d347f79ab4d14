//! The live-block tables' lock: a spin lock that yields, whose unlock is a plain store.
//!
//! Every allocation and every free takes one shard's lock. Uncontended, a
//! `parking_lot::Mutex` costs two atomic read-modify-writes (a compare-exchange to
//! lock, another to unlock, since an unlock must check for parked waiters); at ~20
//! cycles each on the machines we measured, the lock was a quarter of the tracker's
//! time on small-object churn. Here unlocking is a release store, so a lock/unlock pair
//! costs one read-modify-write. A waiter spins briefly, then yields its core
//! (`sched_yield`) instead of parking: it never allocates (parking_lot's parking table
//! does, DESIGN.md's first trap), and shard locks are held for a table operation only.

use std::sync::atomic::{
    AtomicBool,
    Ordering::{Acquire, Relaxed, Release},
};

/// A lock guarding a value: `SpinMutex::new(value)`, `.lock()`, `.try_lock()`.
pub(crate) type SpinMutex<T> = lock_api::Mutex<RawSpinLock, T>;

/// Spins this many times before yielding the core to the lock's holder.
const SPINS_BEFORE_YIELD: u32 = 64;

/// The lock word; use it through [`SpinMutex`].
#[derive(Debug)]
pub(crate) struct RawSpinLock(AtomicBool);

// SAFETY: `lock` and `try_lock` return only once they turned the flag from false to
// true with Acquire, and nothing else sets it; `unlock` (called only by the holder, as
// the trait's contract requires) clears it with Release. So at most one holder exists
// at a time, and each holder sees the previous holder's writes: a mutex. Guards may be
// sent across threads (`GuardSend`): the flag does not remember who locked it.
unsafe impl lock_api::RawMutex for RawSpinLock {
    #[allow(
        clippy::declare_interior_mutable_const,
        reason = "the trait's own INIT"
    )]
    const INIT: Self = Self(AtomicBool::new(false));
    type GuardMarker = lock_api::GuardSend;

    #[inline]
    fn lock(&self) {
        if !self.try_lock() {
            self.lock_contended();
        }
    }

    #[inline]
    fn try_lock(&self) -> bool {
        self.0
            .compare_exchange_weak(false, true, Acquire, Relaxed)
            .is_ok()
    }

    #[inline]
    unsafe fn unlock(&self) {
        self.0.store(false, Release);
    }

    #[inline]
    fn is_locked(&self) -> bool {
        self.0.load(Relaxed)
    }
}

impl RawSpinLock {
    #[cold]
    #[inline(never)]
    fn lock_contended(&self) {
        let mut spins = 0u32;
        loop {
            // Read until free (no write traffic on the holder's line), then try once.
            while self.0.load(Relaxed) {
                if spins < SPINS_BEFORE_YIELD {
                    spins += 1;
                    std::hint::spin_loop();
                } else {
                    std::thread::yield_now();
                }
            }
            if lock_api::RawMutex::try_lock(self) {
                return;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn threads_take_turns_and_see_each_others_writes() {
        static COUNTER: SpinMutex<u64> = SpinMutex::new(0);
        let threads: Vec<_> = (0..4)
            .map(|_| {
                std::thread::spawn(|| {
                    for _ in 0..100_000 {
                        // A non-atomic read-modify-write: lost updates if two held it.
                        let mut value = COUNTER.lock();
                        let read = *value;
                        std::hint::black_box(read);
                        *value = read + 1;
                    }
                })
            })
            .collect();
        for thread in threads {
            thread.join().expect("worker");
        }
        assert_eq!(*COUNTER.lock(), 400_000);
        let held = COUNTER.lock();
        assert!(COUNTER.try_lock().is_none());
        drop(held);
        assert!(COUNTER.try_lock().is_some());
    }
}
