//! malloc's free space held by per-thread arenas, not fragmentation of one heap: four
//! threads each fill 400 buffers of 32 KiB, then free nine in ten. glibc gave each
//! thread an arena of its own, and each arena keeps what its thread freed. The report
//! names the arenas, and its resident layers stay within the resident set. The buffers
//! kept (5 MiB) stay reachable from a static until exit.

use std::sync::OnceLock;

#[cfg(memleak)]
#[global_allocator]
static ALLOC: memleak::TrackingAlloc = memleak::TrackingAlloc::system();

const BUFFER: usize = 32 * 1024;

static KEPT: OnceLock<Vec<Vec<Vec<u8>>>> = OnceLock::new();

/// Fills 400 buffers, keeps one in ten, returns them.
#[inline(never)]
fn fill_and_thin(seed: u8) -> Vec<Vec<u8>> {
    let mut buffers: Vec<Vec<u8>> = (0..400).map(|_| vec![seed; BUFFER]).collect();
    let mut index = 0;
    buffers.retain(|_| {
        index += 1;
        index % 10 == 0
    });
    buffers
}

fn main() {
    let workers: Vec<_> = (0..4u8)
        .map(|seed| std::thread::spawn(move || fill_and_thin(seed)))
        .collect();
    let kept: Vec<Vec<Vec<u8>>> = workers
        .into_iter()
        .map(|worker| worker.join().expect("worker"))
        .collect();
    let kept = KEPT.get_or_init(|| kept);
    let bytes: usize = kept.iter().flatten().map(Vec::len).sum();
    println!(
        "kept {bytes} bytes in {} buffers",
        kept.iter().flatten().count()
    );
}
