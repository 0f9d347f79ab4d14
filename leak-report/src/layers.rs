//! Where the process's memory went when the profile was written (DESIGN.md, "The three
//! layers"): the tracker's heap, the allocator's view and the OS's, each number from one
//! layer, derived from the profile's `footprint`; and the text report's "memory at
//! exit" block.

use std::io;

use serde::Serialize;

use crate::analysis::Report;
use crate::footprint::{Footprint, Limit};
use crate::format::Style;
use crate::profile::Totals;
use crate::text::Writer;

/// The process's memory by layer when the profile was written (at exit, or on request).
///
/// `None` where an input was unknown. The parts add up to the resident set:
/// `rss = heap_tracked + malloc_untracked + malloc_free + other_anonymous + file_backed`,
/// unless a difference had to be clamped at zero or the OS's numbers were read a moment
/// apart from malloc's.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Layers {
    /// Tracker layer: bytes live in blocks the tracker saw (`totals.live_bytes`), as
    /// requested (malloc's headers and rounding not included).
    pub heap_tracked: u64,
    /// Allocator layer: everything malloc handed out, its own-`mmap` blocks included
    /// (`malloc.in_use + malloc.mmapped`).
    pub malloc_in_use: Option<u64>,
    /// Allocator layer minus tracker layer, an estimate: `malloc_in_use - heap_tracked`,
    /// at least 0. Native C/FFI `malloc`, the tracker's own tables, malloc's headers
    /// and rounding.
    pub malloc_untracked: Option<u64>,
    /// Allocator layer: bytes malloc keeps but has not handed out (`malloc.free`).
    pub malloc_free: Option<u64>,
    /// OS layer: the resident set.
    pub rss: Option<u64>,
    /// OS layer minus allocator layer: anonymous memory malloc does not account for,
    /// `anonymous - (in_use + free + mmapped)`, at least 0: thread stacks, direct `mmap`.
    pub other_anonymous: Option<u64>,
    /// OS layer: resident file mappings (code, data files) and shared memory.
    pub file_backed: Option<u64>,
    /// OS layer: swapped-out memory.
    pub swap: Option<u64>,
}

impl Layers {
    /// The layers from a footprint and the tracker's totals of the same moment.
    pub(crate) fn derive(footprint: &Footprint, totals: &Totals) -> Self {
        let heap_tracked = totals.live_bytes;
        let malloc = footprint.malloc.as_ref();
        let in_use = malloc.and_then(|m| m.in_use);
        let mmapped = malloc.and_then(|m| m.mmapped);
        let free = malloc.and_then(|m| m.free);
        let malloc_in_use = in_use.zip(mmapped).map(|(a, b)| a.saturating_add(b));
        let malloc_total = malloc_in_use.zip(free).map(|(a, b)| a.saturating_add(b));
        Self {
            heap_tracked,
            malloc_in_use,
            malloc_untracked: malloc_in_use.map(|used| used.saturating_sub(heap_tracked)),
            malloc_free: free,
            rss: footprint.rss,
            other_anonymous: footprint
                .anonymous
                .zip(malloc_total)
                .map(|(anonymous, malloc)| anonymous.saturating_sub(malloc)),
            file_backed: footprint.file_backed,
            swap: footprint.swap,
        }
    }
}

/// `layers` in report.json: the numbers grouped by the layer they come from.
#[derive(Serialize)]
pub(crate) struct WireLayers {
    tracker: WireTracker,
    allocator: WireAllocator,
    os: WireOs,
}

#[derive(Serialize)]
struct WireTracker {
    heap: u64,
}

#[derive(Serialize)]
struct WireAllocator {
    in_use: Option<u64>,
    untracked: Option<u64>,
    free: Option<u64>,
}

#[derive(Serialize)]
struct WireOs {
    rss: Option<u64>,
    other_anonymous: Option<u64>,
    file_backed: Option<u64>,
    swap: Option<u64>,
}

impl From<&Layers> for WireLayers {
    fn from(layers: &Layers) -> Self {
        Self {
            tracker: WireTracker {
                heap: layers.heap_tracked,
            },
            allocator: WireAllocator {
                in_use: layers.malloc_in_use,
                untracked: layers.malloc_untracked,
                free: layers.malloc_free,
            },
            os: WireOs {
                rss: layers.rss,
                other_anonymous: layers.other_anonymous,
                file_backed: layers.file_backed,
                swap: layers.swap,
            },
        }
    }
}

impl Report {
    /// The profile's footprint, as written; `None` when it has none (an older profile).
    #[must_use]
    pub fn footprint(&self) -> Option<&Footprint> {
        self.footprint.as_ref()
    }

    /// Where the memory went when the profile was written, by layer; `None` without a
    /// footprint.
    #[must_use]
    pub fn layers(&self) -> Option<&Layers> {
        self.layers.as_ref()
    }
}

