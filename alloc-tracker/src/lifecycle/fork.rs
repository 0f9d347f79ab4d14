//! `fork` safety. A thread that holds a tracker lock when another thread forks does not
//! exist in the child, so the child would wait on that lock forever at its first
//! allocation. Before the fork, the forking thread takes every tracker lock (in the
//! hot path's order, so no deadlock); the parent releases them afterwards. The child never
//! touches them again: it stops recording and writes no profile, so it runs exactly as
//! an untracked child (one that calls `exec` starts afresh anyway).

use std::sync::atomic::{AtomicBool, Ordering::Relaxed};

use parking_lot::Mutex;

use crate::hot::guard::{self, Entry};
use crate::hot::{shard, site, state, thread};
use crate::os;

/// The guards taken before the fork, released by the parent.
type Held = Vec<Box<dyn Send>>;

static HELD: Mutex<Held> = Mutex::new(Vec::new());
static REGISTERED: AtomicBool = AtomicBool::new(false);
static IN_CHILD: AtomicBool = AtomicBool::new(false);

/// Registers the fork handlers once.
pub(crate) fn install() {
    if !REGISTERED.swap(true, Relaxed) {
        os::register_fork_handlers(before_fork, after_fork_in_parent, after_fork_in_child);
    }
}

/// Whether this process is the child of a fork taken while tracking.
pub(crate) fn in_child() -> bool {
    IN_CHILD.load(Relaxed)
}

extern "C" fn before_fork() {
    // The guard keeps this thread's own allocations (the list of guards) untracked.
    let Entry::Entered(_guard) = guard::enter() else {
        return;
    };
    let mut held: Held = Vec::new();
    if held.try_reserve(256).is_err() {
        return;
    }
    thread::lock_for_fork(&mut held);
    site::lock_for_fork(&mut held);
    shard::lock_for_fork(&mut held);
    *HELD.lock() = held;
}

extern "C" fn after_fork_in_parent() {
    let _guard = guard::enter();
    let held = std::mem::take(&mut *HELD.lock());
    drop(held);
}

extern "C" fn after_fork_in_child() {
    IN_CHILD.store(true, Relaxed);
    state::stop();
    #[cfg(unix)]
    crate::lifecycle::signals::uninstall_in_child();
    // Unlocking could reach parking_lot's queue of threads parked in the parent, which
    // do not exist here: the locks stay taken, and nothing here takes them again.
    if let Some(mut held) = HELD.try_lock() {
        std::mem::forget(std::mem::take(&mut *held));
    }
}
