//! Profiles from a process stopped by a signal, and snapshots on request.
//!
//! Servers and long tests end by SIGINT (Ctrl-C), SIGTERM (`kill`, container stops) or
//! SIGHUP (a closed terminal), whose default action ends the process without running
//! its exit hooks. Where the program leaves such a signal at its default action, the
//! tracker catches it: the handler only writes the signal's number to a self-pipe, and
//! the tracker's own thread (`memleak-signals`, every signal blocked) writes the profile,
//! then puts the default action back and sends the signal again, so the process ends
//! exactly as it would untracked, with the same status.
//!
//! A program that ignores one of these signals, or has its own handler when tracking
//! starts, keeps it: nothing is installed. One that installs a handler later replaces
//! ours, and its handler runs as it would untracked. One whose handler calls the action
//! it replaced (signal-hook does) calls ours, which then does nothing: untracked, that
//! action was the default, which signal-hook does not call.
//!
//! `MEMLEAK_SNAPSHOT_SIGNAL` names a signal (`SIGUSR1`, `SIGUSR2`, or a number) that
//! writes a snapshot profile beside the exit profile, `NAME.snapshot-N.EXT`, and lets the
//! program run on.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicI32, AtomicU32, Ordering::Relaxed};
use std::time::{Duration, Instant};

use crate::hot::guard::{self, Entry};
use crate::lifecycle::{exit, fork};
use crate::os::{self, signals};

/// The signals whose default action would end the process without a profile.
const STOPPING: [libc::c_int; 3] = [libc::SIGINT, libc::SIGTERM, libc::SIGHUP];

/// The variable that names the snapshot signal.
pub(crate) const SNAPSHOT_VAR: &std::ffi::CStr = c"MEMLEAK_SNAPSHOT_SIGNAL";

static THREAD: os::DetachedThread = os::DetachedThread {
    name: c"memleak-signals",
    entry: write_on_signal,
};
static STARTED: AtomicBool = AtomicBool::new(false);
/// The snapshot signal, 0 when none.
static SNAPSHOT_SIGNAL: AtomicI32 = AtomicI32::new(0);
/// Why there is no snapshot signal although one was asked for (a message), or none.
static SNAPSHOT_PROBLEM: AtomicU32 = AtomicU32::new(NO_PROBLEM);
const NO_PROBLEM: u32 = 0;
const NOT_A_SIGNAL: u32 = 1;
const ALREADY_HANDLED: u32 = 2;
/// Threads inside [`on_signal`] now.
static IN_HANDLER: AtomicU32 = AtomicU32::new(0);
/// Snapshots written so far, for their names.
static SNAPSHOTS: AtomicU32 = AtomicU32::new(0);

/// Installs the handlers and starts the thread that writes, once, unless
/// `MEMLEAK_INTERVAL_MS` is 0 (no tracker threads at all, for programs that must stay
/// single-threaded). Allocates nothing through the tracker: safe inside the allocator.
/// Without the thread, nothing is installed and the signals keep their default action.
pub(crate) fn start() {
    if STARTED.swap(true, Relaxed) || fork::in_child() || crate::config::interval_ms() == 0 {
        return;
    }
    if !signals::make_pipe() || !os::spawn_detached(&THREAD) {
        return;
    }
    for signal in STOPPING {
        signals::install_where_default(signal, on_signal);
    }
    let mut buffer = [0u8; 16];
    match parse_signal(os::env_bytes(SNAPSHOT_VAR, &mut buffer)) {
        Ok(None) => {}
        Ok(Some(signal)) if STOPPING.contains(&signal) || !is_catchable(signal) => {
            SNAPSHOT_PROBLEM.store(NOT_A_SIGNAL, Relaxed);
        }
        Ok(Some(signal)) => {
            if signals::install_where_default(signal, on_signal) {
                SNAPSHOT_SIGNAL.store(signal, Relaxed);
            } else {
                SNAPSHOT_PROBLEM.store(ALREADY_HANDLED, Relaxed);
            }
        }
        Err(()) => SNAPSHOT_PROBLEM.store(NOT_A_SIGNAL, Relaxed),
    }
}

/// A forked child runs untracked: the default actions come back (its handlers would
/// write to the parent's pipe).
pub(crate) fn uninstall_in_child() {
    for signal in STOPPING {
        signals::uninstall(signal, on_signal);
    }
    let snapshot = SNAPSHOT_SIGNAL.load(Relaxed);
    if snapshot != 0 {
        signals::uninstall(snapshot, on_signal);
    }
}

/// What `MEMLEAK_SNAPSHOT_SIGNAL` says was wrong, if anything, for the exit path to tell.
pub(crate) fn snapshot_problem() -> Option<&'static str> {
    match SNAPSHOT_PROBLEM.load(Relaxed) {
        NOT_A_SIGNAL => Some(
            "memleak: MEMLEAK_SNAPSHOT_SIGNAL is not a signal that can take snapshots \
             (SIGUSR1, SIGUSR2, or a number other than SIGINT, SIGTERM, SIGHUP, SIGKILL \
             and SIGSTOP); no snapshots were taken",
        ),
        ALREADY_HANDLED => Some(
            "memleak: the signal MEMLEAK_SNAPSHOT_SIGNAL names was already handled or \
             ignored by the program; no snapshots were taken",
        ),
        _ => None,
    }
}

