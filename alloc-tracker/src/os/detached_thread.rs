//! A detached background thread for the tracker's own work (the timeline sampler, the
//! signal writer),
//! made with `pthread_create` directly rather than `std::thread::spawn`.
//!
//! It may be started inside the first allocation of the process, possibly before
//! `main`: std's spawn would allocate through the global allocator, read
//! `RUST_MIN_STACK` under the environment lock (which this thread may hold, inside
//! `std::env::var`), and register the thread with std. `pthread_create` uses the C
//! allocator only, never the global one.
//!
//! The thread is detached (nothing ever joins it, and `exit` does not wait for it) and
//! starts with every signal blocked, so a process-directed signal is never delivered on
//! it: a program that blocks a signal in all its threads to `sigwait` for it keeps
//! working.

/// A thread to start: its name, as `ps -T` and debuggers show it (at most 15 bytes on
/// Linux), and its body.
#[derive(Debug)]
pub(crate) struct DetachedThread {
    pub(crate) name: &'static std::ffi::CStr,
    pub(crate) entry: fn(),
}

/// Its stack: the sampler's frames are shallow; only touched pages become resident.
#[cfg(unix)]
const STACK_BYTES: usize = 1024 * 1024;

/// Runs `thread` on a new detached thread. Returns whether the thread was created.
/// A panic in its body ends the thread, not the process.
#[cfg(unix)]
pub(crate) fn spawn_detached(thread: &'static DetachedThread) -> bool {
    // SAFETY: all-zero bytes are a valid (if unusable) pthread_attr_t; it is only used
    // after pthread_attr_init succeeded.
    let mut attr: libc::pthread_attr_t = unsafe { std::mem::zeroed() };
    // SAFETY: `attr` is a writable pthread_attr_t.
    if unsafe { libc::pthread_attr_init(&raw mut attr) } != 0 {
        return false;
    }
    // SAFETY: `attr` was initialised above; the state is a valid constant.
    unsafe { libc::pthread_attr_setdetachstate(&raw mut attr, libc::PTHREAD_CREATE_DETACHED) };
    // SAFETY: `attr` was initialised above; a size the system refuses leaves the default.
    unsafe { libc::pthread_attr_setstacksize(&raw mut attr, STACK_BYTES) };
    // SAFETY: all-zero bytes are a valid sigset_t; it is filled by sigfillset next.
    let mut all: libc::sigset_t = unsafe { std::mem::zeroed() };
    // SAFETY: `all` is a writable sigset_t.
    unsafe { libc::sigfillset(&raw mut all) };
    // SAFETY: as above; filled by pthread_sigmask.
    let mut previous: libc::sigset_t = unsafe { std::mem::zeroed() };
    // SAFETY: both sets are valid; the new thread inherits this mask, and the calling
    // thread's own mask is put back right after the create.
    let masked =
        unsafe { libc::pthread_sigmask(libc::SIG_SETMASK, &raw const all, &raw mut previous) } == 0;
    // SAFETY: all-zero bytes are a valid pthread_t, overwritten by pthread_create.
    let mut handle: libc::pthread_t = unsafe { std::mem::zeroed() };
    // SAFETY: `attr` is initialised; `trampoline` has the start routine's signature and
    // turns its argument back into the `&'static DetachedThread` passed here.
    let created = unsafe {
        libc::pthread_create(
            &raw mut handle,
            &raw const attr,
            trampoline,
            std::ptr::from_ref(thread).cast_mut().cast(),
        )
    } == 0;
    if masked {
        // SAFETY: restores the mask saved above.
        unsafe {
            libc::pthread_sigmask(libc::SIG_SETMASK, &raw const previous, std::ptr::null_mut())
        };
    }
    // SAFETY: `attr` was initialised and is not used again.
    unsafe { libc::pthread_attr_destroy(&raw mut attr) };
    created
}

#[cfg(unix)]
extern "C" fn trampoline(argument: *mut libc::c_void) -> *mut libc::c_void {
    // SAFETY: `argument` is the `&'static DetachedThread` that `spawn_detached` passed.
    let thread = unsafe { &*argument.cast_const().cast::<DetachedThread>() };
    set_name(thread.name);
    // Unwinding out of an `extern "C"` function would abort the whole process.
    let _ = std::panic::catch_unwind(thread.entry);
    std::ptr::null_mut()
}

#[cfg(target_os = "linux")]
fn set_name(name: &std::ffi::CStr) {
    // SAFETY: the name is NUL-terminated and at most 15 bytes long.
    unsafe { libc::pthread_setname_np(libc::pthread_self(), name.as_ptr()) };
}

#[cfg(target_os = "macos")]
fn set_name(name: &std::ffi::CStr) {
    // SAFETY: the name is NUL-terminated; macOS names only the calling thread.
    unsafe { libc::pthread_setname_np(name.as_ptr()) };
}

#[cfg(all(unix, not(any(target_os = "linux", target_os = "macos"))))]
fn set_name(_name: &std::ffi::CStr) {}

/// Elsewhere no thread is started: the first allocation of the process (where the
/// sampler starts) is no place for `std::thread::spawn`.
#[cfg(not(unix))]
pub(crate) fn spawn_detached(_thread: &'static DetachedThread) -> bool {
    false
}
