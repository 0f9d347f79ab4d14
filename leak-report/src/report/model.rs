//! The [`Report`] itself: what it holds, and the accessors that answer the questions
//! asked of every report (are there leaks, how much, which sites, which cycles). The
//! parts it is made of are in the `analysis` module; the renderers add their own methods.

use std::path::{Path, PathBuf};

use crate::analysis::findings::{
    ProgramInfo, ReportCycle, ReportSite, ReportSuppression, Summary, ThreadLeak,
};
use crate::analysis::growth::{GrowingSite, GrowthWindow};
use crate::memory::layers::{Layers, MemoryLayers};
use crate::memory::overview::Memory;
use crate::model::{Amount, Mode, Origin, SiteKind};
use crate::profile::footprint::Footprint;
use crate::profile::loaded::Reachability;
use crate::profile::sampling::Sampling;
use crate::profile::timeline::Sample;
use crate::symbols::SymbolWarning;
use crate::symbols::entry::StackEntry;

/// An analysed profile: what was live at exit, by kind and trimmed stack.
#[derive(Debug, Clone)]
pub struct Report {
    pub(crate) program: ProgramInfo,
    pub(crate) profile_path: PathBuf,
    pub(crate) reason: Option<String>,
    pub(crate) mode: Mode,
    pub(crate) reachability: Option<Reachability>,
    pub(crate) sampling: Option<Sampling>,
    pub(crate) summary: Summary,
    pub(crate) sites: Vec<ReportSite>,
    pub(crate) cycles: Vec<ReportCycle>,
    pub(crate) suppressed: Vec<ReportSuppression>,
    pub(crate) footprint: Option<Footprint>,
    pub(crate) memory: Memory,
    pub(crate) leaks_by_thread: Vec<ThreadLeak>,
    pub(crate) symbol_warnings: Vec<SymbolWarning>,
    /// Under the interposer: the program's own allocator, when its Rust heap bypassed
    /// malloc.
    pub(crate) own_allocator: Option<String>,
}

impl Report {
    /// How the tracker saw the allocations: in-process (the Rust heap) or preloaded
    /// (every `malloc`, with [`ReportSite::origin`](crate::ReportSite::origin)).
    #[must_use]
    pub fn mode(&self) -> Mode {
        self.mode
    }

    /// Under the interposer, the allocator the program's Rust heap used instead of
    /// `malloc` (`"jemalloc"`, `"mimalloc"`, "its own `#[global_allocator]`"), when not
    /// one block came through Rust's allocation path: the heap was not seen, not clean.
    #[must_use]
    pub fn own_allocator(&self) -> Option<&str> {
        self.own_allocator.as_deref()
    }

    /// Whether leaks remain after suppressions: definite or indirect bytes with a scan,
    /// live-at-exit bytes (runtime excluded) without one.
    #[must_use]
    pub fn has_leaks(&self) -> bool {
        self.leaked_bytes() > 0
    }

    /// Leaked bytes after suppressions: definite + indirect with a scan, live at exit
    /// (runtime excluded) without one.
    #[must_use]
    pub fn leaked_bytes(&self) -> u64 {
        self.leaked().bytes
    }

    /// Leaked blocks, as [`leaked_bytes`](Self::leaked_bytes).
    #[must_use]
    pub fn leaked_blocks(&self) -> u64 {
        self.leaked().blocks
    }

    /// Leaked memory by allocating thread, biggest first; threads that leaked nothing are
    /// left out.
    #[must_use]
    pub fn leaks_by_thread(&self) -> &[ThreadLeak] {
        &self.leaks_by_thread
    }

    fn leaked(&self) -> Amount {
        // A sample tells how much was live, not whether any of it was lost.
        if self.sampling.is_some() {
            return Amount::default();
        }
        if self.reachability.is_some() {
            let mut leaked = self.summary.definite;
            leaked.add(self.summary.indirect);
            leaked
        } else {
            self.summary.live_at_exit
        }
    }

    /// How the profile's allocations were sampled; `None` when every one was recorded.
    /// With sampling, amounts are estimates and nothing is called a leak.
    #[must_use]
    pub fn sampling(&self) -> Option<Sampling> {
        self.sampling
    }

    /// The program the report is about.
    #[must_use]
    pub fn program(&self) -> &ProgramInfo {
        &self.program
    }

    /// The profile file the report was built from.
    #[must_use]
    pub fn profile_path(&self) -> &Path {
        &self.profile_path
    }

