//! 8 threads allocate blocks and hand them to the next thread, which frees them: no
//! record may be lost or corrupted, and the counts must come out exact.

mod common;

use std::sync::mpsc;

#[global_allocator]
static ALLOC: memleak::TrackingAlloc = memleak::TrackingAlloc::system();

const THREADS: usize = 8;
const BLOCKS_PER_THREAD: usize = 20_000;
const KEPT_PER_THREAD: usize = 3;

fn block_size(thread: usize, i: usize) -> usize {
    16 + (thread * 8) + (i % 5) * 24
}

#[inline(never)]
fn make_block(size: usize, fill: u8) -> Box<[u8]> {
    std::hint::black_box(vec![fill; size].into_boxed_slice())
}

#[test]
fn cross_thread_frees_lose_no_record() {
    memleak::start();
    let (senders, receivers): (Vec<_>, Vec<_>) =
        (0..THREADS).map(|_| mpsc::channel::<Box<[u8]>>()).unzip();
    let mut handles = Vec::new();
    for (thread, receiver) in receivers.into_iter().enumerate() {
        let next = senders[(thread + 1) % THREADS].clone();
        handles.push(std::thread::spawn(move || {
            let mut kept = Vec::new();
            for i in 0..BLOCKS_PER_THREAD {
                let block = make_block(block_size(thread, i), thread as u8);
                if i < KEPT_PER_THREAD {
                    kept.push(block);
                } else {
                    next.send(block).expect("next thread alive");
                }
            }
            drop(next);
            let mut received = 0usize;
            for block in receiver.iter() {
                assert!(block.iter().all(|&b| b == block[0]), "block corrupted");
                received += 1;
            }
            (kept, received)
        }));
    }
    drop(senders);
    let mut kept = Vec::new();
    let mut received = 0;
    for handle in handles {
        let (blocks, count) = handle.join().expect("worker panicked");
        kept.extend(blocks);
        received += count;
    }
    assert_eq!(received, THREADS * (BLOCKS_PER_THREAD - KEPT_PER_THREAD));

    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("profile.json");
    memleak::write_profile(&path).expect("profile written");
    let profile = common::load(&path);

    let made = (THREADS * BLOCKS_PER_THREAD) as u64;
    let kept_count = (THREADS * KEPT_PER_THREAD) as u64;
    let kept_bytes: u64 = (0..THREADS)
        .flat_map(|t| (0..KEPT_PER_THREAD).map(move |i| block_size(t, i) as u64))
        .sum();
    let all_bytes: u64 = (0..THREADS)
        .flat_map(|t| (0..BLOCKS_PER_THREAD).map(move |i| block_size(t, i) as u64))
        .sum();
    assert_eq!(
        common::sum_for(&profile, "make_block", "allocated_blocks"),
        made
    );
    assert_eq!(
        common::sum_for(&profile, "make_block", "allocated_bytes"),
        all_bytes
    );
    assert_eq!(
        common::sum_for(&profile, "make_block", "freed_blocks"),
        made - kept_count
    );
    assert_eq!(
        common::sum_for(&profile, "make_block", "live_blocks"),
        kept_count
    );
    assert_eq!(
        common::sum_for(&profile, "make_block", "live_bytes"),
        kept_bytes
    );

    // The live list agrees with the counters, block by block.
    let totals = &profile["totals"];
    let live = profile["live"].as_array().expect("live");
    let listed: u64 = live.iter().map(|b| b["size"].as_u64().unwrap()).sum();
    assert_eq!(listed, totals["live_bytes"].as_u64().unwrap());
    assert_eq!(live.len() as u64, totals["live_blocks"].as_u64().unwrap());
    assert_eq!(totals["unknown_frees"], 0, "a free lost its record");
    assert_eq!(totals["untracked_allocs"], 0);
    let threads = profile["threads"].as_array().expect("threads");
    assert!(
        threads.len() > THREADS,
        "{} threads registered",
        threads.len()
    );
    drop(kept);
}
