//! `timeline.svg`: a line chart of the process's memory over time, from the timeline's
//! samples. Four lines (the resident set, the tracked heap, native memory and malloc's
//! free space), the background shaded where the system's memory pressure was at the
//! warning or critical level, the peak and exit samples marked, axes in seconds and
//! KiB/MiB/GiB, and a legend: readable without the text report.

use std::fmt::Write as _;
use std::io;

use crate::error::Error;
use crate::memory::layers::Layers;
use crate::profile::timeline::SampleKind;
use crate::profile::timeline::peak_sample;
use crate::render::format::seconds;
use crate::report::model::Report;

/// Image size and the plot area inside it.
const WIDTH: f64 = 1080.0;
const HEIGHT: f64 = 520.0;
const LEFT: f64 = 80.0;
const RIGHT: f64 = 780.0;
const TOP: f64 = 70.0;
const BOTTOM: f64 = 450.0;

/// The lines: name, colour, dash pattern, value of a sample's layers.
type Line = (
    &'static str,
    &'static str,
    &'static str,
    fn(&Layers) -> Option<u64>,
);

const LINES: [Line; 4] = [
    ("RSS (OS)", "#1f5fa8", "", |l| l.rss),
    ("tracked heap (tracker)", "#2a9d3a", "", |l| {
        Some(l.tracked_heap)
    }),
    (
        "native (malloc - tracker, estimate)",
        "#c8302c",
        "6 3",
        |l| l.native,
    ),
    ("malloc free space", "#e08a00", "2 2", |l| l.allocator_free),
];

/// Background bands: pressure level and fill.
const BANDS: [(&str, &str); 2] = [("warning", "#fbefc0"), ("critical", "#f6c9c9")];

/// Whether [`write_timeline_chart`](write_timeline_chart) has something to draw:
/// at least two samples.
#[must_use]
pub fn has_timeline_chart(report: &Report) -> bool {
    report.samples().len() >= 2
}

/// The timeline chart SVG (`timeline.svg`). With fewer than two samples, a small SVG
/// that says there is no timeline. The same report always gives the same SVG.
///
/// # Errors
/// Write errors, as [`Error::Chart`].
pub fn write_timeline_chart(report: &Report, out: &mut dyn io::Write) -> Result<(), Error> {
    let svg = if has_timeline_chart(report) {
        chart(report)
    } else {
        crate::render::svg::flamegraph::empty_svg(
            "Memory over time",
            "no timeline: the profile has fewer than two samples",
        )
    };
    out.write_all(svg.as_bytes())
        .map_err(|source| Error::Chart {
            path: report.profile_path().to_owned(),
            source,
        })
}

