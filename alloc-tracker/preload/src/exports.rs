//! The exported malloc family. Each function calls the real one and reports the block to
//! the engine; the contract is C's, unchanged: the same arguments reach the real
//! allocator, its result (and `errno`) come back untouched, and nothing here unwinds.
//!
//! A block is reported only when the real call succeeded; a free is reported before the
//! real `free`, so that no other thread can have been given the address meanwhile.

#![expect(
    unreachable_pub,
    reason = "exported by symbol name from the cdylib, not through Rust paths"
)]

use std::ffi::c_void;

use memleak::interposer::{self as engine, MALLOC_ALIGN};

use crate::{bootstrap, real};

#[inline]
fn report(block: *mut c_void, size: usize, align: usize) -> *mut c_void {
    if !block.is_null() {
        engine::on_alloc(block as usize, size, align);
    }
    block
}

/// C's `malloc`.
#[cfg_attr(not(test), unsafe(no_mangle))]
pub extern "C" fn malloc(size: usize) -> *mut c_void {
    if engine::skips_alloc(size) {
        return real::malloc(size);
    }
    report(real::malloc(size), size, MALLOC_ALIGN)
}

/// C's `calloc`.
#[cfg_attr(not(test), unsafe(no_mangle))]
pub extern "C" fn calloc(count: usize, size: usize) -> *mut c_void {
    // A successful calloc means the product did not overflow.
    if engine::skips_alloc(count.wrapping_mul(size)) {
        return real::calloc(count, size);
    }
    report(
        real::calloc(count, size),
        count.wrapping_mul(size),
        MALLOC_ALIGN,
    )
}

/// C's `free`.
///
/// # Safety
/// As C's: `block` is null or a live block of this allocator.
#[cfg_attr(not(test), unsafe(no_mangle))]
pub unsafe extern "C" fn free(block: *mut c_void) {
    if block.is_null() || bootstrap::owns(block) {
        return;
    }
    engine::on_free(block as usize);
    // SAFETY: the caller's promise, forwarded.
    unsafe { real::free(block) }
}

/// C's `realloc`.
///
/// # Safety
/// As C's: `block` is null or a live block of this allocator.
#[cfg_attr(not(test), unsafe(no_mangle))]
pub unsafe extern "C" fn realloc(block: *mut c_void, size: usize) -> *mut c_void {
    // SAFETY: the caller's promise, forwarded.
    unsafe { resize(block, size, |block| real::realloc(block, size)) }
}

/// C's `reallocarray` (glibc 2.26).
///
/// # Safety
/// As C's: `block` is null or a live block of this allocator.
#[cfg_attr(not(test), unsafe(no_mangle))]
pub unsafe extern "C" fn reallocarray(
    block: *mut c_void,
    count: usize,
    size: usize,
) -> *mut c_void {
    let Some(total) = count.checked_mul(size) else {
        // The real function sets ENOMEM and returns null, leaving the block alone.
        // SAFETY: the caller's promise, forwarded.
        return unsafe { real::reallocarray(block, count, size) };
    };
    // SAFETY: the caller's promise, forwarded.
    unsafe { resize(block, total, |block| real::reallocarray(block, count, size)) }
}

/// The shared body of `realloc` and `reallocarray`; `resize_real` does the real call on
/// a block of the real allocator.
///
/// # Safety
/// `block` is null or a live block of this allocator.
unsafe fn resize(
    block: *mut c_void,
    size: usize,
    resize_real: impl FnOnce(*mut c_void) -> *mut c_void,
) -> *mut c_void {
    if block.is_null() {
        return malloc(size);
    }
    if bootstrap::owns(block) {
        // Arena blocks move out to the real allocator.
        let moved = malloc(size);
        if !moved.is_null() {
            // SAFETY: a block of the arena (checked above).
            let old_size = unsafe { bootstrap::size_of(block) };
            // SAFETY: both blocks are live and distinct, each at least the copied size.
            unsafe {
                std::ptr::copy_nonoverlapping(block.cast::<u8>(), moved.cast(), old_size.min(size));
            }
        }
        return moved;
    }
    if size == 0 {
        // glibc frees the block and returns null (or a fresh minimal block).
        engine::on_free(block as usize);
        return report(resize_real(block), 0, MALLOC_ALIGN);
    }
    let pending = engine::realloc_begin(block as usize);
    let moved = resize_real(block);
    engine::realloc_end(pending, block as usize, moved as usize, size);
    moved
}

