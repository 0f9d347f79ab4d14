//! Memory held by statics at exit: a `OnceLock` cache, a `LazyLock` table and a
//! `Box::leak` stored in a static. All of it is still reachable; none of it is a leak.

use std::collections::HashMap;
use std::sync::atomic::{AtomicPtr, Ordering};
use std::sync::{LazyLock, Mutex, OnceLock};

#[cfg(memleak)]
#[global_allocator]
static ALLOC: memleak::TrackingAlloc = memleak::TrackingAlloc::system();

static CACHE: OnceLock<Mutex<HashMap<u64, String>>> = OnceLock::new();
static TABLE: LazyLock<Vec<u64>> = LazyLock::new(|| (0..1000).collect());
static LEAKED_CONFIG: AtomicPtr<[u8; 512]> = AtomicPtr::new(std::ptr::null_mut());

#[inline(never)]
fn fill_cache() {
    let cache = CACHE.get_or_init(|| Mutex::new(HashMap::new()));
    let mut cache = cache.lock().expect("cache lock");
    for key in 0..100 {
        cache.insert(key, format!("value {key}"));
    }
}

#[inline(never)]
fn leak_config() {
    LEAKED_CONFIG.store(Box::leak(Box::new([1u8; 512])), Ordering::Release);
}

fn main() {
    fill_cache();
    leak_config();
    println!(
        "statics: {} cached, table of {}",
        CACHE.get().map_or(0, |c| c.lock().map_or(0, |c| c.len())),
        TABLE.len()
    );
}
