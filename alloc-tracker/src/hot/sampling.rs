//! Sampling by bytes (`MEMLEAK_SAMPLE_BYTES`), for leaving the tracker on in production.
//!
//! As in jemalloc's and Go's heap profilers, allocated bytes are treated as a Poisson
//! process with one sample point every `mean` bytes on average: each thread counts down
//! an exponentially distributed number of bytes, and the allocation during which the
//! count reaches zero is recorded (stack, site, live block). A block of `size` bytes is
//! so recorded with probability `p = 1 - exp(-size / mean)`, independently of every
//! other block, and stands for `size / p` bytes and `1 / p` blocks: the sums over the
//! recorded blocks are unbiased estimates of the real totals.
//!
//! An unsampled allocation costs a thread-local subtraction. An unsampled free must not
//! take a table lock to find out that the block was never recorded, so recorded blocks
//! are also counted in a small, fixed filter of per-address-hash counters: a free whose
//! counter is zero was certainly not recorded.
//!
//! The exit scan is off under sampling: a recorded block kept alive only through an
//! unrecorded one would look lost.

use std::cell::Cell;
use std::ffi::CStr;
use std::sync::atomic::{AtomicBool, AtomicU8, AtomicU64, Ordering::Relaxed};

use crate::os;

/// The variable that turns sampling on: the mean number of bytes between samples.
pub(crate) const SAMPLE_VAR: &CStr = c"MEMLEAK_SAMPLE_BYTES";

/// The mean gap in bytes between samples; 0 records every allocation.
static MEAN_BYTES: AtomicU64 = AtomicU64::new(0);

const SETTING_UNSET: u8 = 0;
const SETTING_VALID: u8 = 1;
const SETTING_INVALID: u8 = 2;
static SETTING: AtomicU8 = AtomicU8::new(SETTING_UNSET);
static CONFIGURED: AtomicBool = AtomicBool::new(false);

/// Reads `MEMLEAK_SAMPLE_BYTES` without allocating, once: when tracking starts. The
/// mean never changes afterwards, so a block's weight at its free is its weight at its
/// allocation.
pub(crate) fn configure_from_env() {
    if CONFIGURED.swap(true, Relaxed) {
        return;
    }
    let mut buffer = [0u8; 32];
    let Some(raw) = os::env_bytes(SAMPLE_VAR, &mut buffer) else {
        return;
    };
    match parse_bytes(raw) {
        Some(mean) => {
            MEAN_BYTES.store(mean, Relaxed);
            SETTING.store(SETTING_VALID, Relaxed);
        }
        None => SETTING.store(SETTING_INVALID, Relaxed),
    }
}

/// The mean gap between samples in bytes, 0 when every allocation is recorded.
#[inline]
pub(crate) fn mean_bytes() -> u64 {
    MEAN_BYTES.load(Relaxed)
}

/// Whether `MEMLEAK_SAMPLE_BYTES` was set to something that is not a size (the tracker
/// then records every allocation, and says so at exit).
pub(crate) fn setting_was_invalid() -> bool {
    SETTING.load(Relaxed) == SETTING_INVALID
}

/// A byte count: decimal digits, optionally followed by `k`, `m` or `g` (binary
/// multiples, any case) and an optional `B` or `iB`: `524288`, `512k`, `512KiB`, `1M`.
/// An empty value is 0 (off).
pub(crate) fn parse_bytes(raw: &[u8]) -> Option<u64> {
    let text = raw.trim_ascii();
    if text.is_empty() {
        return Some(0);
    }
    let digits = text.iter().take_while(|b| b.is_ascii_digit()).count();
    if digits == 0 {
        return None;
    }
    let (number, suffix) = text.split_at(digits);
    // ASCII digits only, so valid UTF-8; `parse` refuses what overflows a u64.
    let value: u64 = std::str::from_utf8(number).ok()?.parse().ok()?;
    let (scale, unit) = match suffix.split_first() {
        None => (1, suffix),
        Some((b'k' | b'K', rest)) => (1 << 10, rest),
        Some((b'm' | b'M', rest)) => (1 << 20, rest),
        Some((b'g' | b'G', rest)) => (1 << 30, rest),
        Some(_) => (1, suffix),
    };
    let unit_ok = match unit {
        [] | [b'B'] => true,
        [b'i', b'B'] => scale > 1,
        _ => false,
    };
    if !unit_ok {
        return None;
    }
    value.checked_mul(scale)
}

thread_local! {
    /// Bytes left until this thread's next sample point; 0 before the first draw.
    static COUNTDOWN: Cell<i64> = const { Cell::new(0) };
    /// This thread's random state (xorshift64*); 0 before seeding.
    static RANDOM: Cell<u64> = const { Cell::new(0) };
}

/// Whether an allocation of `size` bytes is recorded, with samples every `mean` bytes
/// on average (`mean` > 0).
#[inline]
pub(crate) fn take(size: usize, mean: u64) -> bool {
    let size = i64::try_from(size).unwrap_or(i64::MAX);
    COUNTDOWN
        .try_with(|left| {
            let remaining = left.get().saturating_sub(size);
            if remaining > 0 {
                left.set(remaining);
                return false;
            }
            draw_after(left, size, mean)
        })
        .unwrap_or(false)
}

