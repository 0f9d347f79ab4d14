//! The timeline: samples of the tracked heap, the tracker's overhead and the process's
//! footprint over the run, and checkpoints of each site's live bytes (for growth).
//!
//! Kept bounded for a run of hours: at most [`CAPACITY`] interval samples and as many
//! checkpoints of each kind (by interval, by heap activity). When a store is full,
//! every other entry is dropped and from then on only every second tick (then fourth,
//! ...) is kept: the resolution halves, the span stays
//! the whole run. The peak sample is a single slot, replaced as the heap grows; the exit
//! sample is added when the exit profile is written.
//!
//! All of it lives in the inner allocator (it is only touched with the reentrancy guard
//! held), every allocation is fallible, and a failure drops a sample, never panics.

use parking_lot::Mutex;

use crate::os::Footprint;

/// Interval samples, and checkpoints, kept at most.
pub(crate) const CAPACITY: usize = 256;

/// Sites per checkpoint at most: the largest by live bytes.
pub(crate) const CHECKPOINT_SITES: usize = 4096;

/// Why a sample was taken: the format's own kinds (never `Other`).
pub(crate) use memleak_format::SampleKind;

/// One moment of the run. Plain data: storing one allocates nothing.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Sample {
    /// Nanoseconds since tracking started (`state::elapsed_ns`).
    pub(crate) t_ns: u64,
    pub(crate) kind: SampleKind,
    /// The tracked heap.
    pub(crate) live_bytes: u64,
    pub(crate) live_blocks: u64,
    /// The tracker's own live memory.
    pub(crate) overhead_bytes: u64,
    pub(crate) footprint: Footprint,
}

/// Each site's live bytes at one interval sample: `(site id, live bytes)`, by id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Checkpoint {
    pub(crate) t_ns: u64,
    pub(crate) sites: Vec<(u32, u64)>,
}

/// A list of at most [`CAPACITY`] entries, one per `stride` ticks, that halves its
/// resolution when full.
#[derive(Debug)]
pub(crate) struct Decimated<T> {
    items: Vec<T>,
    stride: u64,
}

impl<T> Decimated<T> {
    pub(crate) const fn new() -> Self {
        Self {
            items: Vec::new(),
            stride: 1,
        }
    }

    /// Whether the entry of tick `tick` (counted from 0) is kept.
    pub(crate) fn keeps(&self, tick: u64) -> bool {
        tick.is_multiple_of(self.stride)
    }

    /// Appends the entry of a kept tick; when that fills the list, drops every other
    /// entry and doubles the stride. Returns false when the list could not grow.
    pub(crate) fn push(&mut self, item: T) -> bool {
        if self.items.try_reserve(1).is_err() {
            return false;
        }
        self.items.push(item);
        if self.items.len() >= CAPACITY {
            // Entries 0, 2, 4...: the ticks that are multiples of the doubled stride.
            let mut keep = false;
            self.items.retain(|_| {
                keep = !keep;
                keep
            });
            self.stride = self.stride.saturating_mul(2);
        }
        true
    }

    pub(crate) fn items(&self) -> &[T] {
        &self.items
    }

    /// Ticks between two kept entries.
    pub(crate) fn stride(&self) -> u64 {
        self.stride
    }
}

/// The sampler's stores.
#[derive(Debug)]
struct Store {
    /// Interval ticks so far.
    ticks: u64,
    samples: Decimated<Sample>,
    checkpoints: Decimated<Checkpoint>,
    /// Checkpoints by heap activity, one per step (see [`activity_step`]).
    activity: Decimated<Checkpoint>,
}

static STORE: Mutex<Store> = Mutex::new(Store {
    ticks: 0,
    samples: Decimated::new(),
    checkpoints: Decimated::new(),
    activity: Decimated::new(),
});

/// The latest peak sample.
static PEAK: Mutex<Option<Sample>> = Mutex::new(None);

/// What the next interval tick must take.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Wanted {
    pub(crate) sample: bool,
    pub(crate) checkpoint: bool,
}

