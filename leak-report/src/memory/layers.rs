//! Where the process's memory went, at the heap's peak and at exit (DESIGN.md, "The three
//! layers"): the resident set split into the tracked heap, the tracker's overhead,
//! malloc's per-block overhead, native allocations, malloc's free space, other anonymous
//! memory and file-backed pages, each number derived from one footprint and the tracker's
//! figures of the same moment. The text is in the `memory_text` module.

use crate::memory::chunks::BlockOverhead;
use crate::profile::footprint::Footprint;
use crate::profile::loaded::Profile;
use crate::profile::timeline::{Sample, peak_sample};

/// The process's memory by layer at one moment.
///
/// `None` where an input was unknown. With nothing clamped at zero, the parts add up to
/// the resident set: `rss = tracked_heap + tracker_overhead + malloc_overhead + native +
/// allocator_free + other_anonymous + file_backed`. They never exceed it: what malloc
/// and the tracker count beyond the resident anonymous memory is
/// [`not_resident`](Self::not_resident), apart.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Layers {
    /// When: nanoseconds since tracking started.
    pub t_ns: u64,
    /// OS layer: the resident set.
    pub rss: Option<u64>,
    /// Tracker layer: bytes live in blocks the tracker saw, as requested, the resident
    /// part (see [`heap_not_resident`](Self::heap_not_resident)).
    pub tracked_heap: u64,
    /// The tracker's live bytes at that moment, resident or not.
    pub live_bytes: u64,
    /// Tracker layer: bytes the tracker itself held from the allocator.
    pub tracker_overhead: Option<u64>,
    /// Allocator layer: what malloc spent on the tracked blocks beyond their size (chunk
    /// headers, rounding; see the `chunks` module). Exact at exit (from every live
    /// block's size), an estimate at the peak (see [`estimated`](Self::estimated)).
    pub malloc_overhead: Option<u64>,
    /// Allocator layer minus the tracker's: what malloc handed out that went through no
    /// Rust allocation, `malloc in use + mmapped - tracked_heap - tracker_overhead -
    /// malloc_overhead`, at least 0: C/FFI `malloc`, libc's own buffers. With the
    /// tracker's overhead unknown, it includes that.
    pub native: Option<u64>,
    /// Allocator layer: bytes malloc keeps but has not handed out (free space between
    /// live blocks, the top of its heaps), the resident part: an estimate when
    /// [`not_resident`](Self::not_resident) is not 0.
    pub allocator_free: Option<u64>,
    /// What malloc and the tracker count beyond the resident anonymous memory (not part
    /// of the resident set; see `fit_to_resident`). `None` without the anonymous figure.
    pub not_resident: Option<u64>,
    /// Whether part of the tracked heap was not resident, so `tracked_heap` is less than
    /// the bytes live then.
    pub heap_not_resident: bool,
    /// How many arenas malloc runs (glibc, at exit).
    pub arenas: Option<u64>,
    /// Of malloc's free space, the bytes in arenas other than the main one (glibc, at
    /// exit).
    pub free_outside_main_arena: Option<u64>,
    /// Of malloc's free space, the main heap's top chunk, which `malloc_trim` would
    /// give back.
    pub releasable: Option<u64>,
    /// OS layer minus allocator layer: resident anonymous memory malloc does not account
    /// for, `anonymous - (in use + free + mmapped)`, at least 0: thread stacks, direct
    /// `mmap`.
    pub other_anonymous: Option<u64>,
    /// OS layer: resident file mappings (code, data files) and shared memory.
    pub file_backed: Option<u64>,
    /// OS layer: swapped-out memory (not part of the resident set).
    pub swap: Option<u64>,
    /// System-wide memory pressure: `"normal"`, `"warning"` or `"critical"`.
    pub pressure: Option<String>,
    /// Whether `malloc_overhead` (and so `native`) is an estimate: from the block count
    /// and the average per-block overhead at exit, as at the peak only totals are known.
    pub estimated: bool,
    /// Where the OS figures came from (`"smaps_rollup"`, `"statm"`, ...).
    pub os_source: Option<String>,
}

