//! Plain data: what the tracker keeps for one live block.

use crate::site::Site;

/// One live block, keyed by its address in a shard.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Record {
    /// Requested size in bytes.
    pub(crate) size: u64,
    /// Nanoseconds since tracking started.
    pub(crate) birth_ns: u64,
    /// The interned call site; sites live for the whole process.
    pub(crate) site: &'static Site,
    /// Dense tracker thread id of the allocating thread.
    pub(crate) thread: u32,
    /// log2 of the requested alignment.
    pub(crate) align_log2: u8,
}

impl Record {
    /// The requested alignment.
    pub(crate) fn align(&self) -> u64 {
        1u64 << self.align_log2
    }
}

/// log2 of an alignment, which `Layout` guarantees is a power of two.
#[inline]
pub(crate) fn align_log2(align: usize) -> u8 {
    // trailing_zeros of a usize is at most 64, so it always fits a u8.
    align.trailing_zeros() as u8
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn align_round_trips() {
        for shift in 0..20 {
            assert_eq!(1u64 << align_log2(1 << shift), 1 << shift);
        }
    }
}
