//! Linux probes.

/// The highest address of the calling thread's stack, or 0 when unknown.
pub(crate) fn stack_top() -> usize {
    if let Some(top) = glibc_stack_top() {
        return top;
    }
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

/// With glibc, without `pthread_getattr_np`: that takes the thread's lock and then
/// allocates (`fopen` of `/proc/self/maps` for the main thread, the affinity mask for the
/// others). Under the interposer that allocation can be the thread's first recorded one,
/// which asks for the stack top again and would wait on that lock forever.
///
/// - The main thread: where the stack stood when the loader started the program
///   (`__libc_stack_end`); the program's frames are all below it.
/// - Other threads: glibc places the thread's descriptor (`pthread_self()`) at the top of
///   the thread's stack block, above its static TLS; the frames are all below it, and
///   the block is the thread's stack mapping.
#[cfg(target_env = "gnu")]
fn glibc_stack_top() -> Option<usize> {
    unsafe extern "C" {
        static __libc_stack_end: *const libc::c_void;
    }
    // SAFETY: gettid and getpid have no preconditions.
    let is_main = unsafe { libc::gettid() == libc::getpid() };
    let top = if is_main {
        // SAFETY: the loader sets `__libc_stack_end` before any code of the program runs
        // and never changes it afterwards.
        unsafe { __libc_stack_end as usize }
    } else {
        // SAFETY: pthread_self has no preconditions.
        unsafe { libc::pthread_self() as usize }
    };
    (top != 0).then_some(top)
}

#[cfg(not(target_env = "gnu"))]
fn glibc_stack_top() -> Option<usize> {
    None
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