/// The layers at the heap's peak and at exit ([`Report::layers`](crate::Report::layers)).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct MemoryLayers {
    /// At the `peak` sample of the timeline, or without one, at the sample before exit
    /// with the most tracked live bytes; `None` without such samples (a profile without
    /// a timeline, a run too short to sample before exit).
    pub at_peak: Option<Layers>,
    /// When the profile was written, from its footprint (or its `exit` sample's); `None`
    /// without either (an older profile).
    pub at_exit: Option<Layers>,
}

/// The tracker's figures of one moment, to go with its footprint.
struct Tracked {
    t_ns: u64,
    live_bytes: u64,
    overhead: Option<u64>,
    malloc_overhead: u64,
    estimated: bool,
}

impl Layers {
    /// The layers from a footprint (or none) and the tracker's figures of that moment.
    fn derive(footprint: Option<&Footprint>, tracked: &Tracked) -> Self {
        let heap = tracked.live_bytes;
        let malloc = footprint.and_then(|f| f.malloc.as_ref());
        let in_use = malloc.and_then(|m| m.in_use);
        let mmapped = malloc.and_then(|m| m.mmapped);
        let free = malloc.and_then(|m| m.free);
        let handed_out = in_use.zip(mmapped).map(|(a, b)| a.saturating_add(b));
        let malloc_total = handed_out.zip(free).map(|(a, b)| a.saturating_add(b));
        let seen = heap
            .saturating_add(tracked.overhead.unwrap_or(0))
            .saturating_add(tracked.malloc_overhead);
        let anonymous = footprint.and_then(|f| f.anonymous);
        let mut layers = Self {
            t_ns: tracked.t_ns,
            rss: footprint.and_then(|f| f.rss),
            tracked_heap: heap,
            live_bytes: heap,
            tracker_overhead: tracked.overhead,
            malloc_overhead: handed_out.map(|_| tracked.malloc_overhead),
            native: handed_out.map(|handed_out| handed_out.saturating_sub(seen)),
            allocator_free: free,
            not_resident: None,
            heap_not_resident: false,
            arenas: malloc.and_then(|m| m.arenas),
            free_outside_main_arena: malloc.and_then(|m| m.free_outside_main_arena),
            releasable: malloc.and_then(|m| m.releasable),
            other_anonymous: anonymous
                .zip(malloc_total)
                .map(|(anonymous, malloc)| anonymous.saturating_sub(malloc)),
            file_backed: footprint.and_then(|f| f.file_backed),
            swap: footprint.and_then(|f| f.swap),
            pressure: footprint
                .and_then(|f| f.pressure.as_ref())
                .and_then(|p| p.level.clone()),
            estimated: tracked.estimated,
            os_source: footprint.and_then(|f| f.source.clone()),
        };
        if let Some(anonymous) = anonymous {
            layers.fit_to_resident(anonymous);
        }
        layers
    }

    /// Keeps the anonymous parts within the resident anonymous memory. malloc counts
    /// the space it mapped, resident or not, and the tracker the bytes asked for,
    /// written or not: what exceeds `anonymous` is not resident. It is taken from
    /// malloc's free space first (an arena's heap is mapped ahead of use, and pages of
    /// free chunks may never have been touched), then from native memory, then from the
    /// tracked heap (a zeroed block from `calloc` is not resident until written), and
    /// is [`not_resident`](Self::not_resident). Other anonymous memory, a remainder, goes
    /// first.
    fn fit_to_resident(&mut self, anonymous: u64) {
        let resident: u64 = [
            Some(self.tracked_heap),
            self.tracker_overhead,
            self.malloc_overhead,
            self.native,
            self.allocator_free,
            self.other_anonymous,
        ]
        .into_iter()
        .flatten()
        .fold(0, u64::saturating_add);
        let mut left = resident.saturating_sub(anonymous);
        // A remainder that counts a second time what malloc's counters missed (the
        // tracked heap of an allocator that is not malloc): no memory is lost by it.
        if let Some(other) = &mut self.other_anonymous {
            let taken = left.min(*other);
            *other -= taken;
            left -= taken;
        }
        let excess = left;
        for part in [&mut self.allocator_free, &mut self.native]
            .into_iter()
            .flatten()
        {
            let taken = left.min(*part);
            *part -= taken;
            left -= taken;
        }
        let taken = left.min(self.tracked_heap);
        self.tracked_heap -= taken;
        self.heap_not_resident = taken > 0;
        self.not_resident = Some(excess - (left - taken));
    }

