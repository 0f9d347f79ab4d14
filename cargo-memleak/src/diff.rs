//! `cargo memleak diff BASE NEW`, and the comparison `run --baseline` makes: two runs'
//! figures by stack, what changed, and whether the new one regressed.

use std::fs;
use std::path::Path;

use anyhow::Context as _;
use leak_report::{
    Diff, DiffSide, ProgramInfo, Threshold, compare, write_diff_flamegraph, write_diff_text,
};

use crate::cli::DiffArgs;
use crate::exit_code::{
    Failure, INTERNAL_ERROR, PROFILE_UNREADABLE, REGRESSED, ResultExt as _, SUCCESS,
};
use crate::fail_on::FailOn;
use crate::report::{self, write_file};
use crate::settings;
use crate::term::say;

/// `cargo memleak diff BASE NEW [--threshold T] [--svg OUT]`: prints the comparison and
/// exits [`REGRESSED`] when the new run regressed, else 0.
pub(crate) fn diff(args: &DiffArgs) -> Result<u8, Failure> {
    args.color.apply();
    let cwd = std::env::current_dir().ok();
    settings::install(
        args.config.as_deref(),
        cwd.as_deref(),
        false,
        FailOn::default(),
    )?;
    let base = load_side(&args.base)?;
    let new = load_side(&args.new)?;
    let diff = compare(&base, &new);
    if let Some(svg) = &args.svg {
        let mut image = Vec::new();
        write_diff_flamegraph(&diff, &mut image)
            .context("failed to draw the differential flamegraph")
            .exit_code(INTERNAL_ERROR)?;
        write_file(svg, &image)?;
        say(format_args!("wrote {}", svg.display()));
    }
    let threshold = args.threshold.threshold;
    report::print(|out| {
        writeln!(
            out,
            "cargo memleak diff: {} -> {}\n",
            args.base.display(),
            args.new.display()
        )?;
        write_diff_text(&diff, threshold, cwd.as_deref(), out)
    })?;
    Ok(outcome(&diff, threshold))
}

/// [`REGRESSED`] or [`SUCCESS`].
pub(crate) fn outcome(diff: &Diff, threshold: Threshold) -> u8 {
    if diff.regressions(threshold).is_empty() {
        SUCCESS
    } else {
        REGRESSED
    }
}

/// One side of a comparison: a `report.json` as it is, or a profile reported with this
/// command's suppressions (and its stacks' peaks).
pub(crate) fn load_side(path: &Path) -> Result<DiffSide, Failure> {
    let bytes = fs::read(path)
        .with_context(|| format!("failed to read {}", path.display()))
        .exit_code(PROFILE_UNREADABLE)?;
    if is_report_json(&bytes) {
        return DiffSide::from_report_json(path, &bytes).exit_code(PROFILE_UNREADABLE);
    }
    let profile = leak_report::parse_profile(path, &bytes).exit_code(PROFILE_UNREADABLE)?;
    let report = settings::build_report(&profile, ProgramInfo::from_profile(&profile));
    Ok(DiffSide::from_report(&report, Some(&profile)))
}

/// Whether the document says it is a `report.json`; anything else is read as a profile,
/// whose loader names what is wrong.
fn is_report_json(bytes: &[u8]) -> bool {
    #[derive(serde::Deserialize)]
    struct Format {
        format: Option<String>,
    }
    serde_json::from_slice::<Format>(bytes)
        .is_ok_and(|document| document.format.as_deref() == Some(leak_report::REPORT_FORMAT))
}
