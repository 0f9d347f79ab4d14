//! Call sites: a captured stack is hashed, interned once into the site table, and from
//! then on a live block carries only a `&'static Site`.
//!
//! Lookups go through a small per-thread cache of recent stack hashes first, so a hot
//! site costs no lock; a miss takes one of the intern table's shards. Sites are never
//! freed: they are process-lifetime records, allocated through the inner allocator.

use std::cell::Cell;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering::Relaxed};

use hashbrown::HashMap;
use parking_lot::Mutex;

use crate::hot::sampling::Weight;
use crate::hot::site_ids;
use crate::os::frames::Stack;

/// How many sets of counters a site keeps. The threads with tracker ids below
/// `STRIPES - 1` (the first to allocate: main and the first workers) each own one and
/// update it with plain loads and stores, no read-modify-write; every later thread
/// shares the last one, with atomic adds. Threads never write a line another thread
/// owns, so threads allocating at one site do not pass its lines between cores.
pub(crate) const STRIPES: usize = 8;
const SHARED_STRIPE: usize = STRIPES - 1;

/// One thread-set's counters of a site, on a cache line of its own. Live counts are
/// allocated minus freed.
#[derive(Debug, Default)]
#[repr(align(64))]
struct Stripe {
    allocated_bytes: AtomicU64,
    allocated_blocks: AtomicU64,
    freed_bytes: AtomicU64,
    freed_blocks: AtomicU64,
}

/// Adds to a counter of the stripe the calling thread owns (`owned`) or shares.
#[inline]
fn add(counter: &AtomicU64, amount: u64, owned: bool) {
    if owned {
        // The only writer: a load and a store cannot lose another thread's add.
        counter.store(counter.load(Relaxed).wrapping_add(amount), Relaxed);
    } else {
        counter.fetch_add(amount, Relaxed);
    }
}

/// The stripe of the thread with tracker id `thread` (`None`: a thread the tracker has
/// not registered), and whether that thread owns it.
#[inline]
fn stripe_of(thread: Option<u32>) -> (usize, bool) {
    match thread {
        Some(id) if (id as usize) < SHARED_STRIPE => (id as usize, true),
        _ => (SHARED_STRIPE, false),
    }
}

/// One call site and its counters. Padded so two hot sites never share a cache line.
#[derive(Debug)]
#[repr(align(64))]
pub(crate) struct Site {
    id: u32,
    frames: Box<[usize]>,
    /// The highest live bytes seen when the counters were read (timeline samples, the
    /// write): summing the stripes on every allocation would share their lines again.
    peak_live_bytes: AtomicU64,
    reallocs: AtomicU64,
    stripes: [Stripe; STRIPES],
}

/// A consistent-enough copy of a site's counters for the profile.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct SiteCounts {
    pub(crate) allocated_bytes: u64,
    pub(crate) allocated_blocks: u64,
    pub(crate) freed_blocks: u64,
    pub(crate) live_bytes: u64,
    pub(crate) live_blocks: u64,
    pub(crate) peak_live_bytes: u64,
    pub(crate) reallocs: u64,
}

impl Site {
    fn new(id: u32, frames: Box<[usize]>) -> Self {
        Self {
            id,
            frames,
            peak_live_bytes: AtomicU64::new(0),
            reallocs: AtomicU64::new(0),
            stripes: Default::default(),
        }
    }

    /// Dense id, in order of first sight.
    pub(crate) fn id(&self) -> u32 {
        self.id
    }

    /// Return addresses, innermost first.
    pub(crate) fn frames(&self) -> &[usize] {
        &self.frames
    }

    /// Counts a new block (or, under sampling, the blocks one recorded block stands
    /// for), allocated by the thread with tracker id `thread` (see
    /// [`thread::id`](crate::hot::thread::id)).
    #[inline]
    pub(crate) fn on_alloc(&self, weight: Weight, thread: Option<u32>) {
        let (index, owned) = stripe_of(thread);
        // `index` is at most SHARED_STRIPE: in range.
        let Some(stripe) = self.stripes.get(index) else {
            return;
        };
        add(&stripe.allocated_bytes, weight.bytes, owned);
        add(&stripe.allocated_blocks, weight.blocks, owned);
    }

    /// Counts the end of a block: the same weight its allocation counted, in the
    /// freeing thread's stripe.
    #[inline]
    pub(crate) fn on_free(&self, weight: Weight, thread: Option<u32>) {
        let (index, owned) = stripe_of(thread);
        let Some(stripe) = self.stripes.get(index) else {
            return;
        };
        add(&stripe.freed_bytes, weight.bytes, owned);
        add(&stripe.freed_blocks, weight.blocks, owned);
    }

