//! Live blocks, in page-hashed shards: each a spin lock (`spin_lock.rs`) over a `hashbrown`
//! table, padded to its own cache lines, so threads working on different blocks rarely
//! meet on a lock or a line. Keys hash with the locality of their page (see
//! `locality_hash`): on big heaps the table's cache misses, not its lock, were the cost.

use crate::hot::spin_lock::SpinMutex;
use hashbrown::HashMap;

use crate::hot::record::Record;
use crate::hot::state;

pub(crate) const SHARDS: usize = 64;

/// Blocks in one 4 KiB page share a shard: a big heap has many pages, so the shards
/// stay evenly loaded, while blocks allocated one after another (usually neighbours
/// in memory) land in one table.
const PAGE_SHIFT: u32 = 12;

/// The shard of a block, by its page (`hot::scope`'s tables shard alike).
#[inline]
pub(crate) fn shard_index(address: usize) -> usize {
    let page = (address >> PAGE_SHIFT) as u64;
    let slice = (page.wrapping_mul(K) >> (64 - SLICE_BITS)) as usize;
    SHARD_OF_SLICE
        .get(slice)
        .map_or(0, |&shard| usize::from(shard))
}

/// The page hash's top bits pick one of `2^SLICE_BITS` slices, and each slice belongs to
/// one shard.
const SLICE_BITS: u32 = 10;
const SLICES: usize = 1 << SLICE_BITS;

/// Shard `i` owns a share of the slices proportional to `2^(i / SHARDS)`: the shares
/// span one doubling. A table's memory doubles at once when it grows, so equal shards,
/// all crossing the threshold together, made the tracker's memory a step function of
/// the live blocks, from 7/8 full down to 7/16 right after the steps (the btree bench's
/// peak sat just past one: tables half empty, 1.6x the program's RSS). Spread over a
/// doubling, the shards grow one after another, and the tables' load stays near its
/// mean whatever the heap's size.
static SHARD_OF_SLICE: [u8; SLICES] = spread_slices();

const fn spread_slices() -> [u8; SLICES] {
    // 2^(1/64): each shard's share is this much larger than the one before.
    const RATIO: f64 = 1.010_889_286_051_700_5;
    let mut total = 0.0;
    let mut weight = 1.0;
    let mut shard = 0;
    while shard < SHARDS {
        total += weight;
        weight *= RATIO;
        shard += 1;
    }
    let mut slices = [0u8; SLICES];
    let (mut slice, mut shard, mut weight, mut end) = (0, 0, 1.0, 0.0);
    while shard < SHARDS {
        end += weight / total * SLICES as f64;
        // Every shard gets at least one slice, and the last one ends the array.
        while slice < SLICES && ((slice as f64) < end || shard == SHARDS - 1) {
            slices[slice] = shard as u8;
            slice += 1;
        }
        weight *= RATIO;
        shard += 1;
    }
    slices
}

#[inline]
fn shard_of(address: usize) -> &'static Shard {
    // The index is below SHARDS; the fallback is never taken.
    TABLES.get(shard_index(address)).unwrap_or(&TABLES[0])
}

const K: u64 = 0x9e37_79b9_7f4a_7c15;

/// The key's hash keeps the locality of a page: its low 8 bits (the bottom of
/// hashbrown's bucket index) are the block's offset in its 4 KiB page, in 16-byte
/// steps, so the blocks of one page sit in one run of 256 buckets (8 KiB of table),
/// and blocks allocated one after another fill neighbouring table lines instead of
/// missing the cache on every insert. The bits above come from a mix of the page
/// number (other bits of it than chose the shard), so pages land at random runs: keys
/// with a fixed stride (page-aligned blocks of another allocator) do not pile up in
/// a few buckets. The top 7 bits (hashbrown's control byte, compared 16 at a time)
/// mix the whole address, so that buckets probed together still tell keys apart.
#[inline]
fn locality_hash(address: usize) -> u64 {
    const INDEX_BITS: u64 = (1 << 57) - 1;
    let offset = ((address as u64) >> 4) & 0xff;
    let page = ((address >> PAGE_SHIFT) as u64).wrapping_mul(K);
    let tag = ((address as u64) >> 3).wrapping_mul(K) >> 57;
    offset | (((page >> 20) << 8) & INDEX_BITS) | (tag << 57)
}

/// Hashes addresses with [`locality_hash`]; with no random state, so tables keyed by
/// address can be built in a `static` (here and in `hot::scope`).
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct AddressKey;

