//! The profile as written by the tracker (crate `memleak`) (`docs/profile-format.md`): its serde types
//! and the loaded, validated [`Profile`] (loading itself is in the `load` module).
//!
//! Required fields are the ones the report uses: `format`, `version`, `exe`, `args`,
//! `totals.{allocated,peak_live}_{bytes,blocks}`, `frames[].ip`, `sites[].id`,
//! `sites[].frames`, `live[].size` and `live[].site`, and `live[].reachable` when the
//! profile has a `reachability` scan. Every other documented field defaults to zero or
//! empty when absent (`reachability.scanned` and `.complete` to `true`); unknown fields
//! are ignored. `footprint` (the `footprint` module) is optional, every value in it too,
//! and so is `timeline` (the `timeline` module).

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::footprint::Footprint;
use crate::sampling::Sampling;
use crate::symbols::{Module, SymbolWarning};
use crate::timeline::Timeline;

/// The `format` value of a profile.
pub const PROFILE_FORMAT: &str = "memleak-profile";

/// The newest profile `version` this crate reads. Version 1 profiles carry their frames'
/// symbols; from version 2 frames are addresses and `modules` says where to symbolize them.
pub const PROFILE_VERSION: u64 = 2;

/// Whole-run counters of tracked allocations (`totals` in the profile).
#[derive(Debug, Clone, Default, Deserialize)]
#[non_exhaustive]
pub struct Totals {
    /// Bytes allocated over the run.
    pub allocated_bytes: u64,
    /// Blocks allocated over the run (a realloc counts as a new block).
    pub allocated_blocks: u64,
    /// Bytes freed over the run.
    #[serde(default)]
    pub freed_bytes: u64,
    /// Blocks freed over the run.
    #[serde(default)]
    pub freed_blocks: u64,
    /// Number of reallocs.
    #[serde(default)]
    pub reallocs: u64,
    /// Bytes live when the profile was written.
    #[serde(default)]
    pub live_bytes: u64,
    /// Blocks live when the profile was written.
    #[serde(default)]
    pub live_blocks: u64,
    /// The most bytes live at once.
    pub peak_live_bytes: u64,
    /// The block count at that moment.
    pub peak_live_blocks: u64,
    /// Frees of blocks the tracker never saw.
    #[serde(default)]
    pub unknown_frees: u64,
    /// Allocations let through unrecorded.
    #[serde(default)]
    pub untracked_allocs: u64,
    /// The tracker's own allocations.
    #[serde(default)]
    pub overhead_allocs: u64,
    /// Bytes the tracker itself held from the allocator when the profile was written (its
    /// tables and buffers); `None` in a profile written before it was recorded.
    #[serde(default)]
    pub overhead_bytes: Option<u64>,
}

/// A thread that allocated.
#[derive(Debug, Clone, Default, Deserialize)]
#[non_exhaustive]
pub struct Thread {
    /// Tracker thread id.
    #[serde(default)]
    pub id: u64,
    /// OS thread name, when known.
    #[serde(default)]
    pub name: Option<String>,
}

/// One function of a symbolized frame.
#[derive(Debug, Clone, Default, Deserialize)]
#[non_exhaustive]
pub struct Symbol {
    /// Demangled function name without the hash; `None` when unknown.
    #[serde(default)]
    pub function: Option<String>,
    /// Source file.
    #[serde(default)]
    pub file: Option<String>,
    /// Source line.
    #[serde(default)]
    pub line: Option<u64>,
}

/// A return address and what it symbolizes to: from the profile (version 1), or from the
/// binaries of its module map when it was loaded (version 2).
#[derive(Debug, Clone, Default, Deserialize)]
#[non_exhaustive]
pub struct Frame {
    /// The return address.
    pub ip: u64,
    /// Innermost inlined function first, the real function last; empty when unresolved.
    #[serde(default)]
    pub symbols: Vec<Symbol>,
}

