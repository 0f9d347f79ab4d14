//! The memleak profile format (`docs/profile-format.md`), defined once: the types of
//! every section, the streaming writer the tracker uses ([`write::ProfileWriter`]), and,
//! with the `serde` feature, how leak-report reads them back ([`Document`]).
//!
//! Which fields a reader requires is said by the types: a field without a default is
//! required, and a profile that lacks one is rejected with the field's name. Fields added
//! after version 1 first appeared (the footprint, the timeline, sampling, the overhead
//! and unwinder counters, reachability) are optional, so older profiles still read;
//! `modules` is required from version 2 (leak-report checks it).
//!
//! The writer has no dependencies and allocates only what its caller hands it, so the
//! tracker can use it inside the program it tracks.
#![deny(missing_docs)]
#![forbid(unsafe_code)]

mod document;
mod footprint;
mod glob;
#[cfg(feature = "serde")]
mod read;
mod records;
pub mod runtime;
mod sampling;
mod timeline;
pub mod write;

pub use document::{Document, Head, MODE_IN_PROCESS, MODE_PRELOAD};
pub use footprint::{Cgroup, Footprint, Limit, Malloc, Pressure, Stall};
pub use glob::glob_matches;
pub use records::{
    Frame, LiveBlock, Module, Reachability, Segment, Site, Symbol, Thread, Totals, hex,
};
pub use sampling::{Sampling, weight};
pub use timeline::{Checkpoint, Sample, SampleKind, Timeline};

/// The `format` field of every profile.
pub const FORMAT: &str = "memleak-profile";

/// The `version` this crate writes, and the newest it reads. Version 2: frames are
/// return addresses, and `modules` says how to symbolize them; version 1 frames carried
/// their symbols.
pub const VERSION: u64 = 2;
