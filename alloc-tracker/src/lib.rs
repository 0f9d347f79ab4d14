//! An instrumenting global allocator: records every allocation's call site, size and
//! lifetime, and writes a profile that `cargo memleak` turns into a leak report.
//!
//! # Quick start
//!
//! In your crate's `Cargo.toml`, so normal builds do not even compile the tracker (a
//! path dependency on the `alloc-tracker` folder of a cargo-memleak checkout until the
//! crate is on crates.io), and so they do not warn about `cfg(memleak)`:
//!
//! ```toml
//! [target.'cfg(memleak)'.dependencies]
//! memleak = { path = "/path/to/cargo-memleak/alloc-tracker" }
//!
//! [lints.rust]
//! unexpected_cfgs = { level = "warn", check-cfg = ["cfg(memleak)"] }
//! ```
//!
//! In `src/lib.rs` if the package has a library (it then covers the binaries, tests
//! and examples that use it), else in `src/main.rs`; never in both, since a program has
//! one global allocator:
//!
//! ```
//! #[cfg(memleak)]
//! #[global_allocator]
//! static ALLOC: memleak::TrackingAlloc = memleak::TrackingAlloc::system();
//! # fn main() {}
//! ```
//!
//! Then `cargo memleak run` builds with `--cfg memleak` and frame pointers, runs the
//! program with `MEMLEAK_OUT` set, and reports what was still live at exit.
//!
//! # In tests
//!
//! With `TrackingAlloc` as the test binary's global allocator, a test asserts on its own
//! memory under plain `cargo test`, exactly, while libtest runs the others in parallel:
//! [`leaks`], [`assert_no_leaks`], [`limit_memory`], [`assert_no_alloc`] and, for async
//! //! tests, [`leaks_future`]; [`HeapStats::get`] gives the heap's figures. They count the
//! allocations of the calling thread (the future's polls) and of the threads it starts
//! and joins inside, freed by any thread. Scopes do not nest.
//! Without the tracker installed, each panics with the lines to add.
//!
//! # How it works
//!
//! Each allocation's stack is captured by walking the frame-pointer chain (the unwinder
//! is the fallback where the chain is broken), hashed, and interned once into a site
//! table; the live block is recorded in one of 64 address-hashed shards. A thread-local
//! reentrancy guard, taken before any lock, sends the tracker's own allocations straight
//! to the inner allocator. At exit an `atexit` hook writes the profile atomically to
//! `MEMLEAK_OUT` (`%p` becomes the pid). The tracked process only records: stacks stay
//! return addresses, written with the module map (each loaded object's path, load bias
//! and build id), and leak-report symbolizes them at report time. The format is
//! described in `docs/profile-format.md`.
//!
//! # Configuration
//!
//! | variable | meaning |
//! |---|---|
//! | `MEMLEAK_OUT` | the profile's path; unset or empty, nothing is recorded or written |
//! | `MEMLEAK_SAMPLE_BYTES` | record one allocation per that many bytes on average (Poisson sampling by bytes: `524288`, `512k`); counters become unbiased estimates and the exit scan is off. Unset or `0`: every allocation |
//! | `MEMLEAK_INTERVAL_MS` | milliseconds between the timeline's samples (default 100; `0`: no tracker threads, so no sampler and no profile on signals) |
//! | `MEMLEAK_SNAPSHOT_SIGNAL` | a signal (`SIGUSR1`, `SIGUSR2`, a number) that writes a snapshot, `NAME.snapshot-N.EXT` beside `MEMLEAK_OUT`, and lets the program run on |
//! | `MEMLEAK_SNAPSHOT_INTERVAL` | how often the sampler thread replaces a rolling snapshot, `NAME.rolling.EXT` beside `MEMLEAK_OUT` (`30s`, `5m`, `500ms`, `1h`; a bare number is seconds): the heap in use for a continuous profiler, see `docs/continuous-profiling.md` |
//!
//! # Caveats
//!
//! - Blocks allocated before the first allocation of the process are not seen; nothing
//!   is, since the decision is taken at that first allocation.
//! - SIGINT, SIGTERM and SIGHUP write the profile when the program leaves them at their
//!   default action (a thread named `memleak-signals` writes it, then the default action
//!   ends the process with the status it would have untracked). A process killed by
//!   SIGKILL or a crash signal, or ended by `abort` or `_exit`, writes none.
//! - A child made by `fork` runs untracked and writes no profile (the parent's tables
//!   may be locked by threads the child does not have); after `exec` it starts afresh.
//! - `peak_live_bytes` is exact to within [`PEAK_SLACK_BYTES`] per thread.
//! - Builds without frame pointers fall back to the (much slower) unwinder.
//! - With `MEMLEAK_OUT` set, a thread named `memleak-sampler` samples the timeline every
//!   `MEMLEAK_INTERVAL_MS`. Its allocations are the tracker's own (untracked), it never
//!   delays exit, and a forked child does not have it. A program that must stay
//!   single-threaded (to `unshare(CLONE_NEWUSER)`, say) runs with `MEMLEAK_INTERVAL_MS=0`.
#![deny(missing_docs)]
#![deny(unsafe_code)]

