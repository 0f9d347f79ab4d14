//! Serves 100 requests and leaks nothing, unless run with `-- leak`: then a copy of
//! every tenth request's 256-byte reply is kept and forgotten, 2,560 bytes in 10 blocks
//! allocated in `remember_request` and lost. One program, with and without a leak: what `cargo memleak diff`
//! and `--baseline` compare.

#[cfg(memleak)]
#[global_allocator]
static ALLOC: memleak::TrackingAlloc = memleak::TrackingAlloc::system();

/// The request's reply, built in a buffer of its own.
#[inline(never)]
fn serve(id: u64) -> Vec<u8> {
    let mut buffer = vec![0u8; 256];
    buffer[..8].copy_from_slice(&id.to_le_bytes());
    buffer
}

/// The bug `-- leak` turns on: a copy of the reply kept "for later" and never freed.
#[inline(never)]
fn remember_request(reply: &[u8]) {
    std::mem::forget(reply.to_vec());
}

fn main() {
    let leak = std::env::args().skip(1).any(|arg| arg == "leak");
    let mut served = 0;
    for id in 0..100 {
        let buffer = serve(id);
        served += buffer.len();
        if leak && id % 10 == 0 {
            remember_request(&buffer);
        }
    }
    println!("leak_on_request: served {served} bytes");
}
