//! Operating-system probes and the machine-level stack walk. Each function degrades to
//! "unknown" (0, `None`, `false`, empty) where a platform cannot answer.

mod detached_thread;
pub(crate) mod frames;
pub(crate) mod memory;
pub(crate) mod module;
mod unwind;

pub(crate) use detached_thread::{DetachedThread, spawn_detached};
pub(crate) use memory::{CapturedThread, MemoryRange, ModuleRoots};

#[cfg(unix)]
pub(crate) mod signals;
#[cfg(unix)]
mod thread_exit;
#[cfg(unix)]
pub(crate) use thread_exit::call_at_thread_exit;
#[cfg(unix)]
mod unix;
#[cfg(unix)]
pub(crate) use unix::{
    env_bytes, env_is_set, monotonic_ns, monotonic_precise_ns, register_exit_hook,
    register_fork_handlers,
};

#[cfg(target_os = "linux")]
mod linux;
#[cfg(target_os = "linux")]
pub(crate) use linux::{stack_top, thread_name};
#[cfg(target_os = "linux")]
mod roots_linux;
#[cfg(target_os = "linux")]
pub(crate) use roots_linux::{kernel_thread_id, live_thread_ids, module_roots, readable_mappings};

#[cfg(target_os = "linux")]
mod thread_registers;
#[cfg(target_os = "linux")]
pub(crate) use thread_registers::thread_registers;
#[cfg(target_os = "linux")]
mod loaded_objects;
#[cfg(target_os = "linux")]
mod program_symbols;
#[cfg(target_os = "linux")]
pub(crate) use program_symbols::program_function_ranges;
#[cfg(target_os = "linux")]
mod modules_linux;
#[cfg(target_os = "linux")]
pub(crate) use modules_linux::loaded_modules;
#[cfg(target_os = "macos")]
mod modules_macos;
#[cfg(target_os = "macos")]
pub(crate) use modules_macos::loaded_modules;
#[cfg(not(any(target_os = "linux", target_os = "macos")))]
mod no_modules;
#[cfg(not(any(target_os = "linux", target_os = "macos")))]
pub(crate) use no_modules::loaded_modules;

#[cfg(target_os = "macos")]
mod macos;
#[cfg(target_os = "macos")]
pub(crate) use macos::{stack_top, thread_name};

#[cfg(not(any(target_os = "linux", target_os = "macos")))]
mod other;
#[cfg(not(unix))]
pub(crate) use other::{
    call_at_thread_exit, env_bytes, env_is_set, monotonic_ns, monotonic_ns as monotonic_precise_ns,
    register_exit_hook, register_fork_handlers,
};
#[cfg(not(any(target_os = "linux", target_os = "macos")))]
pub(crate) use other::{stack_top, thread_name};

pub(crate) mod footprint;
pub(crate) use footprint::{CgroupMemory, Footprint, Limit, MallocInfo, Pressure, Stall};
#[cfg(target_os = "linux")]
mod malloc_linux;
#[cfg(target_os = "linux")]
mod probes_linux;
#[cfg(target_os = "linux")]
pub(crate) use probes_linux::{
    sample as sample_footprint, sample_while_running as sample_footprint_while_running,
};
#[cfg(target_os = "macos")]
mod probes_macos;
#[cfg(target_os = "macos")]
pub(crate) use probes_macos::{
    sample as sample_footprint, sample as sample_footprint_while_running,
};
#[cfg(not(any(target_os = "linux", target_os = "macos")))]
mod no_probes;
#[cfg(not(any(target_os = "linux", target_os = "macos")))]
pub(crate) use no_probes::{sample as sample_footprint, sample as sample_footprint_while_running};

#[cfg(not(target_os = "linux"))]
mod no_roots;
#[cfg(not(target_os = "linux"))]
pub(crate) use no_roots::{
    kernel_thread_id, live_thread_ids, module_roots, program_function_ranges, readable_mappings,
    thread_registers,
};

/// Whether this platform can find the scan's roots; elsewhere profiles carry no
/// reachability and every live block stays "live at exit".
pub(crate) const REACHABILITY_SUPPORTED: bool = cfg!(target_os = "linux");
