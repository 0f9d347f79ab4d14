//! The text report's "Memory layers" section: where the resident memory went at the
//! heap's peak and at exit, each figure with its source; then what it means in words
//! (the `memory_notes` module).

use std::io;

use crate::memory::alerts::Alerts;
use crate::memory::layers::{Layers, Part};
use crate::model::Mode;
use crate::render::format::{human, seconds};
use crate::render::text::memory_notes::{context_parts, notes, peak_note, warnings};
use crate::render::text::writer::Writer;
use crate::report::model::Report;

/// The section; nothing when the profile has no footprint and no timeline.
pub(crate) fn write_memory(report: &Report, writer: &mut Writer<'_>) -> io::Result<()> {
    let layers = report.layers();
    let columns: Vec<(String, &Layers)> = [
        layers.at_peak.as_ref().map(|peak| ("at peak", peak)),
        layers.at_exit.as_ref().map(|exit| {
            let when = if report.written_on_request() {
                "when written"
            } else {
                "at exit"
            };
            (when, exit)
        }),
    ]
    .into_iter()
    .flatten()
    .map(|(when, layers)| (format!("{when} ({})", seconds(layers.t_ns)), layers))
    .collect();
    if columns.is_empty() {
        return Ok(());
    }
    let style = &writer.style;
    let out = &mut *writer.out;
    writeln!(out)?;
    writeln!(
        out,
        "Memory layers (where the resident memory went; ~ marks an estimate):"
    )?;
    let mut sources = Sources::new(
        layers.at_exit.as_ref().or(layers.at_peak.as_ref()),
        layers.at_peak.as_ref(),
    );
    sources.preload = report.mode() == Mode::Preload;
    let mut rows: Vec<Vec<String>> = Vec::new();
    let mut header = vec![String::new()];
    header.extend(columns.iter().map(|(title, _)| title.clone()));
    header.push("source".to_owned());
    rows.push(header);
    let mut add = |label: &str, value: &dyn Fn(&Layers) -> String, source: String| {
        let mut row = vec![label.to_owned()];
        row.extend(columns.iter().map(|(_, layers)| value(layers)));
        row.push(source);
        rows.push(row);
    };
    let bytes = |bytes: Option<u64>, estimate: bool| match bytes {
        None => "unknown".to_owned(),
        Some(bytes) if estimate => format!("~{}", human(bytes)),
        Some(bytes) => human(bytes),
    };
    add("RSS", &|l| bytes(l.rss, false), sources.os.clone());
    for (index, part) in Layers::default()
        .parts()
        .iter()
        .map(|(part, _)| *part)
        .enumerate()
    {
        let value = |l: &Layers| {
            let (_, value) = l.parts()[index];
            let fitted = l.not_resident.is_some_and(|bytes| bytes > 0);
            let estimate = (l.estimated && matches!(part, Part::MallocOverhead | Part::Native))
                || (fitted && matches!(part, Part::AllocatorFree | Part::Native))
                || (part == Part::TrackedHeap && l.heap_not_resident);
            bytes(value, estimate)
        };
        add(
            part.name(),
            &value,
            sources.of(part, layers.at_exit.as_ref()),
        );
    }
    add(
        "swap (not resident)",
        &|l| bytes(l.swap, false),
        sources.os.clone(),
    );
    if columns
        .iter()
        .any(|(_, l)| l.not_resident.is_some_and(|bytes| bytes > 0))
    {
        add(
            "counted, not resident",
            &|l| bytes(l.not_resident, false),
            "malloc's and the tracker's counts beyond the resident anonymous memory".to_owned(),
        );
    }
    add(
        "memory pressure",
        &|l| l.pressure.clone().unwrap_or_else(|| "unknown".to_owned()),
        sources.pressure.clone(),
    );
    write_table(out, &rows)?;
    let mut lines: Vec<String> = layers
        .at_peak
        .as_ref()
        .and_then(|peak| peak_note(peak, report.summary().peak_live.bytes, style))
        .into_iter()
        .collect();
    if let Some(exit) = &layers.at_exit {
        lines.extend(notes(exit, sources.preload, style));
    }
    if let Some(footprint) = report.footprint() {
        let context = context_parts(footprint, style);
        if !context.is_empty() {
            lines.push(context.join("; "));
        }
    }
    let moments = report
        .samples()
        .iter()
        .filter_map(|sample| Some((sample.t_ns, sample.footprint.as_ref()?)))
        .chain(report.footprint().map(|f| (report.elapsed_ns(), f)));
    lines.extend(warnings(&Alerts::of(moments), style));
    if !lines.is_empty() {
        writeln!(out)?;
    }
    for line in lines {
        writeln!(out, "{line}")?;
    }
    Ok(())
}