    /// The binaries whose frames are shown as addresses: gone, unreadable, or rebuilt
    /// since the run (see [`crate::Profile::symbol_warnings`]).
    #[must_use]
    pub fn symbol_warnings(&self) -> &[SymbolWarning] {
        &self.symbol_warnings
    }

    /// The headline numbers.
    #[must_use]
    pub fn summary(&self) -> &Summary {
        &self.summary
    }

    /// The profile's reachability scan; `None` when it has none (kinds are then
    /// [`SiteKind::LiveAtExit`] and [`SiteKind::Runtime`] only).
    #[must_use]
    pub fn reachability(&self) -> Option<&Reachability> {
        self.reachability.as_ref()
    }

    /// Every site live at exit, of every kind, runtime ones included, biggest first;
    /// suppressed blocks are not in them.
    #[must_use]
    pub fn sites(&self) -> &[ReportSite] {
        &self.sites
    }

    /// The leaks only ([`SiteKind::is_leak`]), biggest first.
    pub fn leak_sites(&self) -> impl Iterator<Item = &ReportSite> {
        self.sites.iter().filter(|site| site.kind.is_leak())
    }

    /// The sites of one kind, biggest first.
    pub fn sites_of(&self, kind: SiteKind) -> impl Iterator<Item = &ReportSite> {
        self.sites.iter().filter(move |site| site.kind == kind)
    }

    /// The cycles no other lost block points to, grouped by their members' sites,
    /// biggest first (empty without a scan).
    #[must_use]
    pub fn cycles(&self) -> &[ReportCycle] {
        &self.cycles
    }

    /// Every suppression, in file order, with what it hid (possibly nothing).
    #[must_use]
    pub fn suppressed(&self) -> &[ReportSuppression] {
        &self.suppressed
    }

    /// The bytes and blocks of one kind, after suppressions.
    #[must_use]
    pub fn amount_of(&self, kind: SiteKind) -> Amount {
        let summary = &self.summary;
        match kind {
            SiteKind::LiveAtExit if self.reachability.is_some() => Amount::default(),
            SiteKind::LiveAtExit => summary.live_at_exit,
            SiteKind::Runtime => summary.runtime,
            SiteKind::Definite => summary.definite,
            SiteKind::Indirect => summary.indirect,
            SiteKind::Reachable => summary.reachable,
        }
    }

    /// Whether the profile was written while the program ran on (through the API, or a
    /// snapshot on `MEMLEAK_SNAPSHOT_SIGNAL`) rather than at its end, so "live at exit"
    /// means "live when written".
    #[must_use]
    pub fn written_on_request(&self) -> bool {
        matches!(self.reason.as_deref(), Some("request" | "snapshot"))
    }

    /// Whether the profile is a snapshot taken on `MEMLEAK_SNAPSHOT_SIGNAL`.
    #[must_use]
    pub fn is_snapshot(&self) -> bool {
        self.reason.as_deref() == Some("snapshot")
    }

    /// The profile's footprint at exit, as written; `None` when it has none (an older
    /// profile).
    #[must_use]
    pub fn footprint(&self) -> Option<&Footprint> {
        self.footprint.as_ref()
    }

    /// Where the memory went at the heap's peak and at exit, by layer.
    #[must_use]
    pub fn layers(&self) -> &MemoryLayers {
        &self.memory.layers
    }

    /// The timeline's samples, oldest first (empty without a timeline).
    #[must_use]
    pub fn samples(&self) -> &[Sample] {
        &self.memory.samples
    }

    /// The layers of each of [`samples`](Self::samples), malloc's per-block overhead
    /// estimated from the average at exit.
    #[must_use]
    pub fn sample_layers(&self) -> &[Layers] {
        &self.memory.sample_layers
    }

    /// The stacks whose live bytes kept rising while the program ran, fastest first (see
    /// the `growth` thresholds in the crate docs). Informational: not leaks.
    #[must_use]
    pub fn growth(&self) -> &[GrowingSite] {
        &self.memory.growth
    }

    /// How many checkpoints, over how long, growth was looked for in; whether it was
    /// looked for at all.
    #[must_use]
    pub fn growth_window(&self) -> GrowthWindow {
        self.memory.growth_window
    }

    /// Bytes live at exit by origin and trimmed stack, every tracked block counted,
    /// biggest first.
    #[must_use]
    pub fn heap_by_stack(&self) -> &[(Vec<StackEntry>, Origin, u64)] {
        &self.memory.heap_by_stack
    }

    /// Nanoseconds from tracking start to when the profile was written.
    #[must_use]
    pub fn elapsed_ns(&self) -> u64 {
        self.memory.elapsed_ns
    }
}
