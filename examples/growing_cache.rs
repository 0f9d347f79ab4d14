//! Growth: a global cache that remembers every response and never evicts one. Nothing
//! leaks (the cache is reachable until exit), but it grows for as long as the program
//! runs: 16 batches of 60 requests, 100 ms apart, about 1 KiB a response.
//!
//! Run it under the tracker with `cargo memleak run --example growing_cache`.

use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};
use std::time::Duration;

#[cfg(memleak)]
#[global_allocator]
static ALLOC: memleak::TrackingAlloc = memleak::TrackingAlloc::system();

static CACHE: OnceLock<Mutex<HashMap<u64, String>>> = OnceLock::new();

/// Keeps the response to request `id`, forever: the insert nobody evicts.
#[inline(never)]
fn remember_response(id: u64, body: &str) -> usize {
    let response = format!("response {id}: {body}");
    let len = response.len();
    let cache = CACHE.get_or_init(|| Mutex::new(HashMap::new()));
    cache.lock().expect("cache lock").insert(id, response);
    len
}

/// Answers a request: about 1 KiB of text, remembered.
#[inline(never)]
fn handle_request(id: u64, body: &str) -> usize {
    remember_response(id, body)
}

fn main() {
    let body = "x".repeat(1000);
    let mut served = 0;
    for batch in 0..16 {
        for request in 0..60 {
            served += handle_request(batch * 60 + request, &body);
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    println!("growing_cache: served {served} bytes, all of them remembered");
}
