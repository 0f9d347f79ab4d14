//! Growth in a short run: 5,000 responses cached in a map that never evicts, in tens of
//! milliseconds, far too short for the 100 ms timer. The checkpoints taken by heap
//! activity see the cache rise to the end, so the report flags
//! `short_cache::cache_response`.

use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};

#[cfg(memleak)]
#[global_allocator]
static ALLOC: memleak::TrackingAlloc = memleak::TrackingAlloc::system();

#[path = "short_runs.rs"]
mod short_runs;

static CACHE: OnceLock<Mutex<HashMap<u64, String>>> = OnceLock::new();

/// Keeps the response to `id`, forever: the insert nobody evicts.
#[inline(never)]
fn cache_response(id: u64) {
    let cache = CACHE.get_or_init(|| Mutex::new(HashMap::new()));
    let response = short_runs::respond(id);
    cache.lock().expect("cache lock").insert(id, response);
}

fn main() {
    for id in 0..short_runs::REQUESTS {
        cache_response(id);
    }
    let cached = CACHE
        .get()
        .map_or(0, |cache| cache.lock().expect("cache lock").len());
    println!("cached {cached} responses");
}
