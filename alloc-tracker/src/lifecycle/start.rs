//! Start-up: the decision taken at the first allocation of the process (from
//! `MEMLEAK_OUT`, read without allocating), by [`crate::start`], or by the interposer's
//! start-up; and what follows it when recording starts with a profile to write: the fork
//! handlers, the exit hook and the timeline's sampler thread.

use std::ops::Range;

use crate::config;
use crate::hot::state;
#[cfg(unix)]
use crate::lifecycle::signals;
use crate::lifecycle::{exit, fork, sampler};
use crate::os;

/// The allocator calls this, and only this, when [`state::is_undecided`]: on the first
/// allocation of the process. Does not allocate through the tracker.
#[cold]
#[inline(never)]
pub(crate) fn on_first_allocation() {
    let wanted = os::env_is_set(config::OUT_VAR);
    if state::decide(wanted) && wanted {
        fork::install();
        install_exit_hook();
    }
}

/// [`crate::is_tracking`]: decides first when nothing has.
pub(crate) fn is_tracking_deciding() -> bool {
    if state::is_undecided() {
        on_first_allocation();
    }
    state::is_tracking()
}

/// Turns recording on (idempotent); the exit hook is installed when `MEMLEAK_OUT` is set.
pub(crate) fn start() {
    if fork::in_child() {
        return;
    }
    fork::install();
    if state::turn_on() && os::env_is_set(config::OUT_VAR) {
        install_exit_hook();
    }
}

/// The interposer's start-up, from its library constructor: the profile's path is taken
/// now (the interposer then hides `MEMLEAK_OUT` from the program and its children), and
/// recording starts when it is set. `own_code` is the interposer's code, whose frames
/// lead every stack; `frame_pointer_code` the program's, built with frame pointers.
pub(crate) fn start_preloaded(own_code: Range<usize>, frame_pointer_code: Range<usize>) -> bool {
    state::mark_preloaded();
    os::frames::set_interposer_ranges(own_code, frame_pointer_code);
    let wanted = config::capture_out_path();
    if state::decide(wanted) && wanted {
        fork::install();
        install_exit_hook();
        return true;
    }
    false
}

/// The exit hook, the sampler thread that feeds the profile's timeline, and the
/// handlers that write the profile when a signal ends the process.
fn install_exit_hook() {
    if exit::install_exit_hook() {
        sampler::start();
        #[cfg(unix)]
        signals::start();
    }
}