/// The SVG of a report with at least two samples.
fn chart(report: &Report) -> String {
    let samples = report.samples();
    let layers = report.sample_layers();
    let t_end = samples.last().map_or(1, |s| s.t_ns).max(1);
    let highest = layers
        .iter()
        .flat_map(|l| LINES.iter().filter_map(move |line| (line.3)(l)))
        .max()
        .unwrap_or(0);
    let (unit, divisor) = unit_for(highest);
    let y_step = nice_step(highest as f64 / divisor, 6);
    let y_top = ((highest as f64 / divisor / y_step).ceil() * y_step).max(y_step);
    let x_step = nice_step(t_end as f64 / 1e9, 8);
    let x_end = t_end as f64 / 1e9;
    let x = |t_ns: u64| LEFT + (RIGHT - LEFT) * (t_ns as f64 / 1e9 / x_end);
    let y = |bytes: u64| BOTTOM - (BOTTOM - TOP) * (bytes as f64 / divisor / y_top);

    let mut svg = String::new();
    let _ = write!(
        svg,
        "<?xml version=\"1.0\" standalone=\"no\"?>\n<svg version=\"1.1\" width=\"{WIDTH}\" \
         height=\"{HEIGHT}\" viewBox=\"0 0 {WIDTH} {HEIGHT}\" xmlns=\"http://www.w3.org/2000/svg\" \
         font-family=\"Verdana, sans-serif\" font-size=\"12\">\n\
         <rect width=\"100%\" height=\"100%\" fill=\"#ffffff\"/>\n"
    );
    let _ = writeln!(
        svg,
        "<text x=\"{}\" y=\"26\" text-anchor=\"middle\" font-size=\"17\">Memory over time: {}</text>",
        WIDTH / 2.0,
        escape(report.program().name())
    );
    let _ = writeln!(
        svg,
        "<text x=\"{}\" y=\"46\" text-anchor=\"middle\" fill=\"#555\">{} samples over {}; \
         dashed lines mark the peak and exit samples</text>",
        WIDTH / 2.0,
        samples.len(),
        seconds(t_end)
    );

    // Pressure bands, each from its sample to the next.
    for (index, sample) in layers.iter().enumerate() {
        let Some(fill) = BANDS
            .iter()
            .find(|(level, _)| sample.pressure.as_deref() == Some(*level))
            .map(|(_, fill)| fill)
        else {
            continue;
        };
        let end = layers.get(index + 1).map_or(t_end, |next| next.t_ns);
        let (x0, x1) = (x(sample.t_ns), x(end).max(x(sample.t_ns) + 2.0));
        let _ = writeln!(
            svg,
            "<rect x=\"{x0:.1}\" y=\"{TOP}\" width=\"{:.1}\" height=\"{}\" fill=\"{fill}\"/>",
            x1 - x0,
            BOTTOM - TOP
        );
    }

    // Grid and axes.
    let mut tick = 0.0;
    while tick <= y_top + y_step / 2.0 {
        let at = BOTTOM - (BOTTOM - TOP) * (tick / y_top);
        let _ = writeln!(
            svg,
            "<line x1=\"{LEFT}\" y1=\"{at:.1}\" x2=\"{RIGHT}\" y2=\"{at:.1}\" stroke=\"#dddddd\"/>\n\
             <text x=\"{}\" y=\"{:.1}\" text-anchor=\"end\">{}</text>",
            LEFT - 6.0,
            at + 4.0,
            number(tick)
        );
        tick += y_step;
    }
    let mut tick = 0.0;
    while tick <= x_end + x_step / 1000.0 {
        let at = LEFT + (RIGHT - LEFT) * (tick / x_end);
        let _ = writeln!(
            svg,
            "<line x1=\"{at:.1}\" y1=\"{BOTTOM}\" x2=\"{at:.1}\" y2=\"{}\" stroke=\"#333\"/>\n\
             <text x=\"{at:.1}\" y=\"{}\" text-anchor=\"middle\">{}</text>",
            BOTTOM + 5.0,
            BOTTOM + 19.0,
            number(tick)
        );
        tick += x_step;
    }
    let _ = writeln!(
        svg,
        "<line x1=\"{LEFT}\" y1=\"{BOTTOM}\" x2=\"{RIGHT}\" y2=\"{BOTTOM}\" stroke=\"#333\"/>\n\
         <line x1=\"{LEFT}\" y1=\"{TOP}\" x2=\"{LEFT}\" y2=\"{BOTTOM}\" stroke=\"#333\"/>\n\
         <text x=\"{}\" y=\"{}\" text-anchor=\"middle\">time since the program started (s)</text>\n\
         <text x=\"20\" y=\"{}\" text-anchor=\"middle\" transform=\"rotate(-90 20 {})\">memory ({unit})</text>",
        (LEFT + RIGHT) / 2.0,
        BOTTOM + 42.0,
        (TOP + BOTTOM) / 2.0,
        (TOP + BOTTOM) / 2.0,
    );

    // Peak and exit markers: the peak where the layers take it, the highest sample.
    let peak = peak_sample(samples);
    for sample in samples {
        let label = match sample.kind {
            SampleKind::Exit => "exit",
            _ if peak.is_some_and(|peak| std::ptr::eq(peak, sample)) => "peak",
            _ => continue,
        };
        let at = x(sample.t_ns);
        let _ = writeln!(
            svg,
            "<line x1=\"{at:.1}\" y1=\"{TOP}\" x2=\"{at:.1}\" y2=\"{BOTTOM}\" stroke=\"#777\" \
             stroke-dasharray=\"4 4\"/>\n<text x=\"{at:.1}\" y=\"{}\" text-anchor=\"middle\" \
             fill=\"#555\">{label}</text>",
            TOP - 6.0
        );
    }

    // The lines: a polyline per run of known values.
    for (_, colour, dash, value) in LINES {
        let mut runs: Vec<Vec<String>> = vec![Vec::new()];
        for sample in layers {
            match (value(sample), runs.last_mut()) {
                (Some(bytes), Some(run)) => {
                    run.push(format!("{:.1},{:.1}", x(sample.t_ns), y(bytes)));
                }
                _ => runs.push(Vec::new()),
            }
        }
        for run in runs.iter().filter(|run| !run.is_empty()) {
            // A value between two unknown ones (a probe skipped around it) is a dot.
            if let [point] = run.as_slice()
                && let Some((cx, cy)) = point.split_once(',')
            {
                let _ = writeln!(
                    svg,
                    "<circle cx=\"{cx}\" cy=\"{cy}\" r=\"3\" fill=\"{colour}\"/>"
                );
                continue;
            }
            let dash = if dash.is_empty() {
                String::new()
            } else {
                format!(" stroke-dasharray=\"{dash}\"")
            };
            let _ = writeln!(
                svg,
                "<polyline points=\"{}\" fill=\"none\" stroke=\"{colour}\" stroke-width=\"2\"{dash}/>",
                run.join(" ")
            );
        }
    }

    // Legend, right of the plot.
    let legend_x = RIGHT + 20.0;
    let mut legend_y = TOP + 10.0;
    for (name, colour, dash, _) in LINES {
        let dash = if dash.is_empty() {
            String::new()
        } else {
            format!(" stroke-dasharray=\"{dash}\"")
        };
        let _ = writeln!(
            svg,
            "<line x1=\"{legend_x}\" y1=\"{legend_y}\" x2=\"{}\" y2=\"{legend_y}\" stroke=\"{colour}\" \
             stroke-width=\"2\"{dash}/>\n<text x=\"{}\" y=\"{}\">{}</text>",
            legend_x + 24.0,
            legend_x + 30.0,
            legend_y + 4.0,
            escape(name)
        );
        legend_y += 22.0;
    }
    for (level, fill) in BANDS {
        let _ = writeln!(
            svg,
            "<rect x=\"{legend_x}\" y=\"{}\" width=\"24\" height=\"12\" fill=\"{fill}\" \
             stroke=\"#bbb\"/>\n<text x=\"{}\" y=\"{}\">memory pressure: {level}</text>",
            legend_y - 6.0,
            legend_x + 30.0,
            legend_y + 4.0
        );
        legend_y += 22.0;
    }
    svg.push_str("</svg>\n");
    svg
}

