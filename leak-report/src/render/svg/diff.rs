//! The differential flamegraph of two runs: the new run's live bytes at exit by stack,
//! each frame coloured by how its bytes changed from the base (red: grew, blue: shrank),
//! drawn by inferno from two-count folded lines, as `difffolded.pl` makes them.

use std::collections::BTreeMap;
use std::io;

use inferno::flamegraph::{self, Options};

use crate::compare::diff::Diff;
use crate::render::svg::flamegraph::{empty_svg, frame_name};

/// The flamegraph's title.
const TITLE: &str = "Live at exit: base -> new";

/// Writes the differential flamegraph of `diff`: widths are the new run's bytes live at
/// exit (the runtime's left out), colours the change from the base. A stack that held
/// nothing in the new run has no width, so what was freed shows in the text, not here.
/// Nothing live in the new run writes a small SVG that says so.
///
/// # Errors
/// Write errors, and inferno's.
pub fn write_diff_flamegraph(diff: &Diff, out: &mut dyn io::Write) -> io::Result<()> {
    let mut folded: BTreeMap<String, (u64, u64)> = BTreeMap::new();
    for site in &diff.sites {
        let stack: Vec<String> = site.stack.iter().rev().map(frame_name).collect();
        let counts = folded.entry(stack.join(";")).or_default();
        counts.0 = counts.0.saturating_add(site.base.live.bytes);
        counts.1 = counts.1.saturating_add(site.new.live.bytes);
    }
    // inferno sums counts in a u64 and places boxes with f64s: keep the total in range.
    let total: u128 = folded.values().map(|&(a, b)| u128::from(a.max(b))).sum();
    let scale = u64::try_from(total.div_ceil(1 << 52))
        .unwrap_or(u64::MAX)
        .max(1);
    let lines: Vec<String> = folded
        .into_iter()
        .filter(|&(_, (_, new))| new / scale > 0)
        .map(|(stack, (base, new))| format!("{stack} {} {}", base / scale, new / scale))
        .collect();
    if lines.is_empty() {
        return out.write_all(empty_svg(TITLE, "nothing live at exit in the new run").as_bytes());
    }
    let mut options = Options::default();
    options.title = TITLE.to_owned();
    options.subtitle = Some("width: new bytes; red: grew, blue: shrank".to_owned());
    options.count_name = "bytes".to_owned();
    options.deterministic = true;
    options.factor = scale as f64;
    flamegraph::from_lines(&mut options, lines.iter().map(String::as_str), &mut *out)
        .map_err(io::Error::other)
}
