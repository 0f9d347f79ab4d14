//! Reads the `memleak` tracker's profiles and renders leak reports.
//!
//! `cargo memleak` runs a program under the tracker, which writes a profile
//! (`docs/profile-format.md`) at exit. This crate loads it, decides what each block still
//! allocated at exit is (definitely lost, indirectly lost, in a cycle, still reachable, or
//! the Rust runtime's own), groups the blocks by kind and call stack, hides what the
//! suppressions of a `memleak.toml` match, and renders the result as text for people,
//! `report.json` for CI (`docs/report-json.md`) and SVG flamegraphs.
//!
//! ```no_run
//! use leak_report::{ProgramInfo, Report, Suppressions, TextOptions, load_profile, write_text};
//!
//! let profile = load_profile("target/memleak/leaky/profile.json".as_ref())?;
//! let suppressions = Suppressions::load("memleak.toml".as_ref())?;
//! let program = ProgramInfo { exit_code: Some(0), ..ProgramInfo::from_profile(&profile) };
//! let report = Report::build_with(&profile, program, &suppressions);
//! write_text(&report, &mut std::io::stdout().lock(), &TextOptions::default())?;
//! if report.has_leaks() {
//!     eprintln!("{} bytes leaked", report.leaked_bytes());
//! }
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Loading
//!
//! [`load_profile`] never panics, whatever the file holds. It rejects, with an [`Error`]
//! naming the file: an unreadable or empty file, bad JSON (with line and column), a
//! truncated file, another `format`, a newer `version`, a missing or mistyped field (named
//! by its path, e.g. `sites[3].frames[1]`), references to frames or sites that do not
//! exist, and reachability fields that do not hold together (a `reachable` flag missing
//! from a block of a scanned profile or present without a scan, `refs` on a reachable
//! block, a `refs` index out of range or naming a reachable block). A loaded [`Profile`]
//! is consistent, and [`Report::build`] never panics either. The profile's types are the
//! format's own (crate `memleak-format`), shared with the tracker's writer.
//!
//! # Symbols
//!
//! A version 2 profile carries return addresses and the module map; loading symbolizes
//! them from the binaries it names (DWARF through `addr2line`, with inlined functions; the
//! symbol table where there is no debug info), opening each binary once and only for
//! frames that are in it. A binary is used only when it is the build that ran: same build
//! id, or, without one, not modified after the profile was written. Otherwise (rebuilt,
//! deleted, unreadable) its frames stay addresses (`??` in stacks) and
//! [`Profile::symbol_warnings`] says why; the text report and `report.json`
//! (`program.unsymbolized`) show it. Version 1 profiles carry their symbols.
//!
//! # Kinds of live memory
//!
//! With a reachability scan ([`Profile::reachability`]), every block live at exit is one
//! of (the `refs` of unreachable blocks make a graph; its strongly-connected components
//! are found iteratively, in time linear in blocks and edges):
//!
//! - [`SiteKind::Definite`]: unreachable, and no unreachable block points to it;
//! - [`SiteKind::Indirect`]: unreachable, and pointed to by an unreachable block. Every
//!   member of a cycle is indirect (each is pointed to by the next), a block that points
//!   to itself included;
//! - [`SiteKind::Reachable`]: reachable from a root (statics, stacks, TLS): not a leak.
//!
//! A cycle of unreachable blocks that no unreachable block outside it points to is listed
//! in [`Report::cycles`] (an `Rc` cycle: 50 pairs make 50 cycles of 2 indirect blocks). A
//! cycle that something lost points to (a definite block, another cycle) is part of that
//! leak, as in LeakSanitizer: its blocks are indirect and it is not listed on its own.
//!
//! Without a scan (older profiles), kinds are [`SiteKind::LiveAtExit`] and
//! [`SiteKind::Runtime`], as before.
//!
//! # Runtime memory
//!
//! Some blocks are live at exit because std keeps them until the process ends: stdin's
//! and stdout's buffers, the main thread's handle and name, the bookkeeping of a thread
//! still running at exit, thread-local destructor lists, the saved arguments. A site is
//! the runtime's when its stack (cut at start-up, untrimmed) has no code outside std (no
//! program code at all), or passes through one of [`RUNTIME_HOLDERS`]. Without a scan,
//! its blocks are [`SiteKind::Runtime`]. With a scan they are normally reachable, and
//! reported as such; the rule is then only a fallback: an *unreachable* block of such a
//! site is labelled [`SiteKind::Runtime`] rather than lost (a root the scan could not
//! see), and so are the unreachable blocks that only such blocks point to. Runtime
//! blocks are reported on one line and never count as leaks.
//!
//! # Suppressions
//!
//! [`Suppressions`] (from `memleak.toml`) hide live memory by a glob over the functions of
//! a site's full stack, optionally for one kind only. A hidden unreachable block takes
//! along the unreachable blocks that only hidden blocks lead to (what hangs off an
//! accepted leak), never memory an unhidden leak also points to. [`Report::suppressed`]
//! says what each suppression hid; everything else in the report is after suppressions.
//!
//! # Stacks
//!
//! A site's frames are expanded into their inlined functions (innermost first; `??` with
//! the address for an unresolved frame), then cut at the runtime's start-up
//! (`__rust_begin_short_backtrace`, `std::rt::lang_start*`, `__libc_start_main`, `_start`,
//! `start_thread`, `clone3`, ...) together with a `FnOnce::call_once` shim just inside the
//! cut, then trimmed at the top of the allocation plumbing (`memleak::`, `alloc::`,
//! `core::`, `std::`, `hashbrown::`, `__rust_*`, `__rdl_*`, `__rg_*`, and std traits
//! implemented for std, primitive or generic types), keeping at least one entry. See
//! [`is_plumbing`] and [`is_startup`].
//!
//! # Memory by layer
//!
//! A profile written by a newer tracker carries a `footprint` ([`Profile::footprint`]):
//! malloc's counters and the OS's (resident, anonymous, file-backed, swap; the cgroup,
//! memory pressure, the system's available memory), each possibly unknown; and a
//! `timeline` ([`Profile::timeline`]) of samples taken while the program ran. From them
//! and the tracker's figures, [`Report::layers`] splits the resident set at the heap's
//! peak and at exit ([`MemoryLayers`]): the tracked heap, the tracker's overhead,
//! malloc's per-block overhead (glibc's chunk headers and rounding: exact at exit from
//! the live blocks, estimated at the peak from the exit average), native memory (malloc
//! in use minus all of those: C/FFI `malloc`), malloc's free space (fragmentation),
//! other anonymous memory (stacks, direct `mmap`) and file-backed memory. See [`Layers`].
//!
//! # Growth
//!
//! The timeline's checkpoints hold every site's live bytes at moments over the run.
//! [`Report::growth`] lists the trimmed stacks whose series kept rising: at least
//! [`MIN_CHECKPOINTS`] checkpoints (by interval or by heap activity); a positive
//! least-squares slope; at least [`MIN_RISING_SHARE`] of the steps not down and
//! [`MIN_RISES`] up; the value at exit at least [`MIN_LAST_SHARE`] of the highest; a rise
//! of at least [`MIN_RISE_BYTES`] and [`MIN_RISE_SHARE`] of the value at exit, and of
//! [`MIN_LATE_RISE_SHARE`] from the series' middle point on. Growth is reachable
//! memory, not a leak: it does not change [`Report::has_leaks`].
//!
//! # Outputs
//!
//! Live blocks are grouped by kind and trimmed stack (function, file and line of every
//! entry), biggest first, then blocks, then stack: the outputs are deterministic.
//! The renderers are free functions over the [`Report`] model: [`write_text`],
//! [`to_json`] / [`write_json`], [`write_live_flamegraph`] and [`write_kind_flamegraph`]
//! render them; [`write_layers_flamegraph`] draws the resident set at exit by layer and
//! [`write_timeline_chart`] the memory over time. [`write_folded`], [`write_dhat`] and
//! [`write_pprof`] export the stacks for other tools.
//!
//! # Comparing two runs
//!
//! [`DiffSide`] holds a run's figures by stack, from a [`Report`] or a `report.json`;
//! [`compare`] matches the stacks of two runs by their functions and gives a [`Diff`],
//! whose [`Diff::regressions`] say whether the second regressed: a stack that leaks and
//! did not, or leaked bytes or a peak grown past a [`Threshold`].
//! [`write_diff_text`] and [`write_diff_flamegraph`] render it.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

