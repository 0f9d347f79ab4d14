//! Per-thread state: the tracker's dense thread id, the top of the thread's stack (the
//! frame walk's bound) and the thread's share of the live-bytes total.
//!
//! All of it sits in one `const`-initialised thread-local without a destructor, so it
//! stays readable while the thread's other thread-locals are torn down.

use std::cell::Cell;
use std::sync::atomic::{AtomicU32, Ordering::Relaxed};

use parking_lot::Mutex;

use crate::os;

struct ThreadState {
    /// Tracker thread id + 1; 0 until the thread's first tracked event.
    id_plus_one: Cell<u32>,
    stack_top: Cell<usize>,
}

thread_local! {
    static THREAD: ThreadState = const {
        ThreadState { id_plus_one: Cell::new(0), stack_top: Cell::new(0) }
    };
}

/// A registered thread: its id and, when the OS knew it, its name.
#[derive(Debug, Clone)]
pub(crate) struct ThreadInfo {
    pub(crate) id: u32,
    pub(crate) name: Option<String>,
    /// The kernel's id, to tell at exit whether the thread still runs.
    pub(crate) kernel_id: u32,
    /// The top of its stack (0 when unknown).
    pub(crate) stack_top: usize,
}

static NEXT_ID: AtomicU32 = AtomicU32::new(0);
static THREADS: Mutex<Vec<ThreadInfo>> = Mutex::new(Vec::new());

/// What the hot path needs about the calling thread.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Current {
    pub(crate) id: u32,
    pub(crate) stack_top: usize,
}

/// The calling thread, registered on first call. Must be called with the reentrancy
/// guard held: registration allocates.
#[inline]
pub(crate) fn current() -> Current {
    THREAD
        .try_with(|state| {
            let known = state.id_plus_one.get();
            if known != 0 {
                return Current {
                    id: known - 1,
                    stack_top: state.stack_top.get(),
                };
            }
            let current = register();
            state.id_plus_one.set(current.id.saturating_add(1));
            state.stack_top.set(current.stack_top);
            current
        })
        .unwrap_or(Current {
            id: u32::MAX,
            stack_top: 0,
        })
}

/// This thread's tracker id, `None` until it has been registered (it has recorded no
/// allocation) or once its thread-locals are gone.
#[inline]
pub(crate) fn id() -> Option<u32> {
    THREAD
        .try_with(|state| state.id_plus_one.get().checked_sub(1))
        .ok()
        .flatten()
}

#[cold]
fn register() -> Current {
    let id = NEXT_ID.fetch_add(1, Relaxed);
    let name = os::thread_name();
    let stack_top = os::stack_top();
    let mut threads = THREADS.lock();
    if threads.try_reserve(1).is_ok() {
        threads.push(ThreadInfo {
            id,
            name,
            kernel_id: os::kernel_thread_id(),
            stack_top,
        });
    }
    Current { id, stack_top }
}

/// Takes the registry's lock until the fork is over (see `fork.rs`).
pub(crate) fn lock_for_fork(held: &mut Vec<Box<dyn Send>>) {
    held.push(Box::new(THREADS.lock()));
}

/// Every thread registered so far, in id order.
pub(crate) fn all_threads() -> Vec<ThreadInfo> {
    THREADS.lock().clone()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_stable_per_thread_and_distinct_across_threads() {
        let here = current();
        assert_eq!(current().id, here.id);
        assert_ne!(here.stack_top, 0);
        let there = std::thread::spawn(|| current().id).join().unwrap();
        assert_ne!(there, here.id);
        let ids: Vec<u32> = all_threads().iter().map(|t| t.id).collect();
        assert!(ids.contains(&here.id) && ids.contains(&there));
    }
}
