//! The records of a profile: whole-run counters, threads, the module map, frames,
//! sites, live blocks and the exit scan's summary.

/// Whole-run counters of tracked allocations (`totals`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Deserialize))]
pub struct Totals {
    /// Bytes allocated over the run (a realloc counts its new size).
    pub allocated_bytes: u64,
    /// Blocks allocated over the run (a realloc counts as a new block).
    pub allocated_blocks: u64,
    /// Bytes freed over the run.
    pub freed_bytes: u64,
    /// Blocks freed over the run.
    pub freed_blocks: u64,
    /// Reallocs of tracked blocks.
    pub reallocs: u64,
    /// Bytes live when the profile was written.
    pub live_bytes: u64,
    /// Blocks live when the profile was written.
    pub live_blocks: u64,
    /// The most bytes live at once.
    pub peak_live_bytes: u64,
    /// The block count at that moment.
    pub peak_live_blocks: u64,
    /// Frees of blocks the tracker never saw (allocated before tracking started).
    pub unknown_frees: u64,
    /// Allocations let through unrecorded.
    pub untracked_allocs: u64,
    /// The tracker's own allocations.
    pub overhead_allocs: u64,
    /// Bytes the tracker itself held from the allocator when the profile was written;
    /// `None` in profiles written before it was recorded.
    #[cfg_attr(feature = "serde", serde(default))]
    pub overhead_bytes: Option<u64>,
    /// Stacks captured by the unwinder because the frame-pointer chain was unusable;
    /// `None` in profiles written before it was recorded.
    #[cfg_attr(feature = "serde", serde(default))]
    pub unwinder_fallbacks: Option<u64>,
}

/// A thread that allocated.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Deserialize))]
pub struct Thread {
    /// Tracker thread id: dense, in order of first allocation.
    pub id: u64,
    /// OS thread name, when known.
    #[cfg_attr(feature = "serde", serde(default))]
    pub name: Option<String>,
}

/// A loaded object (the executable, a shared library) as the loader placed it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Deserialize))]
pub struct Module {
    /// The file it was loaded from.
    pub path: String,
    /// Added to an address of the file to give the address in the process.
    pub bias: u64,
    /// The build id (ELF `NT_GNU_BUILD_ID`, Mach-O `LC_UUID`) in lowercase hex; `None` when
    /// the file has none.
    #[cfg_attr(feature = "serde", serde(default))]
    pub build_id: Option<String>,
    /// Its executable segments in the process.
    pub segments: Vec<Segment>,
}

/// A build id as the profile spells it: lowercase hex.
#[must_use]
pub fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    bytes.iter().fold(String::new(), |mut out, byte| {
        let _ = write!(out, "{byte:02x}");
        out
    })
}

impl Module {
    /// Whether the code at `address` is this module's.
    #[must_use]
    pub fn contains(&self, address: u64) -> bool {
        self.segments
            .iter()
            .any(|segment| (segment.start..segment.end).contains(&address))
    }
}

/// An executable segment: `[start, end)` in the process, and its offset in the file;
/// written as `[start, end, file_offset]`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(from = "[u64; 3]"))]
pub struct Segment {
    /// First address.
    pub start: u64,
    /// One past the last address.
    pub end: u64,
    /// Where the segment starts in the file.
    pub file_offset: u64,
}

impl From<[u64; 3]> for Segment {
    fn from([start, end, file_offset]: [u64; 3]) -> Self {
        Self {
            start,
            end,
            file_offset,
        }
    }
}

/// One function of a symbolized frame.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Deserialize))]
pub struct Symbol {
    /// Demangled function name without the hash; `None` when unknown.
    #[cfg_attr(feature = "serde", serde(default))]
    pub function: Option<String>,
    /// Source file.
    #[cfg_attr(feature = "serde", serde(default))]
    pub file: Option<String>,
    /// Source line.
    #[cfg_attr(feature = "serde", serde(default))]
    pub line: Option<u64>,
}

/// A return address, and what it symbolizes to: carried by version 1 profiles, filled
/// in by the reader from the module map for version 2.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Deserialize))]
pub struct Frame {
    /// The return address.
    pub ip: u64,
    /// Innermost inlined function first, the real function last; empty when unresolved.
    #[cfg_attr(feature = "serde", serde(default))]
    pub symbols: Vec<Symbol>,
}

/// An allocation site: a distinct call stack and its counters.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Deserialize))]
pub struct Site {
    /// The id that live blocks refer to.
    pub id: u64,
    /// Indices into the profile's frames, innermost (the allocator) first.
    pub frames: Vec<u64>,
    /// Bytes allocated here over the run.
    pub allocated_bytes: u64,
    /// Blocks allocated here over the run.
    pub allocated_blocks: u64,
    /// Blocks allocated here and freed.
    pub freed_blocks: u64,
    /// Bytes from here live at the write.
    pub live_bytes: u64,
    /// Blocks from here live at the write.
    pub live_blocks: u64,
    /// The most bytes this site was seen to hold at once.
    pub peak_live_bytes: u64,
    /// Blocks that arrived here through `realloc`.
    pub reallocs: u64,
}

/// A block still allocated when the profile was written.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Deserialize))]
pub struct LiveBlock {
    /// Address.
    pub addr: u64,
    /// Size in bytes.
    pub size: u64,
    /// Alignment.
    pub align: u64,
    /// Id of the allocating site.
    pub site: u64,
    /// Nanoseconds from tracking start to the allocation.
    pub birth_ns: u64,
    /// Tracker id of the allocating thread.
    pub thread: u64,
    /// Reachable from a root at exit, in a profile with a [`Reachability`] scan; `None`
    /// without one.
    #[cfg_attr(feature = "serde", serde(default))]
    pub reachable: Option<bool>,
    /// Only on unreachable blocks: indices into the profile's live blocks of the
    /// unreachable blocks this one points to (itself included if it does).
    #[cfg_attr(feature = "serde", serde(default))]
    pub refs: Vec<u64>,
}

/// The heap scan made at exit (`reachability`).
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Deserialize))]
pub struct Reachability {
    /// Whether a scan was made; `false` reads as no scan.
    #[cfg_attr(feature = "serde", serde(default = "crate::read::yes"))]
    pub scanned: bool,
    /// Nanoseconds the scan took.
    pub scan_ns: u64,
    /// Bytes of roots scanned (writable data of modules, stacks, TLS, registers).
    pub root_bytes: u64,
    /// Bytes of live blocks scanned.
    pub bytes_scanned: u64,
    /// Threads whose stacks were scanned.
    pub threads: u64,
    /// `false` when some root could not be read: unreachable blocks may be reachable
    /// after all.
    #[cfg_attr(feature = "serde", serde(default = "crate::read::yes"))]
    pub complete: bool,
}

impl Default for Reachability {
    fn default() -> Self {
        Self {
            scanned: true,
            scan_ns: 0,
            root_bytes: 0,
            bytes_scanned: 0,
            threads: 0,
            complete: true,
        }
    }
}