#[derive(Debug, Default)]
pub(crate) struct AddressHasher(u64);

impl std::hash::Hasher for AddressHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &byte in bytes {
            self.0 = (self.0 << 8) | u64::from(byte);
        }
    }
    fn write_usize(&mut self, address: usize) {
        self.0 = locality_hash(address);
    }
}

impl std::hash::BuildHasher for AddressKey {
    type Hasher = AddressHasher;
    fn build_hasher(&self) -> AddressHasher {
        AddressHasher(0)
    }
}

#[repr(align(128))]
struct Shard(SpinMutex<HashMap<usize, Record, AddressKey>>);

static TABLES: [Shard; SHARDS] =
    [const { Shard(SpinMutex::new(HashMap::with_hasher(AddressKey))) }; SHARDS];

/// Records a new live block. Returns `false` when the table could not grow (allocation
/// failure): the block then goes untracked rather than aborting the program.
///
/// Must be called with the reentrancy guard held: the table may grow.
#[inline]
pub(crate) fn insert(address: usize, record: Record) -> bool {
    let mut table = shard_of(address).0.lock();
    if table.try_reserve(1).is_err() {
        return false;
    }
    table.insert(address, record);
    true
}

/// What removing a block found.
#[derive(Debug)]
pub(crate) enum Removal {
    /// The block's record, if it was tracked.
    Removed(Option<Record>),
    /// The exit scan is reading the blocks: the caller must wait, then free untracked.
    Frozen,
}

/// Forgets a block, returning its record if it was tracked. The freeze is checked under
/// the shard's lock, the same lock the scan's snapshot takes: a free either removed its
/// block before the snapshot saw the shard, or waits until the scan is over.
#[inline]
pub(crate) fn remove(address: usize) -> Removal {
    let mut table = shard_of(address).0.lock();
    if state::is_frozen() {
        return Removal::Frozen;
    }
    Removal::Removed(table.remove(&address))
}

/// Copies every live block out, shard by shard. Blocks that come and go meanwhile may
/// or may not appear; each record appears whole.
pub(crate) fn snapshot() -> Vec<(usize, Record)> {
    let mut blocks = Vec::new();
    for shard in &TABLES {
        let table = shard.0.lock();
        if blocks.try_reserve(table.len()).is_err() {
            continue;
        }
        blocks.extend(table.iter().map(|(&address, &record)| (address, record)));
    }
    blocks
}

/// Takes every shard's lock until the fork is over (see `fork.rs`).
pub(crate) fn lock_for_fork(held: &mut Vec<Box<dyn Send>>) {
    for shard in &TABLES {
        held.push(Box::new(shard.0.lock()));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_page_stays_in_one_shard_and_pages_spread() {
        let base = 0x7f00_0000_0000usize;
        let first = shard_index(base);
        assert!((0..256).all(|i| shard_index(base + i * 16) == first));
        let mut used = [false; SHARDS];
        for page in 0..4096 {
            used[shard_index(base + (page << PAGE_SHIFT))] = true;
        }
        assert!(used.iter().all(|&u| u));
    }

    #[test]
    fn shard_shares_span_one_doubling() {
        let mut slices = [0usize; SHARDS];
        for &shard in &SHARD_OF_SLICE {
            slices[usize::from(shard)] += 1;
        }
        assert!(SHARD_OF_SLICE.is_sorted());
        assert_eq!(
            (slices[0], slices[SHARDS / 2], slices[SHARDS - 1]),
            (12, 15, 22)
        );
        assert_eq!(slices.iter().sum::<usize>(), SLICES);
    }

    #[test]
    fn neighbours_hash_to_neighbouring_buckets_with_mixed_tags() {
        let base = 0x5555_5555_0000usize;
        let a = locality_hash(base);
        let b = locality_hash(base + 16);
        assert_eq!((b & 0xffff) - (a & 0xffff), 1);
        // Page-aligned keys spread over the table instead of sharing one bucket.
        let aligned: std::collections::HashSet<u64> = (0..1024)
            .map(|page| locality_hash(base + (page << PAGE_SHIFT)) & 0xf_ffff)
            .collect();
        assert!(aligned.len() > 900, "{} distinct buckets", aligned.len());
        let tags: std::collections::HashSet<u64> = (0..256)
            .map(|i| locality_hash(base + i * 16) >> 57)
            .collect();
        assert!(tags.len() > 64, "{} distinct tags", tags.len());
    }
}
