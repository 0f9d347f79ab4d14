//! Without `#[global_allocator]`, the in-test API cannot see allocations: it panics and
//! says what to add, rather than report nothing.

#[test]
#[should_panic(expected = "#[global_allocator]\n    static ALLOC: memleak::TrackingAlloc")]
fn leaks_without_the_tracker_installed_says_how_to_install_it() {
    let _ = memleak::leaks(|| std::mem::forget(vec![0u8; 10]));
}

#[test]
#[should_panic(expected = "is not this program's global allocator")]
fn assert_no_alloc_without_the_tracker_installed_panics_too() {
    memleak::assert_no_alloc(|| 1 + 1);
}

#[test]
#[should_panic(expected = "#[global_allocator]")]
fn heap_stats_without_the_tracker_installed_panics_too() {
    let _ = memleak::HeapStats::get();
}