/// Whether an allocation of `size` bytes leaves this thread's countdown above zero: it
/// is then not sampled, and the countdown is lowered. `false` leaves the countdown as it
/// was, for [`take`] to decide.
#[inline(always)]
pub(crate) fn countdown_continues(size: usize) -> bool {
    let size = i64::try_from(size).unwrap_or(i64::MAX);
    COUNTDOWN
        .try_with(|left| {
            let remaining = left.get().saturating_sub(size);
            let continues = remaining > 0;
            if continues {
                left.set(remaining);
            }
            continues
        })
        .unwrap_or(false)
}

/// The countdown ran out (or was never drawn): decides this allocation and draws the
/// gap to the next sample point.
#[cold]
#[inline(never)]
fn draw_after(left: &Cell<i64>, size: i64, mean: u64) -> bool {
    // The count is 0 only before the thread's first draw (a draw is at least 1).
    if left.get() == 0 {
        let remaining = next_gap(mean).saturating_sub(size);
        if remaining > 0 {
            left.set(remaining);
            return false;
        }
    }
    // The process is memoryless: the next point is a fresh gap past this block's end.
    left.set(next_gap(mean));
    true
}

/// An exponentially distributed gap with the given mean, at least 1 byte.
fn next_gap(mean: u64) -> i64 {
    let uniform = next_uniform();
    // `uniform` is in (0, 1], so the logarithm is finite and not positive.
    let gap = -uniform.ln() * mean as f64;
    if gap >= i64::MAX as f64 {
        return i64::MAX;
    }
    (gap as i64).max(1)
}

/// A uniform number in (0, 1] from this thread's generator.
fn next_uniform() -> f64 {
    let bits = RANDOM
        .try_with(|state| {
            let mut x = state.get();
            if x == 0 {
                x = seed(state as *const Cell<u64> as usize);
            }
            x ^= x >> 12;
            x ^= x << 25;
            x ^= x >> 27;
            state.set(x);
            x.wrapping_mul(0x2545_f491_4f6c_dd1d)
        })
        .unwrap_or(1 << 63);
    ((bits >> 11) as f64 + 1.0) / (1u64 << 53) as f64
}

/// A non-zero seed that differs between threads (their thread-local addresses differ)
/// and between runs (the clock).
fn seed(thread_local_address: usize) -> u64 {
    let mixed = (thread_local_address as u64 ^ os::monotonic_ns())
        .wrapping_mul(0x9e37_79b9_7f4a_7c15)
        .rotate_left(31);
    mixed | 1
}

/// What one recorded block stands for: `bytes` and `blocks` to add to the counters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Weight {
    pub(crate) bytes: u64,
    pub(crate) blocks: u64,
}

impl Weight {
    /// The weight of a block of `size` bytes at `address`, recorded with samples every
    /// `mean` bytes (0: every block, which stands for itself).
    ///
    /// A function of the size and address only, so the free of a block subtracts
    /// exactly what its allocation added. `1 / p` blocks is rounded up or down by a
    /// hash of the address, with the probability that makes the rounding unbiased.
    #[inline]
    pub(crate) fn of(size: u64, address: usize, mean: u64) -> Self {
        if mean == 0 {
            return Self {
                bytes: size,
                blocks: 1,
            };
        }
        Self::sampled(size, address, mean)
    }

    /// The format's one formula (`memleak_format::weight`), which readers use too.
    #[cold]
    fn sampled(size: u64, address: usize, mean: u64) -> Self {
        let (bytes, blocks) = memleak_format::weight(size, address as u64, mean);
        Self { bytes, blocks }
    }
}

/// The probability that a block of `size` bytes is recorded, samples every `mean` bytes.
#[cfg(test)]
fn probability(size: u64, mean: u64) -> f64 {
    if mean == 0 {
        return 1.0;
    }
    -(-(size as f64) / mean as f64).exp_m1()
}

const FILTER_SLOTS: usize = 1 << 16;
/// A count that reached this stays there: its slot then always answers "maybe".
const FILTER_STUCK: u8 = u8::MAX;

/// Recorded blocks by a hash of their address: a zero slot means no recorded block
/// hashes there. One byte a slot keeps the whole filter (64 KiB) in the caches that an
/// unsampled free reads it from.
static FILTER: Filter = Filter([const { AtomicU8::new(0) }; FILTER_SLOTS]);

/// The filter's slots, aligned so that each page's slots are one cache line.
#[repr(align(64))]
struct Filter([AtomicU8; FILTER_SLOTS]);

/// Slots of one 4 KiB page's blocks: one cache line.
const LINE_SLOTS: usize = 64;