/// Counts an interval tick and says what of it the stores keep. Only the sampler
/// thread calls this (and [`record_interval`] after it).
pub(crate) fn next_tick() -> Wanted {
    let mut store = STORE.lock();
    let tick = store.ticks;
    store.ticks += 1;
    Wanted {
        sample: store.samples.keeps(tick),
        checkpoint: store.checkpoints.keeps(tick),
    }
}

/// Stores what [`next_tick`] asked for.
pub(crate) fn record_interval(sample: Option<Sample>, checkpoint: Option<Checkpoint>) {
    let mut store = STORE.lock();
    if let Some(sample) = sample {
        store.samples.push(sample);
    }
    if let Some(checkpoint) = checkpoint {
        store.checkpoints.push(checkpoint);
    }
}

/// Stores a checkpoint taken for heap activity.
pub(crate) fn record_activity(checkpoint: Checkpoint) {
    STORE.lock().activity.push(checkpoint);
}

/// The heap activity between two activity checkpoints now: the first step, doubled each
/// time their store halved its resolution.
pub(crate) fn activity_step() -> u64 {
    let stride = STORE.lock().activity.stride();
    crate::hot::volume::FIRST_STEP.saturating_mul(stride)
}

/// Keeps `sample` as the peak sample unless one with more live bytes is there. Never
/// waits long: called on an allocating thread, it gives up if the slot stays busy.
pub(crate) fn offer_peak(sample: Sample) {
    for _ in 0..64 {
        if let Some(mut slot) = PEAK.try_lock() {
            if slot
                .as_ref()
                .is_none_or(|kept| kept.live_bytes <= sample.live_bytes)
            {
                *slot = Some(sample);
            }
            return;
        }
        std::hint::spin_loop();
    }
}

/// The timeline as a profile carries it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Timeline {
    /// The sampler's interval; 0 when no sampler ran.
    pub(crate) interval_ms: u64,
    /// Sorted by `t_ns`; the exit sample, if any, last.
    pub(crate) samples: Vec<Sample>,
    pub(crate) checkpoints: Vec<Checkpoint>,
}

/// A copy of the timeline so far, with `exit` appended as its last sample. `None` when
/// memory for the copy ran out.
pub(crate) fn snapshot(interval_ms: u64, exit: Option<Sample>) -> Option<Timeline> {
    let peak = PEAK.lock().clone();
    let store = STORE.lock();
    let intervals = store.samples.items();
    let mut samples = Vec::new();
    samples.try_reserve_exact(intervals.len() + 2).ok()?;
    samples.extend_from_slice(intervals);
    let mut checkpoints = copy_checkpoints(store.checkpoints.items())?;
    let activity = copy_checkpoints(store.activity.items())?;
    drop(store);
    checkpoints.try_reserve_exact(activity.len()).ok()?;
    checkpoints.extend(activity);
    checkpoints.sort_by_key(|checkpoint| checkpoint.t_ns);
    if let Some(peak) = peak {
        let at = samples.partition_point(|s| s.t_ns <= peak.t_ns);
        samples.insert(at, peak);
    }
    if let Some(mut exit) = exit {
        let last = samples.last().map_or(0, |s| s.t_ns);
        exit.t_ns = exit.t_ns.max(last);
        samples.push(exit);
    }
    Some(Timeline {
        interval_ms,
        samples,
        checkpoints,
    })
}

fn copy_checkpoints(from: &[Checkpoint]) -> Option<Vec<Checkpoint>> {
    let mut copy = Vec::new();
    copy.try_reserve_exact(from.len()).ok()?;
    for checkpoint in from {
        let mut sites = Vec::new();
        sites.try_reserve_exact(checkpoint.sites.len()).ok()?;
        sites.extend_from_slice(&checkpoint.sites);
        copy.push(Checkpoint {
            t_ns: checkpoint.t_ns,
            sites,
        });
    }
    Some(copy)
}

