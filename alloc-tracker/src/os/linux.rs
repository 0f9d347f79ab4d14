//! Linux probes.

/// The highest address of the calling thread's stack, or 0 when unknown.
pub(crate) fn stack_top() -> usize {
    // SAFETY: pthread_attr_t is plain data that pthread_getattr_np initialises.
    let mut attr: libc::pthread_attr_t = unsafe { std::mem::zeroed() };
    // SAFETY: `attr` is writable; pthread_self is always valid for the caller.
    if unsafe { libc::pthread_getattr_np(libc::pthread_self(), &raw mut attr) } != 0 {
        return 0;
    }
    let mut base: *mut libc::c_void = std::ptr::null_mut();
    let mut size: libc::size_t = 0;
    // SAFETY: `attr` was initialised above; `base` and `size` are writable.
    let rc = unsafe { libc::pthread_attr_getstack(&raw const attr, &raw mut base, &raw mut size) };
    // SAFETY: `attr` was initialised by pthread_getattr_np and is destroyed once.
    unsafe { libc::pthread_attr_destroy(&raw mut attr) };
    if rc != 0 || base.is_null() {
        return 0;
    }
    (base as usize).saturating_add(size)
}

/// The calling thread's name: "main" for the main thread, else what the OS knows.
pub(crate) fn thread_name() -> Option<String> {
    // SAFETY: gettid and getpid have no preconditions.
    let is_main = unsafe { libc::gettid() == libc::getpid() };
    if is_main {
        return Some("main".to_owned());
    }
    super::unix::pthread_name()
}
