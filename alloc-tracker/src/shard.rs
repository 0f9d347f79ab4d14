//! Live blocks, in address-hashed shards: each a `parking_lot::Mutex` over a `hashbrown`
//! table, padded to its own cache lines, so threads working on different blocks rarely
//! meet on a lock or a line.

use hashbrown::HashMap;
use parking_lot::Mutex;

use crate::record::Record;
use crate::state;

const SHARDS: usize = 64;

/// Blocks are at least 8-byte aligned, so the low bits carry no information; a
/// multiplicative hash spreads neighbouring addresses over shards and buckets.
#[inline]
fn mix(address: usize) -> u64 {
    ((address as u64) >> 3).wrapping_mul(0x9e37_79b9_7f4a_7c15)
}

#[inline]
fn shard_of(address: usize) -> &'static Shard {
    // The top bits of the product pick the shard; the table uses the rest.
    let index = (mix(address) >> 58) as usize % SHARDS;
    &TABLES[index]
}

#[derive(Debug, Default, Clone, Copy)]
struct AddressKey;

#[derive(Debug, Default)]
struct AddressHasher(u64);

impl std::hash::Hasher for AddressHasher {
    fn finish(&self) -> u64 {
        // Rotate so the bits that chose the shard do not become hashbrown's control
        // byte (its top 7 bits), which would then be nearly constant within a shard.
        self.0.rotate_left(20)
    }
    fn write(&mut self, bytes: &[u8]) {
        for &byte in bytes {
            self.0 = (self.0 << 8) | u64::from(byte);
        }
    }
    fn write_usize(&mut self, address: usize) {
        self.0 = mix(address);
    }
}

impl std::hash::BuildHasher for AddressKey {
    type Hasher = AddressHasher;
    fn build_hasher(&self) -> AddressHasher {
        AddressHasher(0)
    }
}

#[repr(align(128))]
struct Shard(Mutex<HashMap<usize, Record, AddressKey>>);

static TABLES: [Shard; SHARDS] =
    [const { Shard(Mutex::new(HashMap::with_hasher(AddressKey))) }; SHARDS];

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

/// Holds every shard's lock for `duration`, so that threads allocating meanwhile park
/// (for the reentrancy test: parking allocates parking_lot's table). Must be called with
/// the reentrancy guard held.
pub(crate) fn hold_all_for(duration: std::time::Duration) {
    let held: Vec<_> = TABLES.iter().map(|shard| shard.0.lock()).collect();
    std::thread::sleep(duration);
    drop(held);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn neighbouring_addresses_spread_over_shards() {
        let base = 0x7f00_0000_0000usize;
        let mut used = [false; SHARDS];
        for i in 0..4096 {
            let index = (mix(base + i * 16) >> 58) as usize;
            used[index] = true;
        }
        assert!(used.iter().filter(|&&u| u).count() > SHARDS * 3 / 4);
    }
}
