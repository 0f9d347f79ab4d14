//! macOS memory probes: the task's VM accounting (`task_info(TASK_VM_INFO)`: the
//! physical footprint that Activity Monitor and jetsam use, the resident size, the
//! compressed memory), the malloc zones' counters (`malloc_zone_statistics`), the
//! kernel's memory pressure level (`kern.memorystatus_vm_pressure_level`) and the
//! machine's RAM (`hw.memsize`).
//!
//! Nothing here allocates: every answer lands in a buffer on the stack, so the probes
//! may run anywhere the tracker runs. Anything the kernel refuses is `None`.

use std::ffi::CStr;
use std::mem::size_of;

use mach2::kern_return::KERN_SUCCESS;
use mach2::message::mach_msg_type_number_t;
use mach2::task::task_info;
use mach2::task_info::TASK_VM_INFO;
use mach2::traps::mach_task_self;
use mach2::vm_types::{integer_t, mach_vm_size_t, natural_t};

use crate::os::footprint::{Footprint, MallocInfo, Pressure, PressureLevel};

/// The head of `struct task_vm_info` (`<mach/task_info.h>`, which packs it to 4 bytes)
/// up to `phys_footprint`: the layout the header calls `TASK_VM_INFO_REV1`. mach2 0.4
/// does not declare it. A kernel fills what the count asks for and says how much it
/// filled, so a shorter buffer than its newest revision is fine.
#[repr(C, packed(4))]
#[derive(Clone, Copy, Default)]
struct TaskVmInfoRev1 {
    virtual_size: mach_vm_size_t,
    region_count: integer_t,
    page_size: integer_t,
    resident_size: mach_vm_size_t,
    resident_size_peak: mach_vm_size_t,
    device: mach_vm_size_t,
    device_peak: mach_vm_size_t,
    internal: mach_vm_size_t,
    internal_peak: mach_vm_size_t,
    external: mach_vm_size_t,
    external_peak: mach_vm_size_t,
    reusable: mach_vm_size_t,
    reusable_peak: mach_vm_size_t,
    purgeable_volatile_pmap: mach_vm_size_t,
    purgeable_volatile_resident: mach_vm_size_t,
    purgeable_volatile_virtual: mach_vm_size_t,
    compressed: mach_vm_size_t,
    compressed_peak: mach_vm_size_t,
    compressed_lifetime: mach_vm_size_t,
    /// Added in revision 1.
    phys_footprint: mach_vm_size_t,
}

/// `TASK_VM_INFO_REV1_COUNT`: the structure's size in `natural_t` units.
const REV1_COUNT: mach_msg_type_number_t =
    (size_of::<TaskVmInfoRev1>() / size_of::<natural_t>()) as mach_msg_type_number_t;
// 8 + 4 + 4 + 17 * 8 bytes, as the header's own arithmetic gives it.
const _: () = assert!(REV1_COUNT == 38);
/// `TASK_VM_INFO_REV0_COUNT`: without `phys_footprint`.
const REV0_COUNT: mach_msg_type_number_t =
    REV1_COUNT - (size_of::<mach_vm_size_t>() / size_of::<natural_t>()) as mach_msg_type_number_t;

/// What `task_info` answered, `phys_footprint` only from a kernel that filled it.
#[derive(Debug, Clone, Copy)]
struct VmInfo {
    resident: u64,
    internal: u64,
    external: u64,
    compressed: u64,
    phys_footprint: Option<u64>,
}

/// One sample of this process's memory, from every source macOS offers.
pub(crate) fn sample() -> Footprint {
    let vm = task_vm_info();
    Footprint {
        resident_source: vm.map(|_| "task_vm_info"),
        rss: vm.map(|v| v.resident),
        anonymous: vm.map(|v| v.internal),
        file_backed: vm.map(|v| v.external),
        swap: None,
        phys_footprint: vm.and_then(|v| v.phys_footprint),
        compressed: vm.map(|v| v.compressed),
        malloc: malloc_info(),
        pressure: pressure(),
        cgroup: None,
        mem_available: None,
        mem_total: sysctl_number(c"hw.memsize"),
    }
}

