//! Start-up: the decision taken at the first allocation of the process (from
//! `MEMLEAK_OUT`, read without allocating) or by [`crate::start`], and what follows it
//! when recording starts with a profile to write: the fork handlers, the exit hook and
//! the timeline's sampler thread.

use crate::config;
use crate::hot::state;
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

/// The exit hook, and the sampler thread that feeds the profile's timeline.
fn install_exit_hook() {
    if exit::install_exit_hook() {
        sampler::start();
    }
}
