//! Not growth: the same 5,000 requests as `short_cache`, batched 1,000 at a time and
//! each batch dropped when full: the live heap rises and falls back five times.

#[cfg(memleak)]
#[global_allocator]
static ALLOC: memleak::TrackingAlloc = memleak::TrackingAlloc::system();

#[path = "short_runs.rs"]
mod short_runs;

/// Adds the response to `id` to the batch, which is sent (dropped) when full.
#[inline(never)]
fn batch_response(batch: &mut Vec<String>, id: u64) -> usize {
    batch.push(short_runs::respond(id));
    if batch.len() < 1_000 {
        return 0;
    }
    let sent = batch.len();
    *batch = Vec::new();
    sent
}

fn main() {
    let mut batch = Vec::new();
    let mut sent = 0;
    for id in 0..short_runs::REQUESTS {
        sent += batch_response(&mut batch, id);
    }
    println!("sent {sent} responses in batches");
}
