//! Memory the tracker cannot see: 16 blocks of 64 KiB from C's `malloc` (as FFI code
//! would allocate), touched so they are resident, never freed. The report shows them as
//! the native layer (1 MiB and a little more, malloc's headers), not in the tracked heap.
//!
//! Run it under the tracker with `cargo memleak run --example native`.

use std::sync::atomic::{AtomicPtr, Ordering};

#[cfg(memleak)]
#[global_allocator]
static ALLOC: memleak::TrackingAlloc = memleak::TrackingAlloc::system();

const BLOCKS: usize = 16;
const BLOCK_BYTES: usize = 64 * 1024;

/// The C blocks, kept where the optimizer cannot drop them.
static NATIVE: [AtomicPtr<u8>; BLOCKS] = [const { AtomicPtr::new(std::ptr::null_mut()) }; BLOCKS];

/// Allocates the blocks with `libc::malloc` and fills them.
#[inline(never)]
fn allocate_native() -> usize {
    let mut allocated = 0;
    for (index, slot) in NATIVE.iter().enumerate() {
        // SAFETY: `malloc` takes any size and returns memory or null.
        let block = unsafe { libc::malloc(BLOCK_BYTES) }.cast::<u8>();
        if block.is_null() {
            continue;
        }
        // SAFETY: `block` is a fresh allocation of BLOCK_BYTES bytes.
        unsafe { block.write_bytes(index as u8 + 1, BLOCK_BYTES) };
        slot.store(block, Ordering::Release);
        allocated += BLOCK_BYTES;
    }
    allocated
}

fn main() {
    let allocated = allocate_native();
    println!("native: {allocated} bytes from libc::malloc, never freed");
}
