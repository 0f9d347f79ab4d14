//! Flamegraphs of live memory by stack, drawn by `inferno`: everything live at exit
//! but the runtime's, or one kind (definite, indirect, ...).

use std::collections::BTreeMap;
use std::io;

use inferno::flamegraph::color::{BasicPalette, Palette};
use inferno::flamegraph::{self, Options};

use crate::analysis::findings::ReportSite;
use crate::error::Error;
use crate::model::{Mode, Origin, SiteKind};
use crate::render::format::thousands;
use crate::report::model::Report;
use crate::symbols::entry::StackEntry;

/// The largest total count handed to inferno, which sums counts in a `u64` (overflowing
/// on hostile sizes) and places boxes with `f64`s.
const MAX_TOTAL: u64 = 1 << 52;

/// The flamegraph's title.
const TITLE: &str = "Live at exit";

/// live-at-exit flamegraph SVG: the bytes of every site live at exit except the
/// runtime's (so with a scan: definite, indirect and still reachable) by stack, `main`
/// at the bottom, the allocating function on top. Frames are function names only, so
/// sites that differ only in line numbers share a box. The output is the same for the
/// same report. With nothing live at exit, a small SVG that says so.
///
/// # Errors
/// Write errors, as [`Error::Flamegraph`].
pub fn write_live_flamegraph(report: &Report, out: &mut dyn io::Write) -> Result<(), Error> {
    let live = report.summary().live_at_exit;
    let subtitle = format!(
        "{}: {} bytes in {} blocks live at exit, runtime excluded",
        report.program().name(),
        thousands(live.bytes),
        thousands(live.blocks),
    );
    let (lines, scale) = folded_live(report);
    draw(
        report,
        TITLE,
        subtitle,
        "nothing live at exit",
        &lines,
        scale,
        out,
    )
}

/// The flamegraph SVG of one kind's bytes (e.g. [`SiteKind::Definite`]), drawn as
/// [`write_live_flamegraph`](write_live_flamegraph) draws all of them. With
/// nothing of that kind, a small SVG that says so.
///
/// # Errors
/// Write errors, as [`Error::Flamegraph`].
pub fn write_kind_flamegraph(
    report: &Report,
    kind: SiteKind,
    out: &mut dyn io::Write,
) -> Result<(), Error> {
    let (title, what) = match kind {
        SiteKind::Definite => ("Definitely lost", "definitely lost"),
        SiteKind::Indirect => ("Indirectly lost", "indirectly lost"),
        SiteKind::Reachable => ("Still reachable", "still reachable at exit"),
        SiteKind::LiveAtExit => (TITLE, "live at exit, runtime excluded"),
        SiteKind::Runtime => ("Held by the runtime", "held by the Rust runtime"),
    };
    let amount = report.amount_of(kind);
    let subtitle = format!(
        "{}: {} bytes in {} blocks {what}",
        report.program().name(),
        thousands(amount.bytes),
        thousands(amount.blocks),
    );
    let (lines, scale) = folded(report, |site| site.kind == kind);
    let empty = format!("nothing {what}");
    draw(report, title, subtitle, &empty, &lines, scale, out)
}

/// The kinds worth a flamegraph of their own: those with bytes, leaks first
/// (definite, indirect, reachable, or live at exit without a scan). Runtime memory is
/// never one of them.
#[must_use]
pub fn flamegraph_kinds(report: &Report) -> Vec<SiteKind> {
    SiteKind::ALL
        .into_iter()
        .filter(|&kind| kind != SiteKind::Runtime && report.amount_of(kind).bytes > 0)
        .collect()
}

pub(crate) fn draw(
    report: &Report,
    title: &str,
    subtitle: String,
    empty: &str,
    lines: &[String],
    scale: u64,
    out: &mut dyn io::Write,
) -> Result<(), Error> {
    let wrap = |source| Error::Flamegraph {
        path: report.profile_path().to_owned(),
        source,
    };
    if lines.is_empty() {
        return out
            .write_all(empty_svg(title, empty).as_bytes())
            .map_err(wrap);
    }
    let mut options = Options::default();
    options.title = title.to_owned();
    options.subtitle = Some(subtitle);
    options.colors = Palette::Basic(BasicPalette::Mem);
    options.count_name = "bytes".to_owned();
    // Colours from a hash of the name, not from a generator whose state carries over
    // between calls: the same report always gives the same SVG.
    options.deterministic = true;
    // Boxes are `count * factor` bytes wide: exact, or within a scale of it.
    options.factor = scale as f64;
    flamegraph::from_lines(&mut options, lines.iter().map(String::as_str), &mut *out).map_err(wrap)
}

