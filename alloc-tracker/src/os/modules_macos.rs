//! The module map on macOS: every image dyld loaded, its slide, `LC_UUID` and
//! executable segments, read from the Mach-O headers it keeps mapped.

use std::ffi::CStr;

use mach2::dyld::{
    _dyld_get_image_header, _dyld_get_image_name, _dyld_get_image_vmaddr_slide, _dyld_image_count,
};

use crate::os::module::{Module, Segment};

const MH_MAGIC_64: u32 = 0xfeed_facf;
/// `sizeof(struct mach_header_64)`: load commands follow it.
const HEADER_64_SIZE: usize = 32;
const LC_SEGMENT_64: u32 = 0x19;
const LC_UUID: u32 = 0x1b;
const VM_PROT_EXECUTE: u32 = 4;

/// Every image with executable code (64-bit images only: 32-bit ones cannot be loaded
/// into a process that runs this code).
pub(crate) fn loaded_modules() -> Vec<Module> {
    // SAFETY: no preconditions; images may be added meanwhile, which only makes later
    // indices return null, handled below.
    let count = unsafe { _dyld_image_count() };
    (0..count)
        .filter_map(image)
        .filter(|module| !module.segments.is_empty())
        .collect()
}

fn image(index: u32) -> Option<Module> {
    // SAFETY: any index is allowed; out of range gives null.
    let header = unsafe { _dyld_get_image_header(index) }.cast::<u8>();
    // SAFETY: as above.
    let name = unsafe { _dyld_get_image_name(index) };
    if header.is_null() || name.is_null() {
        return None;
    }
    // SAFETY: as above.
    let slide = unsafe { _dyld_get_image_vmaddr_slide(index) };
    // SAFETY: a non-null image name is a NUL-terminated string owned by dyld.
    let path = unsafe { CStr::from_ptr(name) }
        .to_string_lossy()
        .into_owned();
    // SAFETY: dyld's header pointer is a mapped mach_header of the loaded image.
    let (magic, command_count, commands_size) = unsafe {
        (
            read_u32(header, 0),
            read_u32(header, 16),
            read_u32(header, 20),
        )
    };
    if magic != MH_MAGIC_64 {
        return None;
    }
    let mut module = Module {
        path,
        bias: slide.cast_unsigned(),
        ..Module::default()
    };
    let commands_end = HEADER_64_SIZE + commands_size as usize;
    let mut at = HEADER_64_SIZE;
    for _ in 0..command_count {
        if at + 8 > commands_end {
            break;
        }
        // SAFETY: `at + 8 <= commands_end`: inside the load commands, which dyld keeps
        // mapped right after the header.
        let (command, size) = unsafe { (read_u32(header, at), read_u32(header, at + 4)) };
        let size = size as usize;
        if size < 8 || at + size > commands_end {
            break;
        }
        if command == LC_SEGMENT_64 && size >= 72 {
            // SAFETY: a segment_command_64 of `size >= 72` bytes lies at `at`.
            let (vmaddr, vmsize, fileoff, initprot) = unsafe {
                (
                    read_u64(header, at + 24),
                    read_u64(header, at + 32),
                    read_u64(header, at + 40),
                    read_u32(header, at + 60),
                )
            };
            if initprot & VM_PROT_EXECUTE != 0 {
                let start = (vmaddr as usize).wrapping_add(module.bias);
                module.segments.push(Segment {
                    start,
                    end: start.saturating_add(vmsize as usize),
                    file_offset: fileoff,
                });
            }
        } else if command == LC_UUID && size >= 24 {
            // SAFETY: a uuid_command of `size >= 24` bytes lies at `at`: 16 bytes of
            // uuid after `cmd` and `cmdsize`.
            let uuid = unsafe { std::slice::from_raw_parts(header.add(at + 8), 16) };
            module.build_id = uuid.to_vec();
        }
        at += size;
    }
    Some(module)
}

/// # Safety
///
/// `base + offset .. base + offset + 4` must be mapped and readable.
unsafe fn read_u32(base: *const u8, offset: usize) -> u32 {
    // SAFETY: the caller guarantees the four bytes are readable; unaligned is allowed.
    unsafe { base.add(offset).cast::<u32>().read_unaligned() }
}

/// # Safety
///
/// `base + offset .. base + offset + 8` must be mapped and readable.
unsafe fn read_u64(base: *const u8, offset: usize) -> u64 {
    // SAFETY: the caller guarantees the eight bytes are readable; unaligned is allowed.
    unsafe { base.add(offset).cast::<u64>().read_unaligned() }
}