/// An allocation site: a distinct call stack and its counters.
#[derive(Debug, Clone, Default, Deserialize)]
#[non_exhaustive]
pub struct Site {
    /// The id that live blocks refer to.
    pub id: u64,
    /// Indices into the profile's frames, innermost (the allocator) first.
    pub frames: Vec<u64>,
    /// Bytes allocated here over the run.
    #[serde(default)]
    pub allocated_bytes: u64,
    /// Blocks allocated here over the run.
    #[serde(default)]
    pub allocated_blocks: u64,
    /// Blocks allocated here and freed.
    #[serde(default)]
    pub freed_blocks: u64,
    /// Bytes from here live at the write.
    #[serde(default)]
    pub live_bytes: u64,
    /// Blocks from here live at the write.
    #[serde(default)]
    pub live_blocks: u64,
    /// The most bytes this site held at once.
    #[serde(default)]
    pub peak_live_bytes: u64,
}

/// A block still allocated when the profile was written.
#[derive(Debug, Clone, Default, Deserialize)]
#[non_exhaustive]
pub struct LiveBlock {
    /// Address.
    #[serde(default)]
    pub addr: u64,
    /// Size in bytes.
    pub size: u64,
    /// Alignment.
    #[serde(default)]
    pub align: u64,
    /// Id of the allocating site.
    pub site: u64,
    /// Nanoseconds from tracking start to the allocation.
    #[serde(default)]
    pub birth_ns: u64,
    /// Tracker id of the allocating thread.
    #[serde(default)]
    pub thread: u64,
    /// Reachable from a root at exit, when the profile has a [`Reachability`] scan; `None`
    /// without one.
    #[serde(default)]
    pub reachable: Option<bool>,
    /// Only on unreachable blocks: indices into [`Profile::live`] of the unreachable blocks
    /// this one points to (itself included if it does). Empty otherwise.
    #[serde(default)]
    pub refs: Vec<u64>,
}

/// The heap scan made at exit (`reachability` in the profile): with it, every live block
/// says whether it is reachable, and unreachable ones which unreachable blocks they point
/// to.
#[derive(Debug, Clone, Deserialize)]
#[non_exhaustive]
pub struct Reachability {
    /// Whether a scan was made; `false` reads as no scan. Defaults to `true`.
    #[serde(default = "yes")]
    pub scanned: bool,
    /// Nanoseconds the scan took.
    #[serde(default)]
    pub scan_ns: u64,
    /// Bytes of roots scanned (writable data of modules, stacks, TLS, registers).
    #[serde(default)]
    pub root_bytes: u64,
    /// Bytes of live blocks scanned.
    #[serde(default)]
    pub bytes_scanned: u64,
    /// Threads whose stacks were scanned.
    #[serde(default)]
    pub threads: u64,
    /// `false` when some root could not be read: unreachable blocks may be reachable after
    /// all. Defaults to `true`.
    #[serde(default = "yes")]
    pub complete: bool,
}

impl Default for Reachability {
    fn default() -> Self {
        Self {
            scanned: true,
            scan_ns: 0,
            root_bytes: 0,
            bytes_scanned: 0,
            threads: 0,
            complete: true,
        }
    }
}

fn yes() -> bool {
    true
}

/// The typed body, as serde reads it.
#[derive(Debug, Clone, Deserialize)]
pub(crate) struct Raw {
    pub(crate) version: u64,
    #[serde(default)]
    pub(crate) pid: u64,
    pub(crate) exe: String,
    pub(crate) args: Vec<String>,
    #[serde(default)]
    pub(crate) reason: Option<String>,
    #[serde(default)]
    pub(crate) elapsed_ns: u64,
    pub(crate) totals: Totals,
    #[serde(default)]
    pub(crate) threads: Vec<Thread>,
    pub(crate) frames: Vec<Frame>,
    pub(crate) sites: Vec<Site>,
    pub(crate) live: Vec<LiveBlock>,
    #[serde(default)]
    pub(crate) reachability: Option<Reachability>,
    #[serde(default, deserialize_with = "crate::footprint::object")]
    pub(crate) footprint: Option<Footprint>,
    #[serde(default, deserialize_with = "crate::footprint::object")]
    pub(crate) timeline: Option<Timeline>,
    #[serde(default)]
    pub(crate) sampling: Option<Sampling>,
    /// Required from version 2 (checked by `validate`).
    #[serde(default)]
    pub(crate) modules: Option<Vec<Module>>,
}

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
    /// [`Sampling::estimate`] of itself.
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
