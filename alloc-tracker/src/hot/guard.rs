//! The reentrancy guard: while a thread is inside the tracker, every allocation it makes
//! (growing a table, interning a site, symbolizing, writing the profile, parking on a
//! contended lock) goes straight to the inner allocator, unrecorded.
//!
//! The flag is a `const`-initialised thread-local `Cell<bool>` with no destructor, so it
//! is readable at every point of a thread's life, TLS teardown included; `try_with` makes
//! the one case where it is not (a platform without `#[thread_local]` during teardown)
//! read as "already inside", which sends the allocation through untracked.

use std::cell::Cell;

thread_local! {
    static INSIDE: Cell<bool> = const { Cell::new(false) };
}

/// Proof that this thread holds the guard; dropping it releases the guard.
#[derive(Debug)]
pub(crate) struct Guard {
    _not_send: std::marker::PhantomData<*const ()>,
}

/// What `enter` found.
#[derive(Debug)]
pub(crate) enum Entry {
    /// The thread was outside the tracker: record this event.
    Entered(Guard),
    /// The tracker's own work allocated: count it as overhead.
    Reentrant,
    /// Thread-local storage is gone: let the event through untracked.
    Unavailable,
}

/// Takes the guard unless this thread already holds it.
#[inline]
pub(crate) fn enter() -> Entry {
    match INSIDE.try_with(|inside| inside.replace(true)) {
        Ok(false) => Entry::Entered(Guard {
            _not_send: std::marker::PhantomData,
        }),
        Ok(true) => Entry::Reentrant,
        Err(_) => Entry::Unavailable,
    }
}

impl Drop for Guard {
    #[inline]
    fn drop(&mut self) {
        // Cannot fail: the guard was taken through this same key on this thread.
        let _ = INSIDE.try_with(|inside| inside.set(false));
    }
}

/// Whether this thread is currently inside the tracker.
#[inline]
pub(crate) fn is_inside() -> bool {
    INSIDE.try_with(Cell::get).unwrap_or(true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nested_entry_is_reentrant_and_release_restores() {
        assert!(!is_inside());
        let Entry::Entered(guard) = enter() else {
            panic!("first entry must succeed");
        };
        assert!(is_inside());
        assert!(matches!(enter(), Entry::Reentrant));
        drop(guard);
        assert!(!is_inside());
        assert!(matches!(enter(), Entry::Entered(_)));
    }
}
