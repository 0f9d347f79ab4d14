//! The registers of threads that still run at exit, for the scan's roots: a block that
//! a running thread holds only in a register would otherwise look lost.
//!
//! Each thread is sent a signal (a real-time one the program leaves at its default
//! action, so no program handler is displaced); its handler copies the context the
//! kernel saved for it (every general register) into the thread's slot and returns.
//! The thread is not held: it may be inside malloc, holding a lock the exit path needs.
//! LeakSanitizer stops the world with ptrace instead; a signal needs no second process.
//!
//! The context also gives the thread's stack pointer: its stack is then scanned from
//! there (less the red zone a leaf function may use below it) rather than through the
//! whole mapping, whose dead part below the stack pointer holds stale copies of
//! pointers to blocks the program has lost. A thread that blocks the signal, or does not
//! answer within [`WAIT`], is scanned through its whole stack mapping, as before.

use std::sync::atomic::{AtomicBool, AtomicU32, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use super::memory::CapturedThread;
use super::signals;

/// Threads beyond this many are scanned through their stacks only.
const SLOTS: usize = 128;
/// The saved context, as words: the general registers and then some.
const CONTEXT_WORDS: usize = size_of::<libc::ucontext_t>() / size_of::<usize>();
/// How long the exit path waits for every thread to answer.
const WAIT: Duration = Duration::from_millis(100);

struct Slot {
    /// The kernel id of the thread this slot waits for; 0 when free.
    kernel_id: AtomicU32,
    answered: AtomicBool,
    stack_pointer: AtomicUsize,
    thread_pointer: AtomicUsize,
    words: [AtomicUsize; CONTEXT_WORDS],
}

impl Slot {
    const fn new() -> Self {
        Self {
            kernel_id: AtomicU32::new(0),
            answered: AtomicBool::new(false),
            stack_pointer: AtomicUsize::new(0),
            thread_pointer: AtomicUsize::new(0),
            words: [const { AtomicUsize::new(0) }; CONTEXT_WORDS],
        }
    }
}

static SLOT_TABLE: [Slot; SLOTS] = [const { Slot::new() }; SLOTS];

/// The signal: a real-time one near the top, where programs rarely look.
fn capture_signal() -> libc::c_int {
    libc::SIGRTMAX() - 3
}

/// The registers of the threads `kernel_ids` names (the calling thread excluded by the
/// caller), of those that answer within [`WAIT`].
pub(crate) fn thread_registers(kernel_ids: &[u32]) -> Vec<CapturedThread> {
    let signal = capture_signal();
    if kernel_ids.is_empty() || !signals::install_context_handler(signal, on_capture) {
        return Vec::new();
    }
    let mut asked = Vec::new();
    for (slot, &kernel_id) in SLOT_TABLE.iter().zip(kernel_ids) {
        slot.answered.store(false, Ordering::Relaxed);
        slot.kernel_id.store(kernel_id, Ordering::Release);
        if signals::signal_thread(kernel_id, signal) {
            asked.push(slot);
        } else {
            slot.kernel_id.store(0, Ordering::Relaxed);
        }
    }
    let deadline = Instant::now() + WAIT;
    while asked.iter().any(|s| !s.answered.load(Ordering::Acquire)) && Instant::now() < deadline {
        std::thread::sleep(Duration::from_micros(50));
    }
    let mut captured = Vec::new();
    for slot in asked {
        if slot.answered.load(Ordering::Acquire) {
            captured.push(CapturedThread {
                kernel_id: slot.kernel_id.load(Ordering::Relaxed),
                stack_pointer: slot.stack_pointer.load(Ordering::Relaxed),
                thread_pointer: slot.thread_pointer.load(Ordering::Relaxed),
                words: slot
                    .words
                    .iter()
                    .map(|w| w.load(Ordering::Relaxed))
                    .collect(),
            });
        }
        slot.kernel_id.store(0, Ordering::Relaxed);
    }
    captured
}

/// The stack pointer saved in a signal's context, where the layout is known.
#[cfg(all(target_env = "gnu", target_arch = "x86_64"))]
fn saved_stack_pointer(context: *const libc::ucontext_t) -> usize {
    // SAFETY: the caller passes the handler's non-null context argument.
    let registers = unsafe { &(*context).uc_mcontext.gregs };
    usize::try_from(libc::REG_RSP)
        .ok()
        .and_then(|index| registers.get(index))
        .map_or(0, |&value| value as usize)
}

#[cfg(all(target_env = "gnu", target_arch = "aarch64"))]
fn saved_stack_pointer(context: *const libc::ucontext_t) -> usize {
    // SAFETY: the caller passes the handler's non-null context argument.
    unsafe { (*context).uc_mcontext.sp as usize }
}

#[cfg(not(all(
    target_env = "gnu",
    any(target_arch = "x86_64", target_arch = "aarch64")
)))]
fn saved_stack_pointer(_context: *const libc::ucontext_t) -> usize {
    0
}

