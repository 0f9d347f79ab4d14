//! Sampling by bytes (`MEMLEAK_SAMPLE_BYTES`): each allocation is recorded with
//! probability `p = 1 - exp(-size / mean)`, and a recorded block stands for `size / p`
//! bytes and `1 / p` blocks. One formula for the tracker, which adds and subtracts the
//! weights in its counters, and for the reader, which sums them over live blocks: the two
//! agree exactly.

/// How the profile's allocations were sampled (`sampling`; `null` when every one was
/// recorded).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Deserialize, serde::Serialize))]
pub struct Sampling {
    /// The mean number of bytes between two recorded allocations.
    pub mean_bytes: u64,
}

/// The bytes and blocks a recorded block of `size` bytes at `address` stands for: itself
/// when `mean` is 0 (every allocation recorded), else `size / p` bytes and `1 / p`
/// blocks, the latter rounded up or down by a hash of the address with the probability
/// that keeps the sum unbiased. A function of size and address only, so a block's free
/// subtracts exactly what its allocation added.
#[must_use]
pub fn weight(size: u64, address: u64, mean: u64) -> (u64, u64) {
    if mean == 0 {
        return (size, 1);
    }
    let probability = -(-(size as f64) / mean as f64).exp_m1();
    if probability <= 0.0 {
        return (size, 1);
    }
    let blocks = 1.0 / probability;
    let whole = blocks.floor();
    let unit =
        ((address >> 3).wrapping_mul(0x9e37_79b9_7f4a_7c15) >> 11) as f64 / (1u64 << 53) as f64;
    let blocks = if unit < blocks - whole {
        whole + 1.0
    } else {
        whole
    };
    ((size as f64 / probability).round() as u64, blocks as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unsampled_blocks_stand_for_themselves() {
        assert_eq!(weight(100, 0x1000, 0), (100, 1));
    }

    #[test]
    fn a_small_block_stands_for_about_mean_over_size() {
        let mean = 1 << 19;
        let (bytes, blocks) = weight(64, 0x7f00_0000_1000, mean);
        let p = -(-64.0_f64 / mean as f64).exp_m1();
        assert!((bytes as f64 - 64.0 / p).abs() <= 1.0);
        assert!(blocks == 8192 || blocks == 8193, "{blocks}");
        let (bytes, blocks) = weight(64 << 20, 0x1000, mean);
        assert_eq!(blocks, 1);
        assert!(bytes.abs_diff(64 << 20) <= 1);
    }
}