// The layers, each importing only from those listed before it: the leaf types, loading
// a profile, its stacks and symbols, the analysis of live memory, the memory layers, the
// report model, the comparison of two runs' reports, and the renderers over them.
mod analysis;
mod compare;
mod error;
mod memory;
mod model;
mod profile;
mod render;
mod report;
mod symbols;
#[cfg(test)]
mod testing;

pub use analysis::findings::{
    CycleMember, ProgramInfo, ReportCycle, ReportSite, ReportSuppression, Summary, ThreadLeak,
    signal_name,
};
pub use analysis::growth::{
    GrowingSite, GrowthWindow, MIN_CHECKPOINTS, MIN_LAST_SHARE, MIN_LATE_RISE_SHARE,
    MIN_RISE_BYTES, MIN_RISE_SHARE, MIN_RISES, MIN_RISING_SHARE,
};
pub use analysis::suppress::{Suppression, Suppressions};
pub use compare::diff::{Diff, Regression, SiteChange, Threshold, Totals as DiffTotals, compare};
pub use compare::side::{DiffSide, DiffSite};
pub use error::Error;
pub use memory::layers::{Layers, MemoryLayers};
pub use model::{Amount, Mode, Origin, SiteKind};
pub use profile::footprint::{Cgroup, Footprint, Limit, Malloc, Pressure, Stall};
pub use profile::loaded::{
    Frame, LiveBlock, PROFILE_FORMAT, PROFILE_VERSION, Profile, Reachability, Site, Symbol, Thread,
    Totals,
};
pub use profile::sampling::{Sampling, estimate as sampled_estimate};
pub use profile::timeline::{Checkpoint, Sample, SampleKind, Timeline};
pub use render::dhat::{DHAT_FILE_VERSION, write_dhat};
pub use render::diff::write_diff_text;
pub use render::folded::write_folded;
pub use render::html::write::write_html;
pub use render::json::report::{REPORT_FORMAT, REPORT_VERSION, to_json, write_json};
pub use render::pprof::write::{PPROF_SAMPLE_TYPES, write_pprof};
pub use render::svg::diff::write_diff_flamegraph;
pub use render::svg::flamegraph::{flamegraph_kinds, write_kind_flamegraph, write_live_flamegraph};
pub use render::svg::layers::write_layers_flamegraph;
pub use render::svg::timeline::{has_timeline_chart, write_timeline_chart};
pub use render::text::write::write_text;
pub use render::text::writer::TextOptions;
pub use report::model::Report;
pub use symbols::entry::{StackEntry, UNKNOWN_FUNCTION};
pub use symbols::load::{load_profile, parse_profile};
pub use symbols::plumbing::{is_plumbing, is_plumbing_entry, is_startup};
pub use symbols::runtime::RUNTIME_HOLDERS;
pub use symbols::{Module, Segment, SymbolWarning};
