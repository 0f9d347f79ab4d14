//! The interposer under load: 4 threads allocate with C's `malloc`, `calloc`, `realloc`
//! and `posix_memalign` and with Rust's `Vec`, hand every block to another thread to free,
//! and each loses exactly three blocks: 1000 + i bytes from `malloc` and 2000 + i from
//! `posix_memalign` (native), and 3000 + i from a `Vec` (Rust heap), for thread i.
//!
//! Run it with `cargo memleak run --example preload_stress --mode preload`: the report
//! must show those 24,018 bytes in 12 blocks, nothing else lost, and no crash.

use std::sync::Mutex;

#[cfg(memleak)]
#[global_allocator]
static ALLOC: memleak::TrackingAlloc = memleak::TrackingAlloc::system();

const THREADS: usize = 4;
const ROUNDS: usize = 25_000;

/// How a block in transit was allocated, so the thread that frees it frees it right.
#[derive(Clone, Copy)]
enum Block {
    C(usize),
    Rust { address: usize, len: usize },
}

/// Blocks allocated by one thread, waiting for another to free them.
static IN_TRANSIT: Mutex<Vec<(usize, Block)>> = Mutex::new(Vec::new());

/// One C block of a size and kind that vary with the round.
fn c_block(round: usize, thread: usize) -> Block {
    let size = 16 + (round * 7 + thread * 13) % 700;
    // SAFETY: the C allocation functions take any sizes; null results are skipped.
    let address = unsafe {
        match round % 4 {
            0 => libc::malloc(size),
            1 => libc::calloc(3, size),
            2 => {
                let mut block = std::ptr::null_mut();
                if libc::posix_memalign(&raw mut block, 64, size) != 0 {
                    block = std::ptr::null_mut();
                }
                block
            }
            _ => {
                let block = libc::malloc(size);
                let grown = libc::realloc(block, size * 3);
                if grown.is_null() { block } else { grown }
            }
        }
    };
    Block::C(address as usize)
}

/// One Rust block.
fn rust_block(round: usize) -> Block {
    let len = 8 + round % 300;
    let mut vec = vec![round as u8; len];
    vec.shrink_to_fit();
    let len = vec.capacity();
    let address = vec.leak().as_mut_ptr() as usize;
    Block::Rust { address, len }
}

fn free(block: Block) {
    match block {
        // SAFETY: the block came from the C allocator and is freed once.
        Block::C(address) => unsafe { libc::free(address as *mut libc::c_void) },
        // SAFETY: the block is a leaked `Vec<u8>` of that capacity, rebuilt and dropped once.
        Block::Rust { address, len } => unsafe {
            drop(Vec::from_raw_parts(address as *mut u8, len, len));
        },
    }
}

/// The thread's work: allocate, hand over, free what the others handed over.
fn churn(thread: usize) {
    for round in 0..ROUNDS {
        let block = if round % 3 == 0 {
            rust_block(round)
        } else {
            c_block(round, thread)
        };
        let theirs = {
            let mut queue = IN_TRANSIT.lock().unwrap_or_else(|e| e.into_inner());
            queue.push((thread, block));
            let at = queue.iter().position(|&(owner, _)| owner != thread);
            at.map(|at| queue.swap_remove(at).1)
        };
        if let Some(block) = theirs {
            free(block);
        }
    }
    lose_c_blocks(thread);
    lose_rust_block(thread);
}

/// Loses a `malloc` block and a `posix_memalign` block: their addresses are dropped.
/// Both are filled first, so that no stale pointer left in reused memory makes one of
/// them point at another lost block (which would make that one indirectly lost).
#[inline(never)]
fn lose_c_blocks(thread: usize) {
    // SAFETY: malloc and posix_memalign take any size; each block is filled within its
    // size and never used again.
    unsafe {
        let block = libc::malloc(1000 + thread);
        if !block.is_null() {
            block.cast::<u8>().write_bytes(0xa5, 1000 + thread);
        }
        std::hint::black_box(block);
        let mut block = std::ptr::null_mut();
        if libc::posix_memalign(&raw mut block, 64, 2000 + thread) == 0 {
            block.cast::<u8>().write_bytes(0x5a, 2000 + thread);
        }
        std::hint::black_box(block);
    }
}

/// Loses a `Vec`'s buffer.
#[inline(never)]
fn lose_rust_block(thread: usize) {
    std::mem::forget(std::hint::black_box(vec![thread as u8; 3000 + thread]));
}

fn main() {
    let workers: Vec<_> = (0..THREADS)
        .map(|thread| std::thread::spawn(move || churn(thread)))
        .collect();
    for worker in workers {
        worker.join().expect("a worker panicked");
    }
    let left = std::mem::take(&mut *IN_TRANSIT.lock().unwrap_or_else(|e| e.into_inner()));
    let freed = left.len();
    for (_, block) in left {
        free(block);
    }
    println!(
        "preload_stress: {THREADS} threads x {ROUNDS} rounds, {freed} blocks freed at the end, \
         3 blocks lost per thread"
    );
}
