//! Leaks 1,256 bytes in 2 blocks, then panics. With `RUST_BACKTRACE` set, printing the
//! panic's backtrace fills std's symbolizer caches with tens of MiB of vectors whose spare
//! capacity holds stale pointers to the lost blocks: the report must still say 1,256
//! bytes in 2 blocks, with any `RUST_BACKTRACE`, on every run.
//!
//! Run it with `RUST_BACKTRACE=1 cargo memleak run --example panicking`. With the
//! argument `abort` it aborts instead (SIGABRT: no profile is written).

#[cfg(memleak)]
#[global_allocator]
static ALLOC: memleak::TrackingAlloc = memleak::TrackingAlloc::system();

/// Loses a 1,000-byte vector and a 256-byte box.
#[inline(never)]
fn lose_two_blocks() {
    std::mem::forget(vec![1u8; 1000]);
    std::mem::forget(Box::new([2u8; 256]));
}

fn main() {
    lose_two_blocks();
    if std::env::args().nth(1).as_deref() == Some("abort") {
        std::process::abort();
    }
    let empty: Vec<u32> = Vec::new();
    let index = std::hint::black_box(3);
    println!("panicking: {}", empty[index]);
}
