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
