//! Linux memory probes: the footprint of this process (`/proc/self/smaps_rollup`, or
//! `/proc/self/statm` on kernels before 4.14), glibc's `mallinfo2`, the system's memory
//! pressure (`/proc/pressure/memory`), this process's memory cgroup, and `/proc/meminfo`.
//!
//! Files are read under a [`ProcRoot`], `/` on a real machine and a fixture tree in
//! tests; parsing is pure (`proc_files`, `cgroup`). Anything unreadable is `None`.
//! Reading allocates: call this with the tracker's guard held.

mod cgroup;
mod proc_files;

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

use crate::os::footprint::{CgroupMemory, Footprint, MallocInfo};
use crate::os::malloc_linux::{arenas, malloc_info};
use crate::os::monotonic_ns;

/// The directory under which the absolute paths of `/proc` and `/sys` are read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ProcRoot {
    base: PathBuf,
}

impl ProcRoot {
    /// The real machine.
    pub(crate) fn system() -> Self {
        Self {
            base: PathBuf::from("/"),
        }
    }

    /// A tree laid out like `/` (e.g. `<base>/proc/self/statm`).
    #[cfg(test)]
    pub(crate) fn at(base: impl Into<PathBuf>) -> Self {
        Self { base: base.into() }
    }

    /// `absolute` re-rooted under the base.
    fn path(&self, absolute: &Path) -> PathBuf {
        self.base
            .join(absolute.strip_prefix("/").unwrap_or(absolute))
    }

    fn read(&self, absolute: &str) -> Option<String> {
        std::fs::read_to_string(self.path(Path::new(absolute))).ok()
    }
}

/// One sample of this process's memory, from every source this machine offers.
pub(crate) fn sample() -> Footprint {
    let mut footprint = sample_files(&ProcRoot::system(), page_size(), Resident::Rollup);
    footprint.malloc = malloc_info().map(|info| MallocInfo {
        arenas: arenas(),
        ..info
    });
    footprint
}

/// The timeline's probes may take at most 1/this of the run. Two of them stall the
/// program while they work: `mallinfo2` walks every free chunk with the arena locked
/// (50 ms a call on a fragmented 160 MiB heap, where a 100 ms sampler made the program
/// 10-30x slower), and `smaps_rollup` walks the page tables under the address space's
/// lock, which `brk` and `mmap` then wait for.
const DUTY_DIVISOR: u64 = 100;

/// A probe that may run only while its cost, spread over the time since it last ran,
/// stays under 1/[`DUTY_DIVISOR`] of the run.
struct DutyCap {
    next_ns: AtomicU64,
}

impl DutyCap {
    const fn new() -> Self {
        Self {
            next_ns: AtomicU64::new(0),
        }
    }

    /// Whether the probe is within budget now.
    fn due(&self) -> bool {
        monotonic_ns() >= self.next_ns.load(Relaxed)
    }

    /// The probe ran from `start` to `end`: it may run again after 99 times that.
    fn spent(&self, start: u64, end: u64) {
        let cost = end.saturating_sub(start);
        self.next_ns.store(
            end.saturating_add(cost.saturating_mul(DUTY_DIVISOR - 1)),
            Relaxed,
        );
    }

    /// `probe()` when it is within budget, else `None`.
    fn run<T>(&self, probe: impl FnOnce() -> Option<T>) -> Option<T> {
        if !self.due() {
            return None;
        }
        let start = monotonic_ns();
        let value = probe();
        self.spent(start, monotonic_ns());
        value
    }
}

static MALLINFO_CAP: DutyCap = DutyCap::new();
static ROLLUP_CAP: DutyCap = DutyCap::new();

/// A sample taken while the program runs (the timeline's): as [`sample`], but
/// `mallinfo2` and `smaps_rollup` are each read only within their budget; otherwise
/// `malloc` is unknown in this sample and the resident figures come from `statm`.
pub(crate) fn sample_while_running() -> Footprint {
    let rollup = ROLLUP_CAP.due();
    let resident = if rollup {
        Resident::Rollup
    } else {
        Resident::Statm
    };
    let start = monotonic_ns();
    let mut footprint = sample_files(&ProcRoot::system(), page_size(), resident);
    if rollup {
        ROLLUP_CAP.spent(start, monotonic_ns());
    }
    footprint.malloc = MALLINFO_CAP.run(malloc_info);
    footprint
}

/// Where the resident figures come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Resident {
    /// `smaps_rollup` (with its anonymous/file split and swap), `statm` as fallback.
    Rollup,
    /// `statm` only: constant time, no swap.
    Statm,
}

/// Everything but the allocator's counters, read under `root`.
pub(crate) fn sample_files(
    root: &ProcRoot,
    page_size: Option<u64>,
    resident: Resident,
) -> Footprint {
    let rollup = (resident == Resident::Rollup)
        .then(|| root.read("/proc/self/smaps_rollup"))
        .flatten()
        .as_deref()
        .and_then(proc_files::parse_smaps_rollup)
        .map(|resident| ("smaps_rollup", resident));
    let resident = rollup.or_else(|| {
        let text = root.read("/proc/self/statm")?;
        let resident = proc_files::parse_statm(&text, page_size?)?;
        Some(("statm", resident))
    });
    let meminfo = root
        .read("/proc/meminfo")
        .as_deref()
        .and_then(proc_files::parse_meminfo);
    Footprint {
        resident_source: resident.map(|(source, _)| source),
        rss: resident.map(|(_, r)| r.rss),
        anonymous: resident.and_then(|(_, r)| r.anonymous),
        file_backed: resident.and_then(|(_, r)| r.file_backed),
        swap: resident.and_then(|(_, r)| r.swap),
        phys_footprint: None,
        compressed: None,
        malloc: None,
        pressure: root
            .read("/proc/pressure/memory")
            .as_deref()
            .and_then(proc_files::parse_pressure),
        cgroup: read_cgroup(root),
        mem_available: meminfo.and_then(|m| m.available),
        mem_total: meminfo.and_then(|m| m.total),
    }
}