fn task_vm_info() -> Option<VmInfo> {
    let mut info = TaskVmInfoRev1::default();
    let mut count = REV1_COUNT;
    // SAFETY: reads the process's own task port name from a static the Mach runtime
    // initialises before any user code runs; no preconditions.
    let task = unsafe { mach_task_self() };
    // SAFETY: `info` is a writable buffer of `count` natural_t's laid out as the header's
    // `task_vm_info` up to revision 1, and `count` tells the kernel that size; it writes
    // at most that much and stores the size it filled in `count`.
    let rc = unsafe {
        task_info(
            task,
            TASK_VM_INFO,
            (&raw mut info).cast::<integer_t>(),
            &raw mut count,
        )
    };
    if rc != KERN_SUCCESS || count < REV0_COUNT {
        return None;
    }
    // Fields of a packed struct are read by value (copied), never by reference.
    Some(VmInfo {
        resident: info.resident_size,
        internal: info.internal,
        external: info.external,
        compressed: info.compressed,
        phys_footprint: (count >= REV1_COUNT).then_some(info.phys_footprint),
    })
}

/// The malloc zones' counters, summed over every zone (a null zone asks for all of
/// them). Large blocks are in `size_in_use` like small ones: macOS has no separate
/// "mmapped" figure, so it is 0.
fn malloc_info() -> Option<MallocInfo> {
    let mut stats = libc::malloc_statistics_t {
        blocks_in_use: 0,
        size_in_use: 0,
        max_size_in_use: 0,
        size_allocated: 0,
    };
    // SAFETY: a null zone means "all zones"; `stats` is a valid, writable
    // malloc_statistics_t. The call takes each zone's lock and allocates nothing, and
    // the tracker never calls it from inside the system allocator.
    unsafe { libc::malloc_zone_statistics(std::ptr::null_mut(), &raw mut stats) };
    if stats.size_allocated == 0 {
        return None;
    }
    let bytes = |value: usize| u64::try_from(value).unwrap_or(u64::MAX);
    Some(MallocInfo {
        in_use: bytes(stats.size_in_use),
        free: bytes(stats.size_allocated.saturating_sub(stats.size_in_use)),
        mmapped: 0,
        releasable: None,
        arenas: None,
    })
}

/// The kernel's memorystatus level: 1 normal, 2 warning, 4 critical. macOS has no
/// stall averages like Linux PSI: `some` and `full` stay unknown.
fn pressure() -> Option<Pressure> {
    let level = match sysctl_number(c"kern.memorystatus_vm_pressure_level")? {
        1 => PressureLevel::Normal,
        2 => PressureLevel::Warning,
        4 => PressureLevel::Critical,
        _ => return None,
    };
    Some(Pressure {
        level,
        some: None,
        full: None,
    })
}

/// A numeric sysctl of 4 or 8 bytes, read into a stack buffer.
fn sysctl_number(name: &CStr) -> Option<u64> {
    let mut buffer = [0u8; 8];
    let mut len: libc::size_t = buffer.len();
    // SAFETY: `name` is NUL-terminated; `buffer` is writable for `len` bytes and the
    // kernel writes at most `len` bytes, storing the real size in `len`; no new value
    // is set (null pointer, length 0).
    let rc = unsafe {
        libc::sysctlbyname(
            name.as_ptr(),
            buffer.as_mut_ptr().cast::<libc::c_void>(),
            &raw mut len,
            std::ptr::null_mut(),
            0,
        )
    };
    if rc != 0 {
        return None;
    }
    match len {
        4 => {
            let mut word = [0u8; 4];
            word.copy_from_slice(buffer.get(..4)?);
            Some(u64::from(u32::from_ne_bytes(word)))
        }
        8 => Some(u64::from_ne_bytes(buffer)),
        _ => None,
    }
}