/// [`folded`](folded) for everything live but the runtime's.
pub(crate) fn folded_live(report: &Report) -> (Vec<String>, u64) {
    folded_lines(live_stacks(report))
}

/// [`folded_stacks`] of everything live but the runtime's: what the live-at-exit
/// flamegraph draws.
pub(crate) fn live_stacks(report: &Report) -> BTreeMap<String, u64> {
    folded_stacks(report, |site| site.kind != SiteKind::Runtime)
}

/// Folded stacks of the sites `keep` accepts, `outer;...;inner bytes`, sorted
/// (inferno's `from_lines` wants them sorted), equal stacks merged; and the scale the
/// byte counts were divided by, 1 unless their total is beyond [`MAX_TOTAL`].
pub(crate) fn folded(report: &Report, keep: impl Fn(&ReportSite) -> bool) -> (Vec<String>, u64) {
    folded_lines(folded_stacks(report, keep))
}

/// The stacks of the sites `keep` accepts, `outer;...;inner`, with their bytes: equal
/// stacks (by function names) merged.
pub(crate) fn folded_stacks(
    report: &Report,
    keep: impl Fn(&ReportSite) -> bool,
) -> BTreeMap<String, u64> {
    let mut folded: BTreeMap<String, u64> = BTreeMap::new();
    for site in report
        .sites()
        .iter()
        .filter(|site| site.bytes > 0 && keep(site))
    {
        let mut stack: Vec<String> = Vec::with_capacity(site.stack.len() + 1);
        // Under the interposer the first split is by allocator.
        if report.mode() == Mode::Preload {
            stack.push(origin_frame(site.origin).to_owned());
        }
        stack.extend(site.stack.iter().rev().map(frame_name));
        let bytes = folded.entry(stack.join(";")).or_default();
        *bytes = bytes.saturating_add(site.bytes);
    }
    folded
}

/// The root frame of a site's stack under the interposer.
fn origin_frame(origin: Origin) -> &'static str {
    match origin {
        Origin::Rust => "Rust heap",
        Origin::Native => "native (malloc outside Rust)",
    }
}

/// Folded lines from stacks (`outer;...;inner`) and their bytes, sorted as inferno wants
/// them, and the scale the byte counts were divided by: 1 unless their total is beyond
/// [`MAX_TOTAL`]. Stacks whose bytes vanish at that scale are left out.
pub(crate) fn folded_lines(folded: BTreeMap<String, u64>) -> (Vec<String>, u64) {
    let total: u128 = folded.values().map(|&bytes| u128::from(bytes)).sum();
    let scale = u64::try_from(total.div_ceil(u128::from(MAX_TOTAL)))
        .unwrap_or(u64::MAX)
        .max(1);
    let lines = folded
        .into_iter()
        .filter_map(|(stack, bytes)| {
            let scaled = bytes / scale;
            (scaled > 0).then(|| format!("{stack} {scaled}"))
        })
        .collect();
    (lines, scale)
}

/// A frame's name in a folded line: `;` separates frames, so one inside a name (`[u8; 4]`)
/// becomes `,`; an unresolved entry keeps its address.
pub(crate) fn frame_name(entry: &StackEntry) -> String {
    let name = match entry.ip {
        Some(ip) if entry.file.is_none() => format!("{} {ip:#x}", entry.function),
        _ => entry.function.clone(),
    };
    name.replace(';', ",")
}

