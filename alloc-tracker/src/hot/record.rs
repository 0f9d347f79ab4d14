//! Plain data: what the tracker keeps for one live block, in 24 bytes (32 with its key
//! in a shard's table): a big heap has millions of them, and the tables' pages are most
//! of the tracker's memory.

use crate::hot::site::Site;

/// Thread ids above this share it in records (their blocks keep their site and size).
const MAX_THREAD: u32 = (1 << 24) - 1;

/// One live block, keyed by its address in a shard.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Record {
    /// Requested size in bytes.
    pub(crate) size: u64,
    /// The interned call site; sites live for the whole process.
    pub(crate) site: &'static Site,
    /// Milliseconds since tracking started (the clock is millisecond-coarse anyway),
    /// saturating after 49 days.
    birth_ms: u32,
    /// The allocating thread's dense tracker id (24 bits, saturating) and, in the top
    /// byte, log2 of the requested alignment.
    thread_and_align: u32,
}

impl Record {
    /// A record of a block of `size` bytes allocated at `site`, `birth_ns` after tracking
    /// started, by tracker thread `thread`, with alignment `align` (a power of two).
    #[inline]
    pub(crate) fn new(
        size: u64,
        site: &'static Site,
        birth_ns: u64,
        thread: u32,
        align: usize,
    ) -> Self {
        let birth_ms = u32::try_from(birth_ns / 1_000_000).unwrap_or(u32::MAX);
        // trailing_zeros of a usize is at most 64: it fits the top byte.
        let align_log2 = align.trailing_zeros();
        Self {
            size,
            site,
            birth_ms,
            thread_and_align: thread.min(MAX_THREAD) | (align_log2 << 24),
        }
    }

    /// Nanoseconds from tracking start to the allocation, to the millisecond.
    pub(crate) fn birth_ns(&self) -> u64 {
        u64::from(self.birth_ms) * 1_000_000
    }

    /// The allocating thread's tracker id.
    pub(crate) fn thread(&self) -> u32 {
        self.thread_and_align & MAX_THREAD
    }

    /// The requested alignment.
    pub(crate) fn align(&self) -> u64 {
        1u64 << (self.thread_and_align >> 24)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_round_trip_in_24_bytes() {
        assert_eq!(std::mem::size_of::<Record>(), 24);
        let site = crate::hot::site::test_site();
        for shift in [0, 3, 4, 12, 20, 63] {
            let record = Record::new(100, site, 7_654_321_000, 42, 1 << shift);
            assert_eq!(record.align(), 1 << shift);
            assert_eq!(record.thread(), 42);
            assert_eq!(record.birth_ns(), 7_654_000_000);
            assert_eq!(record.size, 100);
        }
        let late = Record::new(1, site, u64::MAX, u32::MAX, 8);
        assert_eq!(late.thread(), MAX_THREAD);
        assert_eq!(late.birth_ns(), u64::from(u32::MAX) * 1_000_000);
        assert_eq!(late.align(), 8);
    }
}