/// The handler: async-signal-safe, it only writes the signal's number to the pipe.
extern "C" fn on_signal(signal: libc::c_int) {
    if fork::in_child() {
        // A child forked after the handlers were installed and before it could remove
        // them: the default action, as untracked.
        signals::reraise_from_handler(signal);
        return;
    }
    if !signals::is_installed(signal, on_signal) {
        // Called by a handler that replaced ours and chains to it.
        return;
    }
    IN_HANDLER.fetch_add(1, Relaxed);
    signals::notify(u8::try_from(signal).unwrap_or(0));
    IN_HANDLER.fetch_sub(1, Relaxed);
}

/// Waits (a little) until no thread runs [`on_signal`]. The scan reads each thread's
/// stack from where it stood when its registers were taken: taken inside the handler,
/// that would include the red zone the kernel skips below the interrupted frame, dead
/// stack with stale addresses in it.
fn wait_for_handlers() {
    let deadline = Instant::now() + Duration::from_millis(100);
    while IN_HANDLER.load(Relaxed) != 0 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_micros(50));
    }
}

/// The writing thread's body: waits on the pipe, which allocates nothing. Whatever
/// follows takes the reentrancy guard, so the thread's allocations are the tracker's own
/// and it never becomes a thread of the program.
fn write_on_signal() {
    while let Some(byte) = signals::wait_for_byte() {
        let signal = libc::c_int::from(byte);
        if signal == 0 || fork::in_child() {
            continue;
        }
        if signal == SNAPSHOT_SIGNAL.load(Relaxed) {
            write_snapshot();
            continue;
        }
        wait_for_handlers();
        exit::write_final_profile(exit::FinalReason::Signal);
        signals::die_by(signal);
    }
}

fn write_snapshot() {
    let Entry::Entered(_guard) = guard::enter() else {
        return;
    };
    let Some(path) = crate::config::out_path() else {
        return;
    };
    let number = SNAPSHOTS.fetch_add(1, Relaxed) + 1;
    if let Err(error) = exit::write_snapshot_now(&snapshot_path(&path, number)) {
        let _ = writeln!(std::io::stderr(), "{error}");
    }
}

/// `dir/profile.json` → `dir/profile.snapshot-3.json`.
pub(crate) fn snapshot_path(profile: &Path, number: u32) -> PathBuf {
    let stem = profile.file_stem().unwrap_or_default().to_string_lossy();
    let name = match profile.extension() {
        Some(extension) => format!("{stem}.snapshot-{number}.{}", extension.to_string_lossy()),
        None => format!("{stem}.snapshot-{number}"),
    };
    profile.with_file_name(name)
}

/// `MEMLEAK_SNAPSHOT_SIGNAL`'s value: `Ok(None)` unset or empty; a name with or without
/// `SIG` (any case) or a number. Parsed without allocating.
pub(crate) fn parse_signal(raw: Option<&[u8]>) -> Result<Option<libc::c_int>, ()> {
    let Some(text) = raw.map(<[u8]>::trim_ascii).filter(|t| !t.is_empty()) else {
        return Ok(None);
    };
    if text.iter().all(u8::is_ascii_digit) {
        let number = std::str::from_utf8(text).map_err(|_| ())?;
        return number.parse().map(Some).map_err(|_| ());
    }
    let name = match text {
        [s, i, g, rest @ ..] if [s, i, g].map(u8::to_ascii_uppercase) == *b"SIG" => rest,
        _ => text,
    };
    let known = [("USR1", libc::SIGUSR1), ("USR2", libc::SIGUSR2)];
    known
        .iter()
        .find(|(known, _)| name.eq_ignore_ascii_case(known.as_bytes()))
        .map(|&(_, signal)| Some(signal))
        .ok_or(())
}

fn is_catchable(signal: libc::c_int) -> bool {
    signal > 0 && signal < 32 && signal != libc::SIGKILL && signal != libc::SIGSTOP
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snapshot_signals_parse_by_name_or_number() {
        assert_eq!(parse_signal(None), Ok(None));
        assert_eq!(parse_signal(Some(b" ")), Ok(None));
        assert_eq!(parse_signal(Some(b"SIGUSR2")), Ok(Some(libc::SIGUSR2)));
        assert_eq!(parse_signal(Some(b"usr1")), Ok(Some(libc::SIGUSR1)));
        assert_eq!(parse_signal(Some(b"sigusr1")), Ok(Some(libc::SIGUSR1)));
        assert_eq!(parse_signal(Some(b"12")), Ok(Some(12)));
        for bad in [&b"SIGFOO"[..], b"USR3", b"-1", b"1x"] {
            assert_eq!(parse_signal(Some(bad)), Err(()), "{bad:?}");
        }
        assert!(!is_catchable(libc::SIGKILL));
        assert!(is_catchable(libc::SIGUSR2));
    }

    #[test]
    fn snapshots_are_named_beside_the_profile() {
        assert_eq!(
            snapshot_path(Path::new("/t/memleak/leaky/profile.json"), 3),
            PathBuf::from("/t/memleak/leaky/profile.snapshot-3.json")
        );
        assert_eq!(
            snapshot_path(Path::new("out"), 1),
            PathBuf::from("out.snapshot-1")
        );
    }
}
