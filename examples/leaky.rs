//! Leaks on purpose: 100 blocks of 64 bytes from `leak_some` and one 4096-byte block
//! from `leak_box`. The end-to-end tests assert these exact figures.
//!
//! Run it under the tracker with `cargo memleak run --example leaky`.

#[cfg(memleak)]
#[global_allocator]
static ALLOC: memleak::TrackingAlloc = memleak::TrackingAlloc::system();

/// Forgets `count` zeroed 64-byte vectors: each one is lost for good.
#[inline(never)]
fn leak_some(count: usize) {
    for _ in 0..count {
        let block = std::hint::black_box(vec![0u8; 64]);
        std::mem::forget(block);
    }
}

/// Leaks a 4096-byte box and drops the only reference to it.
#[inline(never)]
fn leak_box() {
    let leaked: &'static mut [u8; 4096] = Box::leak(Box::new([7u8; 4096]));
    std::hint::black_box(leaked);
}

/// Allocates and frees, so the report has something that is not a leak.
#[inline(never)]
fn churn() -> usize {
    let mut total = 0;
    for i in 0..1000 {
        let v: Vec<u64> = (0..i % 50).collect();
        total += v.len();
    }
    total
}

fn main() {
    leak_some(100);
    leak_box();
    let churned = churn();
    println!("leaky: leaked 100 x 64 bytes and 1 x 4096 bytes (churned {churned} values)");
}
