//! Not growth: a buffer that grows to 100 MiB and is freed, ten times over about 1.5 s.
//! Its live bytes rise and fall back; at exit it holds nothing.
//!
//! Run it under the tracker with `cargo memleak run --example sawtooth`.

use std::time::Duration;

#[cfg(memleak)]
#[global_allocator]
static ALLOC: memleak::TrackingAlloc = memleak::TrackingAlloc::system();

const STEP: usize = 10 << 20;

/// What each step appends: copying it is a `memcpy`, fast in a debug build too.
static STEP_BYTES: [u8; STEP] = [0; STEP];

/// Grows a buffer to 100 MiB in ten steps, 6 ms apart, then frees it.
#[inline(never)]
fn fill_and_free() -> usize {
    let mut buffer: Vec<u8> = Vec::new();
    for _ in 0..10 {
        // Exactly the size asked for: no doubling beyond 100 MiB.
        buffer.reserve_exact(STEP);
        buffer.extend_from_slice(&STEP_BYTES);
        std::thread::sleep(Duration::from_millis(6));
    }
    let len = std::hint::black_box(&buffer).len();
    drop(buffer);
    len
}

fn main() {
    let mut total = 0;
    for _ in 0..10 {
        total += fill_and_free();
        std::thread::sleep(Duration::from_millis(25));
    }
    println!("sawtooth: filled and freed {total} bytes");
}