/// Rows of cells: the first column left-aligned, the numbers right-aligned, the last
/// (the source) left-aligned, two spaces between columns.
fn write_table(out: &mut dyn io::Write, rows: &[Vec<String>]) -> io::Result<()> {
    let columns = rows.first().map_or(0, Vec::len);
    let widths: Vec<usize> = (0..columns)
        .map(|column| {
            rows.iter()
                .map(|row| row.get(column).map_or(0, |cell| cell.chars().count()))
                .max()
                .unwrap_or(0)
        })
        .collect();
    for row in rows {
        let mut line = String::from("  ");
        for (column, cell) in row.iter().enumerate() {
            let width = widths[column];
            if column == 0 {
                line += &format!("{cell:<width$}");
            } else if column + 1 == columns {
                line += &format!("  {cell}");
            } else {
                line += &format!("  {cell:>width$}");
            }
        }
        writeln!(out, "{}", line.trim_end())?;
    }
    Ok(())
}

/// Where each figure comes from, as the table says it.
struct Sources {
    /// Whether the table has a peak column.
    peak: bool,
    /// Whether the interposer saw every block: native ones are then split off by stack.
    preload: bool,
    os: String,
    malloc: &'static str,
    pressure: String,
}

impl Sources {
    fn new(layers: Option<&Layers>, peak: Option<&Layers>) -> Self {
        let source = layers.and_then(|layers| layers.os_source.as_deref());
        let linux = matches!(source, Some("smaps_rollup" | "statm"));
        let name = |source: Option<&str>| match source {
            Some(source @ ("smaps_rollup" | "statm")) => format!("/proc/self/{source}"),
            Some(other) => other.to_owned(),
            None => "unknown".to_owned(),
        };
        // The peak sample may have read another source (the tracker falls back to
        // statm while smaps_rollup is over its time budget): say so.
        let peak_source = peak.and_then(|peak| peak.os_source.as_deref());
        let os = match source {
            None => "OS".to_owned(),
            Some(_) if peak.is_some() && peak_source != source => {
                format!("OS: {} (at peak: {})", name(source), name(peak_source))
            }
            Some(_) => format!("OS: {}", name(source)),
        };
        Self {
            peak: peak.is_some(),
            preload: false,
            os,
            malloc: if linux {
                "malloc: mallinfo2"
            } else {
                "malloc: its statistics"
            },
            pressure: if linux {
                "OS: /proc/pressure/memory (PSI)".to_owned()
            } else {
                "OS: pressure level".to_owned()
            },
        }
    }

    fn of(&self, part: Part, exit: Option<&Layers>) -> String {
        let overhead_known = exit.is_none_or(|exit| exit.tracker_overhead.is_some());
        match part {
            Part::TrackedHeap if self.preload => {
                "tracker: live blocks through Rust's allocator".to_owned()
            }
            Part::TrackedHeap => "tracker: live blocks".to_owned(),
            Part::TrackerOverhead => "tracker: its own allocations".to_owned(),
            Part::MallocOverhead if self.peak => {
                "glibc chunk sizes of the live blocks (at peak: from the exit average)".to_owned()
            }
            Part::MallocOverhead => "glibc chunk sizes of the live blocks".to_owned(),
            Part::Native if self.preload && self.peak => {
                "tracker: native sites' live blocks, + malloc in use beyond every block seen \
                 (at peak: the exit's share)"
                    .to_owned()
            }
            Part::Native if self.preload => {
                "tracker: native sites' live blocks, + malloc in use beyond every block seen"
                    .to_owned()
            }
            Part::Native if overhead_known => format!("{} in use - the three above", self.malloc),
            Part::Native => format!(
                "{} in use - tracked heap - per-block overhead (includes the tracker's own)",
                self.malloc
            ),
            Part::AllocatorFree => self.malloc.to_owned(),
            Part::OtherAnonymous => format!("{} anonymous - malloc's total", self.os),
            Part::FileBacked => self.os.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn layers(source: &str) -> Layers {
        Layers {
            os_source: Some(source.to_owned()),
            ..Layers::default()
        }
    }

    #[test]
    fn a_peak_read_from_another_source_is_named() {
        let exit = layers("smaps_rollup");
        let same = Sources::new(Some(&exit), Some(&layers("smaps_rollup")));
        assert_eq!(same.os, "OS: /proc/self/smaps_rollup");
        let other = Sources::new(Some(&exit), Some(&layers("statm")));
        assert_eq!(
            other.os,
            "OS: /proc/self/smaps_rollup (at peak: /proc/self/statm)"
        );
        assert_eq!(
            Sources::new(Some(&exit), None).os,
            "OS: /proc/self/smaps_rollup"
        );
        assert_eq!(Sources::new(None, None).os, "OS");
    }
}
