//! Call-stack capture: walk the frame-pointer chain (about a nanosecond a frame), and
//! fall back to the unwinder only where the chain is broken.
//!
//! The walk reads only words that lie between the current frame and the top of this
//! thread's stack, and each step must move strictly up the stack: whatever a frame
//! without a frame pointer left in the register, the walk stays inside memory this
//! thread owns and terminates. A garbage link ends the walk early; it cannot fault.

use std::ops::Range;
use std::sync::atomic::{AtomicU8, AtomicUsize, Ordering::Relaxed};

/// Frames kept per stack; deeper stacks keep their innermost frames.
pub(crate) const MAX_FRAMES: usize = 48;

/// A captured call stack: return addresses, innermost first.
#[derive(Debug)]
pub(crate) struct Stack {
    frames: [usize; MAX_FRAMES],
    len: usize,
}

impl Stack {
    /// An empty stack.
    pub(crate) const fn new() -> Self {
        Self {
            frames: [0; MAX_FRAMES],
            len: 0,
        }
    }

    /// The captured return addresses, innermost first.
    pub(crate) fn frames(&self) -> &[usize] {
        self.frames.get(..self.len).unwrap_or(&[])
    }

    fn push(&mut self, address: usize) -> bool {
        if let Some(slot) = self.frames.get_mut(self.len) {
            *slot = address;
            self.len += 1;
        }
        self.len < MAX_FRAMES
    }
}

/// How a capture went.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Capture {
    /// The frame-pointer chain gave the stack.
    FramePointers,
    /// The chain was broken; the unwinder gave the stack.
    Unwinder,
}

/// Fewer frames than this from a chain that ends on a bad link means the chain is broken
/// (code built without frame pointers sits near the top of the stack).
const MIN_TRUSTED_FRAMES: usize = 4;

/// Captures the calling thread's stack into `stack`.
///
/// `stack_top` is the highest address of this thread's stack, or 0 when unknown (then
/// the unwinder is used, as it is when the program was built without frame pointers).
#[inline(always)]
pub(crate) fn capture(stack: &mut Stack, stack_top: usize) -> Capture {
    stack.len = 0;
    if stack_top != 0 && frame_pointers_present() {
        let clean_end = walk_frame_pointers(stack, frame_pointer(), stack_top);
        if (clean_end || stack.len >= MIN_TRUSTED_FRAMES) && !interposed_caller_is_foreign(stack) {
            return Capture::FramePointers;
        }
        stack.len = 0;
    }
    unwind(stack);
    strip_interposer_frames(stack);
    Capture::Unwinder
}

/// Code ranges known to the interposer (`[start, end)`, all 0 in-process): its own code,
/// whose frames lead every stack and are dropped, and the code known to keep frame
/// pointers (the program that cargo memleak built), whose calls the walk can follow.
static INTERPOSER_CODE: [AtomicUsize; 2] = [const { AtomicUsize::new(0) }; 2];
static FRAME_POINTER_CODE: [AtomicUsize; 2] = [const { AtomicUsize::new(0) }; 2];

/// Run by the interposer's start-up, before recording starts: the two code ranges above.
pub(crate) fn set_interposer_ranges(own: Range<usize>, frame_pointers: Range<usize>) {
    INTERPOSER_CODE[0].store(own.start, Relaxed);
    INTERPOSER_CODE[1].store(own.end, Relaxed);
    FRAME_POINTER_CODE[0].store(frame_pointers.start, Relaxed);
    FRAME_POINTER_CODE[1].store(frame_pointers.end, Relaxed);
}

fn in_range(range: &[AtomicUsize; 2], address: usize) -> bool {
    range[0].load(Relaxed) <= address && address < range[1].load(Relaxed)
}

/// Under the interposer: drops the interposer's own leading frames, and says whether
/// the caller of `malloc` is code that may lack frame pointers (libc's `strdup`, a C
/// library). Such code keeps the caller's frame pointer untouched, so the chain skips
/// straight past the Rust function that called into C: the unwinder must walk those.
#[inline(always)]
fn interposed_caller_is_foreign(stack: &mut Stack) -> bool {
    if INTERPOSER_CODE[1].load(Relaxed) == 0 {
        return false;
    }
    strip_interposer_frames(stack);
    stack
        .frames()
        .first()
        .is_some_and(|&caller| !in_range(&FRAME_POINTER_CODE, caller))
}

