//! Probes common to every Unix: environment, clock, exit hook.

use std::ffi::CStr;

/// Whether the environment variable is set to a non-empty value, read without
/// allocating (so it is safe before `main` and inside the allocator).
pub(crate) fn env_is_set(name: &CStr) -> bool {
    // SAFETY: `name` is a valid NUL-terminated string. getenv returns a pointer into the
    // environment block or null; we only test it and its first byte before returning,
    // and no code of ours changes the environment meanwhile.
    let value = unsafe { libc::getenv(name.as_ptr()) };
    if value.is_null() {
        return false;
    }
    // SAFETY: non-null getenv results point at a NUL-terminated string, so the first
    // byte is readable.
    let first = unsafe { value.read() };
    first != 0
}

/// The environment variable's raw bytes, copied into `buffer` without allocating;
/// `None` when unset, `Some(0..n)` otherwise (cut at the buffer's length).
pub(crate) fn env_bytes<'a>(name: &CStr, buffer: &'a mut [u8]) -> Option<&'a [u8]> {
    // SAFETY: `name` is a valid NUL-terminated string; getenv returns null or a pointer
    // into the environment block, which no code of ours changes meanwhile.
    let value = unsafe { libc::getenv(name.as_ptr()) };
    if value.is_null() {
        return None;
    }
    // SAFETY: a non-null getenv result points at a NUL-terminated string.
    let value = unsafe { CStr::from_ptr(value) }.to_bytes();
    let len = value.len().min(buffer.len());
    let (head, _) = buffer.split_at_mut(len);
    head.copy_from_slice(value.get(..len)?);
    Some(head)
}

/// Monotonic nanoseconds; millisecond-coarse where a cheap coarse clock exists, since
/// it is read on every allocation.
pub(crate) fn monotonic_ns() -> u64 {
    #[cfg(target_os = "linux")]
    const CLOCK: libc::clockid_t = libc::CLOCK_MONOTONIC_COARSE;
    #[cfg(not(target_os = "linux"))]
    const CLOCK: libc::clockid_t = libc::CLOCK_MONOTONIC;
    clock_ns(CLOCK)
}

/// Monotonic nanoseconds, to the clock's full resolution: for the sampler thread, whose
/// checkpoints may come a millisecond apart.
pub(crate) fn monotonic_precise_ns() -> u64 {
    clock_ns(libc::CLOCK_MONOTONIC)
}

fn clock_ns(clock: libc::clockid_t) -> u64 {
    let mut now = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `now` is a valid, writable timespec; the clock id is a supported constant.
    let rc = unsafe { libc::clock_gettime(clock, &raw mut now) };
    if rc != 0 {
        return 0;
    }
    let seconds = u64::try_from(now.tv_sec).unwrap_or(0);
    let nanos = u64::try_from(now.tv_nsec).unwrap_or(0);
    seconds.saturating_mul(1_000_000_000).saturating_add(nanos)
}

/// Runs `hook` when the process exits through `exit` (a return from `main` or
/// `std::process::exit`). Returns whether it was registered.
pub(crate) fn register_exit_hook(hook: extern "C" fn()) -> bool {
    // SAFETY: `hook` is a plain `extern "C" fn()` that lives for the whole program.
    unsafe { libc::atexit(hook) == 0 }
}

/// Runs `prepare` in the forking thread before `fork`, then `parent` or `child` after it.
pub(crate) fn register_fork_handlers(
    prepare: extern "C" fn(),
    parent: extern "C" fn(),
    child: extern "C" fn(),
) -> bool {
    // SAFETY: three plain `extern "C" fn()` that live for the whole program.
    unsafe { libc::pthread_atfork(Some(prepare), Some(parent), Some(child)) == 0 }
}

/// The calling thread's name as pthreads knows it, or `None` when it has none.
pub(super) fn pthread_name() -> Option<String> {
    let mut buffer = [0 as libc::c_char; 64];
    // SAFETY: `buffer` is writable for its whole length, which is passed along.
    let rc = unsafe {
        libc::pthread_getname_np(libc::pthread_self(), buffer.as_mut_ptr(), buffer.len())
    };
    if rc != 0 {
        return None;
    }
    let bytes: Vec<u8> = buffer
        .iter()
        .take_while(|&&c| c != 0)
        .map(|&c| c as u8)
        .collect();
    if bytes.is_empty() {
        return None;
    }
    Some(String::from_utf8_lossy(&bytes).into_owned())
}
