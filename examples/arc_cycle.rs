//! An `Arc` cycle made across two threads: each thread builds one node, they exchange
//! handles, link the nodes to each other and drop their handles. Both blocks are lost.

use std::sync::{Arc, Mutex, mpsc};

#[cfg(memleak)]
#[global_allocator]
static ALLOC: memleak::TrackingAlloc = memleak::TrackingAlloc::system();

struct Node {
    payload: [u64; 8],
    next: Mutex<Option<Arc<Node>>>,
}

#[inline(never)]
fn make_node(seed: u64) -> Arc<Node> {
    Arc::new(Node {
        payload: [seed; 8],
        next: Mutex::new(None),
    })
}

fn main() {
    let (to_main, from_thread) = mpsc::channel();
    let (to_thread, from_main) = mpsc::channel::<Arc<Node>>();
    let worker = std::thread::spawn(move || {
        let mine = make_node(2);
        to_main.send(Arc::clone(&mine)).expect("main alive");
        let theirs = from_main.recv().expect("main sends");
        *mine.next.lock().expect("lock") = Some(theirs);
    });
    let mine = make_node(1);
    to_thread.send(Arc::clone(&mine)).expect("worker alive");
    let theirs = from_thread.recv().expect("worker sends");
    *mine.next.lock().expect("lock") = Some(theirs);
    worker.join().expect("worker");
    println!(
        "arc_cycle: two Arc nodes point at each other, handles dropped ({})",
        mine.payload[0]
    );
}