fn strip_interposer_frames(stack: &mut Stack) {
    if INTERPOSER_CODE[1].load(Relaxed) == 0 {
        return;
    }
    let own = stack
        .frames()
        .iter()
        .take_while(|&&address| in_range(&INTERPOSER_CODE, address))
        .count();
    stack.frames.copy_within(own..stack.len, 0);
    stack.len -= own;
}

const UNKNOWN: u8 = 0;
const PRESENT: u8 = 1;
const ABSENT: u8 = 2;
static FRAME_POINTERS: AtomicU8 = AtomicU8::new(UNKNOWN);

/// Whether this build keeps frame pointers, checked once on the tracker's own code.
///
/// Code built without them leaves the register to other uses or untouched, and the
/// chain then silently skips frames (a plausible but wrong stack), which no check on the
/// walk itself can see. `RUSTFLAGS` apply to every crate of a build, so the tracker's
/// own functions tell for the whole program.
#[inline(always)]
fn frame_pointers_present() -> bool {
    match FRAME_POINTERS.load(Relaxed) {
        PRESENT => true,
        ABSENT => false,
        _ => probe_frame_pointers(),
    }
}

#[cold]
#[inline(never)]
fn probe_frame_pointers() -> bool {
    let present = probe_caller();
    FRAME_POINTERS.store(if present { PRESENT } else { ABSENT }, Relaxed);
    present
}

/// Calls `probe_callee` and checks that the return address it finds through the frame
/// pointer lies inside this function.
#[inline(never)]
fn probe_caller() -> bool {
    let found = std::hint::black_box(probe_callee());
    let start = probe_caller as *const () as usize;
    // The call sits within the first few hundred bytes of this small function.
    std::hint::black_box(found > start && found < start + 512)
}

/// The return address in this frame's record, or 0 when the frame pointer is unusable.
#[inline(never)]
fn probe_callee() -> usize {
    let mut stack = Stack::new();
    let top = super::stack_top();
    if top == 0 {
        return 0;
    }
    walk_frame_pointers(&mut stack, frame_pointer(), top);
    stack.frames().first().copied().unwrap_or(0)
}

/// Follows the chain from `fp`; returns whether it ended cleanly (a null link, a null
/// return address, or the frame limit) rather than on a link outside the stack.
///
/// The count of frames is a local until the end: kept in `stack.len`, it went through
/// memory on every step, a store-to-load chain beside the one the walk itself is.
#[inline(always)]
fn walk_frame_pointers(stack: &mut Stack, mut fp: usize, stack_top: usize) -> bool {
    const WORD: usize = std::mem::size_of::<usize>();
    // The highest frame record that ends inside the stack.
    let Some(last_record) = stack_top.checked_sub(2 * WORD) else {
        return false;
    };
    let mut len = stack.len;
    let clean = loop {
        if fp == 0 {
            break true;
        }
        if !fp.is_multiple_of(WORD) || fp > last_record {
            break false;
        }
        // Both words of the frame record lie in this thread's live stack, which is
        // mapped and readable: `fp` is word-aligned, `fp + 2 words <= stack_top`, and
        // `fp` is at or above the current frame (the first value is this function's own
        // frame, checked by the probe, and each step below only moves up).
        let record = fp as *const usize;
        // SAFETY: the record's first word, in the live stack (above); any bits are a usize.
        let next = unsafe { record.read() };
        // SAFETY: the record's second word, in the live stack (above).
        let return_address = unsafe { record.add(1).read() };
        let return_address = strip_pointer_authentication(return_address);
        if return_address == 0 {
            break true;
        }
        let Some(slot) = stack.frames.get_mut(len) else {
            break true;
        };
        *slot = return_address;
        len += 1;
        if len == MAX_FRAMES {
            break true;
        }
        if next <= fp {
            break next == 0;
        }
        fp = next;
    };
    stack.len = len;
    clean
}

/// The current frame pointer register.
#[inline(always)]
fn frame_pointer() -> usize {
    #[cfg(target_arch = "x86_64")]
    {
        let fp: usize;
        // SAFETY: reads a register into a local; touches no memory and no flags.
        unsafe {
            std::arch::asm!("mov {}, rbp", out(reg) fp, options(nomem, nostack, preserves_flags));
        }
        fp
    }
    #[cfg(target_arch = "aarch64")]
    {
        let fp: usize;
        // SAFETY: reads a register into a local; touches no memory and no flags.
        unsafe {
            std::arch::asm!("mov {}, x29", out(reg) fp, options(nomem, nostack, preserves_flags));
        }
        fp
    }
    #[cfg(not(any(target_arch = "x86_64", target_arch = "aarch64")))]
    {
        0
    }
}

