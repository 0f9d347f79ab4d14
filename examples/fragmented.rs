//! Fragmentation: 200 MiB in small blocks (0.5 to 1.5 KiB), then every other one freed. The
//! freed half sits between live blocks, so malloc keeps it (about 100 MiB free) while the
//! program holds only the other half, still reachable from a static until exit.
//!
//! Run it under the tracker with `cargo memleak run --example fragmented`.

use std::sync::Mutex;

#[cfg(memleak)]
#[global_allocator]
static ALLOC: memleak::TrackingAlloc = memleak::TrackingAlloc::system();

const TOTAL: usize = 200 << 20;
/// Block sizes, in turn: 512, 640, ..., 1536 bytes (1 KiB on average). Bigger blocks
/// would fragment as well; smaller ones would make a bigger profile to read.
const SIZES: [usize; 9] = [512, 640, 768, 896, 1024, 1152, 1280, 1408, 1536];

/// The blocks kept until exit.
static KEPT: Mutex<Vec<Box<[u8]>>> = Mutex::new(Vec::new());

/// Allocates TOTAL bytes in small blocks, frees every other one, keeps the rest.
#[inline(never)]
fn fragment() -> usize {
    let count = TOTAL / 1024;
    let mut blocks: Vec<Option<Box<[u8]>>> = Vec::with_capacity(count);
    for index in 0..count {
        let size = SIZES[index % SIZES.len()];
        blocks.push(Some(vec![index as u8; size].into_boxed_slice()));
    }
    for block in blocks.iter_mut().step_by(2) {
        drop(block.take());
    }
    let mut kept: Vec<Box<[u8]>> = blocks.into_iter().flatten().collect();
    kept.shrink_to_fit();
    let bytes = kept.iter().map(|block| block.len()).sum();
    *KEPT.lock().expect("KEPT lock") = kept;
    bytes
}

fn main() {
    let kept = fragment();
    println!("fragmented: allocated {TOTAL} bytes, kept {kept} in every other block");
}
