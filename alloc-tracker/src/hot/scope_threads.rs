//! Threads a scope's thread starts: they join its scope, so `memleak::leaks` counts what
//! a thread spawned and joined inside the closure allocated.
//!
//! The allocator is not told who started a thread, but the standard library's spawn
//! leaves a trace in it: the parent allocates the new thread's start data (the boxed
//! closure and handle, `ThreadInit` in std's `thread_start`), and the new thread frees
//! it before it allocates or frees anything else. So a thread whose first allocator
//! event, while scopes are open, is the free of a block a scope allocated was started
//! inside that scope. (A thread that already existed but had not touched the heap while
//! any scope was open, and whose first act is to free a scope's block, is taken for one
//! too; a pool's worker would be, and it does not exit, so it does not count.)
//!
//! What such a thread allocates counts in the scope as it happens (its peak is the
//! scope's), but its leaks count only if it has exited when the scope closes: a joined
//! thread has. Exit is seen by a pthread key destructor, which runs after the thread's
//! own thread-local destructors, before `join` returns.

use std::cell::Cell;

use crate::hot::scope::{self, CURRENT, InScope, NO_SCOPE};

thread_local! {
    /// The scope this thread was started in, as it joined it.
    static JOINED: Cell<InScope> = const { Cell::new(NO_SCOPE) };
}

/// The calling thread's first event was the free of a block `scope` allocated: it joins
/// that scope, as its next thread, unless it is in a scope of its own.
pub(super) fn join_if_started_by(scope: InScope) {
    let in_a_scope = CURRENT.try_with(Cell::get).unwrap_or(NO_SCOPE).id != 0;
    if in_a_scope {
        return;
    }
    let mut number = 0;
    scope::with_counts(scope, |counts| {
        counts.threads_exited.push(false);
        number = u32::try_from(counts.threads_exited.len()).unwrap_or(u32::MAX);
    });
    if number == 0 {
        return;
    }
    let joined = InScope {
        thread: number,
        ..scope
    };
    let _ = CURRENT.try_with(|current| current.set(joined));
    let _ = JOINED.try_with(|cell| cell.set(joined));
    if !crate::os::call_at_thread_exit(note_exit) {
        // Where the platform cannot tell when the thread exits, it counts at once:
        // joined threads are the usual case.
        note_exit();
    }
}

/// At the exit of a thread that joined a scope: its blocks count as the scope's.
extern "C" fn note_exit() {
    let Ok(joined) = JOINED.try_with(|cell| cell.replace(NO_SCOPE)) else {
        return;
    };
    let Some(index) = (joined.thread as usize).checked_sub(1) else {
        return;
    };
    scope::with_counts(joined, |counts| {
        if let Some(exited) = counts.threads_exited.get_mut(index) {
            *exited = true;
        }
    });
}
