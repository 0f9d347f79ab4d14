//! The profile of a snapshot (`docs/profile-format.md`), written through the format's one
//! writer (`memleak_format`), streamed so a million live blocks never sit in memory as JSON.

use std::io::{self, Write};

use hashbrown::HashMap;
use memleak_format::{self as format, write::ProfileWriter};

use crate::hot::record::Record;
use crate::hot::sampling;
use crate::hot::site::Site;
use crate::hot::stats::Stats;
use crate::hot::thread::ThreadInfo;
use crate::lifecycle::reach::Reachability;
use crate::lifecycle::timeline::Timeline;
use crate::os::Footprint;
use crate::os::module::Module;
use crate::output::convert;

/// Everything a profile holds, gathered before any of it is written.
#[derive(Debug)]
pub(crate) struct Snapshot {
    pub(crate) reason: &'static str,
    /// `memleak_format::MODE_IN_PROCESS` or `MODE_PRELOAD`.
    pub(crate) mode: &'static str,
    pub(crate) elapsed_ns: u64,
    pub(crate) stats: Stats,
    pub(crate) threads: Vec<ThreadInfo>,
    pub(crate) sites: Vec<&'static Site>,
    pub(crate) live: Vec<(usize, Record)>,
    /// The exit scan's findings, index for index with `live`.
    pub(crate) reachability: Option<Reachability>,
    /// The allocator's and the OS's view of the process, sampled with the snapshot.
    pub(crate) footprint: Footprint,
    /// The tracker's own live bytes when `footprint` was sampled.
    pub(crate) overhead_bytes: u64,
    /// Samples over the run; `None` when memory for its copy ran out.
    pub(crate) timeline: Option<Timeline>,
    /// The loaded objects, for symbolizing the frames at report time.
    pub(crate) modules: Vec<Module>,
}

/// Return addresses shared by the sites, each once, and each site's stack as indices,
/// as the profile writes them.
struct FrameTable {
    addresses: Vec<u64>,
    stacks: Vec<Vec<u64>>,
}

