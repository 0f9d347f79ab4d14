//! A call at the exit of the calling thread: a pthread key's destructor, which runs after
//! the thread's thread-local destructors and before `pthread_join` returns.

use std::sync::atomic::{AtomicUsize, Ordering::AcqRel, Ordering::Acquire};

/// The key plus one; 0 until the first call creates it.
static KEY: AtomicUsize = AtomicUsize::new(0);

/// Calls `hook` when the calling thread exits (once; a second call replaces the first).
/// Returns whether it is set. Does not allocate through Rust's allocator.
pub(crate) fn call_at_thread_exit(hook: extern "C" fn()) -> bool {
    let Some(key) = key() else {
        return false;
    };
    let value = hook as *const libc::c_void;
    // SAFETY: `key` came from `pthread_key_create` and is never deleted once published.
    unsafe { libc::pthread_setspecific(key, value) == 0 }
}

fn key() -> Option<libc::pthread_key_t> {
    let published = KEY.load(Acquire);
    if published != 0 {
        return libc::pthread_key_t::try_from(published - 1).ok();
    }
    let mut key: libc::pthread_key_t = 0;
    // SAFETY: `key` is writable; `run_hook` has the destructor's signature.
    if unsafe { libc::pthread_key_create(&raw mut key, Some(run_hook)) } != 0 {
        return None;
    }
    let created = usize::try_from(key).ok()?.checked_add(1)?;
    match KEY.compare_exchange(0, created, AcqRel, Acquire) {
        Ok(_) => Some(key),
        Err(other) => {
            // Another thread published its key first: ours is not needed.
            // SAFETY: `key` is ours and no thread has set a value under it.
            unsafe { libc::pthread_key_delete(key) };
            libc::pthread_key_t::try_from(other - 1).ok()
        }
    }
}

/// The key's destructor: `value` is the hook `call_at_thread_exit` stored.
extern "C" fn run_hook(value: *mut libc::c_void) {
    if value.is_null() {
        return;
    }
    // SAFETY: the only values stored under the key are `extern "C" fn()` pointers cast
    // in `call_at_thread_exit`; function pointers and data pointers have the same size on
    // the platforms with pthreads.
    let hook: extern "C" fn() = unsafe { std::mem::transmute(value) };
    hook();
}
