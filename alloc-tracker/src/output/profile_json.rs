//! The versioned on-disk profile (see `docs/profile-format.md`), streamed as JSON so a
//! million live blocks never become a million JSON values in memory.

use std::io::{self, Write};

use hashbrown::HashMap;

use crate::hot::record::Record;
use crate::hot::sampling;
use crate::hot::site::Site;
use crate::hot::stats::Stats;
use crate::hot::thread::ThreadInfo;
use crate::lifecycle::reach::Reachability;
use crate::lifecycle::timeline::Timeline;
use crate::os::Footprint;
use crate::os::module::Module;
use crate::output::footprint_json::write_footprint;
use crate::output::json_text::{write_opt_str, write_str};
use crate::output::timeline_json::write_timeline;

/// The `format` field.
pub const FORMAT: &str = "memleak-profile";
/// The `version` field written by this build. Version 2: frames are raw addresses, and
/// `modules` says how to symbolize them.
pub const VERSION: u32 = 2;

/// Everything a profile holds, gathered before any of it is written.
#[derive(Debug)]
pub(crate) struct Snapshot {
    pub(crate) reason: &'static str,
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

/// Return addresses shared by the sites, each once, and each site's stack as indices.
struct FrameTable {
    addresses: Vec<usize>,
    stacks: Vec<Vec<usize>>,
}

impl FrameTable {
    fn build(sites: &[&'static Site]) -> Self {
        let mut index_of: HashMap<usize, usize> = HashMap::new();
        let mut addresses = Vec::new();
        let stacks = sites
            .iter()
            .map(|site| {
                site.frames()
                    .iter()
                    .map(|&address| {
                        *index_of.entry(address).or_insert_with(|| {
                            addresses.push(address);
                            addresses.len() - 1
                        })
                    })
                    .collect()
            })
            .collect();
        Self { addresses, stacks }
    }
}

/// Writes the whole profile. Frames stay addresses: the reader symbolizes them.
pub(crate) fn write_profile(out: &mut dyn Write, snapshot: &Snapshot) -> io::Result<()> {
    let table = FrameTable::build(&snapshot.sites);
    write!(
        out,
        "{{\"format\":\"{FORMAT}\",\"version\":{VERSION},\"pid\":{}",
        std::process::id()
    )?;
    let exe = std::env::current_exe()
        .map(|path| path.display().to_string())
        .unwrap_or_default();
    out.write_all(b",\"exe\":")?;
    write_str(out, &exe)?;
    out.write_all(b",\"args\":[")?;
    for (i, arg) in std::env::args_os().enumerate() {
        if i > 0 {
            out.write_all(b",")?;
        }
        write_str(out, &arg.to_string_lossy())?;
    }
    out.write_all(b"],\"reason\":")?;
    write_str(out, snapshot.reason)?;
    write!(out, ",\"elapsed_ns\":{}", snapshot.elapsed_ns)?;
    write_sampling(out, sampling::mean_bytes())?;
    write_totals(out, &snapshot.stats, snapshot.overhead_bytes)?;
    write_footprint(out, &snapshot.footprint)?;
    write_timeline(out, snapshot.timeline.as_ref())?;
    write_threads(out, &snapshot.threads)?;
    write_modules(out, &snapshot.modules)?;
    write_frames(out, &table.addresses)?;
    write_sites(out, &snapshot.sites, &table.stacks)?;
    write_reachability(out, snapshot.reachability.as_ref())?;
    write_live(out, &snapshot.live, snapshot.reachability.as_ref())?;
    out.write_all(b"}\n")
}

/// `"sampling":{"mean_bytes":N}` when only a sample of the allocations was recorded
/// (counters are then estimates), `null` when every one was.
fn write_sampling(out: &mut dyn Write, mean_bytes: u64) -> io::Result<()> {
    if mean_bytes == 0 {
        return out.write_all(b",\"sampling\":null");
    }
    write!(out, ",\"sampling\":{{\"mean_bytes\":{mean_bytes}}}")
}

fn write_totals(out: &mut dyn Write, s: &Stats, overhead_bytes: u64) -> io::Result<()> {
    write!(
        out,
        ",\n\"totals\":{{\"allocated_bytes\":{},\"allocated_blocks\":{},\"freed_bytes\":{},\"freed_blocks\":{},\
         \"reallocs\":{},\"live_bytes\":{},\"live_blocks\":{},\"peak_live_bytes\":{},\"peak_live_blocks\":{},\
         \"unknown_frees\":{},\"untracked_allocs\":{},\"overhead_allocs\":{},\"overhead_bytes\":{},\"unwinder_fallbacks\":{}}}",
        s.allocated_bytes,
        s.allocated_blocks,
        s.freed_bytes,
        s.freed_blocks,
        s.reallocs,
        s.live_bytes,
        s.live_blocks,
        s.peak_live_bytes,
        s.peak_live_blocks,
        s.unknown_frees,
        s.untracked_allocs,
        s.overhead_allocs,
        overhead_bytes,
        s.unwinder_fallbacks,
    )
}

/// `"footprint"`: every value `null` when unknown (see `docs/profile-format.md`).
fn write_threads(out: &mut dyn Write, threads: &[ThreadInfo]) -> io::Result<()> {
    out.write_all(b",\n\"threads\":[")?;
    for (i, thread) in threads.iter().enumerate() {
        let separator = if i > 0 { "," } else { "" };
        write!(out, "{separator}{{\"id\":{},\"name\":", thread.id)?;
        write_opt_str(out, thread.name.as_deref())?;
        out.write_all(b"}")?;
    }
    out.write_all(b"]")
}

/// `"modules"`: each loaded object's path, bias, build id (lowercase hex, `null` when it
/// has none) and executable segments as `[start, end, file_offset]`.
fn write_modules(out: &mut dyn Write, modules: &[Module]) -> io::Result<()> {
    out.write_all(b",\n\"modules\":[")?;
    for (i, module) in modules.iter().enumerate() {
        out.write_all(if i > 0 {
            b",\n{\"path\":"
        } else {
            b"\n{\"path\":"
        })?;
        write_str(out, &module.path)?;
        write!(out, ",\"bias\":{},\"build_id\":", module.bias)?;
        if module.build_id.is_empty() {
            out.write_all(b"null")?;
        } else {
            out.write_all(b"\"")?;
            for byte in &module.build_id {
                write!(out, "{byte:02x}")?;
            }
            out.write_all(b"\"")?;
        }
        out.write_all(b",\"segments\":[")?;
        for (j, segment) in module.segments.iter().enumerate() {
            write!(
                out,
                "{}[{},{},{}]",
                if j > 0 { "," } else { "" },
                segment.start,
                segment.end,
                segment.file_offset
            )?;
        }
        out.write_all(b"]}")?;
    }
    out.write_all(b"]")
}

fn write_frames(out: &mut dyn Write, addresses: &[usize]) -> io::Result<()> {
    out.write_all(b",\n\"frames\":[")?;
    for (i, address) in addresses.iter().enumerate() {
        let separator = if i > 0 { ",\n" } else { "\n" };
        write!(out, "{separator}{{\"ip\":{address}}}")?;
    }
    out.write_all(b"]")
}

fn write_sites(
    out: &mut dyn Write,
    sites: &[&'static Site],
    stacks: &[Vec<usize>],
) -> io::Result<()> {
    out.write_all(b",\n\"sites\":[")?;
    for (i, (site, stack)) in sites.iter().zip(stacks).enumerate() {
        let separator = if i > 0 { ",\n" } else { "\n" };
        write!(out, "{separator}{{\"id\":{},\"frames\":[", site.id())?;
        for (j, index) in stack.iter().enumerate() {
            write!(out, "{}{index}", if j > 0 { "," } else { "" })?;
        }
        let c = site.counts();
        write!(
            out,
            "],\"allocated_bytes\":{},\"allocated_blocks\":{},\"freed_blocks\":{},\"live_bytes\":{},\
             \"live_blocks\":{},\"peak_live_bytes\":{},\"reallocs\":{}}}",
            c.allocated_bytes,
            c.allocated_blocks,
            c.freed_blocks,
            c.live_bytes,
            c.live_blocks,
            c.peak_live_bytes,
            c.reallocs
        )?;
    }
    out.write_all(b"]")
}

fn write_reachability(out: &mut dyn Write, found: Option<&Reachability>) -> io::Result<()> {
    let Some(found) = found else {
        return Ok(());
    };
    write!(
        out,
        ",\n\"reachability\":{{\"scanned\":true,\"scan_ns\":{},\"root_bytes\":{},\"bytes_scanned\":{},\"threads\":{},\"complete\":{}}}",
        found.scan_ns, found.root_bytes, found.bytes_scanned, found.threads, found.complete
    )
}

fn write_live(
    out: &mut dyn Write,
    live: &[(usize, Record)],
    found: Option<&Reachability>,
) -> io::Result<()> {
    out.write_all(b",\n\"live\":[")?;
    for (i, (address, record)) in live.iter().enumerate() {
        let separator = if i > 0 { ",\n" } else { "\n" };
        write!(
            out,
            "{separator}{{\"addr\":{address},\"size\":{},\"align\":{},\"site\":{},\"birth_ns\":{},\"thread\":{}",
            record.size,
            record.align(),
            record.site.id(),
            record.birth_ns(),
            record.thread()
        )?;
        if let Some(found) = found {
            let reachable = found.reachable.get(i).copied().unwrap_or(true);
            write!(out, ",\"reachable\":{reachable}")?;
            if !reachable {
                out.write_all(b",\"refs\":[")?;
                for (j, target) in found
                    .refs
                    .get(i)
                    .map_or(&[][..], Vec::as_slice)
                    .iter()
                    .enumerate()
                {
                    write!(out, "{}{target}", if j > 0 { "," } else { "" })?;
                }
                out.write_all(b"]")?;
            }
        }
        out.write_all(b"}")?;
    }
    out.write_all(b"]")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_empty_snapshot_is_valid_json_with_the_header() {
        let snapshot = Snapshot {
            reason: "request",
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
            modules: vec![Module {
                path: "/bin/a \"b\"".into(),
                bias: 4096,
                build_id: vec![0xab, 0x01],
                segments: vec![crate::os::module::Segment {
                    start: 8192,
                    end: 9000,
                    file_offset: 4096,
                }],
            }],
        };
        let mut out = Vec::new();
        write_profile(&mut out, &snapshot).unwrap();
        let value: serde_json::Value = serde_json::from_slice(&out).unwrap();
        assert_eq!(value["format"], FORMAT);
        assert_eq!(value["version"], VERSION);
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
