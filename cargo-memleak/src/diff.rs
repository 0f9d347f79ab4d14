//! `cargo memleak diff BASE NEW`, and the comparison `run` and `test` make with
//! `--baseline`: two runs' figures by stack, what changed, and whether the new one
//! regressed.

use std::fs;
use std::path::{Path, PathBuf};

use anyhow::Context as _;
use leak_report::{
    Diff, DiffSide, Profile, ProgramInfo, Report, Threshold, compare, write_diff_flamegraph,
    write_diff_text,
};

use crate::cli::DiffArgs;
use crate::exit_code::{
    Failure, INTERNAL_ERROR, LEAKS_FOUND, PROFILE_UNREADABLE, REGRESSED, ResultExt as _, SUCCESS,
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
    Ok(outcome_of(&diff, threshold))
}

/// [`REGRESSED`] or [`SUCCESS`].
fn outcome_of(diff: &Diff, threshold: Threshold) -> u8 {
    if diff.regressions(threshold).is_empty() {
        SUCCESS
    } else {
        REGRESSED
    }
}

/// `--baseline`: an earlier run to compare a run with, read.
pub(crate) struct Baseline {
    path: PathBuf,
    side: DiffSide,
    threshold: Threshold,
}

impl Baseline {
    /// The baseline at `path`, a profile or a report.json.
    pub(crate) fn load(path: &Path, threshold: Threshold) -> Result<Self, Failure> {
        Ok(Self {
            path: path.to_owned(),
            side: load_side(path)?,
            threshold,
        })
    }

    /// The baseline of the test binary `name` in `dir` (a copy of an earlier run's
    /// `target/memleak/test/`): its report.json, else its profile.json. A binary the
    /// baseline does not have has nothing known: each of its leaks is new.
    pub(crate) fn of_binary(dir: &Path, name: &str, threshold: Threshold) -> Result<Self, Failure> {
        let binary = dir.join(name);
        let found = ["report.json", "profile.json"]
            .into_iter()
            .map(|file| binary.join(file))
            .find(|path| path.is_file());
        match found {
            Some(path) => Self::load(&path, threshold),
            None => {
                say(format_args!(
                    "note: the baseline {} has no report of `{name}`: each of its leaks is new",
                    dir.display()
                ));
                Ok(Self {
                    path: binary,
                    side: DiffSide::default(),
                    threshold,
                })
            }
        }
    }

    /// Prints the comparison of a run with the baseline; the exit code is [`REGRESSED`]
    /// when it regressed, else `outcome` with its leaks (known ones) let pass.
    pub(crate) fn compare(
        &self,
        report: &Report,
        profile: &Profile,
        outcome: u8,
    ) -> Result<u8, Failure> {
        let new = DiffSide::from_report(report, Some(profile));
        let diff = compare(&self.side, &new);
        let cwd = std::env::current_dir().ok();
        report::print(|out| {
            writeln!(
                out,
                "\ncompared with the baseline {}:\n",
                self.path.display()
            )?;
            write_diff_text(&diff, self.threshold, cwd.as_deref(), out)
        })?;
        if outcome_of(&diff, self.threshold) == REGRESSED {
            say(format_args!(
                "regressed against the baseline {}",
                self.path.display()
            ));
            return Ok(REGRESSED);
        }
        say(format_args!(
            "no regression against the baseline {}",
            self.path.display()
        ));
        Ok(if outcome == LEAKS_FOUND {
            SUCCESS
        } else {
            outcome
        })
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
