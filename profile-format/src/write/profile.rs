//! The profile, section by section, in the order `docs/profile-format.md` lists them.

use std::io::{self, Write};

use crate::write::footprint::write_footprint;
use crate::write::json::{Num, bool_text, write_opt_str, write_str};
use crate::write::timeline::write_timeline;
use crate::{
    Document, FORMAT, Footprint, Head, LiveBlock, Module, Reachability, Sampling, Site, Thread,
    Timeline, Totals, VERSION,
};

/// Writes one profile to `out`. Call [`start`](Self::start), then each section once, in
/// the order of the methods here (`sampling` to `live`), then [`finish`](Self::finish).
/// Arrays are taken as iterators, so the caller can make each item as it is written.
pub struct ProfileWriter<'a> {
    out: &'a mut dyn Write,
}

impl std::fmt::Debug for ProfileWriter<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProfileWriter").finish_non_exhaustive()
    }
}

impl<'a> ProfileWriter<'a> {
    /// Writes `format`, `version` and the head.
    ///
    /// # Errors
    /// The writer's errors, here and in every method.
    pub fn start(out: &'a mut dyn Write, head: &Head) -> io::Result<Self> {
        write!(
            out,
            "{{\"format\":\"{FORMAT}\",\"version\":{VERSION},\"pid\":{},\"exe\":",
            head.pid
        )?;
        write_str(out, &head.exe)?;
        out.write_all(b",\"args\":[")?;
        for (i, arg) in head.args.iter().enumerate() {
            if i > 0 {
                out.write_all(b",")?;
            }
            write_str(out, arg)?;
        }
        out.write_all(b"],\"reason\":")?;
        write_str(out, &head.reason)?;
        write!(out, ",\"elapsed_ns\":{}", head.elapsed_ns)?;
        if let Some(mode) = &head.mode {
            out.write_all(b",\"mode\":")?;
            write_str(out, mode)?;
        }
        Ok(Self { out })
    }

    /// `sampling`: `null` when every allocation was recorded.
    pub fn sampling(&mut self, sampling: Option<Sampling>) -> io::Result<()> {
        match sampling {
            Some(Sampling { mean_bytes }) => {
                write!(self.out, ",\"sampling\":{{\"mean_bytes\":{mean_bytes}}}")
            }
            None => self.out.write_all(b",\"sampling\":null"),
        }
    }

    /// `totals`.
    pub fn totals(&mut self, t: &Totals) -> io::Result<()> {
        write!(
            self.out,
            ",\n\"totals\":{{\"allocated_bytes\":{},\"allocated_blocks\":{},\"freed_bytes\":{},\
             \"freed_blocks\":{},\"reallocs\":{},\"live_bytes\":{},\"live_blocks\":{},\
             \"peak_live_bytes\":{},\"peak_live_blocks\":{},\"unknown_frees\":{},\
             \"untracked_allocs\":{},\"overhead_allocs\":{},\"overhead_bytes\":{},\
             \"unwinder_fallbacks\":{}}}",
            t.allocated_bytes,
            t.allocated_blocks,
            t.freed_bytes,
            t.freed_blocks,
            t.reallocs,
            t.live_bytes,
            t.live_blocks,
            t.peak_live_bytes,
            t.peak_live_blocks,
            t.unknown_frees,
            t.untracked_allocs,
            t.overhead_allocs,
            Num(t.overhead_bytes),
            Num(t.unwinder_fallbacks),
        )
    }

    /// `footprint`.
    pub fn footprint(&mut self, footprint: &Footprint) -> io::Result<()> {
        self.out.write_all(b",\n\"footprint\":")?;
        write_footprint(self.out, footprint)
    }

    /// `timeline`: `null` when there is none.
    pub fn timeline(&mut self, timeline: Option<&Timeline>) -> io::Result<()> {
        self.out.write_all(b",\n\"timeline\":")?;
        match timeline {
            Some(timeline) => write_timeline(self.out, timeline),
            None => self.out.write_all(b"null"),
        }
    }

    /// `threads`.
    pub fn threads(&mut self, threads: &[Thread]) -> io::Result<()> {
        self.out.write_all(b",\n\"threads\":[")?;
        for (i, thread) in threads.iter().enumerate() {
            let separator = if i > 0 { "," } else { "" };
            write!(self.out, "{separator}{{\"id\":{},\"name\":", thread.id)?;
            write_opt_str(self.out, thread.name.as_deref())?;
            self.out.write_all(b"}")?;
        }
        self.out.write_all(b"]")
    }

    /// `modules`.
    pub fn modules(&mut self, modules: &[Module]) -> io::Result<()> {
        self.out.write_all(b",\n\"modules\":[")?;
        for (i, module) in modules.iter().enumerate() {
            self.out.write_all(if i > 0 {
                b",\n{\"path\":"
            } else {
                b"\n{\"path\":"
            })?;
            write_str(self.out, &module.path)?;
            write!(self.out, ",\"bias\":{},\"build_id\":", module.bias)?;
            write_opt_str(self.out, module.build_id.as_deref())?;
            self.out.write_all(b",\"segments\":[")?;
            for (j, segment) in module.segments.iter().enumerate() {
                let separator = if j > 0 { "," } else { "" };
                write!(
                    self.out,
                    "{separator}[{},{},{}]",
                    segment.start, segment.end, segment.file_offset
                )?;
            }
            self.out.write_all(b"]}")?;
        }
        self.out.write_all(b"]")
    }