/// C's `posix_memalign`.
///
/// # Safety
/// As C's: `out` is valid for a pointer write.
#[cfg_attr(not(test), unsafe(no_mangle))]
pub unsafe extern "C" fn posix_memalign(out: *mut *mut c_void, align: usize, size: usize) -> i32 {
    // SAFETY: the caller's promise, forwarded.
    let rc = unsafe { real::posix_memalign(out, align, size) };
    if rc == 0 {
        // SAFETY: on success the real function wrote the block to `out`.
        report(unsafe { out.read() }, size, align);
    }
    rc
}

/// C's `aligned_alloc`.
#[cfg_attr(not(test), unsafe(no_mangle))]
pub extern "C" fn aligned_alloc(align: usize, size: usize) -> *mut c_void {
    report(real::aligned_alloc(align, size), size, align)
}

/// C's `memalign`.
#[cfg_attr(not(test), unsafe(no_mangle))]
pub extern "C" fn memalign(align: usize, size: usize) -> *mut c_void {
    report(real::memalign(align, size), size, align)
}

/// C's `valloc`.
#[cfg_attr(not(test), unsafe(no_mangle))]
pub extern "C" fn valloc(size: usize) -> *mut c_void {
    report(real::valloc(size), size, real::page_size())
}

/// C's `pvalloc`.
#[cfg_attr(not(test), unsafe(no_mangle))]
pub extern "C" fn pvalloc(size: usize) -> *mut c_void {
    report(real::pvalloc(size), size, real::page_size())
}

/// C's `malloc_usable_size`.
///
/// # Safety
/// As C's: `block` is null or a live block of this allocator.
#[cfg_attr(not(test), unsafe(no_mangle))]
pub unsafe extern "C" fn malloc_usable_size(block: *mut c_void) -> usize {
    // SAFETY: the caller's promise, forwarded.
    unsafe { real::malloc_usable_size(block) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_function_forwards_to_the_real_allocator() {
        let block = malloc(100);
        assert!(!block.is_null() && !bootstrap::owns(block));
        // SAFETY: live blocks of the real allocator, each freed once; sizes as allocated.
        unsafe {
            block.cast::<u8>().write_bytes(7, 100);
            let grown = realloc(block, 4000);
            assert_eq!(grown.cast::<u8>().add(99).read(), 7);
            assert!(malloc_usable_size(grown) >= 4000);
            let zeroed = calloc(10, 10);
            assert_eq!(zeroed.cast::<u8>().add(50).read(), 0);
            let mut aligned = std::ptr::null_mut();
            assert_eq!(posix_memalign(&raw mut aligned, 256, 10), 0);
            assert_eq!(aligned as usize % 256, 0);
            assert_eq!(posix_memalign(&raw mut aligned, 3, 10), libc::EINVAL);
            let array = reallocarray(std::ptr::null_mut(), 4, 8);
            assert!(reallocarray(array, usize::MAX, 2).is_null());
            for block in [grown, zeroed, aligned, array] {
                free(block);
            }
            free(std::ptr::null_mut());
        }
    }

    #[test]
    fn blocks_of_the_bootstrap_arena_move_out_on_realloc_and_are_never_freed() {
        let early = bootstrap::allocate(8, MALLOC_ALIGN);
        // SAFETY: `early` is a live arena block of 8 bytes; `moved` a real one.
        unsafe {
            early.cast::<u64>().write(0x1234);
            assert_eq!(malloc_usable_size(early), 8);
            let moved = realloc(early, 64);
            assert!(!bootstrap::owns(moved));
            assert_eq!(moved.cast::<u64>().read(), 0x1234);
            free(early);
            free(moved);
        }
    }
}
