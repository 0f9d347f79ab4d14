//! The loaded, validated [`Profile`] (loading itself is in the `load` module). The types
//! of its sections are the format's own (`memleak_format`), shared with the tracker's
//! writer: a field without a default there is required here, and a profile that lacks it
//! is rejected with its name. Unknown fields are ignored.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

pub(crate) use memleak_format::Module;
use memleak_format::{Footprint, Sampling, Timeline};
pub use memleak_format::{Frame, LiveBlock, Reachability, Site, Symbol, Thread, Totals};

use crate::model::Mode;
use crate::profile::symbol_warning::SymbolWarning;

/// The `format` value of a profile.
pub const PROFILE_FORMAT: &str = memleak_format::FORMAT;

/// The newest profile `version` this crate reads. Version 1 profiles carry their frames'
/// symbols; from version 2 frames are addresses and `modules` says where to symbolize them.
pub const PROFILE_VERSION: u64 = memleak_format::VERSION;

/// The typed body, as serde reads it: the format's own definition.
pub(crate) type Raw = memleak_format::Document;

/// A loaded and validated profile.
///
/// Every frame index of every site is in range, site ids are unique and every live block
/// names an existing site. With a [`Reachability`] scan, every block says whether it is
/// reachable, and every `refs` index names an unreachable block; without one, no block
/// has `reachable` or `refs`.
#[derive(Debug, Clone)]
pub struct Profile {
    path: PathBuf,
    raw: Raw,
    site_index: HashMap<u64, usize>,
    symbol_warnings: Vec<SymbolWarning>,
}

impl Profile {
    /// A profile from a body that [`validate`](crate::load) accepted, and its site index.
    pub(crate) fn new(
        path: PathBuf,
        raw: Raw,
        site_index: HashMap<u64, usize>,
        symbol_warnings: Vec<SymbolWarning>,
    ) -> Self {
        Self {
            path,
            raw,
            site_index,
            symbol_warnings,
        }
    }
    /// The file it was loaded from.
    #[must_use]
    pub fn path(&self) -> &Path {
        &self.path
    }
    /// Format version of the file.
    #[must_use]
    pub fn version(&self) -> u64 {
        self.raw.version
    }
    /// Process id of the profiled program.
    #[must_use]
    pub fn pid(&self) -> u64 {
        self.raw.pid
    }
    /// Executable path of the profiled program.
    #[must_use]
    pub fn exe(&self) -> &str {
        &self.raw.exe
    }
    /// Its arguments, argv\[0\] first.
    #[must_use]
    pub fn args(&self) -> &[String] {
        &self.raw.args
    }
    /// Why it was written: `"exit"`, `"request"`, or `None` when not recorded.
    #[must_use]
    pub fn reason(&self) -> Option<&str> {
        self.raw.reason.as_deref()
    }
    /// How the allocations were seen (validated at load: absent means in-process).
    #[must_use]
    pub fn mode(&self) -> Mode {
        self.raw
            .mode
            .as_deref()
            .and_then(Mode::from_name)
            .unwrap_or_default()
    }
    /// Nanoseconds from tracking start to the write.
    #[must_use]
    pub fn elapsed_ns(&self) -> u64 {
        self.raw.elapsed_ns
    }
    /// Whole-run counters.
    #[must_use]
    pub fn totals(&self) -> &Totals {
        &self.raw.totals
    }
    /// Threads that allocated.
    #[must_use]
    pub fn threads(&self) -> &[Thread] {
        &self.raw.threads
    }
    /// The frame table that sites index into.
    #[must_use]
    pub fn frames(&self) -> &[Frame] {
        &self.raw.frames
    }
    /// The loaded objects of the tracked process (empty in version 1 profiles).
    #[must_use]
    pub fn modules(&self) -> &[Module] {
        self.raw.modules.as_deref().unwrap_or_default()
    }
    /// The binaries whose frames could not be symbolized (gone, rebuilt since the run,
    /// unreadable): their frames stay addresses rather than get another build's names.
    #[must_use]
    pub fn symbol_warnings(&self) -> &[SymbolWarning] {
        &self.symbol_warnings
    }
    /// Allocation sites.
    #[must_use]
    pub fn sites(&self) -> &[Site] {
        &self.raw.sites
    }
    /// Blocks live at the write.
    #[must_use]
    pub fn live(&self) -> &[LiveBlock] {
        &self.raw.live
    }
    /// The reachability scan, when one was made (`reachability` present, not `null`, and
    /// `scanned` not `false`): then every live block has [`LiveBlock::reachable`].
    #[must_use]
    pub fn reachability(&self) -> Option<&Reachability> {
        self.raw.reachability.as_ref().filter(|scan| scan.scanned)
    }
    /// The allocator's and the OS's view of the process when the profile was written;
    /// `None` in a profile written before the footprint existed (or with `null`).
    #[must_use]
    pub fn footprint(&self) -> Option<&Footprint> {
        self.raw.footprint.as_ref()
    }
    /// The samples and per-site checkpoints taken while the program ran; `None` in a
    /// profile written before the timeline existed (or with `null`).
    #[must_use]
    pub fn timeline(&self) -> Option<&Timeline> {
        self.raw.timeline.as_ref()
    }
    /// How the allocations were sampled (`MEMLEAK_SAMPLE_BYTES`); `None` when every one
    /// was recorded. Counters are then estimates, and each live block stands for
    /// [`sampled_estimate`](crate::sampled_estimate) of itself.
    #[must_use]
    pub fn sampling(&self) -> Option<Sampling> {
        self.raw.sampling.filter(|sampling| sampling.mean_bytes > 0)
    }
    /// The site with this id.
    #[must_use]
    pub fn site(&self, id: u64) -> Option<&Site> {
        self.site_position(id)
            .and_then(|index| self.raw.sites.get(index))
    }
    /// Index into [`sites`](Self::sites) of the site with this id.
    pub(crate) fn site_position(&self, id: u64) -> Option<usize> {
        self.site_index.get(&id).copied()
    }
}