#[expect(
    unsafe_code,
    reason = "implementing GlobalAlloc is unsafe by definition"
)]
mod alloc;
mod config;
mod error;
mod hot;
#[doc(hidden)]
pub mod interposer;
mod lifecycle;
#[expect(
    unsafe_code,
    reason = "OS probes and the frame walk need libc and raw reads"
)]
mod os;
mod output;
mod scopes;

use std::path::Path;

pub use alloc::TrackingAlloc;
pub use error::Error;
use hot::{guard, shard, site, stats};
use lifecycle::{exit, start};
pub use scopes::checks::{assert_no_alloc, assert_no_leaks, leaks, limit_memory};
pub use scopes::future::{LeaksFuture, leaks_future};
pub use scopes::heap_stats::{HeapCounts, HeapStats};
pub use scopes::leaks::{LeakSite, Leaks};
pub use scopes::symbols::Frame;

pub use hot::stats::{PEAK_SLACK_BYTES, Stats};
pub use memleak_format::{FORMAT as PROFILE_FORMAT, VERSION as PROFILE_VERSION};

/// Embedded in every binary that uses the tracker, so `cargo memleak` can tell a target
/// that does not from one that crashed before writing its profile.
#[used]
pub static MARKER: [u8; 25] = *b"memleak:tracker-marker:v1";

/// Turns recording on in this process, whether or not `MEMLEAK_OUT` is set (tests and
/// benchmarks use it). Blocks allocated before are not tracked; their frees are counted
/// as `unknown_frees`.
pub fn start() {
    start::start();
}

/// Whether allocations are being recorded now.
#[must_use]
pub fn is_tracking() -> bool {
    start::is_tracking_deciding()
}

/// Totals over the run so far. Cheap enough to call often; allocates only inside the
/// tracker.
#[must_use]
pub fn stats() -> Stats {
    let guard = guard::enter();
    let sites = site::all_sites();
    let stats = stats::collect(&sites);
    drop(guard);
    stats
}

/// Test hook, not part of the API: holds every lock of the tracker's tables (the site
/// table's, which are `parking_lot` locks, and the live blocks' spin locks) for
/// `duration`, so that other threads' allocations wait on them: those interning a new
/// site park, and parking grows parking_lot's table, which allocates.
#[doc(hidden)]
pub fn __hold_tables_for_test(duration: std::time::Duration) {
    let guard = guard::enter();
    if matches!(guard, guard::Entry::Entered(_)) {
        let mut held: Vec<Box<dyn Send>> = Vec::new();
        site::lock_for_fork(&mut held);
        shard::lock_for_fork(&mut held);
        std::thread::sleep(duration);
        drop(held);
    }
    drop(guard);
}

/// Writes a profile of the current state to `path` now (the exit hook writes one to
/// `MEMLEAK_OUT` anyway).
///
/// # Errors
///
/// When the file cannot be written, or when called from inside the allocator.
pub fn write_profile(path: impl AsRef<Path>) -> Result<(), Error> {
    exit::write_on_request(path.as_ref())
}