/// The unit the y axis is in, and its size in bytes: KiB below 1 MiB, MiB below 10 GiB,
/// GiB above.
fn unit_for(highest: u64) -> (&'static str, f64) {
    if highest < 1 << 20 {
        ("KiB", 1024.0)
    } else if highest < 10 << 30 {
        ("MiB", 1_048_576.0)
    } else {
        ("GiB", 1_073_741_824.0)
    }
}

/// A round step (1, 2 or 5 times a power of ten) giving at most about `ticks` ticks up to
/// `range`.
fn nice_step(range: f64, ticks: u32) -> f64 {
    if range.is_nan() || range <= 0.0 {
        return 1.0;
    }
    let raw = range / f64::from(ticks);
    let power = 10_f64.powf(raw.log10().floor());
    [1.0, 2.0, 5.0, 10.0]
        .iter()
        .map(|m| m * power)
        .find(|&step| step >= raw)
        .unwrap_or(10.0 * power)
}

/// A tick label: no decimals for whole numbers, else up to two.
fn number(value: f64) -> String {
    let rounded = (value * 100.0).round() / 100.0;
    if rounded.fract() == 0.0 {
        format!("{rounded:.0}")
    } else {
        let text = format!("{rounded:.2}");
        text.trim_end_matches('0').to_owned()
    }
}

/// Text made safe for XML.
fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn steps_units_and_labels() {
        assert_eq!(nice_step(100.0, 6), 20.0);
        assert_eq!(nice_step(7.0, 8), 1.0);
        assert_eq!(nice_step(1.8, 8), 0.5);
        assert_eq!(nice_step(0.0, 8), 1.0);
        assert_eq!(nice_step(f64::NAN, 8), 1.0);
        assert_eq!(unit_for(1000).0, "KiB");
        assert_eq!(unit_for(200 << 20).0, "MiB");
        assert_eq!(unit_for(20 << 30).0, "GiB");
        assert_eq!(number(0.0), "0");
        assert_eq!(number(0.5), "0.5");
        assert_eq!(number(0.30000000000000004), "0.3");
        assert_eq!(number(120.0), "120");
        assert_eq!(escape("a<b & \"c\">"), "a&lt;b &amp; &quot;c&quot;&gt;");
    }
}
