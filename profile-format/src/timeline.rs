//! The timeline (`timeline`): samples of the process's memory while the program ran,
//! and checkpoints of each site's live bytes.

use crate::Footprint;

/// The samples and checkpoints taken while the program ran.
#[derive(Debug, Clone, Default, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Deserialize))]
pub struct Timeline {
    /// The sampler's interval, milliseconds (`MEMLEAK_INTERVAL_MS`); 0 when no sampler
    /// thread ran.
    #[cfg_attr(feature = "serde", serde(default))]
    pub interval_ms: Option<u64>,
    /// Samples of the process's memory, oldest first.
    #[cfg_attr(feature = "serde", serde(default))]
    pub samples: Vec<Sample>,
    /// Each site's live bytes at some moments, oldest first. Bounded: a long run keeps
    /// fewer, unevenly spaced ones (use [`Checkpoint::t_ns`], not their index).
    #[cfg_attr(feature = "serde", serde(default))]
    pub checkpoints: Vec<Checkpoint>,
}

impl Timeline {
    /// The sample taken at the heap's peak (the `peak` one with the most live bytes,
    /// should there be several); `None` without one.
    #[must_use]
    pub fn peak(&self) -> Option<&Sample> {
        self.samples
            .iter()
            .filter(|sample| sample.kind == SampleKind::Peak)
            .max_by_key(|sample| sample.live_bytes)
    }

    /// The sample taken at exit (the last `exit` one); `None` without one.
    #[must_use]
    pub fn exit(&self) -> Option<&Sample> {
        self.samples
            .iter()
            .rev()
            .find(|sample| sample.kind == SampleKind::Exit)
    }
}

/// Why a sample was taken.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(from = "String"))]
pub enum SampleKind {
    /// By the sampler thread, at its interval.
    Interval,
    /// When the tracked live bytes reached a new high (within about 1/16).
    Peak,
    /// When the exit profile was written.
    Exit,
    /// A kind this reader does not know (from a newer tracker): read as an interval.
    Other,
}

impl SampleKind {
    /// The name written in profiles: `"interval"`, `"peak"`, `"exit"` (`"other"` for
    /// [`SampleKind::Other`], which is never written).
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Interval => "interval",
            Self::Peak => "peak",
            Self::Exit => "exit",
            Self::Other => "other",
        }
    }

    /// The kind a name stands for; [`SampleKind::Other`] for a name this crate does not
    /// know.
    #[must_use]
    pub fn from_name(name: &str) -> Self {
        match name {
            "interval" => Self::Interval,
            "peak" => Self::Peak,
            "exit" => Self::Exit,
            _ => Self::Other,
        }
    }
}

impl From<String> for SampleKind {
    fn from(name: String) -> Self {
        Self::from_name(&name)
    }
}

/// The process's memory at one moment.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Deserialize))]
pub struct Sample {
    /// Nanoseconds since tracking started (the clock of `elapsed_ns`).
    pub t_ns: u64,
    /// Why it was taken; `interval` when absent.
    #[cfg_attr(feature = "serde", serde(default = "crate::read::interval"))]
    pub kind: SampleKind,
    /// Bytes live in tracked blocks.
    pub live_bytes: u64,
    /// Tracked blocks live.
    #[cfg_attr(feature = "serde", serde(default))]
    pub live_blocks: u64,
    /// Bytes the tracker itself held from the allocator.
    #[cfg_attr(feature = "serde", serde(default))]
    pub overhead_bytes: Option<u64>,
    /// The allocator's and the OS's view, as the profile's top-level `footprint`.
    #[cfg_attr(
        feature = "serde",
        serde(default, deserialize_with = "crate::read::object")
    )]
    pub footprint: Option<Footprint>,
}

/// Every site's live bytes at one moment.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Deserialize))]
pub struct Checkpoint {
    /// Nanoseconds since tracking started.
    pub t_ns: u64,
    /// `(site id, live bytes)` for the sites with live bytes then; a site not listed had
    /// none. Written as `[[site, bytes], ...]`.
    #[cfg_attr(
        feature = "serde",
        serde(default, deserialize_with = "crate::read::pairs")
    )]
    pub sites: Vec<(u64, u64)>,
}
