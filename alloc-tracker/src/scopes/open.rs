//! Opening and closing a scope: the calling thread's allocations (and those of the
//! threads it starts) are counted until it closes. Scopes do not nest. A scope that
//! cannot see allocations (the tracker is not the global allocator) panics with the
//! lines to add.

use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::time::{Duration, Instant};

use parking_lot::Mutex;

use crate::hot::counting;
use crate::hot::scope::{self, Counts};
use crate::hot::state;
use crate::lifecycle::start;

/// Scope ids so far; 0 is "no scope".
static NEXT_ID: AtomicU64 = AtomicU64::new(0);
/// Scopes open now: the first and the last switch the hot path's state.
static OPEN: Mutex<usize> = Mutex::new(0);

/// What to add when the tracker is not the global allocator.
pub(crate) const SETUP: &str = "\
add these lines to the crate root of the test binary (src/lib.rs for unit tests, the \
test file for an integration test), as a dev-only allocator if you like:

    #[global_allocator]
    static ALLOC: memleak::TrackingAlloc = memleak::TrackingAlloc::system();
";

/// Starts `HeapStats`' counting, once: the hot path then sees every event, as while a
/// scope is open, for good.
pub(crate) fn start_counting() {
    start::is_tracking_deciding();
    let _open = OPEN.lock();
    if counting::start() {
        state::open_scoped();
    }
}

/// An open scope; dropping it (when the closure panics) closes it.
#[derive(Debug)]
pub(crate) struct Scope {
    id: u64,
    open: bool,
    /// While suspended (a future between polls): where to resume.
    suspended: Option<(u64, usize)>,
}

impl Scope {
    /// Opens a scope on the calling thread for `api` (the function's name, for the
    /// messages). `limit`: live bytes above which the top site is noted at each peak.
    #[track_caller]
    pub(crate) fn open(api: &str, limit: Option<u64>) -> Self {
        // Settles whether the tracker records, so the state below is OFF or ON.
        start::is_tracking_deciding();
        assert!(
            scope::current() == 0,
            "memleak::{api}: scopes do not nest; this thread is already inside \
             memleak::leaks, limit_memory or assert_no_alloc"
        );
        let id = NEXT_ID.fetch_add(1, Relaxed) + 1;
        {
            let mut open = OPEN.lock();
            if *open == 0 {
                scope::set_any_open(true);
                state::open_scoped();
            }
            *open += 1;
        }
        let mut scope = Self {
            id,
            open: true,
            suspended: None,
        };
        if !scope::open(id, limit) {
            scope.close();
            panic!(
                "memleak::{api}: more than {} scopes are open at once",
                scope::SLOTS
            );
        }
        if !scope.sees_allocations() {
            scope.close();
            panic!(
                "memleak::{api}: the memleak tracker is not this program's global \
                 allocator, so it cannot see any allocation; {SETUP}"
            );
        }
        scope
    }

    /// Allocates and frees one probe block: the scope must have counted it. The counts
    /// start afresh afterwards.
    fn sees_allocations(&mut self) -> bool {
        let probe = std::hint::black_box(Box::new(0x6d65_6d6c_6561_6b00_u64));
        drop(probe);
        scope::reset_counts() >= 1
    }

    /// Takes the calling thread out of the scope until [`resume`](Self::resume); the
    /// scope stays open (frees of its blocks still count).
    pub(crate) fn suspend(&mut self) {
        self.suspended = scope::suspend();
    }

    /// Puts the calling thread (perhaps another than before) back in the scope.
    #[track_caller]
    pub(crate) fn resume(&mut self, api: &str) {
        assert!(
            scope::current() == 0,
            "memleak::{api}: scopes do not nest; this thread is already inside \
             memleak::leaks, limit_memory or assert_no_alloc"
        );
        if let Some(at) = self.suspended.take() {
            scope::resume(at);
        }
    }

    /// Closes the scope; what it counted.
    pub(crate) fn close(&mut self) -> Counts {
        if !std::mem::replace(&mut self.open, false) {
            return Counts::default();
        }
        wait_for_started_threads(self.id);
        let counts = scope::close(self.id).unwrap_or_default();
        let mut open = OPEN.lock();
        *open = open.saturating_sub(1);
        if *open == 0 {
            scope::set_any_open(false);
            if !counting::is_on() {
                state::close_scoped();
            }
        }
        counts
    }
}

/// How long a scope's close waits for the threads it started to exit: a thread
/// `std::thread::scope` waited for has run its closure but may still be exiting.
const THREAD_EXIT_WAIT: Duration = Duration::from_millis(100);

/// Waits, up to [`THREAD_EXIT_WAIT`], until the threads scope `id` started have exited.
fn wait_for_started_threads(id: u64) {
    let start = Instant::now();
    while scope::threads_running(id) && start.elapsed() < THREAD_EXIT_WAIT {
        std::thread::sleep(Duration::from_millis(1));
    }
}

impl Drop for Scope {
    fn drop(&mut self) {
        self.close();
    }
}
