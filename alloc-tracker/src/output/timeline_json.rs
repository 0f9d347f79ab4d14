//! The profile's `timeline` object (docs/profile-format.md): samples over the run and
//! checkpoints of each site's live bytes.

use std::io::{self, Write};

use crate::lifecycle::timeline::Timeline;
use crate::output::footprint_json::write_footprint_object;

/// The top-level `"timeline"` member; `null` when there is none.
pub(crate) fn write_timeline(out: &mut dyn Write, timeline: Option<&Timeline>) -> io::Result<()> {
    out.write_all(b",\n\"timeline\":")?;
    let Some(timeline) = timeline else {
        return out.write_all(b"null");
    };
    write!(
        out,
        "{{\"interval_ms\":{},\"samples\":[",
        timeline.interval_ms
    )?;
    for (i, s) in timeline.samples.iter().enumerate() {
        let separator = if i > 0 { ",\n" } else { "\n" };
        write!(
            out,
            "{separator}{{\"t_ns\":{},\"kind\":\"{}\",\"live_bytes\":{},\"live_blocks\":{},\"overhead_bytes\":{},\"footprint\":",
            s.t_ns,
            s.kind.as_str(),
            s.live_bytes,
            s.live_blocks,
            s.overhead_bytes,
        )?;
        write_footprint_object(out, &s.footprint)?;
        out.write_all(b"}")?;
    }
    out.write_all(b"],\"checkpoints\":[")?;
    for (i, checkpoint) in timeline.checkpoints.iter().enumerate() {
        let separator = if i > 0 { ",\n" } else { "\n" };
        write!(out, "{separator}{{\"t_ns\":{},\"sites\":[", checkpoint.t_ns)?;
        for (j, (site, bytes)) in checkpoint.sites.iter().enumerate() {
            let separator = if j > 0 { "," } else { "" };
            write!(out, "{separator}[{site},{bytes}]")?;
        }
        out.write_all(b"]}")?;
    }
    out.write_all(b"]}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lifecycle::timeline::{Checkpoint, Sample, SampleKind};
    use crate::os::Footprint;

    fn write(timeline: Option<&Timeline>) -> serde_json::Value {
        let mut out = b"{\"x\":0".to_vec();
        write_timeline(&mut out, timeline).unwrap();
        out.push(b'}');
        serde_json::from_slice(&out).unwrap()
    }

    #[test]
    fn the_timeline_is_json_with_the_footprint_object_in_each_sample() {
        let footprint = Footprint {
            rss: Some(4096),
            ..Footprint::default()
        };
        let sample = |t_ns, kind| Sample {
            t_ns,
            kind,
            live_bytes: 100,
            live_blocks: 2,
            overhead_bytes: 7,
            footprint: footprint.clone(),
        };
        let timeline = Timeline {
            interval_ms: 100,
            samples: vec![
                sample(1, SampleKind::Interval),
                sample(2, SampleKind::Peak),
                sample(3, SampleKind::Exit),
            ],
            checkpoints: vec![
                Checkpoint {
                    t_ns: 1,
                    sites: vec![(3, 6400), (7, 128)],
                },
                Checkpoint {
                    t_ns: 5,
                    sites: Vec::new(),
                },
            ],
        };
        let value = write(Some(&timeline));
        let t = &value["timeline"];
        assert_eq!(t["interval_ms"], 100);
        let kinds: Vec<_> = t["samples"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["kind"].as_str().unwrap())
            .collect();
        assert_eq!(kinds, ["interval", "peak", "exit"]);
        let first = &t["samples"][0];
        assert_eq!(first["t_ns"], 1);
        assert_eq!(first["live_bytes"], 100);
        assert_eq!(first["live_blocks"], 2);
        assert_eq!(first["overhead_bytes"], 7);
        assert_eq!(first["footprint"]["rss"], 4096);
        assert!(first["footprint"]["malloc"].is_null());
        assert_eq!(
            t["checkpoints"][0]["sites"],
            serde_json::json!([[3, 6400], [7, 128]])
        );
        assert_eq!(t["checkpoints"][1]["sites"], serde_json::json!([]));
        assert!(write(None)["timeline"].is_null());
    }
}
