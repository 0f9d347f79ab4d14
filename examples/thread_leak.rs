//! A thread forgets a 2048-byte buffer and exits: the block is a definite leak, allocated
//! by a thread that no longer exists.

#[cfg(memleak)]
#[global_allocator]
static ALLOC: memleak::TrackingAlloc = memleak::TrackingAlloc::system();

#[inline(never)]
fn forget_buffer() {
    std::mem::forget(std::hint::black_box(vec![3u8; 2048]));
}

fn main() {
    std::thread::Builder::new()
        .name("forgetful".into())
        .spawn(forget_buffer)
        .expect("spawn")
        .join()
        .expect("join");
    println!("thread_leak: a thread forgot 2048 bytes and exited");
}
