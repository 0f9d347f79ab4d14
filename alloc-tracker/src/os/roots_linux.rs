//! Where the reachability scan looks for pointers on Linux: the writable data of every
//! loaded module, the stacks of the threads still alive, and the exiting thread's TLS.
//!
//! Every range handed out is clipped to a readable mapping of `/proc/self/maps`, so the
//! scan never touches an unmapped page.

use crate::os::loaded_objects::for_each_loaded_object;
use crate::os::memory::TlsBlock;
use crate::os::{MemoryRange, ModuleRoots};

/// Modules whose writable data holds the allocator's own bookkeeping, which points into
/// the heap (free lists, the top chunk) without being a program's reference.
const ALLOCATOR_MODULES: &[&str] = &["/libc.so", "/ld-linux", "/libc-", "/ld-musl"];

/// The readable mappings of this process, sorted by address.
pub(crate) fn readable_mappings() -> Vec<MemoryRange> {
    std::fs::read_to_string("/proc/self/maps").map_or_else(|_| Vec::new(), |text| parse_maps(&text))
}

/// Parses `/proc/<pid>/maps`: `start-end perms offset dev inode [path]`.
pub(crate) fn parse_maps(text: &str) -> Vec<MemoryRange> {
    let mut ranges: Vec<MemoryRange> = text
        .lines()
        .filter_map(|line| {
            let mut fields = line.split_whitespace();
            let (start, end) = fields.next()?.split_once('-')?;
            let perms = fields.next()?;
            if !perms.starts_with('r') {
                return None;
            }
            let start = usize::from_str_radix(start, 16).ok()?;
            let end = usize::from_str_radix(end, 16).ok()?;
            (start < end).then_some(MemoryRange { start, end })
        })
        .collect();
    ranges.sort_by_key(|range| range.start);
    ranges
}

/// The kernel thread ids of the threads still alive.
pub(crate) fn live_thread_ids() -> Vec<u32> {
    let Ok(entries) = std::fs::read_dir("/proc/self/task") else {
        return Vec::new();
    };
    entries
        .filter_map(|entry| entry.ok()?.file_name().to_str()?.parse().ok())
        .collect()
}

/// The kernel id of the calling thread.
pub(crate) fn kernel_thread_id() -> u32 {
    // SAFETY: gettid has no preconditions.
    let tid = unsafe { libc::gettid() };
    u32::try_from(tid).unwrap_or(0)
}

/// Writable segments of every loaded module and the calling thread's TLS blocks: libc's
/// and the loader's apart, in `allocator_data` (see [`ModuleRoots`]).
pub(crate) fn module_roots() -> ModuleRoots {
    let mut roots = ModuleRoots::default();
    // SAFETY: pthread_self has no preconditions.
    let thread_pointer = unsafe { libc::pthread_self() } as usize;
    for_each_loaded_object(|object| {
        let name = object.name.to_string_lossy();
        let allocator = ALLOCATOR_MODULES.iter().any(|skip| name.contains(skip));
        let into = if allocator {
            &mut roots.allocator_data
        } else {
            &mut roots.program_data
        };
        for header in object.headers {
            let size = header.p_memsz as usize;
            if header.p_type == libc::PT_LOAD && header.p_flags & libc::PF_W != 0 {
                let start = object.bias.wrapping_add(header.p_vaddr as usize);
                into.push(MemoryRange {
                    start,
                    end: start.saturating_add(size),
                });
            } else if header.p_type == libc::PT_TLS && !object.tls_data.is_null() {
                let start = object.tls_data as usize;
                into.push(MemoryRange {
                    start,
                    end: start.saturating_add(size),
                });
                roots.tls_layout.push(TlsBlock {
                    offset: start.wrapping_sub(thread_pointer) as isize,
                    len: size,
                    allocator,
                });
            }
        }
    });
    roots
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn maps_keep_readable_ranges_sorted() {
        let text = "\
7f0000002000-7f0000003000 rw-p 00000000 00:00 0 \n\
55d000000000-55d000001000 r--p 00000000 08:01 123 /usr/bin/prog\n\
7f0000001000-7f0000002000 ---p 00000000 00:00 0\n\
garbage line\n\
7ffd00000000-7ffd00021000 rw-p 00000000 00:00 0                          [stack]\n";
        let ranges = parse_maps(text);
        assert_eq!(
            ranges,
            vec![
                MemoryRange {
                    start: 0x55d0_0000_0000,
                    end: 0x55d0_0000_1000
                },
                MemoryRange {
                    start: 0x7f00_0000_2000,
                    end: 0x7f00_0000_3000
                },
                MemoryRange {
                    start: 0x7ffd_0000_0000,
                    end: 0x7ffd_0002_1000
                },
            ]
        );
    }

    #[test]
    fn this_process_has_module_roots_and_threads() {
        let roots = module_roots();
        assert!(!roots.program_data.is_empty() && !roots.allocator_data.is_empty());
        assert!(live_thread_ids().contains(&kernel_thread_id()));
        assert!(!readable_mappings().is_empty());
    }
}
