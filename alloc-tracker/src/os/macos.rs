//! macOS probes.

/// The highest address of the calling thread's stack, or 0 when unknown.
pub(crate) fn stack_top() -> usize {
    // SAFETY: pthread_self is always valid for the calling thread; the call only reads
    // the thread's descriptor.
    let top = unsafe { libc::pthread_get_stackaddr_np(libc::pthread_self()) };
    top as usize
}

/// The calling thread's name: "main" for the main thread, else what the OS knows.
pub(crate) fn thread_name() -> Option<String> {
    // SAFETY: no preconditions.
    if unsafe { libc::pthread_main_np() } == 1 {
        return Some("main".to_owned());
    }
    super::unix::pthread_name()
}
