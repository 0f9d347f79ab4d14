//! One sample of the process's memory as the allocator and the OS see it (the second
//! and third of DESIGN.md's three layers). Plain data on every platform; each value is
//! `None` where the platform, the kernel or the sandbox cannot answer: unavailable is
//! normal.
#![cfg_attr(
    not(target_os = "linux"),
    expect(
        dead_code,
        reason = "only the Linux probes fill in the cgroup and the stall numbers"
    )
)]

/// The allocator's and the OS's view of this process at one moment. All sizes in bytes.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Footprint {
    /// Where the resident numbers came from: `"smaps_rollup"` or `"statm"` (Linux),
    /// `"task_vm_info"` (macOS).
    pub(crate) resident_source: Option<&'static str>,
    /// Resident set size.
    pub(crate) rss: Option<u64>,
    /// Resident anonymous memory: heap, stacks, private `mmap` (macOS: `internal`).
    pub(crate) anonymous: Option<u64>,
    /// Resident memory that is not anonymous: file-backed mappings and shared memory
    /// (`Rss - Anonymous`; from `statm`, its resident shared pages; macOS: `external`).
    pub(crate) file_backed: Option<u64>,
    /// Swapped-out memory of this process.
    pub(crate) swap: Option<u64>,
    /// The memory the system charges to this process (macOS `phys_footprint`: resident
    /// anonymous and compressed memory, the figure Activity Monitor and jetsam use).
    pub(crate) phys_footprint: Option<u64>,
    /// Bytes of this process held compressed by the system's memory compressor (macOS).
    pub(crate) compressed: Option<u64>,
    /// The C allocator's own counters (glibc `mallinfo2`, macOS
    /// `malloc_zone_statistics`).
    pub(crate) malloc: Option<MallocInfo>,
    /// System-wide memory pressure.
    pub(crate) pressure: Option<Pressure>,
    /// The memory controller of the cgroup this process runs in.
    pub(crate) cgroup: Option<CgroupMemory>,
    /// Memory the system could give out without swapping (`MemAvailable`).
    pub(crate) mem_available: Option<u64>,
    /// The system's usable RAM (`MemTotal`).
    pub(crate) mem_total: Option<u64>,
}

/// The C allocator's counters, over all its arenas (macOS: all its zones).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct MallocInfo {
    /// Bytes in blocks handed out (`uordblks`; macOS `size_in_use`): Rust's and native
    /// C/FFI allocations.
    pub(crate) in_use: u64,
    /// Bytes free but kept by the allocator (`fordblks`; macOS `size_allocated -
    /// size_in_use`): fragmentation and caches.
    pub(crate) free: u64,
    /// Bytes in blocks served by their own `mmap` (`hblkhd`; 0 on macOS, whose zones
    /// count large blocks in `in_use`).
    pub(crate) mmapped: u64,
    /// Of `free`, the main heap's top chunk, which `malloc_trim` would give back
    /// (`keepcost`); unknown on macOS.
    pub(crate) releasable: Option<u64>,
    /// How many arenas glibc runs (threads get arenas of their own, up to 8 per core),
    /// and how much of `free` lies in arenas other than the main one: read at exit
    /// only, unknown elsewhere.
    pub(crate) arenas: Option<MallocArenas>,
}

/// glibc's arenas, from `malloc_info`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct MallocArenas {
    pub(crate) count: u64,
    /// Free bytes (fast bins and the rest, top chunks included) outside the main arena.
    pub(crate) free_outside_main: u64,
}

/// How hard the system is working to find memory.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum PressureLevel {
    Normal,
    Warning,
    Critical,
}

impl PressureLevel {
    /// The name written in profiles.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Self::Normal => "normal",
            Self::Warning => "warning",
            Self::Critical => "critical",
        }
    }
}

/// The pressure level and, where the kernel reports them, the raw stall numbers.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Pressure {
    pub(crate) level: PressureLevel,
    /// Time at least one task was stalled on memory.
    pub(crate) some: Option<Stall>,
    /// Time all non-idle tasks were stalled on memory at once.
    pub(crate) full: Option<Stall>,
}

/// One line of a Linux PSI file: the share of wall time stalled (percent) over the last
/// 10, 60 and 300 seconds, and the total stall time in microseconds.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Stall {
    pub(crate) avg10: f64,
    pub(crate) avg60: f64,
    pub(crate) avg300: f64,
    pub(crate) total_us: u64,
}

/// Which cgroup hierarchy holds the memory controller.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CgroupVersion {
    V1,
    V2,
}

impl CgroupVersion {
    /// The number written in profiles.
    pub(crate) fn number(self) -> u8 {
        match self {
            Self::V1 => 1,
            Self::V2 => 2,
        }
    }
}

/// A cgroup limit that was read: bytes, or none set (`max` in v2, a value of 2^62 or
/// more in v1). A limit that could not be read is `None` around this.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Limit {
    Bytes(u64),
    Unlimited,
}

/// The memory controller's view of this process's cgroup.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct CgroupMemory {
    pub(crate) version: CgroupVersion,
    /// Charged memory: `memory.current` (v2), `memory.usage_in_bytes` (v1).
    pub(crate) current: Option<u64>,
    /// The hard limit: `memory.max` (v2), `memory.limit_in_bytes` (v1).
    pub(crate) limit: Option<Limit>,
    /// The throttling limit: `memory.high` (v2 only).
    pub(crate) high: Option<Limit>,
    /// The highest charge seen: `memory.peak` (v2, kernel 5.19+),
    /// `memory.max_usage_in_bytes` (v1).
    pub(crate) peak: Option<u64>,
    /// Times the cgroup hit its limit and the OOM killer was considered: `oom` of
    /// `memory.events` (v2 only).
    pub(crate) oom: Option<u64>,
    /// Processes of the cgroup killed by the OOM killer: `oom_kill` of `memory.events`
    /// (v2) or `memory.oom_control` (v1, kernel 4.13+).
    pub(crate) oom_kill: Option<u64>,
    /// Times a charge hit the limit: `memory.failcnt` (v1 only).
    pub(crate) failcnt: Option<u64>,
}

impl CgroupMemory {
    /// Whether nothing at all could be read.
    pub(crate) fn is_empty(&self) -> bool {
        self.current.is_none()
            && self.limit.is_none()
            && self.high.is_none()
            && self.peak.is_none()
            && self.oom.is_none()
            && self.oom_kill.is_none()
            && self.failcnt.is_none()
    }
}
