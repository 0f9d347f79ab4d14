//! Who fills the timeline: a sampler thread every `MEMLEAK_INTERVAL_MS` and at each step
//! of heap activity (`hot::volume`), allocating threads when the tracked heap reaches a
//! new high, and the exit path.
//!
//! The sampler thread is started once, when tracking starts with `MEMLEAK_OUT` set
//! (often inside the first allocation of the process, so it is a bare detached
//! pthread, see `os::spawn_detached`). It holds the reentrancy guard for its whole life:
//! everything it allocates goes to the inner allocator, counted as overhead, and it
//! never shows up as a thread or a leak of the program. It keeps no process alive
//! (`exit` does not wait for it), stops at the exit profile, and does not exist in a
//! forked child (threads do not survive `fork`, and a forked child records nothing).
//!
//! Peak samples add no work to the allocation path: `hot::peak` notes them on the
//! allocating thread and wakes this thread, which reads the footprint (`/proc` files,
//! `mallinfo2`: a millisecond on a big heap) a few microseconds later.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::Relaxed};
use std::time::{Duration, Instant};

use crate::hot::guard::{self, Entry};
use crate::hot::{peak, site, state, stats, volume};
use crate::lifecycle::fork;
use crate::lifecycle::rolling::Rolling;
use crate::lifecycle::timeline::{self, Checkpoint, Sample, SampleKind};
use crate::{config, os};

static STARTED: AtomicBool = AtomicBool::new(false);
static STOPPING: AtomicBool = AtomicBool::new(false);
static THREAD: os::DetachedThread = os::DetachedThread {
    name: c"memleak-sampler",
    entry: run,
};
/// The running sampler's interval; 0 while none runs.
static INTERVAL_MS: AtomicU64 = AtomicU64::new(0);

/// Starts the sampler thread once, unless `MEMLEAK_INTERVAL_MS` is 0. Allocates nothing
/// through the tracker: safe inside the allocator. Without a thread (spawn failed, or a
/// platform without one) the timeline has only its peak and exit samples.
pub(crate) fn start() {
    if STARTED.swap(true, Relaxed) || fork::in_child() {
        return;
    }
    let interval = config::interval_ms();
    if interval == 0 {
        return;
    }
    INTERVAL_MS.store(interval, Relaxed);
    if !os::spawn_detached(&THREAD) {
        INTERVAL_MS.store(0, Relaxed);
    }
}

/// Ends the sampler's loop: the exit profile is being written.
pub(crate) fn stop() {
    STOPPING.store(true, Relaxed);
}

/// The running sampler's interval, 0 when none runs.
pub(crate) fn interval_ms() -> u64 {
    INTERVAL_MS.load(Relaxed)
}

/// The sampler thread's body.
fn run() {
    let Entry::Entered(guard) = guard::enter() else {
        return;
    };
    // Held until the thread is gone, its thread-locals' destructors included.
    std::mem::forget(guard);
    peak::register_sampler(std::thread::current());
    let interval = Duration::from_millis(interval_ms().max(1));
    let mut rolling = Rolling::from_env();
    let mut scratch: Vec<(u32, u64)> = Vec::new();
    let mut due = Instant::now() + interval;
    // No wait first: what was noted before this thread could be woken is taken now.
    let mut wait = Duration::ZERO;
    loop {
        // Woken early for a peak sample or a checkpoint, or by a spurious wake-up: only a
        // due tick ticks.
        if !wait.is_zero() {
            std::thread::park_timeout(wait);
        }
        wait = interval;
        if STOPPING.load(Relaxed) || fork::in_child() {
            return;
        }
        take_pending_peak(true);
        if volume::take_pending() {
            take_activity_checkpoint(&mut scratch);
        }
        let now = Instant::now();
        if let Some(left) = due
            .checked_duration_since(now)
            .filter(|left| !left.is_zero())
        {
            wait = left;
            continue;
        }
        due += interval;
        if due < now {
            // Late (a slow sample, a suspended process): start afresh from now.
            due = now + interval;
        }
        // Off (not started, stopped, or the exit scan's freeze): nothing to sample.
        if state::is_tracking() {
            tick(&mut scratch);
            if let Some(rolling) = &mut rolling {
                rolling.write_if_due(now);
            }
        }
    }
}

/// Takes the peak an allocating thread noted, if any, with the footprint read now. Must
/// run with the reentrancy guard held (the probes allocate). `footprint_now` is `false`
/// at exit without a sampler thread: the peak may be long past, and its footprint is
/// then unknown rather than the exit's.
pub(crate) fn take_pending_peak(footprint_now: bool) {
    let Some(peak) = peak::take_pending() else {
        return;
    };
    let footprint = if footprint_now {
        os::sample_footprint_while_running()
    } else {
        os::Footprint::default()
    };
    timeline::offer_peak(Sample {
        t_ns: peak.t_ns,
        kind: SampleKind::Peak,
        live_bytes: peak.live_bytes,
        live_blocks: peak.live_blocks,
        overhead_bytes: stats::overhead_live_bytes(),
        footprint,
    });
}

/// One interval tick: the sample and the checkpoint the stores still keep at their
/// current resolution, or nothing.
fn tick(scratch: &mut Vec<(u32, u64)>) {
    let wanted = timeline::next_tick();
    if !wanted.sample && !wanted.checkpoint {
        return;
    }
    // First, as the exit snapshot does: the probe sees the process before this tick's
    // own buffers grow it.
    let footprint = os::sample_footprint_while_running();
    let overhead_bytes = stats::overhead_live_bytes();
    let t_ns = state::elapsed_precise_ns();
    let (live_bytes, live_blocks) = live_by_site(scratch, wanted.checkpoint);
    let checkpoint = if wanted.checkpoint {
        timeline::largest_sites(scratch).map(|sites| Checkpoint { t_ns, sites })
    } else {
        None
    };
    let sample = wanted.sample.then_some(Sample {
        t_ns,
        kind: SampleKind::Interval,
        live_bytes,
        live_blocks,
        overhead_bytes,
        footprint,
    });
    timeline::record_interval(sample, checkpoint);
}

/// The heap's live bytes and blocks now; with `by_site`, each site's live bytes in
/// `scratch` too, as `(site id, live bytes)`.
fn live_by_site(scratch: &mut Vec<(u32, u64)>, by_site: bool) -> (u64, u64) {
    let sites = site::all_sites();
    scratch.clear();
    let (mut live_bytes, mut live_blocks) = (0u64, 0u64);
    for site in &sites {
        let counts = site.counts();
        live_bytes += counts.live_bytes;
        live_blocks += counts.live_blocks;
        if by_site && counts.live_bytes > 0 && scratch.try_reserve(1).is_ok() {
            scratch.push((site.id(), counts.live_bytes));
        }
    }
    (live_bytes, live_blocks)
}

/// A checkpoint for heap activity (`hot::volume`), then the next one scheduled.
fn take_activity_checkpoint(scratch: &mut Vec<(u32, u64)>) {
    if state::is_tracking() {
        let t_ns = state::elapsed_precise_ns();
        live_by_site(scratch, true);
        if let Some(sites) = timeline::largest_sites(scratch) {
            timeline::record_activity(Checkpoint { t_ns, sites });
        }
    }
    volume::schedule_next(timeline::activity_step());
}
