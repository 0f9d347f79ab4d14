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

// The state is one byte: a base mode in the low bits, and whether scopes or `HeapStats`
// watch in [`WATCHED`]. Every change is one read-modify-write of the byte, so the hot
// path's single load sees a consistent pair: in particular [`SAMPLING`], the value that
// lets an event skip everything, can never stand while something watches.
const BASE: u8 = 0x0f;
const UNDECIDED: u8 = 0;
const OFF: u8 = 1;
/// Recording every event: the value the hot path compares [`now`] with.
pub(crate) const ON: u8 = 2;
const STOPPED: u8 = 3;
/// Recording is off and the exit scan is reading the live blocks: their frees wait.
const FROZEN: u8 = 4;
/// Recording under sampling (`MEMLEAK_SAMPLE_BYTES`), nothing watching: the hot path
/// learns from this one load that an allocation only counts down and a free only checks
/// the sampling filter.
pub(crate) const SAMPLING: u8 = 6;
/// Scopes are open or `HeapStats` counts (see [`open_scoped`]).
const WATCHED: u8 = 0x10;
/// Not recording, but a scope of the in-test API is open (`hot::scope`): allocations of
/// threads in scopes and every free go to the scopes' tables.
pub(crate) const SCOPED: u8 = OFF | WATCHED;

static MODE: AtomicU8 = AtomicU8::new(UNDECIDED);
/// Whether this engine is the preloaded interposer's rather than a `TrackingAlloc`'s.
static PRELOADED: AtomicBool = AtomicBool::new(false);
static START_NS: AtomicU64 = AtomicU64::new(0);

/// Whether events are being recorded now.
#[inline]
pub(crate) fn is_tracking() -> bool {
    records(MODE.load(Relaxed))
}

/// Whether the state `now` records events (every one, or sampled; watched or not).
#[inline]
pub(crate) fn records(now: u8) -> bool {
    let base = now & BASE;
    base == ON || base == SAMPLING
}

/// The recording base mode: sampled when `MEMLEAK_SAMPLE_BYTES` asked for it.
fn recording() -> u8 {
    if sampling::mean_bytes() == 0 {
        ON
    } else {
        SAMPLING
    }
}

/// Changes the state by `change` (base mode and watch bit together), atomically; returns
/// the state before.
fn update(change: impl Fn(u8) -> Option<u8>) -> Result<u8, u8> {
    MODE.fetch_update(SeqCst, SeqCst, change)
}

/// The state now, for the hot path: [`ON`], [`SAMPLING`], [`SCOPED`], or another that
/// [`records`] (watched) or not (nothing to do).
#[inline]
pub(crate) fn now() -> u8 {
    MODE.load(Relaxed)
}

/// Whether scopes or `HeapStats` want the events (see [`open_scoped`]).
#[inline]
pub(crate) fn is_watched() -> bool {
    MODE.load(Relaxed) & WATCHED != 0
}

/// The first scope opens, or `HeapStats` starts counting: their events start to be seen,
/// through [`SCOPED`] while nothing records, else through [`is_watched`].
pub(crate) fn open_scoped() {
    let _ = update(|now| Some(now | WATCHED));
}

/// The last scope closed and nothing counts: back to what the state was without them.
pub(crate) fn close_scoped() {
    let _ = update(|now| Some(now & !WATCHED));
}

/// Whether nothing has decided yet: no allocation so far, and no `start`.
#[inline]
pub(crate) fn is_undecided() -> bool {
    MODE.load(Relaxed) & BASE == UNDECIDED
}

/// Takes the first decision, unless another thread took one first; returns whether
/// recording is on. Marks the start when it turns recording on.
pub(crate) fn decide(on: bool) -> bool {
    if on {
        mark_start();
    }
    let mode = if on { recording() } else { OFF };
    let decided = match update(|now| (now & BASE == UNDECIDED).then_some(mode | (now & WATCHED))) {
        Ok(_) => on,
        Err(now) => records(now),
    };
    settle_sampling();
    decided
}

/// Turns recording on whatever was decided (open scopes go on in the recording path);
/// returns whether it was off before.
pub(crate) fn turn_on() -> bool {
    mark_start();
    let mode = recording();
    let before = update(|now| Some(mode | (now & WATCHED))).unwrap_or_else(|now| now);
    settle_sampling();
    !records(before)
}

/// [`ON`] becomes [`SAMPLING`] once the mean is known: a thread that decided while
/// another was still reading `MEMLEAK_SAMPLE_BYTES` saw no mean yet, and the reader
/// settles it here after its own decision.
fn settle_sampling() {
    if sampling::mean_bytes() != 0 {
        let _ = update(|now| (now & BASE == ON).then_some(SAMPLING | (now & WATCHED)));
    }
}

fn mark_start() {
    sampling::configure_from_env();
    let _ = START_NS.compare_exchange(0, os::monotonic_ns().max(1), Relaxed, Relaxed);
}

/// Turns recording off for good (the exit profile is being written), releasing any
/// free that waits on a freeze.
pub(crate) fn stop() {
    let _ = update(|now| Some(STOPPED | (now & WATCHED)));
}

/// Turns recording off and makes frees of tracked blocks wait until [`stop`], so the
/// scan can read every block of its snapshot. Returns whether it was recording.
pub(crate) fn freeze() -> bool {
    update(|now| records(now).then_some(FROZEN | (now & WATCHED))).is_ok()
}

/// Whether frees must wait for the scan.
#[inline]
pub(crate) fn is_frozen() -> bool {
    MODE.load(SeqCst) & BASE == FROZEN
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
