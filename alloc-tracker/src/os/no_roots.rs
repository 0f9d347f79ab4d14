//! Platforms whose scan roots are not found yet (macOS: the dyld image list and Mach
//! thread states are the way): nothing is scanned.

use crate::os::{CapturedThread, MemoryRange, ModuleRoots};

/// Unknown.
pub(crate) fn readable_mappings() -> Vec<MemoryRange> {
    Vec::new()
}

/// Unknown.
pub(crate) fn live_thread_ids() -> Vec<u32> {
    Vec::new()
}

/// Unknown.
pub(crate) fn kernel_thread_id() -> u32 {
    0
}

/// Unknown.
pub(crate) fn module_roots() -> ModuleRoots {
    ModuleRoots::default()
}

/// Unknown.
pub(crate) fn program_function_ranges(_pattern: &[u8]) -> Vec<std::ops::Range<usize>> {
    Vec::new()
}

/// Unknown: no thread's registers.
pub(crate) fn thread_registers(_kernel_ids: &[u32]) -> Vec<CapturedThread> {
    Vec::new()
}
