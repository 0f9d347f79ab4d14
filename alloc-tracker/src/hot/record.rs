//! Plain data: what the tracker keeps for one live block, in 16 bytes (24 with its key
//! in a shard's table): a big heap has millions of them, and the tables' pages are most
//! of the tracker's memory. The site is kept as its id (`site_ids` finds it again).

use crate::hot::site::Site;
use crate::hot::site_ids;

/// Sizes are kept in 40 bits: a block of a TiB or more is kept as this size.
const MAX_SIZE: u64 = (1 << 40) - 1;
/// Thread ids above this share it in records (their blocks keep their site and size).
const MAX_THREAD: u64 = (1 << 24) - 1;
/// Site ids are 26 bits.
const SITE_MASK: u64 = site_ids::MAX_SITES as u64 - 1;

/// One live block, keyed by its address in a shard.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Record {
    /// The requested size (40 bits), then the allocating thread's dense tracker id
    /// (24 bits, saturating).
    size_and_thread: u64,
    /// Milliseconds since tracking started (32 bits, saturating after 49 days: the
    /// clock is millisecond-coarse anyway), the site's id (26 bits), and log2 of the
    /// requested alignment (6 bits).
    birth_site_align: u64,
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
        let birth_ms = (birth_ns / 1_000_000).min(u64::from(u32::MAX));
        let align_log2 = u64::from(align.trailing_zeros()).min(63);
        Self {
            size_and_thread: size.min(MAX_SIZE) | (u64::from(thread).min(MAX_THREAD) << 40),
            birth_site_align: birth_ms
                | ((u64::from(site.id()) & SITE_MASK) << 32)
                | (align_log2 << 58),
        }
    }

    /// The requested size in bytes (at most 2^40 - 1).
    #[inline]
    pub(crate) fn size(&self) -> u64 {
        self.size_and_thread & MAX_SIZE
    }

    /// The interned call site's id.
    #[inline]
    pub(crate) fn site_id(&self) -> u32 {
        // Masked to 26 bits: the conversion cannot fail.
        u32::try_from((self.birth_site_align >> 32) & SITE_MASK).unwrap_or(u32::MAX)
    }

    /// The interned call site (always there for a record made by [`Record::new`]).
    #[inline]
    pub(crate) fn site(&self) -> Option<&'static Site> {
        site_ids::get(self.site_id())
    }

    /// Nanoseconds from tracking start to the allocation, to the millisecond.
    pub(crate) fn birth_ns(&self) -> u64 {
        (self.birth_site_align & u64::from(u32::MAX)) * 1_000_000
    }

    /// The allocating thread's tracker id.
    pub(crate) fn thread(&self) -> u32 {
        // 24 bits: the conversion cannot fail.
        u32::try_from(self.size_and_thread >> 40).unwrap_or(u32::MAX)
    }

    /// The requested alignment.
    pub(crate) fn align(&self) -> u64 {
        1u64 << (self.birth_site_align >> 58)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_round_trip_in_16_bytes() {
        assert_eq!(std::mem::size_of::<Record>(), 16);
        let site = crate::hot::site::test_site();
        for shift in [0, 3, 4, 12, 20, 63] {
            let record = Record::new(100, site, 7_654_321_000, 42, 1 << shift);
            assert_eq!(record.align(), 1 << shift);
            assert_eq!(record.thread(), 42);
            assert_eq!(record.birth_ns(), 7_654_000_000);
            assert_eq!(record.size(), 100);
            assert_eq!(record.site_id(), site.id());
        }
        let late = Record::new(u64::MAX, site, u64::MAX, u32::MAX, 8);
        assert_eq!(late.thread(), u32::try_from(MAX_THREAD).unwrap());
        assert_eq!(late.birth_ns(), u64::from(u32::MAX) * 1_000_000);
        assert_eq!(late.align(), 8);
        assert_eq!(late.size(), MAX_SIZE);
        assert_eq!(late.site_id(), site.id());
    }
}
