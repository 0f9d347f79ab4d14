//! 4 threads, 10 million operations in all: allocations, reallocs (growing and
//! shrinking) and frees, a tenth of the blocks handed to the next thread, which reallocs
//! or frees them there. The tracker's counters must come out exact, block for block.

mod common;

use std::sync::Mutex;

#[global_allocator]
static ALLOC: memleak::TrackingAlloc = memleak::TrackingAlloc::system();

const THREADS: usize = 4;
const OPERATIONS_PER_THREAD: usize = 2_500_000;
const SLOTS: usize = 256;
const MAILBOX: usize = 4096;

/// What one thread did, by the function that made each block.
#[derive(Debug, Default, Clone, Copy)]
struct Tally {
    made_blocks: u64,
    made_bytes: u64,
    grown_blocks: u64,
    grown_bytes: u64,
    shrunk_blocks: u64,
    shrunk_bytes: u64,
    sent: u64,
}

impl Tally {
    fn add(&mut self, other: &Self) {
        self.made_blocks += other.made_blocks;
        self.made_bytes += other.made_bytes;
        self.grown_blocks += other.grown_blocks;
        self.grown_bytes += other.grown_bytes;
        self.shrunk_blocks += other.shrunk_blocks;
        self.shrunk_bytes += other.shrunk_bytes;
        self.sent += other.sent;
    }
}

/// Where each block of the kept set came from, to check the live counters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Maker {
    Make,
    Grow,
    Shrink,
}

struct Block {
    bytes: Vec<u8>,
    maker: Maker,
}

#[inline(never)]
fn make_block(size: usize, fill: u8) -> Vec<u8> {
    std::hint::black_box(vec![fill; size])
}

#[inline(never)]
fn grow_block(block: &mut Vec<u8>, size: usize) {
    let fill = block[0];
    block.reserve_exact(size - block.len());
    block.resize(size, fill);
    std::hint::black_box(block);
}

#[inline(never)]
fn shrink_block(block: &mut Vec<u8>, size: usize) {
    block.truncate(size);
    block.shrink_to_fit();
    std::hint::black_box(block);
}

struct Random(u64);

impl Random {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, bound: u64) -> u64 {
        self.next() % bound
    }
}

/// Checks a block's contents: every byte is its first (a realloc must keep them).
fn check(block: &Block) {
    let first = block.bytes[0];
    assert!(block.bytes.iter().all(|&b| b == first), "block corrupted");
    assert_eq!(block.bytes.len(), block.bytes.capacity());
}

fn work(thread: usize, mailboxes: &[Mutex<Vec<Block>>]) -> (Tally, Vec<Block>) {
    let mut random = Random(0x9e37_79b9_7f4a_7c15 ^ ((thread as u64 + 1) * 0x1234_5677));
    let mut slots: Vec<Option<Block>> = (0..SLOTS).map(|_| None).collect();
    let mut tally = Tally::default();
    let next = &mailboxes[(thread + 1) % THREADS];
    let own = &mailboxes[thread];
    for _ in 0..OPERATIONS_PER_THREAD {
        let slot = random.below(SLOTS as u64) as usize;
        let size = 1 + random.below(300) as usize;
        match random.below(10) {
            // Allocate (freeing what the slot held).
            0..=3 => {
                let bytes = make_block(size, (size % 251) as u8 + 1);
                tally.made_blocks += 1;
                tally.made_bytes += size as u64;
                slots[slot] = Some(Block {
                    bytes,
                    maker: Maker::Make,
                });
            }
            // Realloc: grow or shrink to `size`.
            4 | 5 => {
                if let Some(block) = slots[slot].as_mut() {
                    let len = block.bytes.len();
                    if size > len {
                        grow_block(&mut block.bytes, size);
                        tally.grown_blocks += 1;
                        tally.grown_bytes += size as u64;
                        block.maker = Maker::Grow;
                    } else if size < len {
                        shrink_block(&mut block.bytes, size);
                        tally.shrunk_blocks += 1;
                        tally.shrunk_bytes += size as u64;
                        block.maker = Maker::Shrink;
                    }
                    check(block);
                }
            }
            // Free.
            6 | 7 => slots[slot] = None,
            // Hand a block to the next thread.
            8 => {
                if let Some(block) = slots[slot].take() {
                    let mut mailbox = next.lock().unwrap();
                    if mailbox.len() < MAILBOX {
                        mailbox.push(block);
                        tally.sent += 1;
                    }
                }
            }
            // Take in what the previous thread sent: its blocks are reallocated or
            // freed here.
            _ => {
                let mut mailbox = own.lock().unwrap();
                while let Some(block) = mailbox.pop() {
                    check(&block);
                    let index = random.below(SLOTS as u64) as usize;
                    slots[index] = Some(block);
                }
            }
        }
    }
    let kept = slots.into_iter().flatten().collect();
    (tally, kept)
}