    /// Counts a block that arrived here through `realloc`.
    #[inline]
    pub(crate) fn on_realloc(&self) {
        self.reallocs.fetch_add(1, Relaxed);
    }

    /// The counters now, summed over the stripes; the live bytes seen here also raise
    /// the site's recorded peak.
    pub(crate) fn counts(&self) -> SiteCounts {
        // Frees are read first: a block freed after that read still counts as live,
        // so live never underflows when events race with the read.
        let (mut freed_bytes, mut freed_blocks) = (0u64, 0u64);
        for stripe in &self.stripes {
            freed_bytes = freed_bytes.wrapping_add(stripe.freed_bytes.load(Relaxed));
            freed_blocks = freed_blocks.wrapping_add(stripe.freed_blocks.load(Relaxed));
        }
        let (mut allocated_bytes, mut allocated_blocks) = (0u64, 0u64);
        for stripe in &self.stripes {
            allocated_bytes = allocated_bytes.wrapping_add(stripe.allocated_bytes.load(Relaxed));
            allocated_blocks = allocated_blocks.wrapping_add(stripe.allocated_blocks.load(Relaxed));
        }
        let live_bytes = allocated_bytes.saturating_sub(freed_bytes);
        let peak = self
            .peak_live_bytes
            .fetch_max(live_bytes, Relaxed)
            .max(live_bytes);
        SiteCounts {
            allocated_bytes,
            allocated_blocks,
            freed_blocks,
            live_bytes,
            live_blocks: allocated_blocks.saturating_sub(freed_blocks),
            peak_live_bytes: peak,
            reallocs: self.reallocs.load(Relaxed),
        }
    }
}

/// Hashes a stack; the hash is the site's key.
///
/// Four independent lanes take the frames in turn, so the multiplications of
/// neighbouring frames overlap in the CPU instead of waiting for each other: one
/// serial chain over 15-20 frames was an eighth of the tracker's time per allocation.
#[inline]
pub(crate) fn stack_hash(frames: &[usize]) -> u64 {
    const K: u64 = 0x9e37_79b9_7f4a_7c15;
    let step = |lane: u64, value: u64| (lane ^ value).wrapping_mul(K).rotate_left(29);
    let mut lanes = [frames.len() as u64, 1 << 16, 2 << 16, 3 << 16];
    for chunk in frames.chunks(4) {
        for (lane, &address) in lanes.iter_mut().zip(chunk) {
            *lane = step(*lane, address as u64);
        }
    }
    let [a, b, c, d] = lanes;
    step(step(step(a, b), c), d)
}

const INTERN_SHARDS: usize = 64;
const THREAD_CACHE: usize = 64;

/// The hash of a stack is already well mixed: use it as is.
#[derive(Debug, Default, Clone, Copy)]
struct PrehashedKey;

#[derive(Debug, Default)]
struct IdentityHasher(u64);

impl std::hash::Hasher for IdentityHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &byte in bytes {
            self.0 = (self.0 << 8) | u64::from(byte);
        }
    }
    fn write_u64(&mut self, value: u64) {
        self.0 = value;
    }
}

impl std::hash::BuildHasher for PrehashedKey {
    type Hasher = IdentityHasher;
    fn build_hasher(&self) -> IdentityHasher {
        IdentityHasher(0)
    }
}

