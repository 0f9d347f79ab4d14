//! The `timeline` object: samples over the run and checkpoints of each site's live
//! bytes.

use std::io::{self, Write};

use crate::Timeline;
use crate::write::footprint::write_footprint;
use crate::write::json::Num;

pub(crate) fn write_timeline(out: &mut dyn Write, timeline: &Timeline) -> io::Result<()> {
    write!(
        out,
        "{{\"interval_ms\":{},\"samples\":[",
        Num(timeline.interval_ms)
    )?;
    for (i, s) in timeline.samples.iter().enumerate() {
        let separator = if i > 0 { ",\n" } else { "\n" };
        write!(
            out,
            "{separator}{{\"t_ns\":{},\"kind\":\"{}\",\"live_bytes\":{},\"live_blocks\":{},\
             \"overhead_bytes\":{},\"footprint\":",
            s.t_ns,
            s.kind.as_str(),
            s.live_bytes,
            s.live_blocks,
            Num(s.overhead_bytes),
        )?;
        match &s.footprint {
            Some(footprint) => write_footprint(out, footprint)?,
            None => out.write_all(b"null")?,
        }
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