    /// The layers of a timeline sample, malloc's per-block overhead estimated from the
    /// average at exit.
    pub(crate) fn of_sample(sample: &Sample, at_exit: BlockOverhead) -> Self {
        let tracked = Tracked {
            t_ns: sample.t_ns,
            live_bytes: sample.live_bytes,
            overhead: sample.overhead_bytes,
            malloc_overhead: at_exit.estimate(sample.live_blocks),
            estimated: true,
        };
        Self::derive(sample.footprint.as_ref(), &tracked)
    }

    /// Under the interposer the tracker saw native code's blocks too: `bytes` of the
    /// tracked heap are native (`estimated` when the split is the exit's share).
    pub(crate) fn move_native(&mut self, bytes: u64, estimated: bool) {
        let bytes = bytes.min(self.tracked_heap);
        self.tracked_heap -= bytes;
        self.native = Some(self.native.unwrap_or(0).saturating_add(bytes));
        self.estimated |= estimated;
    }

    /// The parts that make up the resident set, with their names, in the order of the
    /// text report: `None` where unknown.
    pub(crate) fn parts(&self) -> [(Part, Option<u64>); 7] {
        [
            (Part::TrackedHeap, Some(self.tracked_heap)),
            (Part::TrackerOverhead, self.tracker_overhead),
            (Part::MallocOverhead, self.malloc_overhead),
            (Part::Native, self.native),
            (Part::AllocatorFree, self.allocator_free),
            (Part::OtherAnonymous, self.other_anonymous),
            (Part::FileBacked, self.file_backed),
        ]
    }
}

/// One part of the resident set.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Part {
    TrackedHeap,
    TrackerOverhead,
    MallocOverhead,
    Native,
    AllocatorFree,
    OtherAnonymous,
    FileBacked,
}

impl Part {
    /// Its name in the text report and the layers flamegraph.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Self::TrackedHeap => "tracked heap",
            Self::TrackerOverhead => "tracker overhead",
            Self::MallocOverhead => "malloc per-block overhead",
            Self::Native => "native (malloc, not via Rust)",
            Self::AllocatorFree => "malloc free space",
            Self::OtherAnonymous => "other anonymous",
            Self::FileBacked => "file-backed",
        }
    }
}