#[repr(align(128))]
struct InternShard(Mutex<HashMap<u64, &'static Site, PrehashedKey>>);

static INTERN: [InternShard; INTERN_SHARDS] =
    [const { InternShard(Mutex::new(HashMap::with_hasher(PrehashedKey))) }; INTERN_SHARDS];

/// Every site in id order, for the profile writer.
static ALL_SITES: Mutex<Vec<&'static Site>> = Mutex::new(Vec::new());
static NEXT_ID: AtomicU32 = AtomicU32::new(0);

thread_local! {
    static RECENT: [Cell<Option<(u64, &'static Site)>>; THREAD_CACHE] =
        const { [const { Cell::new(None) }; THREAD_CACHE] };
}

/// The site of `stack`, interning it on first sight. `None` only when the table could
/// not grow (allocation failure): the event then goes untracked.
///
/// Must be called with the reentrancy guard held: interning allocates.
#[inline]
pub(crate) fn intern(stack: &Stack) -> Option<&'static Site> {
    let frames = stack.frames();
    let hash = stack_hash(frames);
    let slot = (hash as usize) % THREAD_CACHE;
    let cached = RECENT
        .try_with(|recent| recent.get(slot).and_then(Cell::get))
        .ok()
        .flatten();
    if let Some((cached_hash, site)) = cached
        && cached_hash == hash
    {
        return Some(site);
    }
    let site = intern_shared(hash, frames)?;
    let _ = RECENT.try_with(|recent| {
        if let Some(cell) = recent.get(slot) {
            cell.set(Some((hash, site)));
        }
    });
    Some(site)
}

#[cold]
fn intern_shared(hash: u64, frames: &[usize]) -> Option<&'static Site> {
    let shard = INTERN.get((hash as usize) % INTERN_SHARDS)?;
    let mut table = shard.0.lock();
    // Distinct stacks with one hash (about 2^-64 per pair) probe the next keys.
    let mut key = hash;
    loop {
        match table.get(&key) {
            Some(site) if site.frames() == frames => return Some(site),
            Some(_) => key = key.wrapping_add(1),
            None => break,
        }
    }
    table.try_reserve(1).ok()?;
    let mut all = ALL_SITES.lock();
    all.try_reserve(1).ok()?;
    let site = leak_new_site(frames)?;
    if !site_ids::register(site) {
        return None;
    }
    table.insert(key, site);
    all.push(site);
    Some(site)
}

/// Allocates a site for the rest of the process; `None` when allocation fails (every
/// allocation here is fallible, so the tracker never aborts a program that would have
/// run untracked).
fn leak_new_site(frames: &[usize]) -> Option<&'static Site> {
    let mut stack = Vec::new();
    stack.try_reserve_exact(frames.len()).ok()?;
    stack.extend_from_slice(frames);
    let mut home: Vec<Site> = Vec::new();
    home.try_reserve_exact(1).ok()?;
    home.push(Site::new(
        NEXT_ID.fetch_add(1, Relaxed),
        stack.into_boxed_slice(),
    ));
    let leaked: &'static [Site] = home.leak();
    leaked.first()
}

/// Takes the intern table's locks, then the site list's, as `intern_shared` does (see
/// `fork.rs`).
pub(crate) fn lock_for_fork(held: &mut Vec<Box<dyn Send>>) {
    for shard in &INTERN {
        held.push(Box::new(shard.0.lock()));
    }
    held.push(Box::new(ALL_SITES.lock()));
}

/// A site for unit tests elsewhere in the crate.
#[cfg(test)]
pub(crate) fn test_site() -> &'static Site {
    leak_new_site(&[1, 2, 3]).expect("test site")
}

/// Every site seen so far, in id order.
pub(crate) fn all_sites() -> Vec<&'static Site> {
    ALL_SITES.lock().clone()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hash_depends_on_order_and_length() {
        assert_ne!(stack_hash(&[1, 2]), stack_hash(&[2, 1]));
        assert_ne!(stack_hash(&[1]), stack_hash(&[1, 0]));
        assert_eq!(stack_hash(&[7, 8, 9]), stack_hash(&[7, 8, 9]));
        // Frames that land in the same lane, and frames moved between lanes.
        assert_ne!(stack_hash(&[1, 2, 3, 4, 5]), stack_hash(&[5, 2, 3, 4, 1]));
        assert_ne!(stack_hash(&[1, 2, 3, 4, 5]), stack_hash(&[2, 1, 3, 4, 5]));
        assert_ne!(stack_hash(&[0]), stack_hash(&[]));
        let distinct: std::collections::HashSet<u64> = (0..10_000usize)
            .map(|i| stack_hash(&[0x5555_0000 + i * 8, 0x5555_1000, 0x5555_2000]))
            .collect();
        assert_eq!(distinct.len(), 10_000);
    }

    #[test]
    fn early_threads_own_a_stripe_and_the_rest_share_one() {
        assert_eq!(stripe_of(Some(0)), (0, true));
        assert_eq!(stripe_of(Some(6)), (6, true));
        assert_eq!(stripe_of(Some(7)), (SHARED_STRIPE, false));
        assert_eq!(stripe_of(Some(u32::MAX)), (SHARED_STRIPE, false));
        assert_eq!(stripe_of(None), (SHARED_STRIPE, false));
    }

    #[test]
    fn counters_sum_the_stripes_and_keep_the_peak_seen() {
        let site = Site::new(0, Box::new([1, 2, 3]));
        let block = |bytes| Weight { bytes, blocks: 1 };
        site.on_alloc(block(100), Some(0));
        site.on_alloc(block(50), Some(1));
        assert_eq!(site.counts().peak_live_bytes, 150);
        // Freed by a thread that shares the last stripe, and by an unregistered one.
        site.on_free(block(100), Some(40));
        site.on_alloc(block(10), None);
        let counts = site.counts();
        assert_eq!(counts.allocated_bytes, 160);
        assert_eq!(counts.allocated_blocks, 3);
        assert_eq!(counts.freed_blocks, 1);
        assert_eq!(counts.live_bytes, 60);
        assert_eq!(counts.live_blocks, 2);
        assert_eq!(counts.peak_live_bytes, 150);
    }
}
