//! Whether the tracker records, decided once: at the first allocation from
//! `MEMLEAK_OUT`, or by [`crate::start`]. Off, the hot path is one relaxed load.

use std::sync::atomic::{
    AtomicU8, AtomicU64,
    Ordering::{Relaxed, SeqCst},
};

use crate::{config, fork, os, sampling, session};

const UNDECIDED: u8 = 0;
const OFF: u8 = 1;
const ON: u8 = 2;
const STOPPED: u8 = 3;
/// Recording is off and the exit scan is reading the live blocks: their frees wait.
const FROZEN: u8 = 4;

static MODE: AtomicU8 = AtomicU8::new(UNDECIDED);
static START_NS: AtomicU64 = AtomicU64::new(0);

/// Whether events are being recorded now.
#[inline]
pub(crate) fn is_tracking() -> bool {
    match MODE.load(Relaxed) {
        ON => true,
        UNDECIDED => decide_from_env(),
        _ => false,
    }
}

/// Called on the first allocation of the process; reads the environment without
/// allocating.
#[cold]
fn decide_from_env() -> bool {
    let wanted = os::env_is_set(config::OUT_VAR);
    let mode = if wanted { ON } else { OFF };
    match MODE.compare_exchange(UNDECIDED, mode, Relaxed, Relaxed) {
        Ok(_) => {
            if wanted {
                mark_start();
                fork::install();
                session::install_exit_hook();
            }
            wanted
        }
        Err(actual) => actual == ON,
    }
}

fn mark_start() {
    sampling::configure_from_env();
    let _ = START_NS.compare_exchange(0, os::monotonic_ns().max(1), Relaxed, Relaxed);
}

/// Turns recording on (idempotent); the exit hook is installed when `MEMLEAK_OUT` is set.
pub(crate) fn start() {
    if fork::in_child() {
        return;
    }
    mark_start();
    fork::install();
    if MODE.swap(ON, Relaxed) != ON && os::env_is_set(config::OUT_VAR) {
        session::install_exit_hook();
    }
}

/// Turns recording off for good (the exit profile is being written), releasing any
/// free that waits on a freeze.
pub(crate) fn stop() {
    MODE.store(STOPPED, SeqCst);
}

/// Turns recording off and makes frees of tracked blocks wait until [`stop`], so the
/// scan can read every block of its snapshot. Returns whether it was recording.
pub(crate) fn freeze() -> bool {
    MODE.compare_exchange(ON, FROZEN, SeqCst, SeqCst).is_ok()
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

/// Nanoseconds since recording started.
#[inline]
pub(crate) fn elapsed_ns() -> u64 {
    os::monotonic_ns().saturating_sub(START_NS.load(Relaxed))
}
