//! Signal plumbing for the tracker: handlers installed only where the program has none,
//! a self-pipe that a handler can write to (the work happens on the tracker's own
//! thread), dying by a signal as if it had never been caught, and signalling one thread.
//!
//! Everything a handler calls here is async-signal-safe (`sigaction`, `write`, `raise`,
//! `getpid`, `gettid`) and keeps `errno` as it found it.

use std::sync::atomic::{AtomicI32, Ordering::Relaxed};

/// A plain handler, as `signal` takes it.
pub(crate) type Handler = extern "C" fn(libc::c_int);

/// A handler that is given the interrupted thread's saved registers.
#[cfg(target_os = "linux")]
pub(crate) type ContextHandler =
    extern "C" fn(libc::c_int, *mut libc::siginfo_t, *mut libc::c_void);

/// The current action for `signal`, or `None` when the number is not a signal.
fn current_action(signal: libc::c_int) -> Option<libc::sigaction> {
    // SAFETY: all-zero bytes are a valid sigaction; the call fills it in.
    let mut action: libc::sigaction = unsafe { std::mem::zeroed() };
    // SAFETY: a null new action only reads the current one into `action`.
    let rc = unsafe { libc::sigaction(signal, std::ptr::null(), &raw mut action) };
    (rc == 0).then_some(action)
}

/// Installs `handler` with `flags` (`SA_RESTART` always, so interrupted system calls of
/// the program resume as they would without it).
fn install(signal: libc::c_int, handler: usize, flags: libc::c_int) -> bool {
    // SAFETY: all-zero bytes are a valid sigaction, completed below.
    let mut action: libc::sigaction = unsafe { std::mem::zeroed() };
    action.sa_sigaction = handler;
    action.sa_flags = flags | libc::SA_RESTART;
    // SAFETY: `action.sa_mask` is a writable sigset_t.
    unsafe { libc::sigemptyset(&raw mut action.sa_mask) };
    // SAFETY: `action` is fully initialised; the old action is not wanted.
    unsafe { libc::sigaction(signal, &raw const action, std::ptr::null_mut()) == 0 }
}

/// Installs `handler` for `signal` when its action is the default one; returns whether
/// it did. A program that ignores the signal, or handles it itself, keeps its own action.
pub(crate) fn install_where_default(signal: libc::c_int, handler: Handler) -> bool {
    let is_default = current_action(signal).is_some_and(|a| a.sa_sigaction == libc::SIG_DFL);
    is_default && install(signal, handler as usize, 0)
}

/// Installs `handler`, with the interrupted context, when the signal's action is the
/// default one or already this handler.
#[cfg(target_os = "linux")]
pub(crate) fn install_context_handler(signal: libc::c_int, handler: ContextHandler) -> bool {
    let Some(current) = current_action(signal) else {
        return false;
    };
    if current.sa_sigaction == handler as usize {
        return true;
    }
    current.sa_sigaction == libc::SIG_DFL && install(signal, handler as usize, libc::SA_SIGINFO)
}

/// Whether `handler` is the action of `signal` now. Async-signal-safe. A handler that
/// another one chains to (signal-hook calls the action it replaced) finds it is not.
pub(crate) fn is_installed(signal: libc::c_int, handler: Handler) -> bool {
    current_action(signal).is_some_and(|a| a.sa_sigaction == handler as usize)
}

/// Puts the default action back where `handler` is still the action.
pub(crate) fn uninstall(signal: libc::c_int, handler: Handler) {
    if is_installed(signal, handler) {
        // SAFETY: SIG_DFL is a valid action for every catchable signal.
        unsafe { libc::signal(signal, libc::SIG_DFL) };
    }
}

/// From inside a handler: the default action again, and the signal raised on this
/// thread. The handler blocks it while it runs, so the default action (ending the
/// process) applies when the handler returns. Async-signal-safe.
pub(crate) fn reraise_from_handler(signal: libc::c_int) {
    // SAFETY: SIG_DFL is a valid action; raise only queues the signal for this thread.
    unsafe {
        libc::signal(signal, libc::SIG_DFL);
        libc::raise(signal);
    }
}

/// Ends the process by `signal`'s default action, as if no handler had caught it, so
/// its parent sees the status it would see untracked. Called on a thread that blocks
/// every signal: the signal goes to the process, which a thread that does not block it
/// takes. Should none take it in a second, the process exits with the shell's
/// `128 + signal`.
pub(crate) fn die_by(signal: libc::c_int) -> ! {
    // SAFETY: SIG_DFL is a valid action; kill sends to this process.
    unsafe {
        libc::signal(signal, libc::SIG_DFL);
        libc::kill(libc::getpid(), signal);
    }
    std::thread::sleep(std::time::Duration::from_secs(1));
    // SAFETY: _exit ends the process without running exit hooks (the profile is written).
    unsafe { libc::_exit(128 + signal) }
}