/// The slot of a block: its page picks a cache line of the filter at random, its offset
/// in the page (in 64-byte steps) the byte in that line. A program's frees come in runs
/// over a few pages (the blocks it allocated one after another), so an unsampled free
/// mostly reads a line the last frees read: a hash of the whole address made nearly
/// every one a cache miss (a fifth of an unsampled free's time on churn).
#[inline]
fn filter_slot(address: usize) -> &'static AtomicU8 {
    const LINES: usize = FILTER_SLOTS / LINE_SLOTS;
    let page = (address >> 12) as u64;
    let line = (page.wrapping_mul(0x9e37_79b9_7f4a_7c15) >> (64 - LINES.trailing_zeros())) as usize;
    let offset = (address >> 6) % LINE_SLOTS;
    // `line` is below LINES and `offset` below LINE_SLOTS: the fallback is never taken.
    FILTER
        .0
        .get(line * LINE_SLOTS + offset)
        .unwrap_or(&FILTER.0[0])
}

/// Counts a recorded block, before its address reaches the program. A thread that
/// frees it learns of the block from the program, so it sees this count too.
#[inline]
pub(crate) fn note_recorded(address: usize) {
    let _ = filter_slot(address).fetch_update(Relaxed, Relaxed, |count| {
        (count < FILTER_STUCK).then(|| count + 1)
    });
}

/// Uncounts a recorded block whose record was removed.
#[inline]
pub(crate) fn note_forgotten(address: usize) {
    let _ = filter_slot(address).fetch_update(Relaxed, Relaxed, |count| {
        (count > 0 && count < FILTER_STUCK).then(|| count - 1)
    });
}

/// Whether the block at `address` may have been recorded; `false` is certain.
#[inline]
pub(crate) fn may_be_recorded(address: usize) -> bool {
    filter_slot(address).load(Relaxed) != 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_parse_with_binary_suffixes() {
        assert_eq!(parse_bytes(b"524288"), Some(524_288));
        assert_eq!(parse_bytes(b"512k"), Some(524_288));
        assert_eq!(parse_bytes(b"512KiB"), Some(524_288));
        assert_eq!(parse_bytes(b"1M"), Some(1 << 20));
        assert_eq!(parse_bytes(b"2g"), Some(2 << 30));
        assert_eq!(parse_bytes(b" 64B "), Some(64));
        assert_eq!(parse_bytes(b""), Some(0));
        assert_eq!(parse_bytes(b"0"), Some(0));
        for bad in [
            &b"k"[..],
            b"12x",
            b"-5",
            b"1.5M",
            b"64iB",
            b"99999999999999999999",
        ] {
            assert_eq!(parse_bytes(bad), None, "{:?}", String::from_utf8_lossy(bad));
        }
    }

    #[test]
    fn weights_without_sampling_are_the_block_itself() {
        assert_eq!(
            Weight::of(100, 0x1000, 0),
            Weight {
                bytes: 100,
                blocks: 1
            }
        );
    }

    #[test]
    fn weights_scale_up_by_the_inverse_probability() {
        let mean = 1 << 19;
        // A 64-byte block is recorded with p = 1 - exp(-64/524288) ~ 1/8192.5.
        let weight = Weight::of(64, 0x7f00_0000_1000, mean);
        let expected_bytes = 64.0 / probability(64, mean);
        assert!((weight.bytes as f64 - expected_bytes).abs() <= 1.0);
        assert!(weight.blocks == 8192 || weight.blocks == 8193);
        // A block far bigger than the mean is always recorded and stands for itself.
        let huge = Weight::of(64 << 20, 0x1000, mean);
        assert_eq!(huge.blocks, 1);
        assert!(huge.bytes.abs_diff(64 << 20) <= 1);
    }

    #[test]
    fn block_rounding_is_unbiased_over_addresses() {
        let mean = 1 << 19;
        let size = 700_000; // 1/p = 1.356...
        let exact = 1.0 / probability(size, mean);
        let total: u64 = (0..100_000usize)
            .map(|i| Weight::of(size, 0x5555_0000 + i * 48, mean).blocks)
            .sum();
        let average = total as f64 / 100_000.0;
        assert!((average - exact).abs() < 0.01, "{average} vs {exact}");
    }

    #[test]
    fn sampled_bytes_estimate_the_allocated_bytes() {
        // One thread, 2M allocations of 100 bytes, a sample every 64 KiB on average:
        // about 3,052 samples, so the estimate is within a few percent.
        let mean = 64 << 10;
        let mut estimate = 0u64;
        for i in 0..2_000_000usize {
            if take(100, mean) {
                estimate += Weight::of(100, i * 112, mean).bytes;
            }
        }
        let real = 200_000_000f64;
        let error = (estimate as f64 - real).abs() / real;
        assert!(error < 0.08, "estimate {estimate}, error {error}");
    }

    #[test]
    fn the_filter_counts_recorded_blocks() {
        let address = 0x6000_0000_0040;
        assert!(!may_be_recorded(address));
        note_recorded(address);
        note_recorded(address);
        note_forgotten(address);
        assert!(may_be_recorded(address));
        note_forgotten(address);
        assert!(!may_be_recorded(address));
        // A slot that saturates stays "maybe" for good, never wrapping to "no".
        let crowded = 0x6000_0000_1230;
        for _ in 0..300 {
            note_recorded(crowded);
        }
        for _ in 0..300 {
            note_forgotten(crowded);
        }
        assert!(may_be_recorded(crowded));
    }
}
