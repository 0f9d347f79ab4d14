//! What malloc spends on a block beyond the bytes asked for: the chunk header and the
//! rounding to its size classes. Without it, a program whose every allocation the
//! tracker saw would still show malloc holding more than the tracked heap, and the
//! difference would pass for native memory.
//!
//! The model is glibc's (x86_64 and aarch64: 8-byte size field, 16-byte alignment, 32-byte
//! minimum chunk, `malloc/malloc.c`):
//!
//! - a block of `size` bytes takes a chunk of `max(32, (size + 8 + 15) & !15)` bytes;
//! - a chunk of 128 KiB or more (`M_MMAP_THRESHOLD`'s default) gets its own `mmap` of
//!   `round_up(chunk + 8, 4096)` bytes.
//!
//! The overhead is the chunk minus `size`. glibc raises its mmap threshold at run time
//! (up to 32 MiB) after a large block is freed; a large block then sits in the arena and
//! costs 8 to 23 bytes instead of up to 4 KiB: the model is exact below 128 KiB and within
//! 4 KiB per block above. Other allocators (macOS's zones, jemalloc, mimalloc) round
//! differently; their overhead is of the same order.

use crate::profile::loaded::Profile;

/// glibc's size field: `SIZE_SZ`.
const SIZE_FIELD: u64 = 8;
/// Chunk alignment: `MALLOC_ALIGNMENT`.
const ALIGN: u64 = 16;
/// The smallest chunk: `MINSIZE`.
const MIN_CHUNK: u64 = 32;
/// `DEFAULT_MMAP_THRESHOLD`: chunks this big or bigger are mmapped.
pub(crate) const MMAP_THRESHOLD: u64 = 128 * 1024;
/// The page size mmapped chunks are rounded to.
const PAGE: u64 = 4096;

/// The overhead assumed per block when no block is known to average from.
pub(crate) const DEFAULT_PER_BLOCK: u64 = 16;

/// The bytes malloc takes for a block of `size` bytes (saturating on absurd sizes).
pub(crate) fn chunk_size(size: u64) -> u64 {
    let chunk = size.saturating_add(SIZE_FIELD + ALIGN - 1) & !(ALIGN - 1);
    let chunk = chunk.max(MIN_CHUNK);
    if chunk >= MMAP_THRESHOLD {
        chunk.saturating_add(SIZE_FIELD).saturating_add(PAGE - 1) & !(PAGE - 1)
    } else {
        chunk
    }
}

/// What malloc spends on a block of `size` bytes beyond `size`.
pub(crate) fn overhead(size: u64) -> u64 {
    chunk_size(size).saturating_sub(size)
}

/// The overhead of blocks of these sizes together.
pub(crate) fn total_overhead(sizes: impl Iterator<Item = u64>) -> u64 {
    sizes.fold(0_u64, |sum, size| sum.saturating_add(overhead(size)))
}

/// An estimate of the overhead of `blocks` blocks from another moment's average:
/// `blocks * known_overhead / known_blocks`, or [`DEFAULT_PER_BLOCK`] a block when
/// `known_blocks` is 0.
pub(crate) fn estimate(blocks: u64, known_overhead: u64, known_blocks: u64) -> u64 {
    if known_blocks == 0 {
        return blocks.saturating_mul(DEFAULT_PER_BLOCK);
    }
    let estimate = u128::from(blocks) * u128::from(known_overhead) / u128::from(known_blocks);
    u64::try_from(estimate).unwrap_or(u64::MAX)
}

/// malloc's per-block overhead of the blocks live at exit, and how many blocks that is:
/// the average that estimates the overhead at other moments.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct BlockOverhead {
    pub(crate) bytes: u64,
    pub(crate) blocks: u64,
}

impl BlockOverhead {
    /// The exact overhead of the profile's live blocks.
    pub(crate) fn of_live(profile: &Profile) -> Self {
        Self {
            bytes: total_overhead(profile.live().iter().map(|block| block.size)),
            blocks: profile.live().len() as u64,
        }
    }

    /// An estimate for `blocks` blocks at another moment.
    pub(crate) fn estimate(self, blocks: u64) -> u64 {
        estimate(blocks, self.bytes, self.blocks)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn small_blocks_round_to_16_with_an_8_byte_header() {
        let cases = [
            (0, 32),
            (1, 32),
            (24, 32),
            (25, 48),
            (40, 48),
            (41, 64),
            (64, 80),
            (100, 112),
            (1000, 1008),
            (65_536, 65_552),
        ];
        for (size, chunk) in cases {
            assert_eq!(chunk_size(size), chunk, "{size}");
            assert_eq!(overhead(size), chunk - size, "{size}");
        }
    }

    #[test]
    fn big_blocks_are_mmapped_in_whole_pages() {
        // 128 KiB - 23 makes a chunk of exactly 128 KiB: mmapped.
        assert_eq!(chunk_size(131_049), 131_072 + 4096);
        assert_eq!(chunk_size(131_048), 131_056);
        assert_eq!(chunk_size(131_040), 131_056);
        assert_eq!(chunk_size(1 << 20), (1 << 20) + 4096);
        assert_eq!(overhead(100 << 20), 4096);
        assert_eq!(chunk_size(u64::MAX), !(PAGE - 1));
    }

    #[test]
    fn totals_and_estimates() {
        assert_eq!(total_overhead([64, 64, 100].into_iter()), 16 + 16 + 12);
        // An absurd size cannot be rounded up: no overhead rather than an overflow.
        assert_eq!(total_overhead([u64::MAX, u64::MAX].into_iter()), 0);
        assert_eq!(estimate(10, 44, 3), 146);
        assert_eq!(estimate(10, 0, 0), 160);
        assert_eq!(estimate(u64::MAX, u64::MAX, 1), u64::MAX);
    }
}
