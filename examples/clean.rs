//! Allocates and frees a lot and leaks nothing of its own: the report must show no site
//! in this file live at exit.

use std::collections::{BTreeMap, HashMap};

#[cfg(memleak)]
#[global_allocator]
static ALLOC: memleak::TrackingAlloc = memleak::TrackingAlloc::system();

#[inline(never)]
fn build_and_drop(round: u64) -> u64 {
    let mut map: HashMap<u64, String> = HashMap::new();
    let mut tree: BTreeMap<String, Vec<u64>> = BTreeMap::new();
    for i in 0..500 {
        map.insert(i, format!("value-{round}-{i}"));
        tree.entry(format!("k{}", i % 37))
            .or_default()
            .push(i * round);
    }
    let boxed: Vec<Box<[u8]>> = (0..100)
        .map(|n| vec![0u8; n * 3].into_boxed_slice())
        .collect();
    map.values().map(|s| s.len() as u64).sum::<u64>()
        + tree.values().map(|v| v.len() as u64).sum::<u64>()
        + boxed.iter().map(|b| b.len() as u64).sum::<u64>()
}

fn main() {
    let mut checksum = 0;
    for round in 0..20 {
        checksum += build_and_drop(round);
    }
    let worker = std::thread::spawn(|| (0..1000).map(|i| vec![i; 16].len()).sum::<usize>());
    let from_thread = worker.join().expect("worker thread panicked");
    println!("clean: checksum {checksum}, thread {from_thread}");
}