impl MemoryLayers {
    /// The layers at the peak and at exit; `at_exit` is malloc's overhead for the blocks
    /// live at exit.
    pub(crate) fn derive(profile: &Profile, at_exit: BlockOverhead) -> Self {
        let timeline = profile.timeline();
        let exit_sample = timeline.and_then(|timeline| timeline.exit());
        let footprint = profile
            .footprint()
            .or_else(|| exit_sample.and_then(|sample| sample.footprint.as_ref()));
        let exit = footprint.map(|footprint| {
            let totals = profile.totals();
            let tracked = Tracked {
                t_ns: profile.elapsed_ns(),
                live_bytes: totals.live_bytes,
                overhead: totals
                    .overhead_bytes
                    .or_else(|| exit_sample.and_then(|sample| sample.overhead_bytes)),
                malloc_overhead: at_exit.bytes,
                estimated: false,
            };
            Layers::derive(Some(footprint), &tracked)
        });
        let peak = timeline.and_then(|timeline| peak_sample(&timeline.samples));
        Self {
            at_peak: peak.map(|peak| Layers::of_sample(peak, at_exit)),
            at_exit: exit,
        }
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use serde_json::{Value, json};

    use super::*;
    use crate::memory::chunks;
    use crate::symbols::load::parse_profile;
    use crate::testing::{LEAKY, full};

    /// The leaky fixture (11,568 bytes live in 103 blocks) with `totals.overhead_bytes`,
    /// `footprint` and `timeline` set where given.
    fn memory(
        overhead: Option<u64>,
        footprint: Option<Value>,
        timeline: Option<Value>,
    ) -> MemoryLayers {
        let mut value: Value = serde_json::from_str(LEAKY).unwrap();
        if let Some(overhead) = overhead {
            value["totals"]["overhead_bytes"] = overhead.into();
        }
        if let Some(footprint) = footprint {
            value["footprint"] = footprint;
        }
        if let Some(timeline) = timeline {
            value["timeline"] = timeline;
        }
        let profile = parse_profile(Path::new("/p.json"), value.to_string().as_bytes()).unwrap();
        MemoryLayers::derive(&profile, BlockOverhead::of_live(&profile))
    }

    /// The fixture's live blocks: 100 of 64 bytes (16 each), one of 4096 (16), one of
    /// 1024 (16), one of 48 (16)... as the chunk model says.
    fn fixture_overhead() -> u64 {
        let value: Value = serde_json::from_str(LEAKY).unwrap();
        value["live"]
            .as_array()
            .unwrap()
            .iter()
            .map(|block| chunks::overhead(block["size"].as_u64().unwrap()))
            .sum()
    }

    #[test]
    fn at_exit_the_parts_add_up_to_the_rss() {
        let layers = memory(Some(20_000), Some(full()), None);
        assert_eq!(layers.at_peak, None);
        let exit = layers.at_exit.unwrap();
        let overhead = fixture_overhead();
        assert_eq!(overhead, 103 * 16);
        assert_eq!(
            exit,
            Layers {
                t_ns: 1_234_567,
                rss: Some(3_678_208),
                tracked_heap: 11_568,
                live_bytes: 11_568,
                tracker_overhead: Some(20_000),
                malloc_overhead: Some(overhead),
                native: Some(42_288 - 11_568 - 20_000 - overhead),
                allocator_free: Some(92_880),
                not_resident: Some(0),
                heap_not_resident: false,
                arenas: None,
                free_outside_main_arena: None,
                releasable: None,
                other_anonymous: Some(286_720 - 42_288 - 92_880),
                file_backed: Some(3_391_488),
                swap: Some(0),
                pressure: Some("normal".to_owned()),
                estimated: false,
                os_source: Some("smaps_rollup".to_owned()),
            }
        );
        let sum: u64 = exit.parts().iter().map(|(_, bytes)| bytes.unwrap()).sum();
        assert_eq!(sum, 3_678_208);
    }

    #[test]
    fn at_the_peak_the_overhead_is_estimated_from_the_exit_average() {
        let peak_footprint = json!({"rss": 9_000_000, "anonymous": 5_000_000, "file_backed": 4_000_000,
            "malloc": {"in_use": 2_000_000, "free": 10_000, "mmapped": 1_000_000},
            "pressure": {"level": "warning"}});
        let timeline = json!({"samples": [
            {"t_ns": 5, "kind": "interval", "live_bytes": 1},
            {"t_ns": 10, "kind": "peak", "live_bytes": 2_500_000, "live_blocks": 1030,
             "overhead_bytes": 100_000, "footprint": peak_footprint},
            {"t_ns": 20, "kind": "exit", "live_bytes": 11_568, "live_blocks": 103},
        ]});
        let layers = memory(None, Some(full()), Some(timeline));
        let peak = layers.at_peak.unwrap();
        assert!(peak.estimated);
        assert_eq!(peak.t_ns, 10);
        // 1030 blocks at the exit's 16 bytes a block.
        assert_eq!(peak.malloc_overhead, Some(16_480));
        assert_eq!(peak.native, Some(3_000_000 - 2_500_000 - 100_000 - 16_480));
        assert_eq!(peak.other_anonymous, Some(5_000_000 - 3_010_000));
        assert_eq!(peak.pressure.as_deref(), Some("warning"));
        // The tracker's overhead is unknown at exit: native then includes it.
        let exit = layers.at_exit.unwrap();
        assert_eq!(exit.tracker_overhead, None);
        assert_eq!(exit.native, Some(42_288 - 11_568 - 103 * 16));
    }

    #[test]
    fn without_a_footprint_the_exit_sample_stands_in() {
        let timeline = json!({"samples": [
            {"t_ns": 20, "kind": "exit", "live_bytes": 11_568, "live_blocks": 103,
             "overhead_bytes": 7, "footprint": {"rss": 123, "malloc": null}},
        ]});
        let layers = memory(None, None, Some(timeline));
        // No `peak` sample, and none before exit: no peak.
        assert_eq!(layers.at_peak, None);
        let exit = layers.at_exit.unwrap();
        assert_eq!((exit.rss, exit.tracker_overhead), (Some(123), Some(7)));
        assert_eq!((exit.native, exit.malloc_overhead), (None, None));
        assert_eq!(memory(None, None, None), MemoryLayers::default());
    }

    #[test]
    fn without_a_peak_sample_the_highest_sample_is_the_peak() {
        let sample = |t: u64, kind: &str, live: u64| json!({"t_ns": t, "kind": kind, "live_bytes": live, "live_blocks": 1});
        let timeline = json!({"samples": [sample(1, "interval", 5), sample(2, "interval", 9),
                                          sample(3, "interval", 9), sample(4, "exit", 70)]});
        let peak = memory(None, Some(full()), Some(timeline)).at_peak.unwrap();
        assert_eq!((peak.t_ns, peak.tracked_heap), (2, 9));
        assert!(peak.estimated);
    }

    #[test]
    fn differences_clamp_at_zero() {
        let mut footprint = full();
        footprint["malloc"] = json!({"in_use": 100, "free": 50_000, "mmapped": 0});
        footprint["anonymous"] = json!(40_000);
        let exit = memory(Some(5), Some(footprint), None).at_exit.unwrap();
        assert_eq!(exit.native, Some(0));
        assert_eq!(exit.other_anonymous, Some(0));
        // 11,568 heap + 5 overhead + 1,648 per-block + 50,000 free where 40,000 are
        // resident: the difference comes out of malloc's free space.
        assert_eq!(exit.not_resident, Some(23_221));
        assert_eq!(exit.allocator_free, Some(26_779));
        assert!(!exit.heap_not_resident);
        // Past the free space and native memory, out of the tracked heap.
        let mut footprint = full();
        footprint["malloc"] = json!({"in_use": 100, "free": 1_000, "mmapped": 0});
        footprint["anonymous"] = json!(8_000);
        let exit = memory(Some(5), Some(footprint), None).at_exit.unwrap();
        assert_eq!((exit.allocator_free, exit.native), (Some(0), Some(0)));
        assert_eq!(exit.tracked_heap, 8_000 - 5 - 1_648);
        assert_eq!(exit.not_resident, Some(11_568 + 5 + 1_648 + 1_000 - 8_000));
        assert!(exit.heap_not_resident);
        let mut footprint = full();
        footprint["malloc"] = json!({"in_use": u64::MAX, "free": u64::MAX, "mmapped": u64::MAX});
        footprint["anonymous"] = json!(u64::MAX);
        let exit = memory(Some(u64::MAX), Some(footprint), None)
            .at_exit
            .unwrap();
        assert_eq!(exit.native, Some(0));
        assert_eq!(exit.other_anonymous, Some(0));
    }
}