#[test]
fn ten_million_operations_on_four_threads_count_exactly() {
    memleak::start();
    // Mailboxes are allocated up front so that pushing never reallocates them.
    let mailboxes: Vec<Mutex<Vec<Block>>> = (0..THREADS)
        .map(|_| Mutex::new(Vec::with_capacity(MAILBOX)))
        .collect();
    let mut total = Tally::default();
    let mut kept: Vec<Block> = Vec::new();
    std::thread::scope(|scope| {
        let workers: Vec<_> = (0..THREADS)
            .map(|thread| {
                let mailboxes = &mailboxes;
                scope.spawn(move || work(thread, mailboxes))
            })
            .collect();
        for worker in workers {
            let (tally, blocks) = worker.join().expect("worker panicked");
            total.add(&tally);
            kept.extend(blocks);
        }
    });
    for mailbox in &mailboxes {
        kept.append(&mut mailbox.lock().unwrap());
    }
    assert!(
        total.sent > 100_000,
        "only {} blocks crossed threads",
        total.sent
    );
    assert!(total.grown_blocks > 100_000 && total.shrunk_blocks > 100_000);

    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("profile.json");
    memleak::write_profile(&path).expect("profile written");
    let profile = common::load(&path);
    let counter = |function: &str, name: &str| common::sum_for(&profile, function, name);

    assert_eq!(counter("make_block", "allocated_blocks"), total.made_blocks);
    assert_eq!(counter("make_block", "allocated_bytes"), total.made_bytes);
    assert_eq!(
        counter("grow_block", "allocated_blocks"),
        total.grown_blocks
    );
    assert_eq!(counter("grow_block", "allocated_bytes"), total.grown_bytes);
    assert_eq!(counter("grow_block", "reallocs"), total.grown_blocks);
    assert_eq!(
        counter("shrink_block", "allocated_blocks"),
        total.shrunk_blocks
    );
    assert_eq!(
        counter("shrink_block", "allocated_bytes"),
        total.shrunk_bytes
    );
    assert_eq!(counter("shrink_block", "reallocs"), total.shrunk_blocks);

    for (function, maker) in [
        ("make_block", Maker::Make),
        ("grow_block", Maker::Grow),
        ("shrink_block", Maker::Shrink),
    ] {
        let blocks: Vec<&Block> = kept.iter().filter(|b| b.maker == maker).collect();
        let bytes: u64 = blocks.iter().map(|b| b.bytes.len() as u64).sum();
        assert_eq!(
            counter(function, "live_blocks"),
            blocks.len() as u64,
            "{function}"
        );
        assert_eq!(counter(function, "live_bytes"), bytes, "{function}");
        assert_eq!(
            counter(function, "freed_blocks"),
            counter(function, "allocated_blocks") - blocks.len() as u64,
            "{function}"
        );
    }
    let totals = &profile["totals"];
    assert_eq!(totals["unknown_frees"], 0, "a free lost its record");
    assert_eq!(totals["untracked_allocs"], 0);
    let live = profile["live"].as_array().expect("live");
    let listed: u64 = live.iter().map(|b| b["size"].as_u64().unwrap()).sum();
    assert_eq!(listed, totals["live_bytes"].as_u64().unwrap());
    assert_eq!(live.len() as u64, totals["live_blocks"].as_u64().unwrap());
    for block in &kept {
        check(block);
    }
    drop(kept);
}