/// `0`, `512 B`, `10.8 KiB`, `3.5 MiB`, `1.2 GiB`: one decimal, rounded, the unit chosen
/// so that the number stays under 1024.
pub(crate) fn human(bytes: u64) -> String {
    match bytes {
        0 => return "0".to_owned(),
        1..1024 => return format!("{bytes} B"),
        _ => {}
    }
    let units = ["KiB", "MiB", "GiB", "TiB", "PiB", "EiB"];
    let mut divisor: u128 = 1024;
    for (index, unit) in units.iter().enumerate() {
        let tenths = (u128::from(bytes) * 10 + divisor / 2) / divisor;
        if tenths < 10_240 || index + 1 == units.len() {
            return format!("{}.{} {unit}", tenths / 10, tenths % 10);
        }
        divisor *= 1024;
    }
    unreachable!("the last unit always returns")
}

fn size(style: &Style, bytes: u64) -> String {
    if style.color {
        format!("\x1b[1m{}\x1b[0m", human(bytes))
    } else {
        human(bytes)
    }
}

/// The "memory at exit" block: the resident set by layer, then the cgroup, pressure and
/// the system's available memory. Unknown numbers are left out; nothing without a
/// footprint.
pub(crate) fn write_memory(report: &Report, writer: &mut Writer<'_>) -> io::Result<()> {
    let (Some(footprint), Some(layers)) = (report.footprint(), report.layers()) else {
        return Ok(());
    };
    let style = &writer.style;
    if let Some(line) = process_line(layers, style, report.written_on_request()) {
        writeln!(writer.out, "{line}")?;
    }
    let context = context_parts(footprint, style);
    if !context.is_empty() {
        writeln!(writer.out, "{}", context.join("; "))?;
    }
    Ok(())
}

/// `process at exit: RSS 3.5 MiB = heap (tracked) 10.8 KiB + ...; swap 0`; `None` when
/// neither the allocator nor the OS said anything.
fn process_line(layers: &Layers, style: &Style, on_request: bool) -> Option<String> {
    let parts = [
        ("heap (tracked) ", Some(layers.heap_tracked)),
        ("native/other malloc ~", layers.malloc_untracked),
        ("malloc free ", layers.malloc_free),
        ("other anonymous ", layers.other_anonymous),
        ("file-backed ", layers.file_backed),
    ];
    let outside_tracker = [layers.malloc_in_use, layers.rss, layers.file_backed];
    if outside_tracker
        .iter()
        .chain(&[layers.other_anonymous, layers.swap])
        .all(Option::is_none)
    {
        return None;
    }
    let known: Vec<String> = parts
        .iter()
        .filter_map(|(label, bytes)| bytes.map(|bytes| format!("{label}{}", size(style, bytes))))
        .collect();
    let sum = parts
        .iter()
        .try_fold(0_u64, |sum, (_, bytes)| Some(sum.saturating_add((*bytes)?)));
    let when = if on_request {
        "when written"
    } else {
        "at exit"
    };
    let mut line = format!("process {when}: ");
    match layers.rss {
        // The parts add up exactly: say so.
        Some(rss) if sum == Some(rss) => {
            line += &format!("RSS {} = {}", size(style, rss), known.join(" + "));
        }
        Some(rss) => line += &format!("RSS {}; {}", size(style, rss), known.join(", ")),
        None => line += &known.join(", "),
    }
    if let Some(swap) = layers.swap {
        line += &format!("; swap {}", size(style, swap));
    }
    Some(line)
}