/// The handler: async-signal-safe (gettid, loads and stores).
extern "C" fn on_capture(
    _signal: libc::c_int,
    _info: *mut libc::siginfo_t,
    context: *mut libc::c_void,
) {
    if context.is_null() {
        return;
    }
    // SAFETY: gettid has no preconditions.
    let me = u32::try_from(unsafe { libc::gettid() }).unwrap_or(0);
    let Some(slot) = SLOT_TABLE
        .iter()
        .find(|s| s.kernel_id.load(Ordering::Acquire) == me)
    else {
        return;
    };
    slot.stack_pointer
        .store(saved_stack_pointer(context.cast()), Ordering::Relaxed);
    // SAFETY: pthread_self only reads the thread pointer (async-signal-safe in glibc).
    let thread_pointer = unsafe { libc::pthread_self() } as usize;
    slot.thread_pointer.store(thread_pointer, Ordering::Relaxed);
    let saved = context.cast::<usize>();
    for (index, word) in slot.words.iter().enumerate() {
        // SAFETY: with SA_SIGINFO the third argument is the thread's saved ucontext_t,
        // CONTEXT_WORDS words long; read unaligned, since nothing promises its alignment.
        let value = unsafe { saved.add(index).read_unaligned() };
        word.store(value, Ordering::Relaxed);
    }
    slot.answered.store(true, Ordering::Release);
}

#[cfg(all(test, any(target_arch = "x86_64", target_arch = "aarch64")))]
mod tests {
    use super::*;
    use std::sync::mpsc;

    /// Spins until `stop` is set with `value` in a register only (r12, x20).
    fn spin_holding(value: usize, stop: &AtomicBool) {
        let stop = std::ptr::from_ref(stop);
        // SAFETY: reads the flag's byte until it is non-zero; `value` only sits in the
        // register; the flags and the scratch register are declared clobbered.
        #[cfg(target_arch = "x86_64")]
        unsafe {
            std::arch::asm!(
                "2: pause", "cmp byte ptr [{stop}], 0", "je 2b",
                stop = in(reg) stop, in("r12") value,
            );
        }
        // SAFETY: as above.
        #[cfg(target_arch = "aarch64")]
        unsafe {
            std::arch::asm!(
                "2: yield", "ldrb w9, [{stop}]", "cbz w9, 2b",
                stop = in(reg) stop, in("x20") value, out("w9") _,
            );
        }
    }

    #[test]
    fn a_running_thread_answers_with_the_value_in_its_register() {
        const HELD: usize = 0x5eed_0000_1234_5678;
        let (ready_tx, ready_rx) = mpsc::channel();
        let stop = std::sync::Arc::new(AtomicBool::new(false));
        let stop_here = std::sync::Arc::clone(&stop);
        let worker = std::thread::spawn(move || {
            ready_tx.send(super::super::kernel_thread_id()).unwrap();
            spin_holding(HELD, &stop_here);
        });
        let kernel_id = ready_rx.recv().unwrap();
        std::thread::sleep(Duration::from_millis(20));
        let captured = thread_registers(&[kernel_id]);
        let here = 0u8;
        stop.store(true, Ordering::Relaxed);
        worker.join().unwrap();
        let [thread] = &captured[..] else {
            panic!("one thread asked, {} answered", captured.len());
        };
        assert_eq!(thread.kernel_id, kernel_id);
        assert_eq!(thread.words.len(), CONTEXT_WORDS);
        assert!(thread.words.contains(&HELD), "{:x?}", thread.words);
        // Another thread's stack: not this one's, and not null.
        let here = std::ptr::from_ref(&here) as usize;
        assert!(thread.stack_pointer != 0 && here.abs_diff(thread.stack_pointer) > 4096);
    }
}
