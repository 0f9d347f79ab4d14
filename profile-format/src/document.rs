//! A whole profile: what the writer writes section by section, and what a reader gets.

use crate::{
    Footprint, Frame, LiveBlock, Module, Reachability, Sampling, Site, Thread, Timeline, Totals,
};

/// The fields that open a profile, after `format` and `version`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Head {
    /// Process id of the tracked program.
    pub pid: u64,
    /// Its executable's path.
    pub exe: String,
    /// Its arguments, argv\[0\] first.
    pub args: Vec<String>,
    /// Why the profile was written: `"exit"` or `"request"`.
    pub reason: String,
    /// Nanoseconds from tracking start to the write.
    pub elapsed_ns: u64,
    /// How the allocations were seen: [`MODE_IN_PROCESS`] or [`MODE_PRELOAD`]; not
    /// written when `None`.
    pub mode: Option<String>,
}

/// The tracker was the program's global allocator (`TrackingAlloc`).
pub const MODE_IN_PROCESS: &str = "inprocess";
/// The tracker was preloaded as `malloc` (the interposer): every block of the process,
/// Rust's and native code's, was recorded.
pub const MODE_PRELOAD: &str = "preload";

/// A profile as read (with the `serde` feature), field for field as written.
#[derive(Debug, Clone, Default, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Deserialize))]
pub struct Document {
    /// The format version of the file.
    pub version: u64,
    /// Process id of the tracked program.
    pub pid: u64,
    /// Its executable's path.
    pub exe: String,
    /// Its arguments, argv\[0\] first.
    pub args: Vec<String>,
    /// Why the profile was written; `None` in profiles that did not say.
    #[cfg_attr(feature = "serde", serde(default))]
    pub reason: Option<String>,
    /// Nanoseconds from tracking start to the write.
    pub elapsed_ns: u64,
    /// How the allocations were seen: `"inprocess"` or `"preload"`; `None` in profiles
    /// older than the interposer (in-process).
    #[cfg_attr(feature = "serde", serde(default))]
    pub mode: Option<String>,
    /// How allocations were sampled; `None` (or `null`) when every one was recorded.
    #[cfg_attr(feature = "serde", serde(default))]
    pub sampling: Option<Sampling>,
    /// Whole-run counters.
    pub totals: Totals,
    /// The allocator's and the OS's view when the profile was written.
    #[cfg_attr(
        feature = "serde",
        serde(default, deserialize_with = "crate::read::object")
    )]
    pub footprint: Option<Footprint>,
    /// Samples taken while the program ran.
    #[cfg_attr(
        feature = "serde",
        serde(default, deserialize_with = "crate::read::object")
    )]
    pub timeline: Option<Timeline>,
    /// Threads that allocated.
    #[cfg_attr(feature = "serde", serde(default))]
    pub threads: Vec<Thread>,
    /// The loaded objects (version 2).
    #[cfg_attr(feature = "serde", serde(default))]
    pub modules: Option<Vec<Module>>,
    /// The return addresses the sites' stacks are made of.
    pub frames: Vec<Frame>,
    /// Allocation sites.
    pub sites: Vec<Site>,
    /// The exit scan, when one was made.
    #[cfg_attr(feature = "serde", serde(default))]
    pub reachability: Option<Reachability>,
    /// Blocks live when the profile was written.
    pub live: Vec<LiveBlock>,
}