/// The callee-saved registers, where the caller's live pointers may sit: roots for the
/// reachability scan.
#[inline(always)]
pub(crate) fn callee_saved_registers() -> [usize; 6] {
    #[cfg(target_arch = "x86_64")]
    {
        let (rbx, rbp, r12, r13, r14, r15): (usize, usize, usize, usize, usize, usize);
        // SAFETY: copies registers into locals; touches no memory and no flags.
        unsafe {
            std::arch::asm!(
                "mov {}, rbx", "mov {}, rbp", "mov {}, r12", "mov {}, r13", "mov {}, r14", "mov {}, r15",
                out(reg) rbx, out(reg) rbp, out(reg) r12, out(reg) r13, out(reg) r14, out(reg) r15,
                options(nomem, nostack, preserves_flags)
            );
        }
        [rbx, rbp, r12, r13, r14, r15]
    }
    #[cfg(target_arch = "aarch64")]
    {
        let (a, b, c, d, e, f): (usize, usize, usize, usize, usize, usize);
        // SAFETY: copies registers into locals; touches no memory and no flags. (x25-x28
        // are reached through the stack: the hook's callers spilled them.)
        unsafe {
            std::arch::asm!(
                "mov {}, x19", "mov {}, x20", "mov {}, x21", "mov {}, x22", "mov {}, x23", "mov {}, x24",
                out(reg) a, out(reg) b, out(reg) c, out(reg) d, out(reg) e, out(reg) f,
                options(nomem, nostack, preserves_flags)
            );
        }
        [a, b, c, d, e, f]
    }
    #[cfg(not(any(target_arch = "x86_64", target_arch = "aarch64")))]
    {
        [0; 6]
    }
}

/// Return addresses signed by pointer authentication carry the signature in the high
/// bits; user-space addresses fit in 48.
#[inline(always)]
fn strip_pointer_authentication(address: usize) -> usize {
    if cfg!(target_arch = "aarch64") {
        address & 0x0000_ffff_ffff_ffff
    } else {
        address
    }
}

/// The slow path: DWARF unwinding through the platform unwinder.
#[cold]
#[inline(never)]
fn unwind(stack: &mut Stack) {
    // The callback does not panic and does not allocate.
    super::unwind::trace(&mut |address| {
        // The outermost frame may report a null address: the end, not a frame.
        address != 0 && stack.push(address)
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[inline(never)]
    fn capture_here(stack: &mut Stack) -> Capture {
        capture(stack, super::super::stack_top())
    }

    #[test]
    fn walk_reaches_callers_and_stays_bounded() {
        let mut stack = Stack::new();
        let how = capture_here(&mut stack);
        let frames = stack.frames();
        assert!(
            frames.len() >= 3,
            "only {} frames via {how:?}",
            frames.len()
        );
        assert!(frames.len() <= MAX_FRAMES);
        assert!(frames.iter().all(|&address| address != 0));
    }

    #[test]
    fn the_probe_sees_the_workspace_frame_pointers() {
        // The workspace builds with `-C force-frame-pointers=yes` (.cargo/config.toml),
        // as `cargo memleak` builds its targets; a RUSTFLAGS override can drop them.
        if std::env::var_os("RUSTFLAGS").is_none() {
            assert!(probe_frame_pointers());
        }
    }

    #[inline(never)]
    fn unwind_here(stack: &mut Stack) {
        unwind(stack);
    }

    #[test]
    fn the_unwinder_fallback_reaches_this_test() {
        let mut stack = Stack::new();
        unwind_here(&mut stack);
        assert!(stack.frames().len() >= 3);
        assert!(stack.frames().iter().all(|&address| address != 0));
        let here = unwind_here as *const () as usize;
        // One of the return addresses points just after the call inside this test, and
        // the first frames lie in or after `unwind_here`.
        assert!(
            stack
                .frames()
                .iter()
                .any(|&address| address > here && address < here + 256)
        );
    }

    #[test]
    fn broken_link_ends_the_walk() {
        let mut stack = Stack::new();
        let local = 0usize;
        let here = std::ptr::from_ref(&local) as usize;
        // A frame pointer above the stack top is a broken link: nothing is read.
        assert!(!walk_frame_pointers(&mut stack, here + 64, here + 32));
        assert!(stack.frames().is_empty());
        assert!(walk_frame_pointers(&mut stack, 0, here));
    }
}