/// A valid SVG that says there is nothing to draw (inferno refuses empty input).
pub(crate) fn empty_svg(title: &str, message: &str) -> String {
    format!(
        concat!(
            "<?xml version=\"1.0\" standalone=\"no\"?>\n",
            "<svg version=\"1.1\" width=\"1200\" height=\"90\" viewBox=\"0 0 1200 90\" ",
            "xmlns=\"http://www.w3.org/2000/svg\">\n",
            "<rect x=\"0\" y=\"0\" width=\"100%\" height=\"100%\" fill=\"#eef2ee\"/>\n",
            "<text x=\"600\" y=\"30\" text-anchor=\"middle\" font-family=\"monospace\" ",
            "font-size=\"17\">{}</text>\n",
            "<text x=\"600\" y=\"62\" text-anchor=\"middle\" font-family=\"monospace\" ",
            "font-size=\"12\">{}</text>\n",
            "</svg>\n",
        ),
        title, message
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::findings::ProgramInfo;
    use crate::testing::{leaky, on_main, profile};

    fn svg(report: &Report) -> String {
        let mut out = Vec::new();
        write_live_flamegraph(report, &mut out).unwrap();
        String::from_utf8(out).unwrap()
    }

    fn leaky_report() -> Report {
        let profile = leaky();
        Report::build(&profile, ProgramInfo::from_profile(&profile))
    }

    #[test]
    fn folded_lines_are_outermost_first_and_exclude_runtime() {
        let (lines, scale) = folded_live(&leaky_report());
        assert_eq!(
            lines,
            [
                "leaky::main;leaky::leak_box 4096",
                "leaky::main;leaky::leak_some 6400"
            ]
        );
        assert_eq!(scale, 1);
    }

    #[test]
    fn equal_function_stacks_merge_and_semicolons_are_escaped() {
        let profile = profile(&[
            (
                &on_main(&[
                    "alloc::alloc::alloc",
                    "app::f @ /a.rs:1",
                    "app::main @ /m.rs:1",
                ]),
                &[1],
            ),
            (
                &on_main(&[
                    "alloc::alloc::alloc",
                    "app::f @ /a.rs:2",
                    "app::main @ /m.rs:1",
                ]),
                &[2],
            ),
            (
                &on_main(&[
                    "alloc::alloc::alloc",
                    "<[u8; 4] as app::T>::g",
                    "",
                    "app::main",
                ]),
                &[4],
            ),
        ]);
        let report = Report::build(&profile, ProgramInfo::from_profile(&profile));
        assert_eq!(
            folded_live(&report).0,
            [
                "app::main;?? 0x1180;<[u8, 4] as app::T>::g 4",
                "app::main;app::f 3"
            ]
        );
    }

    #[test]
    fn svg_names_the_functions_and_is_deterministic() {
        let report = leaky_report();
        let first = svg(&report);
        assert!(first.starts_with("<?xml"), "{}", &first[..100]);
        assert!(first.trim_end().ends_with("</svg>"));
        for needle in [
            "leaky::leak_some",
            "leaky::leak_box",
            "leaky::main",
            "Live at exit",
            "bytes",
        ] {
            assert!(first.contains(needle), "{needle} missing");
        }
        assert!(
            !first.contains("std::io::stdio"),
            "runtime sites are not drawn"
        );
        assert_eq!(svg(&report), first, "a second rendering is identical");
        assert_eq!(svg(&leaky_report()), first);
    }

    #[test]
    fn huge_sizes_are_scaled_not_overflowed() {
        let profile = profile(&[
            (&["app::a"], &[u64::MAX, u64::MAX]),
            (&["app::b"], &[u64::MAX / 2]),
            (&["app::tiny"], &[1]),
        ]);
        let report = Report::build(&profile, ProgramInfo::from_profile(&profile));
        let (lines, scale) = folded_live(&report);
        assert_eq!(
            lines.len(),
            2,
            "the 1-byte site vanishes at this scale: {lines:?}"
        );
        assert!(scale > 1);
        let out = svg(&report);
        assert!(out.contains("app::a") && out.contains("app::b"));
    }

    #[test]
    fn nothing_live_still_gives_an_svg() {
        let profile = profile(&[(&on_main(&["alloc::alloc::alloc", "app::main"]), &[])]);
        let report = Report::build(&profile, ProgramInfo::from_profile(&profile));
        let out = svg(&report);
        assert!(out.starts_with("<?xml") && out.trim_end().ends_with("</svg>"));
        assert!(out.contains("nothing live at exit"));
    }

    #[test]
    fn write_errors_name_the_profile() {
        struct Broken;
        impl io::Write for Broken {
            fn write(&mut self, _: &[u8]) -> io::Result<usize> {
                Err(io::Error::other("disk full"))
            }
            fn flush(&mut self) -> io::Result<()> {
                Ok(())
            }
        }
        let error = write_live_flamegraph(&leaky_report(), &mut Broken).unwrap_err();
        assert!(matches!(error, Error::Flamegraph { .. }));
        assert!(
            error.to_string().contains("/fixtures/leaky.json"),
            "{error}"
        );
    }
}
