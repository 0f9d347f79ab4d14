//! Not growth: a table of 5,000 entries built once into a static at start-up, then
//! 5,000 requests served from it (with the scratch work of `short_cache`, freed). The
//! table is as big as `short_cache`'s cache and was built as fast, but it stops rising
//! once built, while the program works on.

use std::collections::HashMap;
use std::sync::LazyLock;

#[cfg(memleak)]
#[global_allocator]
static ALLOC: memleak::TrackingAlloc = memleak::TrackingAlloc::system();

#[path = "short_runs.rs"]
mod short_runs;

static TABLE: LazyLock<HashMap<u64, String>> = LazyLock::new(build_table);

/// The table: one entry per request id, built once.
#[inline(never)]
fn build_table() -> HashMap<u64, String> {
    (0..short_runs::REQUESTS)
        .map(|id| (id, format!("entry {id}: {}", "y".repeat(280))))
        .collect()
}

fn main() {
    let mut served = 0;
    for id in 0..short_runs::REQUESTS {
        let entry = TABLE.get(&id).map_or(0, String::len);
        served += short_runs::respond(id).len() + entry;
    }
    println!("served {served} bytes");
}
