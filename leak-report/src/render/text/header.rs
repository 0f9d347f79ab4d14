//! The text report's first lines: the program and its exit code, the headline numbers
//! (leaked, runtime, allocated, peak) and the notes that qualify them (sampling, a
//! profile written on request, an incomplete scan, untracked allocations).

use std::io;

use crate::model::{Mode, SiteKind};
use crate::render::format::plural;
use crate::render::text::writer::Writer;
use crate::report::model::Report;

/// The first lines: the program, the headline numbers, notes.
pub(crate) fn write_header(report: &Report, writer: &mut Writer<'_>) -> io::Result<()> {
    let program = report.program();
    let exit = program.ending();
    let out = &mut *writer.out;
    let style = &writer.style;
    let mode = match report.mode() {
        Mode::InProcess => "in-process",
        Mode::Preload => "preload",
    };
    let build = program
        .build()
        .map_or_else(String::new, |build| format!(", {build} build"));
    writeln!(
        out,
        "memleak report for {} ({exit}, {mode}{build})",
        program.name()
    )?;
    if let Some(allocator) = report.own_allocator() {
        writeln!(
            out,
            "warning: the program uses its own allocator ({allocator}): its Rust heap bypasses \
             malloc, so the interposer saw only the blocks of native code. Track it in-process: \
             wrap that allocator in `memleak::TrackingAlloc::new(...)` (docs/preload.md)"
        )?;
    }

    let summary = report.summary();
    let sites = |kind| plural(report.sites_of(kind).count() as u64, "site", style);
    let scan = report.reachability();
    if let Some(sampling) = report.sampling() {
        writeln!(
            out,
            "live at exit (estimated): {} from {}",
            style.amount(summary.live_at_exit),
            sites(SiteKind::LiveAtExit),
        )?;
        writeln!(
            out,
            "note: sampled profile (MEMLEAK_SAMPLE_BYTES={}): one allocation recorded per {} \
             on average, every amount is an estimate, and leaks are not told from live memory",
            sampling.mean_bytes,
            style.size(sampling.mean_bytes),
        )?;
    } else if scan.is_none() && report.has_leaks() {
        writeln!(
            out,
            "live at exit: {} from {}",
            style.amount(summary.live_at_exit),
            sites(SiteKind::LiveAtExit),
        )?;
    } else if scan.is_none() {
        writeln!(
            out,
            "no leaks: nothing the program allocated was live at exit"
        )?;
    } else if report.has_leaks() {
        writeln!(
            out,
            "definitely lost: {} from {}",
            style.amount(summary.definite),
            sites(SiteKind::Definite),
        )?;
        write!(
            out,
            "indirectly lost: {} from {}",
            style.amount(summary.indirect),
            sites(SiteKind::Indirect),
        )?;
        if summary.cycles > 0 {
            write!(out, " ({})", plural(summary.cycles, "cycle", style))?;
        }
        writeln!(out)?;
    } else {
        writeln!(
            out,
            "no leaks: nothing the program allocated was unreachable at exit"
        )?;
    }
    if scan.is_none() && summary.runtime.blocks == 0 {
        writeln!(out, "runtime: nothing held by the Rust runtime")?;
    } else if scan.is_none() {
        writeln!(
            out,
            "runtime: {} held by the Rust runtime until exit, not leaks",
            style.amount(summary.runtime),
        )?;
    } else if summary.runtime.blocks > 0 {
        writeln!(
            out,
            "runtime: {} unreachable but allocated by std for itself, not leaks",
            style.amount(summary.runtime),
        )?;
    }
    writeln!(
        out,
        "allocated: {} over the run; peak live: {}",
        style.amount(summary.total_allocated),
        style.amount(summary.peak_live),
    )?;
    if report.written_on_request() {
        let how = if report.is_snapshot() {
            "as a snapshot (MEMLEAK_SNAPSHOT_SIGNAL) while the program ran on"
        } else {
            "on request"
        };
        writeln!(
            out,
            "note: the profile was written {how}, not at exit: \"live at exit\" means live \
             when it was written"
        )?;
    }
    if scan.is_some_and(|scan| !scan.complete) {
        writeln!(
            out,
            "note: the reachability scan was incomplete (some roots could not be read): some \
             blocks reported lost may be reachable after all"
        )?;
    }
    for warning in report.symbol_warnings() {
        writeln!(out, "warning: {warning}")?;
    }
    if summary.untracked_allocs > 0 {
        writeln!(
            out,
            "note: {} went untracked; the counts may be low by that much",
            plural(summary.untracked_allocs, "allocation", style),
        )?;
    }
    Ok(())
}
