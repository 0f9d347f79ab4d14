//! Ctrl-C. The terminal sends SIGINT to the whole foreground process group: the tracked
//! program gets it too, writes its profile and ends; cargo-memleak must outlive it to
//! print the report. So the first SIGINT only sets a flag; a second one ends
//! cargo-memleak at once with [`INTERRUPTED`](crate::exit_code::INTERRUPTED), for a user
//! who does not want to wait. Children start with the default action (handlers do not
//! survive `exec`), so cargo and the program see Ctrl-C as they always do.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

static INTERRUPTED: std::sync::OnceLock<Arc<AtomicBool>> = std::sync::OnceLock::new();

/// Installs the handlers, once. Where they cannot be installed, Ctrl-C ends
/// cargo-memleak as it would any program.
pub(crate) fn install() {
    let flag = INTERRUPTED.get_or_init(Arc::default);
    #[cfg(unix)]
    {
        use signal_hook::consts::SIGINT;
        // The conditional exit is registered first, so it sees the flag as the earlier
        // press left it: set means this is the second press.
        let code = i32::from(crate::exit_code::INTERRUPTED);
        if signal_hook::flag::register_conditional_shutdown(SIGINT, code, Arc::clone(flag)).is_ok()
        {
            let _ = signal_hook::flag::register(SIGINT, Arc::clone(flag));
        }
    }
    #[cfg(not(unix))]
    let _ = flag;
}

/// Whether Ctrl-C was pressed since cargo-memleak started.
pub(crate) fn was_interrupted() -> bool {
    INTERRUPTED
        .get()
        .is_some_and(|flag| flag.load(Ordering::Relaxed))
}

/// `code`, or [`INTERRUPTED`](crate::exit_code::INTERRUPTED) when Ctrl-C was pressed: a
/// build that Ctrl-C stopped did not fail.
pub(crate) fn unless_interrupted(code: u8) -> u8 {
    if was_interrupted() {
        crate::exit_code::INTERRUPTED
    } else {
        code
    }
}
