//! The allocator's and the OS's view of the process (`footprint`, and each timeline
//! sample's): every value may be `null` where the platform, kernel or sandbox could not
//! answer.

/// The allocator's and the OS's view of the process when the profile was written
/// (`footprint` in the profile). `None` where the platform could not answer.
#[derive(Debug, Clone, Default, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Deserialize, serde::Serialize))]
pub struct Footprint {
    /// Where `rss`, `anonymous`, `file_backed` and `swap` came from: `"smaps_rollup"` or
    /// `"statm"`.
    #[cfg_attr(feature = "serde", serde(default))]
    pub source: Option<String>,
    /// Resident set size, bytes (OS layer).
    #[cfg_attr(feature = "serde", serde(default))]
    pub rss: Option<u64>,
    /// Resident anonymous memory: heap, stacks, private `mmap`.
    #[cfg_attr(feature = "serde", serde(default))]
    pub anonymous: Option<u64>,
    /// Resident memory that is not anonymous: file mappings and shared memory.
    #[cfg_attr(feature = "serde", serde(default))]
    pub file_backed: Option<u64>,
    /// The process's swapped-out memory.
    #[cfg_attr(feature = "serde", serde(default))]
    pub swap: Option<u64>,
    /// macOS: the memory the kernel charges the process for (`task_info`'s
    /// `phys_footprint`: resident and compressed dirty memory).
    #[cfg_attr(feature = "serde", serde(default))]
    pub phys_footprint: Option<u64>,
    /// macOS: the process's memory held compressed by the kernel.
    #[cfg_attr(feature = "serde", serde(default))]
    pub compressed: Option<u64>,
    /// `MemAvailable` of the whole system.
    #[cfg_attr(feature = "serde", serde(default))]
    pub mem_available: Option<u64>,
    /// `MemTotal` of the whole system.
    #[cfg_attr(feature = "serde", serde(default))]
    pub mem_total: Option<u64>,
    /// The allocator layer (glibc `mallinfo2`).
    #[cfg_attr(
        feature = "serde",
        serde(default, deserialize_with = "crate::read::object")
    )]
    pub malloc: Option<Malloc>,
    /// System-wide memory pressure (PSI).
    #[cfg_attr(
        feature = "serde",
        serde(default, deserialize_with = "crate::read::object")
    )]
    pub pressure: Option<Pressure>,
    /// The memory controller of the process's cgroup.
    #[cfg_attr(
        feature = "serde",
        serde(default, deserialize_with = "crate::read::object")
    )]
    pub cgroup: Option<Cgroup>,
}

/// malloc's own counters, over all arenas.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Deserialize, serde::Serialize))]
pub struct Malloc {
    /// Bytes handed out from the arenas (`uordblks`): Rust's and native C/FFI
    /// allocations; blocks given their own `mmap` are in `mmapped`, not here.
    #[cfg_attr(feature = "serde", serde(default))]
    pub in_use: Option<u64>,
    /// Bytes kept by malloc but not in use (fragmentation, retained free space).
    #[cfg_attr(feature = "serde", serde(default))]
    pub free: Option<u64>,
    /// Bytes in blocks given their own `mmap` (`hblkhd`).
    #[cfg_attr(feature = "serde", serde(default))]
    pub mmapped: Option<u64>,
    /// Of `free`, the main heap's top chunk, which `malloc_trim` would give back
    /// (`keepcost`).
    #[cfg_attr(feature = "serde", serde(default))]
    pub releasable: Option<u64>,
    /// How many arenas glibc runs (`malloc_info`'s heaps); at exit only.
    #[cfg_attr(feature = "serde", serde(default))]
    pub arenas: Option<u64>,
    /// Of `free`, the bytes in arenas other than the main one (threads' arenas); at
    /// exit only.
    #[cfg_attr(feature = "serde", serde(default))]
    pub free_outside_main_arena: Option<u64>,
}

/// Memory pressure stall information.
#[derive(Debug, Clone, Default, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Deserialize, serde::Serialize))]
pub struct Pressure {
    /// `"normal"`, `"warning"` or `"critical"` (see the profile format).
    #[cfg_attr(feature = "serde", serde(default))]
    pub level: Option<String>,
    /// Time in which at least one task waited for memory.
    #[cfg_attr(
        feature = "serde",
        serde(default, deserialize_with = "crate::read::object")
    )]
    pub some: Option<Stall>,
    /// Time in which all non-idle tasks waited for memory.
    #[cfg_attr(
        feature = "serde",
        serde(default, deserialize_with = "crate::read::object")
    )]
    pub full: Option<Stall>,
}

/// One line of `/proc/pressure/memory`: shares (percent) of the last 10, 60 and 300
/// seconds, and the cumulative stall time.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Deserialize, serde::Serialize))]
pub struct Stall {
    /// Percent of the last 10 s.
    #[cfg_attr(feature = "serde", serde(default))]
    pub avg10: Option<f64>,
    /// Percent of the last 60 s.
    #[cfg_attr(feature = "serde", serde(default))]
    pub avg60: Option<f64>,
    /// Percent of the last 300 s.
    #[cfg_attr(feature = "serde", serde(default))]
    pub avg300: Option<f64>,
    /// Cumulative stall time, microseconds.
    #[cfg_attr(feature = "serde", serde(default))]
    pub total_us: Option<u64>,
}

/// The cgroup memory controller's counters.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Deserialize, serde::Serialize))]
pub struct Cgroup {
    /// `1` or `2`.
    #[cfg_attr(feature = "serde", serde(default))]
    pub version: Option<u64>,
    /// Charged bytes, page cache included.
    #[cfg_attr(feature = "serde", serde(default))]
    pub current: Option<u64>,
    /// The hard limit.
    #[cfg_attr(feature = "serde", serde(default))]
    pub limit: Option<Limit>,
    /// The throttling limit (v2 `memory.high`).
    #[cfg_attr(feature = "serde", serde(default))]
    pub high: Option<Limit>,
    /// The highest charge.
    #[cfg_attr(feature = "serde", serde(default))]
    pub peak: Option<u64>,
    /// Times the limit was hit and the OOM killer considered (v2).
    #[cfg_attr(feature = "serde", serde(default))]
    pub oom: Option<u64>,
    /// Processes of the cgroup killed by the OOM killer.
    #[cfg_attr(feature = "serde", serde(default))]
    pub oom_kill: Option<u64>,
    /// Times a charge hit the limit (v1).
    #[cfg_attr(feature = "serde", serde(default))]
    pub failcnt: Option<u64>,
}

/// A cgroup limit: a byte count, or `"max"` (none set).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Limit {
    /// No limit (`"max"`).
    Max,
    /// A limit in bytes.
    Bytes(u64),
}
