//! Whether the tracker records: undecided until the first allocation (or
//! [`crate::start`]), then on or off; stopped and frozen at exit. The hot path reads it
//! with one relaxed load; deciding is start-up's job (`lifecycle::start`). Also which
//! engine this is: a `TrackingAlloc`'s or the preloaded interposer's.

use std::sync::atomic::{
    AtomicBool, AtomicU8, AtomicU64,
    Ordering::{Relaxed, SeqCst},
};

use crate::hot::sampling;
use crate::os;

const UNDECIDED: u8 = 0;
const OFF: u8 = 1;
/// Recording every event, or sampled while scopes or `HeapStats` watch: the value the
/// hot path compares [`now`] with.
pub(crate) const ON: u8 = 2;
const STOPPED: u8 = 3;
/// Recording is off and the exit scan is reading the live blocks: their frees wait.
const FROZEN: u8 = 4;
/// Not recording, but a scope of the in-test API is open (`hot::scope`): allocations of
/// threads in scopes and every free go to the scopes' tables.
pub(crate) const SCOPED: u8 = 5;
/// Recording under sampling (`MEMLEAK_SAMPLE_BYTES`) with nothing watching: the hot path
/// learns from this one load that an allocation only counts down and a free only checks
/// the sampling filter. Never stands while [`is_watched`] (see [`settle_recording`]).
pub(crate) const SAMPLING: u8 = 6;

static MODE: AtomicU8 = AtomicU8::new(UNDECIDED);
/// Whether scopes are open or `HeapStats` counts: with recording on, the hot path's one
/// extra load to know whether they need the event too.
static WATCHED: AtomicBool = AtomicBool::new(false);
/// Whether this engine is the preloaded interposer's rather than a `TrackingAlloc`'s.
static PRELOADED: AtomicBool = AtomicBool::new(false);
static START_NS: AtomicU64 = AtomicU64::new(0);

/// Whether events are being recorded now.
#[inline]
pub(crate) fn is_tracking() -> bool {
    is_recording(MODE.load(Relaxed))
}

/// Whether `mode` is one of the two recording modes.
#[inline]
fn is_recording(mode: u8) -> bool {
    mode == ON || mode == SAMPLING
}

/// After recording turned on or [`WATCHED`] changed: [`SAMPLING`] when sampled and
/// nothing watches, else [`ON`]. The re-check after switching to `SAMPLING` closes the
/// race with a scope opening meanwhile: whichever of its store to `WATCHED` and this
/// load comes first (all `SeqCst`), one of the two sees the other.
fn settle_recording() {
    if sampling::mean_bytes() != 0 && !WATCHED.load(SeqCst) {
        let _ = MODE.compare_exchange(ON, SAMPLING, SeqCst, SeqCst);
        if !WATCHED.load(SeqCst) {
            return;
        }
    }
    let _ = MODE.compare_exchange(SAMPLING, ON, SeqCst, SeqCst);
}

/// The state now, for the hot path: [`ON`], [`SCOPED`] or another (nothing to do).
#[inline]
pub(crate) fn now() -> u8 {
    MODE.load(Relaxed)
}

/// Whether scopes or `HeapStats` want the events (see [`open_scoped`]).
#[inline]
pub(crate) fn is_watched() -> bool {
    WATCHED.load(Relaxed)
}

/// The first scope opens, or `HeapStats` starts counting: their events start to be seen,
/// through [`SCOPED`] while nothing records, else through [`is_watched`].
pub(crate) fn open_scoped() {
    WATCHED.store(true, SeqCst);
    let _ = MODE.compare_exchange(OFF, SCOPED, SeqCst, SeqCst);
    settle_recording();
}

/// The last scope closed and nothing counts: back to off, unless something else
/// happened meanwhile.
pub(crate) fn close_scoped() {
    WATCHED.store(false, SeqCst);
    let _ = MODE.compare_exchange(SCOPED, OFF, SeqCst, SeqCst);
    settle_recording();
}

/// Whether nothing has decided yet: no allocation so far, and no `start`.
#[inline]
pub(crate) fn is_undecided() -> bool {
    MODE.load(Relaxed) == UNDECIDED
}

/// Takes the first decision, unless another thread took one first; returns whether
/// recording is on. Marks the start when it turns recording on.
pub(crate) fn decide(on: bool) -> bool {
    let mode = if on { ON } else { OFF };
    match MODE.compare_exchange(UNDECIDED, mode, Relaxed, Relaxed) {
        Ok(_) => {
            if on {
                mark_start();
                settle_recording();
            }
            on
        }
        Err(actual) => is_recording(actual),
    }
}

/// Turns recording on whatever was decided (open scopes go on in the recording path);
/// returns whether it was off before.
pub(crate) fn turn_on() -> bool {
    mark_start();
    let before = MODE.swap(ON, SeqCst);
    settle_recording();
    !is_recording(before)
}

fn mark_start() {
    sampling::configure_from_env();
    let _ = START_NS.compare_exchange(0, os::monotonic_ns().max(1), Relaxed, Relaxed);
}

/// Turns recording off for good (the exit profile is being written), releasing any
/// free that waits on a freeze.
pub(crate) fn stop() {
    MODE.store(STOPPED, SeqCst);
}

/// Turns recording off and makes frees of tracked blocks wait until [`stop`], so the
/// scan can read every block of its snapshot. Returns whether it was recording.
pub(crate) fn freeze() -> bool {
    MODE.fetch_update(SeqCst, SeqCst, |mode| is_recording(mode).then_some(FROZEN))
        .is_ok()
}

/// Whether frees must wait for the scan.
#[inline]
pub(crate) fn is_frozen() -> bool {
    MODE.load(SeqCst) == FROZEN
}

/// Waits until the scan is over (the exit path then stops recording for good).
#[cold]
pub(crate) fn wait_while_frozen() {
    let mut spins = 0u32;
    while is_frozen() {
        if spins < 100 {
            std::thread::yield_now();
            spins += 1;
        } else {
            std::thread::sleep(std::time::Duration::from_micros(200));
        }
    }
}

/// Marks this engine as the interposer's (its start-up calls this first).
pub(crate) fn mark_preloaded() {
    PRELOADED.store(true, Relaxed);
}

/// How this engine sees allocations, as the profile names it.
pub(crate) fn mode() -> &'static str {
    if PRELOADED.load(Relaxed) {
        memleak_format::MODE_PRELOAD
    } else {
        memleak_format::MODE_IN_PROCESS
    }
}

/// Nanoseconds since recording started.
#[inline]
pub(crate) fn elapsed_ns() -> u64 {
    os::monotonic_ns().saturating_sub(START_NS.load(Relaxed))
}

/// [`elapsed_ns`] to the clock's full resolution (off the hot path: the sampler's).
pub(crate) fn elapsed_precise_ns() -> u64 {
    os::monotonic_precise_ns().saturating_sub(START_NS.load(Relaxed))
}