/// Keeps the [`CHECKPOINT_SITES`] largest of `all` (site id, live bytes) pairs, sorted
/// by id, in an exactly sized list. `all` is reordered. `None` when out of memory.
pub(crate) fn largest_sites(all: &mut [(u32, u64)]) -> Option<Vec<(u32, u64)>> {
    let kept = if all.len() > CHECKPOINT_SITES {
        all.select_nth_unstable_by(CHECKPOINT_SITES - 1, |a, b| b.1.cmp(&a.1));
        all.get_mut(..CHECKPOINT_SITES)?
    } else {
        all
    };
    kept.sort_unstable_by_key(|&(id, _)| id);
    let mut sites = Vec::new();
    sites.try_reserve_exact(kept.len()).ok()?;
    sites.extend_from_slice(kept);
    Some(sites)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_full_store_halves_its_resolution_and_keeps_the_whole_span() {
        let mut store = Decimated::new();
        let mut pushed = 0;
        for tick in 0..10_000u64 {
            if store.keeps(tick) {
                assert!(store.push(tick));
                pushed += 1;
            }
            assert!(store.items().len() < CAPACITY);
        }
        // 10 000 ticks in at most 255 entries: the stride grew to 64.
        assert_eq!(store.stride(), 64);
        let items = store.items();
        assert_eq!(items.first(), Some(&0));
        assert!(items.windows(2).all(|w| w[1] - w[0] == 64), "{items:?}");
        assert!(*items.last().unwrap() >= 10_000 - 64);
        assert!(pushed > items.len());
    }

    #[test]
    fn halving_drops_every_other_entry() {
        let mut store = Decimated::new();
        for tick in 0..CAPACITY as u64 {
            assert!(store.keeps(tick));
            store.push(tick);
        }
        assert_eq!(store.stride(), 2);
        assert_eq!(store.items().len(), CAPACITY / 2);
        assert!(store.items().iter().all(|tick| tick % 2 == 0));
        assert!(!store.keeps(CAPACITY as u64 + 1));
        assert!(store.keeps(CAPACITY as u64 + 2));
    }

    #[test]
    fn checkpoints_keep_the_largest_sites_by_id() {
        let mut all: Vec<(u32, u64)> = (0..5000u32).map(|id| (id, u64::from(id % 7))).collect();
        let kept = largest_sites(&mut all).unwrap();
        assert_eq!(kept.len(), CHECKPOINT_SITES);
        assert!(kept.windows(2).all(|w| w[0].0 < w[1].0));
        // 5000 sites, 714 or so of each value 0..7: the dropped ones are the smallest.
        let smallest_kept = kept.iter().map(|&(_, bytes)| bytes).min().unwrap();
        let dropped_max = (0..5000u32)
            .filter(|id| !kept.iter().any(|&(k, _)| k == *id))
            .map(|id| u64::from(id % 7))
            .max()
            .unwrap();
        assert!(dropped_max <= smallest_kept);
        let mut few = vec![(9, 1), (2, 5)];
        assert_eq!(largest_sites(&mut few).unwrap(), vec![(2, 5), (9, 1)]);
    }

    fn sample(t_ns: u64, kind: SampleKind, live_bytes: u64) -> Sample {
        Sample {
            t_ns,
            kind,
            live_bytes,
            live_blocks: 1,
            overhead_bytes: 0,
            footprint: Footprint::default(),
        }
    }

    #[test]
    fn the_peak_goes_in_at_its_time_and_the_exit_last() {
        // The only test that touches the process-wide stores.
        for t in [10, 20, 30] {
            let wanted = next_tick();
            assert!(wanted.sample && wanted.checkpoint);
            let checkpoint = Checkpoint {
                t_ns: t,
                sites: vec![(0, t)],
            };
            record_interval(Some(sample(t, SampleKind::Interval, t)), Some(checkpoint));
        }
        offer_peak(sample(25, SampleKind::Peak, 500));
        offer_peak(sample(27, SampleKind::Peak, 400));
        let timeline = snapshot(10, Some(sample(5, SampleKind::Exit, 0))).unwrap();
        let kinds: Vec<_> = timeline.samples.iter().map(|s| (s.t_ns, s.kind)).collect();
        assert_eq!(
            kinds,
            vec![
                (10, SampleKind::Interval),
                (20, SampleKind::Interval),
                (25, SampleKind::Peak),
                (30, SampleKind::Interval),
                (30, SampleKind::Exit),
            ]
        );
        assert_eq!(timeline.samples[2].live_bytes, 500);
        assert_eq!(timeline.checkpoints.len(), 3);
        assert_eq!(timeline.checkpoints[1].sites, vec![(0, 20)]);
    }
}
