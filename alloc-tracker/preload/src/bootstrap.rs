//! The bootstrap arena: memory for the calls that arrive before the real allocator is
//! found, that is, while `dlsym` itself allocates (glibc's `dlerror` buffer, with
//! `calloc`). A bump allocator over a static buffer: its blocks are zeroed, never reused
//! and never given back; a `realloc` of one moves it to the real allocator.

use std::cell::UnsafeCell;
use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};

const ARENA_BYTES: usize = 64 * 1024;
/// Each block is preceded by its size, in a header that keeps blocks 16-aligned.
const HEADER: usize = 16;

#[repr(C, align(4096))]
struct Arena(UnsafeCell<[u8; ARENA_BYTES]>);

// SAFETY: the buffer is only written through `allocate`, which hands every caller a
// disjoint range (reserved with a compare-and-swap on `USED`); blocks are then owned
// by whoever got them, as any allocator's are.
unsafe impl Sync for Arena {}

static ARENA: Arena = Arena(UnsafeCell::new([0; ARENA_BYTES]));
static USED: AtomicUsize = AtomicUsize::new(0);

fn base() -> usize {
    ARENA.0.get() as usize
}

/// A zeroed block of `size` bytes aligned to `align` (a power of two), or null when the
/// arena is full.
pub(crate) fn allocate(size: usize, align: usize) -> *mut libc::c_void {
    let align = align.max(HEADER);
    let mut used = USED.load(Relaxed);
    loop {
        let Some((start, end)) = used
            .checked_add(HEADER)
            .and_then(|header_end| header_end.checked_next_multiple_of(align))
            .and_then(|start| Some((start, start.checked_add(size)?)))
            .filter(|&(_, end)| end <= ARENA_BYTES)
        else {
            return std::ptr::null_mut();
        };
        match USED.compare_exchange_weak(used, end, Relaxed, Relaxed) {
            Ok(_) => {
                let block = base() + start;
                // SAFETY: `start - HEADER .. end` lies inside the arena and was reserved
                // for this call alone by the exchange above; the header is 16-aligned.
                unsafe { ((block - HEADER) as *mut usize).write(size) };
                return block as *mut libc::c_void;
            }
            Err(actual) => used = actual,
        }
    }
}

/// Whether `block` came from the arena.
pub(crate) fn owns(block: *const libc::c_void) -> bool {
    let address = block as usize;
    address >= base() && address < base() + ARENA_BYTES
}

/// The size a block of the arena was allocated with.
///
/// # Safety
/// `block` must be a block returned by [`allocate`].
pub(crate) unsafe fn size_of(block: *const libc::c_void) -> usize {
    // SAFETY: every block of the arena is preceded by its header (the caller's promise).
    unsafe { ((block as usize - HEADER) as *const usize).read() }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_are_aligned_disjoint_sized_and_owned() {
        let a = allocate(10, 16);
        let b = allocate(100, 64);
        assert!(owns(a) && owns(b));
        assert_eq!(b as usize % 64, 0);
        assert!(b as usize >= a as usize + 10 + HEADER);
        // SAFETY: both came from `allocate`.
        assert_eq!(unsafe { (size_of(a), size_of(b)) }, (10, 100));
        assert!(!owns(std::ptr::from_ref(&USED).cast()));
        assert!(allocate(ARENA_BYTES, 16).is_null());
    }
}
