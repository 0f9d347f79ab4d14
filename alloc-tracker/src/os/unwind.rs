//! The slow path of the stack walk: DWARF unwinding through the platform's unwinder
//! (`_Unwind_Backtrace`, from libgcc_s or LLVM's libunwind, which std links on every
//! Unix target it unwinds on). Called directly rather than through the `backtrace`
//! crate, whose symbolization half (addr2line, gimli, object, miniz_oxide) would
//! otherwise join the crate graph of every program that uses the tracker.

/// Calls `visit` with each return address, innermost first, until it returns `false` or
/// the stack ends. `visit` must not unwind.
#[cfg(all(unix, any(target_arch = "x86_64", target_arch = "aarch64")))]
pub(crate) fn trace(visit: &mut dyn FnMut(usize) -> bool) {
    use std::ffi::c_void;

    #[repr(C)]
    struct UnwindContext {
        _opaque: [u8; 0],
    }
    /// `_URC_NO_REASON`: go on. Any other code stops the walk.
    const CONTINUE: i32 = 0;
    const STOP: i32 = 4;

    unsafe extern "C" {
        fn _Unwind_Backtrace(
            trace: extern "C" fn(*mut UnwindContext, *mut c_void) -> i32,
            argument: *mut c_void,
        ) -> i32;
        fn _Unwind_GetIP(context: *mut UnwindContext) -> usize;
    }

    extern "C" fn step(context: *mut UnwindContext, argument: *mut c_void) -> i32 {
        // SAFETY: `argument` is the `&mut dyn FnMut` passed to `_Unwind_Backtrace` below,
        // alive for the whole walk and used by nothing else meanwhile.
        let visit = unsafe { &mut *argument.cast::<&mut dyn FnMut(usize) -> bool>() };
        // SAFETY: the unwinder passes a valid context for the duration of this call.
        let address = unsafe { _Unwind_GetIP(context) };
        if visit(address) { CONTINUE } else { STOP }
    }

    let mut visit = visit;
    // SAFETY: `step` matches the unwinder's callback type and does not unwind; the
    // argument points at `visit`, which outlives the call.
    unsafe {
        _Unwind_Backtrace(step, std::ptr::from_mut(&mut visit).cast());
    }
}

/// Platforms whose unwinder is not wired up: the frame-pointer walk is all there is.
#[cfg(not(all(unix, any(target_arch = "x86_64", target_arch = "aarch64"))))]
pub(crate) fn trace(_visit: &mut dyn FnMut(usize) -> bool) {}

#[cfg(test)]
mod tests {
    use super::*;

    #[inline(never)]
    fn addresses() -> Vec<usize> {
        let mut out = Vec::new();
        trace(&mut |address| {
            out.push(address);
            out.len() < 64
        });
        out
    }

    #[test]
    fn the_unwinder_walks_up_to_the_test_harness_and_can_stop() {
        let all = addresses();
        assert!(all.len() > 5, "{all:x?}");
        assert!(all.iter().take(all.len() - 1).all(|&a| a != 0), "{all:x?}");
        let mut seen = 0;
        trace(&mut |_| {
            seen += 1;
            seen < 2
        });
        assert_eq!(seen, 2);
    }
}
