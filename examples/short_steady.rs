//! Not growth: the same 5,000 requests as `short_cache`, but only the last 64 responses
//! are kept, so the live heap stays level.

use std::collections::VecDeque;

#[cfg(memleak)]
#[global_allocator]
static ALLOC: memleak::TrackingAlloc = memleak::TrackingAlloc::system();

#[path = "short_runs.rs"]
mod short_runs;

/// Keeps the response to `id` among the last 64.
#[inline(never)]
fn keep_recent(recent: &mut VecDeque<String>, id: u64) {
    if recent.len() == 64 {
        recent.pop_front();
    }
    recent.push_back(short_runs::respond(id));
}

fn main() {
    let mut recent = VecDeque::with_capacity(64);
    for id in 0..short_runs::REQUESTS {
        keep_recent(&mut recent, id);
    }
    println!("kept the last {} responses", recent.len());
}
