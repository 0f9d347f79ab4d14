//! Profiles recorded with `MEMLEAK_SAMPLE_BYTES`: only a sample of the allocations was
//! recorded, each with probability `p = 1 - exp(-size / mean)`, so each recorded block
//! stands for `size / p` bytes and `1 / p` blocks. The same weights as the tracker's
//! (one formula, in `memleak_format`), so a report's sums over live blocks agree with the
//! profile's site counters.

pub use memleak_format::Sampling;

use crate::model::Amount;

/// The bytes and blocks one recorded block stands for: itself when `mean` is 0 (every
/// allocation recorded), else the format's weight (`memleak_format::weight`), the very
/// numbers the tracker added to its counters.
#[must_use]
pub fn estimate(size: u64, address: u64, mean: u64) -> Amount {
    let (bytes, blocks) = memleak_format::weight(size, address, mean);
    Amount::new(bytes, blocks)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unsampled_blocks_stand_for_themselves() {
        assert_eq!(estimate(100, 0x1000, 0), Amount::new(100, 1));
    }

    #[test]
    fn small_blocks_stand_for_about_mean_over_size_blocks() {
        // p(64 B) at a 512 KiB mean is 1/8192.5: the tracker's own figures.
        let amount = estimate(64, 0x7f00_0000_1000, 1 << 19);
        assert!(amount.blocks == 8192 || amount.blocks == 8193);
        assert!(amount.bytes.abs_diff(524_320) <= 1, "{}", amount.bytes);
    }

    #[test]
    fn a_sampled_profile_reports_estimates_and_no_leaks() {
        use crate::model::SiteKind;
        use crate::report::model::Report;
        use crate::testing::LEAKY;
        use crate::{ProgramInfo, parse_profile};

        let mut value: serde_json::Value = serde_json::from_str(LEAKY).expect("fixture");
        value["sampling"] = serde_json::json!({"mean_bytes": 4096});
        let text = serde_json::to_vec(&value).expect("serializes");
        let profile = parse_profile(std::path::Path::new("/sampled.json"), &text).expect("loads");
        assert_eq!(profile.sampling(), Some(Sampling { mean_bytes: 4096 }));
        let report = Report::build(&profile, ProgramInfo::default());

        // Every block is live at exit or the runtime's: together, the sum of estimates.
        let mut expected = Amount::default();
        for block in profile.live() {
            expected.add(estimate(block.size, block.addr, 4096));
        }
        let mut shown = report.summary().live_at_exit;
        shown.add(report.summary().runtime);
        assert_eq!(shown, expected);
        assert_eq!(
            report
                .sites_of(SiteKind::LiveAtExit)
                .map(|s| s.bytes)
                .sum::<u64>(),
            report.summary().live_at_exit.bytes
        );
        // 100 blocks of 64 B sampled at 4 KiB stand for about 4,128 bytes each.
        assert!(expected.bytes > 400_000, "{expected:?}");
        assert_eq!(report.leaked_bytes(), 0);
        assert!(!report.has_leaks());
        let mut out = Vec::new();
        crate::write_text(&report, &mut out, &crate::TextOptions::default()).expect("text");
        let out = String::from_utf8(out).expect("utf-8");
        assert!(out.contains("live at exit (estimated)"), "{out}");
        assert!(out.contains("MEMLEAK_SAMPLE_BYTES=4096"), "{out}");
        assert_eq!(crate::to_json(&report)["sampling"]["mean_bytes"], 4096);
    }

    #[test]
    fn blocks_far_above_the_mean_stand_for_themselves() {
        assert_eq!(
            estimate(64 << 20, 0x1000, 1 << 19),
            Amount::new(64 << 20, 1)
        );
    }
}
