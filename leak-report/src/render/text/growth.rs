//! The text report's "Growing sites" section: the stacks whose live bytes kept rising
//! while the program ran (the `growth` module), fastest first, with their rate.

use std::io;

use crate::render::format::{entry_line, human, more, seconds};
use crate::render::text::writer::Writer;
use crate::report::model::Report;

/// The section; nothing when no stack grew.
pub(crate) fn write_growth(report: &Report, writer: &mut Writer<'_>) -> io::Result<()> {
    let growth = report.growth();
    if growth.is_empty() {
        return Ok(());
    }
    let window = report.growth_window();
    writeln!(writer.out)?;
    writeln!(
        writer.out,
        "Growing sites (live bytes kept rising over {} checkpoints in {}; still reachable, so \
         not leaks, but unbounded):",
        window.checkpoints,
        seconds(window.span_ns),
    )?;
    let limit = writer.options.max_sites;
    for site in growth.iter().take(limit) {
        writeln!(writer.out)?;
        writer.rank += 1;
        let rate = human(site.bytes_per_sec.max(0.0).round() as u64);
        writeln!(
            writer.out,
            "#{}  +{rate}/s, {} live at exit (from {})",
            writer.rank,
            writer.style.size(site.live_bytes),
            human(site.first_bytes),
        )?;
        for entry in site.stack.iter().take(writer.options.max_frames) {
            writeln!(writer.out, "    {}", entry_line(entry, writer.cwd))?;
        }
        let more_frames = site.stack.len().saturating_sub(writer.options.max_frames);
        if more_frames > 0 {
            writeln!(writer.out, "    ... {}", more(more_frames as u64, "frame"))?;
        }
    }
    let hidden = growth.len().saturating_sub(limit);
    if hidden > 0 {
        writeln!(writer.out)?;
        writeln!(writer.out, "... {}", more(hidden as u64, "growing site"))?;
    }
    Ok(())
}
