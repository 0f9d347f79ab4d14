//! report.json's memory fields (`docs/report-json.md`): `layers` at the peak and at exit,
//! `timeline` and `growth`.

use serde::Serialize;

use crate::analysis::growth::GrowingSite;
use crate::memory::layers::{Layers, MemoryLayers};
use crate::render::json::entry::WireEntry;
use crate::report::model::Report;

/// `layers` in report.json.
#[derive(Serialize)]
pub(crate) struct WireMemoryLayers<'a> {
    at_peak: Option<WireLayers<'a>>,
    at_exit: Option<WireLayers<'a>>,
}

/// One moment of `layers` in report.json.
#[derive(Serialize)]
pub(crate) struct WireLayers<'a> {
    t_ns: u64,
    rss: Option<u64>,
    tracked_heap: u64,
    tracker_overhead: Option<u64>,
    malloc_overhead: Option<u64>,
    native: Option<u64>,
    allocator_free: Option<u64>,
    not_resident: Option<u64>,
    other_anonymous: Option<u64>,
    file_backed: Option<u64>,
    swap: Option<u64>,
    pressure: Option<&'a str>,
    estimates: Vec<&'static str>,
}

impl<'a> From<&'a MemoryLayers> for WireMemoryLayers<'a> {
    fn from(layers: &'a MemoryLayers) -> Self {
        Self {
            at_peak: layers.at_peak.as_ref().map(WireLayers::from),
            at_exit: layers.at_exit.as_ref().map(WireLayers::from),
        }
    }
}

impl<'a> From<&'a Layers> for WireLayers<'a> {
    fn from(layers: &'a Layers) -> Self {
        let mut estimates = Vec::new();
        if layers.estimated {
            if layers.malloc_overhead.is_some() {
                estimates.push("malloc_overhead");
            }
            if layers.native.is_some() {
                estimates.push("native");
            }
        }
        if layers.heap_not_resident {
            estimates.push("tracked_heap");
        }
        if layers.not_resident.is_some_and(|bytes| bytes > 0) {
            estimates.push("allocator_free");
            if !estimates.contains(&"native") && layers.native.is_some() {
                estimates.push("native");
            }
        }
        Self {
            t_ns: layers.t_ns,
            rss: layers.rss,
            tracked_heap: layers.tracked_heap,
            tracker_overhead: layers.tracker_overhead,
            malloc_overhead: layers.malloc_overhead,
            native: layers.native,
            allocator_free: layers.allocator_free,
            not_resident: layers.not_resident,
            other_anonymous: layers.other_anonymous,
            file_backed: layers.file_backed,
            swap: layers.swap,
            pressure: layers.pressure.as_deref(),
            estimates,
        }
    }
}

/// `timeline`: what the profile's timeline held; `None` without one.
pub(crate) fn wire_timeline(report: &Report) -> Option<WireTimeline> {
    let window = report.growth_window();
    if report.samples().is_empty() && window.checkpoints == 0 {
        return None;
    }
    Some(WireTimeline {
        samples: report.samples().len(),
        checkpoints: window.checkpoints,
        span_ns: window.span_ns,
        growth_checked: window.checked(),
    })
}

#[derive(Serialize)]
pub(crate) struct WireTimeline {
    samples: usize,
    checkpoints: usize,
    span_ns: u64,
    growth_checked: bool,
}

#[derive(Serialize)]
pub(crate) struct WireGrowth<'a> {
    bytes_per_sec: f64,
    live_bytes: u64,
    first_bytes: u64,
    stack: Vec<WireEntry<'a>>,
}

impl<'a> From<&'a GrowingSite> for WireGrowth<'a> {
    fn from(site: &'a GrowingSite) -> Self {
        Self {
            // One decimal is plenty for a rate, and keeps the file diffable.
            bytes_per_sec: (site.bytes_per_sec * 10.0).round() / 10.0,
            live_bytes: site.live_bytes,
            first_bytes: site.first_bytes,
            stack: site.stack.iter().map(WireEntry::from).collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use serde_json::{Value, json};

    use super::*;
    use crate::memory::chunks::BlockOverhead;
    use crate::symbols::load::parse_profile;
    use crate::testing::{LEAKY, full};

    fn memory(timeline: Value) -> MemoryLayers {
        let mut value: Value = serde_json::from_str(LEAKY).unwrap();
        value["totals"]["overhead_bytes"] = 0.into();
        value["footprint"] = full();
        value["timeline"] = timeline;
        let profile = parse_profile(Path::new("/p.json"), value.to_string().as_bytes()).unwrap();
        MemoryLayers::derive(&profile, BlockOverhead::of_live(&profile))
    }

    #[test]
    fn json_names_the_estimates() {
        let timeline = json!({"samples": [{"t_ns": 10, "kind": "peak", "live_bytes": 64,
            "live_blocks": 1, "footprint": full()}]});
        let layers = memory(timeline);
        let value = serde_json::to_value(WireMemoryLayers::from(&layers)).unwrap();
        assert_eq!(
            value["at_peak"]["estimates"],
            json!(["malloc_overhead", "native"])
        );
        assert_eq!(value["at_exit"]["estimates"], json!([]));
        assert_eq!(value["at_exit"]["pressure"], "normal");
        assert_eq!(value["at_exit"]["tracked_heap"], 11_568);
        let none = serde_json::to_value(WireMemoryLayers::from(&MemoryLayers::default())).unwrap();
        assert_eq!(none, json!({"at_peak": null, "at_exit": null}));
    }
}
