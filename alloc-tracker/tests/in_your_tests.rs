//! Memory checks under plain `cargo test`: each test asserts on its own allocations,
//! exactly, while the other tests run in parallel.

#[global_allocator]
static ALLOC: memleak::TrackingAlloc = memleak::TrackingAlloc::system();

/// Stands in for your code.
fn render(items: &[u32]) -> String {
    items
        .iter()
        .map(|item| format!("<li>{item}</li>"))
        .collect()
}

#[test]
fn rendering_leaks_nothing() {
    memleak::assert_no_leaks(|| render(&[1, 2, 3]));
}

/// Stands in for a leak. (`black_box`: in a release build the optimizer removes an
/// allocation nothing reads, and there would be no leak to find.)
fn forget_a_buffer(bytes: usize) {
    std::mem::forget(std::hint::black_box(vec![0u8; bytes]));
}

#[test]
fn a_forgotten_buffer_is_found_exactly() {
    let found = memleak::leaks(|| forget_a_buffer(1000));
    assert_eq!((found.bytes(), found.blocks()), (1000, 1));
    let frames = found.sites()[0].user_frames();
    assert!(frames[0].function.ends_with("forget_a_buffer"));
}

#[test]
fn a_joined_threads_leak_counts_too() {
    let found = memleak::leaks(|| {
        let worker = std::thread::spawn(|| forget_a_buffer(2000));
        worker.join().unwrap();
    });
    assert_eq!((found.bytes(), found.blocks()), (2000, 1));
}

#[test]
fn rendering_a_thousand_items_stays_under_64_kib() {
    let items: Vec<u32> = (0..1000).collect();
    let html = memleak::limit_memory(64 * 1024, || render(&items));
    assert!(html.starts_with("<li>0</li>"));
}

#[test]
fn summing_does_not_allocate() {
    let items = [1u32, 2, 3];
    let sum = memleak::assert_no_alloc(|| items.iter().sum::<u32>());
    assert_eq!(sum, 6);
}