impl FrameTable {
    fn build(sites: &[&'static Site]) -> Self {
        let mut index_of: HashMap<usize, u64> = HashMap::new();
        let mut addresses = Vec::new();
        let stacks = sites
            .iter()
            .map(|site| {
                site.frames()
                    .iter()
                    .map(|&address| {
                        *index_of.entry(address).or_insert_with(|| {
                            addresses.push(address as u64);
                            addresses.len() as u64 - 1
                        })
                    })
                    .collect()
            })
            .collect();
        Self { addresses, stacks }
    }
}

/// Writes the whole profile through the format's one writer.
pub(crate) fn write_profile(out: &mut dyn Write, snapshot: &Snapshot) -> io::Result<()> {
    let table = FrameTable::build(&snapshot.sites);
    let head = format::Head {
        pid: u64::from(std::process::id()),
        exe: std::env::current_exe()
            .map(|path| path.display().to_string())
            .unwrap_or_default(),
        args: std::env::args_os()
            .map(|arg| arg.to_string_lossy().into_owned())
            .collect(),
        reason: snapshot.reason.to_owned(),
        elapsed_ns: snapshot.elapsed_ns,
        mode: Some(snapshot.mode.to_owned()),
    };
    let mut writer = ProfileWriter::start(out, &head)?;
    let mean_bytes = sampling::mean_bytes();
    writer.sampling((mean_bytes != 0).then_some(format::Sampling { mean_bytes }))?;
    writer.totals(&totals(&snapshot.stats, snapshot.overhead_bytes))?;
    writer.footprint(&convert::footprint(&snapshot.footprint))?;
    writer.timeline(snapshot.timeline.as_ref().map(convert::timeline).as_ref())?;
    let threads: Vec<format::Thread> = snapshot.threads.iter().map(convert::thread).collect();
    writer.threads(&threads)?;
    let modules: Vec<format::Module> = snapshot.modules.iter().map(convert::module).collect();
    writer.modules(&modules)?;
    writer.frames(table.addresses.iter().copied())?;
    writer.sites(
        snapshot
            .sites
            .iter()
            .zip(table.stacks)
            .map(|(site, frames)| {
                let c = site.counts();
                format::Site {
                    id: u64::from(site.id()),
                    frames,
                    allocated_bytes: c.allocated_bytes,
                    allocated_blocks: c.allocated_blocks,
                    freed_blocks: c.freed_blocks,
                    live_bytes: c.live_bytes,
                    live_blocks: c.live_blocks,
                    peak_live_bytes: c.peak_live_bytes,
                    reallocs: c.reallocs,
                }
            }),
    )?;
    let found = snapshot.reachability.as_ref();
    writer.reachability(found.map(scan_summary).as_ref())?;
    writer.live(
        snapshot
            .live
            .iter()
            .enumerate()
            .map(|(i, (address, record))| {
                let reachable = found.map(|found| found.reachable.get(i).copied().unwrap_or(true));
                let refs = match (found, reachable) {
                    (Some(found), Some(false)) => found.refs.get(i).map_or_else(Vec::new, |refs| {
                        refs.iter().map(|&r| u64::from(r)).collect()
                    }),
                    _ => Vec::new(),
                };
                format::LiveBlock {
                    addr: *address as u64,
                    size: record.size(),
                    align: record.align(),
                    site: u64::from(record.site_id()),
                    birth_ns: record.birth_ns(),
                    thread: u64::from(record.thread()),
                    reachable,
                    refs,
                }
            }),
    )?;
    writer.finish()
}

fn totals(s: &Stats, overhead_bytes: u64) -> format::Totals {
    format::Totals {
        allocated_bytes: s.allocated_bytes,
        allocated_blocks: s.allocated_blocks,
        freed_bytes: s.freed_bytes,
        freed_blocks: s.freed_blocks,
        reallocs: s.reallocs,
        live_bytes: s.live_bytes,
        live_blocks: s.live_blocks,
        peak_live_bytes: s.peak_live_bytes,
        peak_live_blocks: s.peak_live_blocks,
        unknown_frees: s.unknown_frees,
        untracked_allocs: s.untracked_allocs,
        overhead_allocs: s.overhead_allocs,
        overhead_bytes: Some(overhead_bytes),
        unwinder_fallbacks: Some(s.unwinder_fallbacks),
    }
}

fn scan_summary(found: &Reachability) -> format::Reachability {
    format::Reachability {
        scanned: true,
        scan_ns: found.scan_ns,
        root_bytes: found.root_bytes,
        bytes_scanned: found.bytes_scanned,
        threads: u64::from(found.threads),
        complete: found.complete,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_empty_snapshot_is_valid_json_with_the_header() {
        let snapshot = Snapshot {
            reason: "request",
            mode: memleak_format::MODE_IN_PROCESS,
            elapsed_ns: 5,
            stats: Stats::default(),
            threads: vec![ThreadInfo {
                id: 0,
                name: Some("main".into()),
                kernel_id: 1,
                stack_top: 0,
            }],
            sites: Vec::new(),
            live: Vec::new(),
            reachability: None,
            footprint: Footprint::default(),
            overhead_bytes: 12,
            timeline: None,
            modules: vec![crate::os::module::test_module("/bin/a \"b\"")],
        };
        let mut out = Vec::new();
        write_profile(&mut out, &snapshot).unwrap();
        let value: serde_json::Value = serde_json::from_slice(&out).unwrap();
        assert_eq!(value["format"], format::FORMAT);
        assert_eq!(value["version"], format::VERSION);
        assert_eq!(value["threads"][0]["name"], "main");
        assert_eq!(value["totals"]["live_bytes"], 0);
        assert_eq!(value["totals"]["overhead_bytes"], 12);
        assert!(value["timeline"].is_null());
        assert!(value["live"].as_array().unwrap().is_empty());
        let module = &value["modules"][0];
        assert_eq!(module["path"], "/bin/a \"b\"");
        assert_eq!(module["bias"], 4096);
        assert_eq!(module["build_id"], "ab01");
        assert_eq!(module["segments"], serde_json::json!([[8192, 9000, 4096]]));
    }
}
