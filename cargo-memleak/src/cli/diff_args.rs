//! The options of `cargo memleak diff`, and the baseline options `run` shares with it.

use std::path::PathBuf;

use clap::Args;
use leak_report::Threshold;

use crate::cli::run_args::ColorOption;

/// `cargo memleak diff`.
#[derive(Debug, Args)]
pub(crate) struct DiffArgs {
    /// The base run: a `profile.json`, or a `report.json` kept from an earlier run.
    #[arg(value_name = "BASE")]
    pub(crate) base: PathBuf,
    /// The new run, the same way.
    #[arg(value_name = "NEW")]
    pub(crate) new: PathBuf,
    #[command(flatten)]
    pub(crate) threshold: ThresholdOption,
    /// Also write the differential flamegraph (new bytes live at exit by stack, red
    /// where they grew, blue where they shrank) to this SVG file.
    #[arg(long, value_name = "OUT")]
    pub(crate) svg: Option<PathBuf>,
    /// Suppressions file for the profiles [default: memleak.toml in the current
    /// directory, if there is one]. `report.json` files were written with theirs.
    #[arg(long, value_name = "FILE")]
    pub(crate) config: Option<PathBuf>,
    #[command(flatten)]
    pub(crate) color: ColorOption,
}

/// `--threshold`, for `diff` and with `--baseline`.
#[derive(Debug, Args)]
pub(crate) struct ThresholdOption {
    /// Growth of the leaked bytes or of the peak that still passes: bytes (`4096`,
    /// `64k`, `1MiB`) or a percentage of the base (`5%`). A stack that leaks in the new
    /// run and did not in the base always regresses.
    #[arg(long, value_name = "BYTES|PERCENT", default_value = "5%", value_parser = parse_threshold)]
    pub(crate) threshold: Threshold,
}

/// `--baseline FILE [--threshold T]` of `run`.
#[derive(Debug, Args)]
pub(crate) struct BaselineOptions {
    /// Compare the run with this earlier one (a `profile.json` or `report.json`), as
    /// `cargo memleak diff` does: exit 16 only when it regressed (a new leak, or leaked
    /// bytes or the peak grown past `--threshold`); the base's known leaks pass.
    #[arg(long, value_name = "FILE")]
    pub(crate) baseline: Option<PathBuf>,
    #[command(flatten)]
    pub(crate) threshold: ThresholdOption,
}

/// `--threshold`'s default, as its `default_value` says.
pub(crate) const DEFAULT_THRESHOLD: Threshold = Threshold::Percent(5.0);

/// `5%` or a size.
pub(crate) fn parse_threshold(text: &str) -> Result<Threshold, String> {
    let expected = || {
        format!(
            "expected a percentage (`5%`, `0.5%`) or {}",
            crate::fail_on::EXPECTED_BYTES
        )
    };
    if let Some(percent) = text.trim().strip_suffix('%') {
        return match percent.trim().parse::<f64>() {
            Ok(value) if value.is_finite() && value >= 0.0 => Ok(Threshold::Percent(value)),
            _ => Err(expected()),
        };
    }
    crate::fail_on::parse_bytes(text)
        .map(Threshold::Bytes)
        .ok_or_else(expected)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thresholds_are_percentages_or_sizes() {
        assert_eq!(parse_threshold("5%"), Ok(Threshold::Percent(5.0)));
        assert_eq!(parse_threshold("5%"), Ok(DEFAULT_THRESHOLD));
        assert_eq!(parse_threshold("0.5 %"), Ok(Threshold::Percent(0.5)));
        assert_eq!(parse_threshold("64k"), Ok(Threshold::Bytes(65536)));
        assert_eq!(parse_threshold("0"), Ok(Threshold::Bytes(0)));
        for bad in ["", "%", "-1%", "nan%", "lots", "5%%"] {
            let error = parse_threshold(bad).unwrap_err();
            assert!(error.contains("percentage"), "{bad}: {error}");
        }
    }
}
