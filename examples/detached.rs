//! A thread still running, and holding memory, when `main` returns: its buffer is
//! reachable from its stack, so it is not a leak.

use std::sync::mpsc;

#[cfg(memleak)]
#[global_allocator]
static ALLOC: memleak::TrackingAlloc = memleak::TrackingAlloc::system();

#[inline(never)]
fn hold_buffer(ready: mpsc::Sender<()>) {
    let buffer = std::hint::black_box(vec![5u8; 4096]);
    ready.send(()).expect("main waits");
    loop {
        std::thread::park();
        std::hint::black_box(&buffer);
    }
}

fn main() {
    let (ready, started) = mpsc::channel();
    std::thread::spawn(move || hold_buffer(ready));
    started.recv().expect("thread started");
    println!("detached: a thread holds 4096 bytes and still runs as main returns");
}
