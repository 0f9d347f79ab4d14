//! The profile's optional `timeline`: what the tracker's sampler saw while the program
//! ran. Samples (the tracked live heap, the tracker's overhead and a footprint, at each
//! interval, at the heap's peak and at exit) and checkpoints (every site's live bytes at
//! a moment, a bounded number of them). An older profile has no `timeline`.
//!
//! Serde checks the types (a mistyped field is named by its path, e.g.
//! `timeline.samples[2].live_bytes`); [`validate`] checks the rest: a checkpoint names only
//! sites of the profile, a sample's footprint holds percentages where it should. Samples
//! and checkpoints are put in time order, should the file not have them so.

use std::collections::HashMap;
use std::path::Path;

pub use memleak_format::{Checkpoint, Sample, SampleKind, Timeline};

use crate::error::Error;

/// Checks the timeline against the profile's sites (by id, through `site_index`) and
/// puts samples and checkpoints in time order.
pub(crate) fn validate(
    path: &Path,
    timeline: &mut Timeline,
    site_index: &HashMap<u64, usize>,
) -> Result<(), Error> {
    for (at, checkpoint) in timeline.checkpoints.iter().enumerate() {
        for (position, &(site, _)) in checkpoint.sites.iter().enumerate() {
            if !site_index.contains_key(&site) {
                return Err(Error::InvalidField {
                    path: path.to_owned(),
                    field: format!("timeline.checkpoints[{at}].sites[{position}]"),
                    message: format!("site id {site} is not the id of an entry of `sites`"),
                });
            }
        }
    }
    for (at, sample) in timeline.samples.iter().enumerate() {
        let field = format!("timeline.samples[{at}].footprint");
        crate::profile::footprint::validate(path, &field, sample.footprint.as_ref())?;
    }
    // Stable: samples of one instant keep their order.
    timeline.samples.sort_by_key(|sample| sample.t_ns);
    timeline
        .checkpoints
        .sort_by_key(|checkpoint| checkpoint.t_ns);
    Ok(())
}

/// The moment the layers call the peak: the sample before exit that saw the most tracked
/// live bytes, the `peak` sample among equals, else the earliest. The `peak` sample
/// alone would not do: it is noted each time the heap grows by a sixteenth, so an
/// interval sample taken between two such steps can see more.
pub(crate) fn peak_sample(samples: &[Sample]) -> Option<&Sample> {
    samples
        .iter()
        .filter(|sample| sample.kind != SampleKind::Exit)
        .max_by(|a, b| {
            a.live_bytes
                .cmp(&b.live_bytes)
                .then_with(|| (a.kind == SampleKind::Peak).cmp(&(b.kind == SampleKind::Peak)))
                .then_with(|| b.t_ns.cmp(&a.t_ns))
        })
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use super::*;
    use crate::profile::loaded::Profile;
    use crate::symbols::load::parse_profile;
    use crate::testing::LEAKY;

    /// The leaky fixture (sites 0 to 5) with `timeline`.
    fn with(timeline: Value) -> Result<Profile, Error> {
        let mut value: Value = serde_json::from_str(LEAKY).unwrap();
        value["timeline"] = timeline;
        parse_profile(Path::new("/t.json"), value.to_string().as_bytes())
    }

    #[test]
    fn a_timeline_loads_in_time_order() {
        let profile = with(json!({
            "interval_ms": 100,
            "samples": [
                {"t_ns": 300, "kind": "exit", "live_bytes": 5, "live_blocks": 1,
                 "overhead_bytes": 9, "footprint": {"rss": 4096}},
                {"t_ns": 100, "kind": "peak", "live_bytes": 50, "live_blocks": 3},
                {"t_ns": 0, "live_bytes": 0, "footprint": null},
                {"t_ns": 200, "kind": "snapshot", "live_bytes": 7, "future_field": 1},
            ],
            "checkpoints": [{"t_ns": 200, "sites": [[2, 64]]}, {"t_ns": 100, "sites": []}],
        }))
        .unwrap();
        let timeline = profile.timeline().unwrap();
        assert_eq!(timeline.interval_ms, Some(100));
        let times: Vec<(u64, SampleKind)> = timeline
            .samples
            .iter()
            .map(|sample| (sample.t_ns, sample.kind))
            .collect();
        assert_eq!(
            times,
            [
                (0, SampleKind::Interval),
                (100, SampleKind::Peak),
                (200, SampleKind::Other),
                (300, SampleKind::Exit)
            ]
        );
        assert_eq!(timeline.peak().map(|s| s.live_bytes), Some(50));
        let exit = timeline.exit().unwrap();
        assert_eq!((exit.overhead_bytes, exit.live_blocks), (Some(9), 1));
        assert_eq!(exit.footprint.as_ref().and_then(|f| f.rss), Some(4096));
        assert_eq!(timeline.checkpoints[0].t_ns, 100);
        assert_eq!(timeline.checkpoints[1].sites, [(2, 64)]);
    }

    #[test]
    fn absent_null_and_empty_timelines() {
        assert!(
            parse_profile(Path::new("/t.json"), LEAKY.as_bytes())
                .unwrap()
                .timeline()
                .is_none()
        );
        assert!(with(Value::Null).unwrap().timeline().is_none());
        let empty = with(json!({})).unwrap();
        let timeline = empty.timeline().unwrap();
        assert!(timeline.samples.is_empty() && timeline.checkpoints.is_empty());
        assert!(timeline.peak().is_none() && timeline.exit().is_none());
    }

    #[test]
    fn malformed_timelines_are_rejected_naming_the_field() {
        let cases: [(Value, &str); 8] = [
            (json!([1, 2]), "timeline"),
            (json!({"samples": {}}), "timeline.samples"),
            (
                json!({"samples": [{"live_bytes": 1}]}),
                "timeline.samples[0]",
            ),
            (
                json!({"samples": [{"t_ns": 1, "live_bytes": -1}]}),
                "timeline.samples[0].live_bytes",
            ),
            (
                json!({"samples": [{"t_ns": 1, "live_bytes": 1, "kind": 3}]}),
                "timeline.samples[0].kind",
            ),
            (
                json!({"checkpoints": [{"t_ns": 1, "sites": [[1, 2, 3]]}]}),
                "timeline.checkpoints[0].sites[0]",
            ),
            (
                json!({"checkpoints": [{"t_ns": 1, "sites": [[0, 8]]}, {"t_ns": 2, "sites": [[0, 8], [77, 1]]}]}),
                "timeline.checkpoints[1].sites[1]",
            ),
            (
                json!({"samples": [{"t_ns": 1, "live_bytes": 1,
                        "footprint": {"pressure": {"some": {"avg10": 101.0}}}}]}),
                "timeline.samples[0].footprint.pressure.some.avg10",
            ),
        ];
        for (timeline, field) in cases {
            match with(timeline.clone()) {
                Err(
                    Error::InvalidField { field: found, .. }
                    | Error::MissingField { field: found, .. },
                ) => {
                    assert!(found.starts_with(field), "{timeline}: {found}");
                }
                other => panic!("{timeline}: {other:?}"),
            }
        }
        let error = with(json!({"checkpoints": [{"t_ns": 1, "sites": [[77, 1]]}]})).unwrap_err();
        assert!(error.to_string().contains("site id 77"), "{error}");
    }
}