/// `cgroup: 387.3 MiB of no limit, peak 462.3 MiB`, `pressure normal`, `23.0 GiB
/// available of 23.5 GiB`: those that are known.
fn context_parts(footprint: &Footprint, style: &Style) -> Vec<String> {
    let mut parts = Vec::new();
    if let Some(cgroup) = &footprint.cgroup {
        let limit = |limit: Limit| match limit {
            Limit::Max => "no limit".to_owned(),
            Limit::Bytes(bytes) => format!("a {} limit", size(style, bytes)),
        };
        let mut pieces = Vec::new();
        match (cgroup.current, cgroup.limit) {
            (Some(current), Some(max)) => {
                pieces.push(format!("{} of {}", size(style, current), limit(max)));
            }
            (Some(current), None) => pieces.push(size(style, current)),
            (None, Some(max)) => pieces.push(limit(max)),
            (None, None) => {}
        }
        if let Some(peak) = cgroup.peak {
            pieces.push(format!("peak {}", size(style, peak)));
        }
        if let Some(Limit::Bytes(high)) = cgroup.high {
            pieces.push(format!("throttled above {}", size(style, high)));
        }
        let kills = cgroup.oom_kill.unwrap_or(0);
        if kills > 0 {
            let suffix = if kills == 1 { "" } else { "s" };
            pieces.push(format!("{} OOM kill{suffix}", style.number(kills)));
        }
        if !pieces.is_empty() {
            parts.push(format!("cgroup: {}", pieces.join(", ")));
        }
    }
    if let Some(pressure) = &footprint.pressure
        && let Some(level) = &pressure.level
    {
        let mut part = format!("pressure {level}");
        let some = pressure.some.and_then(|stall| stall.avg10);
        let full = pressure.full.and_then(|stall| stall.avg10);
        if level != "normal" && (some.is_some() || full.is_some()) {
            let shares: Vec<String> = [("some", some), ("full", full)]
                .iter()
                .filter_map(|(name, share)| share.map(|share| format!("{name} {share:.2}%")))
                .collect();
            part += &format!(" (stalled: {} of the last 10 s)", shares.join(", "));
        }
        parts.push(part);
    }
    match (footprint.mem_available, footprint.mem_total) {
        (Some(available), Some(total)) => parts.push(format!(
            "{} available of {}",
            size(style, available),
            size(style, total)
        )),
        (Some(available), None) => parts.push(format!("{} available", size(style, available))),
        _ => {}
    }
    parts
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use serde_json::{Value, json};

    use super::*;
    use crate::load::parse_profile;
    use crate::testing::{full, leaky_with};

    /// The layers of the leaky fixture (11,568 bytes live) with `footprint`.
    fn layers(footprint: Value) -> Layers {
        let text = leaky_with(Some(footprint));
        let profile = parse_profile(Path::new("/p.json"), text.as_bytes()).unwrap();
        Layers::derive(profile.footprint().unwrap(), profile.totals())
    }

    #[test]
    fn full_footprint_adds_up_to_the_rss() {
        let layers = layers(full());
        assert_eq!(
            layers,
            Layers {
                heap_tracked: 11_568,
                malloc_in_use: Some(42_288),
                malloc_untracked: Some(42_288 - 11_568),
                malloc_free: Some(92_880),
                rss: Some(3_678_208),
                other_anonymous: Some(286_720 - 42_288 - 92_880),
                file_backed: Some(3_391_488),
                swap: Some(0),
            }
        );
        let parts = [
            layers.heap_tracked,
            layers.malloc_untracked.unwrap(),
            layers.malloc_free.unwrap(),
            layers.other_anonymous.unwrap(),
            layers.file_backed.unwrap(),
        ];
        assert_eq!(parts.iter().sum::<u64>(), 3_678_208);
    }

    #[test]
    fn own_mmap_blocks_count_as_in_use() {
        let mut footprint = full();
        footprint["malloc"] = json!({"in_use": 1000, "free": 500, "mmapped": 2_000_000});
        footprint["anonymous"] = json!(3_000_000);
        let layers = layers(footprint);
        assert_eq!(layers.malloc_in_use, Some(2_001_000));
        assert_eq!(layers.malloc_untracked, Some(2_001_000 - 11_568));
        assert_eq!(layers.other_anonymous, Some(3_000_000 - 2_001_500));
    }

    #[test]
    fn differences_clamp_at_zero() {
        let mut footprint = full();
        footprint["malloc"] = json!({"in_use": 100, "free": 50_000, "mmapped": 0});
        footprint["anonymous"] = json!(40_000);
        let layers = layers(footprint);
        assert_eq!(layers.malloc_untracked, Some(0));
        assert_eq!(layers.other_anonymous, Some(0));
        let u64_max = layers_of_max();
        assert_eq!(u64_max.malloc_in_use, Some(u64::MAX));
        assert_eq!(u64_max.other_anonymous, Some(0));
    }

    fn layers_of_max() -> Layers {
        let mut footprint = full();
        footprint["malloc"] = json!({"in_use": u64::MAX, "free": u64::MAX, "mmapped": u64::MAX});
        footprint["anonymous"] = json!(u64::MAX);
        layers(footprint)
    }

    #[test]
    fn unknown_inputs_give_unknown_layers() {
        let mut footprint = full();
        footprint["malloc"] = Value::Null;
        footprint["anonymous"] = Value::Null;
        let layers = layers(footprint);
        assert_eq!(layers.heap_tracked, 11_568);
        assert_eq!(
            (
                layers.malloc_in_use,
                layers.malloc_untracked,
                layers.malloc_free
            ),
            (None, None, None)
        );
        assert_eq!(layers.other_anonymous, None);
        assert_eq!(layers.rss, Some(3_678_208));
        let mut footprint = full();
        footprint["malloc"]["mmapped"] = Value::Null;
        let partial = self::layers(footprint);
        assert_eq!(
            (partial.malloc_in_use, partial.malloc_untracked),
            (None, None)
        );
        assert_eq!(partial.malloc_free, Some(92_880));
        assert_eq!(partial.other_anonymous, None);
        assert_eq!(self::layers(json!({})).rss, None);
    }

    #[test]
    fn human_sizes() {
        let cases = [
            (0, "0"),
            (1, "1 B"),
            (1023, "1023 B"),
            (1024, "1.0 KiB"),
            (11_040, "10.8 KiB"),
            (1_048_524, "1023.9 KiB"),
            (1_048_575, "1.0 MiB"),
            (3_678_208, "3.5 MiB"),
            (406_138_880, "387.3 MiB"),
            (24_652_361_728, "23.0 GiB"),
            (u64::MAX, "16.0 EiB"),
        ];
        for (bytes, text) in cases {
            assert_eq!(human(bytes), text, "{bytes}");
        }
    }
}