    /// `frames`: the return addresses, each once; sites index into them.
    pub fn frames(&mut self, addresses: impl IntoIterator<Item = u64>) -> io::Result<()> {
        self.out.write_all(b",\n\"frames\":[")?;
        for (i, address) in addresses.into_iter().enumerate() {
            let separator = if i > 0 { ",\n" } else { "\n" };
            write!(self.out, "{separator}{{\"ip\":{address}}}")?;
        }
        self.out.write_all(b"]")
    }

    /// `sites`.
    pub fn sites(&mut self, sites: impl IntoIterator<Item = Site>) -> io::Result<()> {
        self.out.write_all(b",\n\"sites\":[")?;
        for (i, site) in sites.into_iter().enumerate() {
            let separator = if i > 0 { ",\n" } else { "\n" };
            write!(self.out, "{separator}{{\"id\":{},\"frames\":[", site.id)?;
            for (j, index) in site.frames.iter().enumerate() {
                write!(self.out, "{}{index}", if j > 0 { "," } else { "" })?;
            }
            write!(
                self.out,
                "],\"allocated_bytes\":{},\"allocated_blocks\":{},\"freed_blocks\":{},\
                 \"live_bytes\":{},\"live_blocks\":{},\"peak_live_bytes\":{},\"reallocs\":{}}}",
                site.allocated_bytes,
                site.allocated_blocks,
                site.freed_blocks,
                site.live_bytes,
                site.live_blocks,
                site.peak_live_bytes,
                site.reallocs
            )?;
        }
        self.out.write_all(b"]")
    }

    /// `reachability`: left out when no scan was made.
    pub fn reachability(&mut self, scan: Option<&Reachability>) -> io::Result<()> {
        let Some(scan) = scan else {
            return Ok(());
        };
        write!(
            self.out,
            ",\n\"reachability\":{{\"scanned\":{},\"scan_ns\":{},\"root_bytes\":{},\
             \"bytes_scanned\":{},\"threads\":{},\"complete\":{}}}",
            bool_text(scan.scanned),
            scan.scan_ns,
            scan.root_bytes,
            scan.bytes_scanned,
            scan.threads,
            bool_text(scan.complete)
        )
    }

    /// `live`: `reachable` when the block has it, `refs` on unreachable blocks only.
    pub fn live(&mut self, blocks: impl IntoIterator<Item = LiveBlock>) -> io::Result<()> {
        self.out.write_all(b",\n\"live\":[")?;
        for (i, block) in blocks.into_iter().enumerate() {
            let separator = if i > 0 { ",\n" } else { "\n" };
            write!(
                self.out,
                "{separator}{{\"addr\":{},\"size\":{},\"align\":{},\"site\":{},\"birth_ns\":{},\
                 \"thread\":{}",
                block.addr, block.size, block.align, block.site, block.birth_ns, block.thread
            )?;
            if let Some(reachable) = block.reachable {
                write!(self.out, ",\"reachable\":{}", bool_text(reachable))?;
                if !reachable {
                    self.out.write_all(b",\"refs\":[")?;
                    for (j, target) in block.refs.iter().enumerate() {
                        write!(self.out, "{}{target}", if j > 0 { "," } else { "" })?;
                    }
                    self.out.write_all(b"]")?;
                }
            }
            self.out.write_all(b"}")?;
        }
        self.out.write_all(b"]")
    }

    /// Closes the profile.
    pub fn finish(self) -> io::Result<()> {
        self.out.write_all(b"}\n")
    }
}

/// Writes a whole document (frames as addresses: symbols are the reader's). For tests
/// and tools; the tracker streams its sections itself.
///
/// # Errors
/// The writer's errors.
pub fn write_document(out: &mut dyn Write, document: &Document) -> io::Result<()> {
    let head = Head {
        pid: document.pid,
        exe: document.exe.clone(),
        args: document.args.clone(),
        reason: document.reason.clone().unwrap_or_default(),
        elapsed_ns: document.elapsed_ns,
        mode: document.mode.clone(),
    };
    let mut writer = ProfileWriter::start(out, &head)?;
    writer.sampling(document.sampling)?;
    writer.totals(&document.totals)?;
    writer.footprint(document.footprint.as_ref().unwrap_or(&Footprint::default()))?;
    writer.timeline(document.timeline.as_ref())?;
    writer.threads(&document.threads)?;
    writer.modules(document.modules.as_deref().unwrap_or_default())?;
    writer.frames(document.frames.iter().map(|frame| frame.ip))?;
    writer.sites(document.sites.iter().cloned())?;
    writer.reachability(document.reachability.as_ref())?;
    writer.live(document.live.iter().cloned())?;
    writer.finish()
}