/// The read and write ends of the self-pipe; -1 until it is made.
static PIPE_READ: AtomicI32 = AtomicI32::new(-1);
static PIPE_WRITE: AtomicI32 = AtomicI32::new(-1);

/// Makes the self-pipe, once; returns whether it exists. Both ends close on `exec`, and
/// the write end never blocks (a full pipe loses the byte, not the handler's thread).
pub(crate) fn make_pipe() -> bool {
    if PIPE_READ.load(Relaxed) >= 0 {
        return true;
    }
    let mut ends = [-1 as libc::c_int; 2];
    // SAFETY: `ends` has room for the two descriptors.
    if unsafe { libc::pipe(ends.as_mut_ptr()) } != 0 {
        return false;
    }
    let [read, write] = ends;
    for end in ends {
        // SAFETY: `end` is a descriptor just made; FD_CLOEXEC is a valid flag.
        unsafe { libc::fcntl(end, libc::F_SETFD, libc::FD_CLOEXEC) };
    }
    // SAFETY: as above; O_NONBLOCK is a valid status flag.
    unsafe { libc::fcntl(write, libc::F_SETFL, libc::O_NONBLOCK) };
    PIPE_WRITE.store(write, Relaxed);
    PIPE_READ.store(read, Relaxed);
    true
}

/// Writes `byte` to the self-pipe. Async-signal-safe; keeps `errno`.
pub(crate) fn notify(byte: u8) {
    let fd = PIPE_WRITE.load(Relaxed);
    if fd < 0 {
        return;
    }
    let saved = errno();
    // SAFETY: `byte` is one readable byte; a failed write (a full pipe) loses it.
    unsafe { libc::write(fd, std::ptr::from_ref(&byte).cast(), 1) };
    set_errno(saved);
}

/// Waits for the next byte on the self-pipe; `None` when the pipe is gone or broken.
pub(crate) fn wait_for_byte() -> Option<u8> {
    let fd = PIPE_READ.load(Relaxed);
    if fd < 0 {
        return None;
    }
    let mut byte = 0u8;
    loop {
        // SAFETY: `byte` is one writable byte.
        let n = unsafe { libc::read(fd, std::ptr::from_mut(&mut byte).cast(), 1) };
        match n {
            1 => return Some(byte),
            -1 if errno() == libc::EINTR => {}
            _ => return None,
        }
    }
}

#[cfg(target_os = "linux")]
fn errno_location() -> *mut libc::c_int {
    // SAFETY: no preconditions; the pointer is this thread's errno.
    unsafe { libc::__errno_location() }
}

#[cfg(target_os = "macos")]
fn errno_location() -> *mut libc::c_int {
    // SAFETY: no preconditions; the pointer is this thread's errno.
    unsafe { libc::__error() }
}

#[cfg(any(target_os = "linux", target_os = "macos"))]
fn errno() -> libc::c_int {
    // SAFETY: this thread's errno is always readable.
    unsafe { errno_location().read() }
}

#[cfg(any(target_os = "linux", target_os = "macos"))]
fn set_errno(value: libc::c_int) {
    // SAFETY: this thread's errno is always writable.
    unsafe { errno_location().write(value) };
}

#[cfg(not(any(target_os = "linux", target_os = "macos")))]
fn errno() -> libc::c_int {
    std::io::Error::last_os_error().raw_os_error().unwrap_or(0)
}

#[cfg(not(any(target_os = "linux", target_os = "macos")))]
fn set_errno(_value: libc::c_int) {}

/// Sends `signal` to one thread of this process, by kernel id.
#[cfg(target_os = "linux")]
pub(crate) fn signal_thread(kernel_id: u32, signal: libc::c_int) -> bool {
    // SAFETY: tgkill only sends a signal; a thread that has exited meanwhile is ESRCH.
    let rc = unsafe {
        libc::syscall(
            libc::SYS_tgkill,
            libc::getpid(),
            libc::pid_t::try_from(kernel_id).unwrap_or(0),
            signal,
        )
    };
    rc == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_pipe_carries_bytes_in_order_and_keeps_errno() {
        assert!(make_pipe());
        set_errno(libc::EAGAIN);
        notify(15);
        notify(2);
        assert_eq!(errno(), libc::EAGAIN);
        assert_eq!(wait_for_byte(), Some(15));
        assert_eq!(wait_for_byte(), Some(2));
    }
}
