//! `layers.svg`: a flamegraph of the resident set at exit. Above the root, one box, the
//! RSS; above it, one box per layer (tracked heap, tracker overhead, malloc's per-block
//! overhead, native, malloc's free space, other anonymous, file-backed), as wide as its
//! bytes; above the tracked heap, its live bytes by allocation stack, `main` first.

use std::collections::BTreeMap;
use std::io;

use crate::error::Error;
use crate::memory::layers::{Layers, Part};
use crate::model::Origin;
use crate::render::format::human;
use crate::render::svg::flamegraph::draw;
use crate::render::svg::flamegraph::{folded_lines, frame_name};
use crate::report::model::Report;

/// The flamegraph's title.
const TITLE: &str = "Resident memory at exit, by layer";

/// The box every layer stands on.
const ROOT: &str = "RSS";

/// The layers flamegraph SVG (`layers.svg`) of the memory at exit: the resident set
/// split by layer, the tracked heap split by stack. Unknown layers are left out. With
/// no layers at exit (a profile without a footprint), a small SVG that says so. The
/// same report always gives the same SVG.
///
/// # Errors
/// Write errors, as [`Error::Flamegraph`].
pub fn write_layers_flamegraph(report: &Report, out: &mut dyn io::Write) -> Result<(), Error> {
    let Some(exit) = &report.layers().at_exit else {
        let empty = "no memory layers: the profile has no footprint";
        return draw(report, TITLE, String::new(), empty, &[], 1, out);
    };
    let (lines, scale) = folded_lines(folded_layers(report, exit));
    draw(
        report,
        TITLE,
        layers_subtitle(report, exit),
        "nothing resident",
        &lines,
        scale,
        out,
    )
}

/// `RSS;layer` and `RSS;tracked heap;main;...;f` stacks with their bytes.
pub(crate) fn folded_layers(report: &Report, exit: &Layers) -> BTreeMap<String, u64> {
    let mut folded = BTreeMap::new();
    let mut by_stack: u64 = 0;
    let mut native_by_stack: u64 = 0;
    for (stack, origin, bytes) in report.heap_by_stack() {
        let frames: Vec<String> = stack.iter().rev().map(frame_name).collect();
        let (part, sum) = match origin {
            Origin::Rust => (Part::TrackedHeap, &mut by_stack),
            Origin::Native => (Part::Native, &mut native_by_stack),
        };
        *sum = sum.saturating_add(*bytes);
        let key = format!("{ROOT};{};{}", part.name(), frames.join(";"));
        let sum: &mut u64 = folded.entry(key).or_default();
        *sum = sum.saturating_add(*bytes);
    }
    for (part, bytes) in exit.parts() {
        let bytes = match part {
            // What the tracker counted beyond the blocks it listed (none, normally).
            Part::TrackedHeap => Some(exit.tracked_heap.saturating_sub(by_stack)),
            // Native memory the interposer did not see by stack (malloc's blocks of
            // before its start).
            Part::Native => bytes.map(|bytes| bytes.saturating_sub(native_by_stack)),
            _ => bytes,
        };
        if let Some(bytes) = bytes.filter(|&bytes| bytes > 0) {
            folded.insert(format!("{ROOT};{}", part.name()), bytes);
        }
    }
    folded
}

/// `leaky: RSS 3.5 MiB at exit: tracked heap 10.8 KiB, native 28.9 KiB, malloc free
/// 90.7 KiB` (the known ones; the boxes say the rest).
fn layers_subtitle(report: &Report, exit: &Layers) -> String {
    let parts: Vec<String> = [
        ("tracked heap", Some(exit.tracked_heap)),
        ("native", exit.native),
        ("malloc free", exit.allocator_free),
    ]
    .iter()
    .filter_map(|(name, bytes)| Some(format!("{name} {}", human((*bytes)?))))
    .collect();
    let rss = exit.rss.map_or_else(|| "unknown".to_owned(), human);
    format!(
        "{}: RSS {rss} at exit: {}",
        report.program().name(),
        parts.join(", ")
    )
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use serde_json::Value;

    use super::*;
    use crate::analysis::findings::ProgramInfo;
    use crate::symbols::load::parse_profile;
    use crate::testing::{LEAKY, full};

    fn report(footprint: Option<Value>) -> Report {
        let mut value: Value = serde_json::from_str(LEAKY).unwrap();
        value["totals"]["overhead_bytes"] = 20_000.into();
        if let Some(footprint) = footprint {
            value["footprint"] = footprint;
        }
        let profile = parse_profile(Path::new("/p.json"), value.to_string().as_bytes()).unwrap();
        Report::build(&profile, ProgramInfo::from_profile(&profile))
    }

    fn svg(report: &Report) -> String {
        let mut out = Vec::new();
        write_layers_flamegraph(report, &mut out).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn the_rss_splits_by_layer_and_the_heap_by_stack() {
        let report = report(Some(full()));
        let exit = report.layers().at_exit.clone().unwrap();
        let folded = folded_layers(&report, &exit);
        let keys: Vec<&str> = folded.keys().map(String::as_str).collect();
        assert_eq!(
            keys,
            [
                "RSS;file-backed",
                "RSS;malloc free space",
                "RSS;malloc per-block overhead",
                "RSS;native (malloc, not via Rust)",
                "RSS;other anonymous",
                "RSS;tracked heap;leaky::main",
                "RSS;tracked heap;leaky::main;leaky::leak_box",
                "RSS;tracked heap;leaky::main;leaky::leak_some",
                "RSS;tracked heap;std::rt::init",
                "RSS;tracker overhead",
            ]
        );
        // Every block of the heap is under some stack, and the layers sum to the RSS.
        assert_eq!(folded.values().sum::<u64>(), 3_678_208);
        assert_eq!(
            folded["RSS;tracked heap;leaky::main;leaky::leak_some"],
            6400
        );
        assert_eq!(folded["RSS;tracker overhead"], 20_000);

        let out = svg(&report);
        assert!(out.starts_with("<?xml") && out.trim_end().ends_with("</svg>"));
        for needle in [
            TITLE,
            "leaky: RSS 3.5 MiB at exit: tracked heap 11.3 KiB, native 8.9 KiB, malloc free 90.7 KiB",
            "leak_some",
        ] {
            assert!(out.contains(needle), "{needle} missing");
        }
        assert_eq!(svg(&report), out, "deterministic");
    }

    #[test]
    fn without_a_footprint_the_svg_says_so() {
        let out = svg(&report(None));
        assert!(out.contains("no memory layers"), "{out}");
        assert!(out.trim_end().ends_with("</svg>"));
    }
}