/// The memory controller of this process's cgroup. Its own directory when it exists;
/// inside a container namespace that hides the host's path, the mount point itself.
fn read_cgroup(root: &ProcRoot) -> Option<CgroupMemory> {
    let location = cgroup::locate(
        &root.read("/proc/self/cgroup")?,
        &root.read("/proc/self/mountinfo")?,
    )?;
    let dir = location
        .candidates
        .iter()
        .map(|candidate| root.path(candidate))
        .find(|dir| dir.is_dir())?;
    cgroup::read_memory(location.version, |name| {
        std::fs::read_to_string(dir.join(name)).ok()
    })
}

/// The size of a page, for `statm`.
fn page_size() -> Option<u64> {
    // SAFETY: sysconf has no preconditions; it returns -1 for an unknown name.
    let size = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
    u64::try_from(size).ok().filter(|&size| size > 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_costly_probe_waits_ninety_nine_times_its_cost() {
        let cap = DutyCap::new();
        assert!(cap.due());
        let now = monotonic_ns();
        // A probe that took 1 s may run again 99 s later, not now.
        cap.spent(now, now + 1_000_000_000);
        assert!(!cap.due());
        assert_eq!(cap.run(|| Some(1)), None);
        // One that took nothing may run again at once.
        let cheap = DutyCap::new();
        assert_eq!(cheap.run(|| Some(2)), Some(2));
    }
    use crate::os::footprint::{CgroupVersion, Limit, PressureLevel};

    fn tree(name: &str) -> ProcRoot {
        ProcRoot::at(format!(
            "{}/tests/fixtures/proc/{name}",
            env!("CARGO_MANIFEST_DIR")
        ))
    }

    #[test]
    fn a_hybrid_v1_host_reads_rollup_pressure_and_the_memory_hierarchy() {
        let f = sample_files(&tree("tree_v1_hybrid"), Some(4096), Resident::Rollup);
        assert_eq!(f.resident_source, Some("smaps_rollup"));
        assert_eq!(f.rss, Some(1764 * 1024));
        assert_eq!(f.anonymous, Some(112 * 1024));
        assert_eq!(f.file_backed, Some(1652 * 1024));
        assert_eq!(f.swap, Some(0));
        assert_eq!(f.mem_total, Some(24_684_092 * 1024));
        assert_eq!(f.mem_available, Some(24_221_632 * 1024));
        assert_eq!(f.pressure.map(|p| p.level), Some(PressureLevel::Normal));
        let cgroup = CgroupMemory {
            version: CgroupVersion::V1,
            current: Some(5_369_856),
            limit: Some(Limit::Unlimited),
            high: None,
            peak: Some(6_045_696),
            oom: None,
            oom_kill: Some(0),
            failcnt: Some(3),
        };
        assert_eq!(f.cgroup, Some(cgroup));
        assert_eq!(f.malloc, None);
    }

    #[test]
    fn a_v2_container_falls_back_to_statm_and_the_mount_root() {
        let f = sample_files(&tree("tree_v2_container"), Some(4096), Resident::Rollup);
        assert_eq!(f.resident_source, Some("statm"));
        assert_eq!(f.rss, Some(2000 * 4096));
        assert_eq!(f.anonymous, Some(1500 * 4096));
        assert_eq!(f.swap, None);
        assert_eq!(f.pressure.map(|p| p.level), Some(PressureLevel::Critical));
        assert_eq!((f.mem_total, f.mem_available), (None, None));
        let cgroup = CgroupMemory {
            version: CgroupVersion::V2,
            current: Some(104_857_600),
            limit: Some(Limit::Bytes(536_870_912)),
            high: Some(Limit::Unlimited),
            peak: Some(209_715_200),
            oom: Some(2),
            oom_kill: Some(1),
            failcnt: None,
        };
        assert_eq!(f.cgroup, Some(cgroup));
        assert_eq!(
            sample_files(&tree("tree_v2_container"), None, Resident::Rollup).rss,
            None
        );
    }

    #[test]
    fn malformed_or_missing_files_give_an_empty_footprint() {
        for name in ["tree_malformed", "no_such_tree"] {
            assert_eq!(
                sample_files(&tree(name), Some(4096), Resident::Rollup),
                Footprint::default()
            );
        }
    }

    #[test]
    fn this_machine_answers() {
        let f = sample();
        println!("{f:#?}");
        assert!(f.rss.is_some_and(|rss| rss > 0), "{f:?}");
        let (Some(available), Some(total)) = (f.mem_available, f.mem_total) else {
            panic!("no /proc/meminfo numbers: {f:?}");
        };
        assert!(available <= total, "{f:?}");
        #[cfg(target_env = "gnu")]
        assert!(f.malloc.is_some_and(|m| m.in_use > 0), "{f:?}");
    }
}
