//! Reads `alloc-tracker` profiles and renders leak reports.
//!
//! `cargo memleak` runs a program under the tracker, which writes a profile
//! (`docs/profile-format.md`) at exit. This crate loads it, decides which of the blocks
//! still allocated at exit are the program's (leak candidates) and which the Rust runtime
//! keeps on purpose, groups them by call stack and renders the result as text for people,
//! `report.json` for CI (`docs/report-json.md`) and an SVG flamegraph.
//!
//! ```no_run
//! use leak_report::{ProgramInfo, Report, TextOptions, load_profile};
//!
//! let profile = load_profile("target/memleak/leaky/profile.json".as_ref())?;
//! let program = ProgramInfo { exit_code: Some(0), ..ProgramInfo::from_profile(&profile) };
//! let report = Report::build(&profile, program);
//! report.write_text(&mut std::io::stdout().lock(), &TextOptions::default())?;
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
//! by its path, e.g. `sites[3].frames[1]`), and references to frames or sites that do not
//! exist. A loaded [`Profile`] is consistent, and [`Report::build`] never panics either.
//!
//! # Stacks
//!
//! A site's frames are expanded into their inlined functions (innermost first; `??` with
//! the address for an unresolved frame), then cut at the runtime's start-up
//! (`__rust_begin_short_backtrace`, `std::rt::lang_start*`, `__libc_start_main`, `_start`,
//! `start_thread`, `clone3`, ...) together with a `FnOnce::call_once` shim just inside the
//! cut, then trimmed at the top of the allocation plumbing (`alloc_tracker::`, `alloc::`,
//! `core::`, `std::`, `hashbrown::`, `__rust_*`, `__rdl_*`, `__rg_*`, and std traits
//! implemented for std, primitive or generic types), keeping at least one entry. See
//! [`is_plumbing`] and [`is_startup`].
//!
//! # Runtime memory
//!
//! Some blocks are live at exit because std keeps them until the process ends: stdin's
//! and stdout's buffers, the main thread's handle and name, the bookkeeping of a thread
//! still running at exit, thread-local destructor lists, the saved arguments. A site is
//! [`SiteKind::Runtime`] when its stack (cut at start-up, untrimmed) has no code outside
//! std (no program code at all), or passes through one of [`RUNTIME_HOLDERS`]. Runtime
//! blocks are reported on one line and never count as leaks.
//!
//! # Outputs
//!
//! Live blocks are grouped by kind and trimmed stack (function, file and line of every
//! entry), biggest bytes first, then blocks, then stack: the outputs are deterministic.
//! [`Report::write_text`], [`Report::to_json`] / [`Report::write_json`] and
//! [`Report::write_live_flamegraph`] render them.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod analysis;
mod error;
mod flamegraph;
mod json;
mod load;
mod profile;
mod runtime;
mod stack;
#[cfg(test)]
mod testing;
mod text;

pub use analysis::{Amount, ProgramInfo, Report, ReportSite, SiteKind, Summary};
pub use error::Error;
pub use json::{REPORT_FORMAT, REPORT_VERSION};
pub use load::{load_profile, parse_profile};
pub use profile::{
    Frame, LiveBlock, PROFILE_FORMAT, PROFILE_VERSION, Profile, Site, Symbol, Thread, Totals,
};
pub use runtime::RUNTIME_HOLDERS;
pub use stack::{StackEntry, UNKNOWN_FUNCTION, is_plumbing, is_plumbing_entry, is_startup};
pub use text::TextOptions;
