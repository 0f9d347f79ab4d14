//! Memory outside Rust's allocator: 16 blocks of 64 KiB from C's `malloc` (as FFI code
//! would allocate), touched so they are resident and kept in a static, and one C string
//! that C's `strdup` copies and the program then loses.
//!
//! - In-process (`cargo memleak run --example native`) the tracker sees neither: the
//!   report shows them as the native layer (1 MiB and a little more, malloc's headers).
//! - Under the interposer (`--mode preload`) every block is recorded with its stack: the
//!   16 blocks are native and reachable, and the string's 23 bytes a native definite leak
//!   whose stack names `lose_c_string`, the Rust function that called into C.

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

/// C code allocates (`strdup` calls `malloc`); the program drops the only pointer.
#[inline(never)]
fn lose_c_string() -> usize {
    let name = c"cargo-memleak native!!";
    // SAFETY: `name` is a NUL-terminated string; strdup returns a malloc'd copy or null.
    let copy = unsafe { libc::strdup(name.as_ptr()) };
    if copy.is_null() {
        return 0;
    }
    name.to_bytes_with_nul().len()
}

fn main() {
    let allocated = allocate_native();
    let lost = lose_c_string();
    println!(
        "native: {allocated} bytes from libc::malloc, never freed; {lost} bytes lost by strdup"
    );
}
