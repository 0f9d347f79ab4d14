//! `cargo memleak run`: build the target with the tracker, run it with `MEMLEAK_OUT`, then
//! report from the profile it wrote, or explain why there is none.

use std::ffi::OsString;
use std::fs;
use std::io;
use std::path::Path;
use std::process::ExitStatus;

use anyhow::{Context as _, anyhow};
use leak_report::ProgramInfo;

use crate::cargo::{self, Artifact, UserEnv};
use crate::cli::RunArgs;
use crate::diff::Baseline;
use crate::exit_code::{
    BUILD_FAILED, Failure, GROWTH_FOUND, LEAKS_FOUND, REGRESSED, ResultExt as _, SETUP_ERROR,
    SUCCESS, TARGET_FAILED,
};
use crate::interposer::Interposer;
use crate::junit::{self, Case, Suite};
use crate::process::{describe_status, exit_signal, why_no_profile};
use crate::report::{self, ALL_FILES, FILES};
use crate::setup::tracker_setup;
use crate::term::say;
use crate::tracking::{self, Tracking};
use crate::workspace::{self, Metadata, Selection};
use crate::{env, interrupt, settings};

/// `cargo memleak run [--bin NAME | --example NAME] [-p SPEC] [--release] [-- ARGS...]`.
pub(crate) fn run(args: &RunArgs) -> Result<u8, Failure> {
    args.build.color.apply();
    let cwd = std::env::current_dir()
        .context("failed to read the current directory")
        .exit_code(SETUP_ERROR)?;
    let manifest_path = args.manifest_path.as_deref();
    let meta = workspace::metadata(manifest_path)
        .context("failed to read the workspace")
        .exit_code(SETUP_ERROR)?;
    // With --manifest-path, the package is chosen where the manifest is, as cargo does.
    let package_dir = manifest_path
        .and_then(Path::parent)
        .map_or_else(|| cwd.clone(), |dir| cwd.join(dir));
    let package_dir = package_dir.canonicalize().unwrap_or(package_dir);
    let selection = Selection::resolve(&meta, &package_dir, args.package.as_deref(), args.named())
        .exit_code(SETUP_ERROR)?;
    settings::install(
        args.report.config.as_deref(),
        Some(&meta.workspace_root),
        args.report.show_reachable,
        args.report.fail_on(),
    )?;
    // Read before the build, to fail early, and before the output directory is emptied,
    // which may hold it.
    let baseline = match &args.baseline.baseline {
        Some(path) => Some(Baseline::load(path, args.baseline.threshold.threshold)?),
        None => None,
    };
    let user = UserEnv::read(&cwd).exit_code(SETUP_ERROR)?;
    let target_dir = args
        .build
        .target_dir
        .as_ref()
        .map_or_else(|| meta.target_directory.clone(), |dir| cwd.join(dir));
    let memleak_dir = target_dir.join("memleak");
    let artifact = build(args, &selection, &memleak_dir.join("build"), &user)?;
    let mut interposer = Interposer::new(&memleak_dir);
    let tracking = tracking::choose(args.mode, &artifact.executable, &mut interposer)
        .context("failed to prepare the interposer")
        .exit_code(SETUP_ERROR)?;
    let out_dir = memleak_dir.join(&selection.name);
    let profile = out_dir.join(FILES[0]);
    clear_out_dir(&out_dir).exit_code(SETUP_ERROR)?;
    if tracking == Tracking::Untracked {
        let message = setup_instructions(&meta, &cwd, &selection, &artifact);
        report::write_error_file(&out_dir, &message);
        return Err(Failure::new(SETUP_ERROR, anyhow!(message)));
    }
    let mut program = user.command(&artifact.executable);
    program
        .args(&args.args)
        .env(env::MEMLEAK_OUT, out_pattern(&profile));
    tracking.apply(&mut program, &artifact.executable);
    say(format_args!("running: {program}"));
    let status = program.status().exit_code(TARGET_FAILED)?;

    let result = if profile.exists() {
        report_run(
            &profile,
            &out_dir,
            &meta.workspace_root,
            status,
            baseline.as_ref(),
        )
    } else {
        let failure = no_profile(status, &profile);
        report::write_error_file(&out_dir, &failure.message());
        Err(failure)
    };
    if let Some(path) = &args.junit {
        junit::write(path, &[run_suite(&selection.name, &result, &out_dir)])?;
    }
    result
}

/// `run`'s JUnit suite: one case, the program, failed as the command fails; the text of
/// a failure is the text report.
fn run_suite(name: &str, result: &Result<u8, Failure>, out_dir: &Path) -> Suite {
    let report_text = || fs::read_to_string(out_dir.join(FILES[1])).unwrap_or_default();
    let case = match result {
        Ok(SUCCESS) => Case::passed(name),
        Ok(LEAKS_FOUND) => Case::failed(name, "leaks found".to_owned(), report_text()),
        Ok(GROWTH_FOUND) => Case::failed(name, "memory grew".to_owned(), report_text()),
        Ok(REGRESSED) => Case::failed(
            name,
            "regressed against the baseline".to_owned(),
            report_text(),
        ),
        Ok(code) => Case::failed(name, format!("exit code {code}"), report_text()),
        Err(failure) => Case::failed(name, failure.message(), report_text()),
    };
    Suite {
        name: "cargo memleak run".to_owned(),
        cases: vec![case],
    }
}

/// Builds the selection into `target_dir` and returns its executable.
fn build(
    args: &RunArgs,
    selection: &Selection,
    target_dir: &Path,
    user: &UserEnv,
) -> Result<Artifact, Failure> {
    let tracker_profile = cargo::write_tracker_profile(target_dir)
        .context("failed to write the tracker's build profile")
        .exit_code(SETUP_ERROR)?;
    let mut build =
        cargo::build_command(selection, args.release, target_dir, &tracker_profile, user);
    if let Some(manifest_path) = &args.manifest_path {
        build.arg("--manifest-path").arg(manifest_path);
    }
    build.args(args.build.cargo_args());
    say(format_args!("running: {build}"));
    cargo::build(&build, selection)
        .with_context(|| {
            format!(
                "failed to build {} `{}`",
                selection.kind.noun(),
                selection.name
            )
        })
        .exit_code(interrupt::unless_interrupted(BUILD_FAILED))
}

/// Reports from the profile the program wrote: the files, the text on stdout (and the
/// GitHub annotations of the leaks, in a GitHub Actions step; file paths relative to
/// `root`, the workspace's), and the exit code, [`TARGET_FAILED`] when the program failed
/// even though it wrote a profile. With a `baseline`, the comparison with it follows the
/// report and decides the exit code instead of the leaks.
fn report_run(
    profile_path: &Path,
    out_dir: &Path,
    root: &Path,
    status: ExitStatus,
    baseline: Option<&Baseline>,
) -> Result<u8, Failure> {
    let profile = report::load(profile_path)?;
    let mut program_info = ProgramInfo::from_profile(&profile);
    program_info.exit_code = status.code();
    program_info.exit_signal = exit_signal(status);
    let report = settings::build_report(&profile, program_info);
    let written = report::write_files(&profile, &report, out_dir)?;
    report::print_text(&report)?;
    report::print_annotations(&report, root)?;
    report::say_written(out_dir, &written);
    if !status.success() {
        return Err(Failure::new(
            TARGET_FAILED,
            anyhow!("the program {}", describe_status(status)),
        ));
    }
    let outcome = report::outcome(&report);
    if let Some(baseline) = baseline {
        return baseline.compare(&report, &profile, outcome);
    }
    if report.has_leaks() {
        let (bytes, blocks) = (report.leaked_bytes(), report.leaked_blocks());
        let plural = if blocks == 1 { "" } else { "s" };
        let fail_on = settings::get().fail_on;
        // Why leaks did not fail the command, when they did not.
        let within = if outcome == LEAKS_FOUND {
            String::new()
        } else if fail_on.failing_bytes(&report) > 0 {
            format!(", within --max-leaked {}", fail_on.max_leaked)
        } else {
            ", none of a kind --fail-on names".to_owned()
        };
        say(format_args!(
            "leaks found: {bytes} bytes in {blocks} block{plural}{within}"
        ));
    }
    Ok(outcome)
}

/// `path` as a `MEMLEAK_OUT` pattern: the tracker expands `%p` to the pid and `%%` to `%`,
/// so each `%` of the path is doubled.
pub(crate) fn out_pattern(path: &Path) -> OsString {
    #[cfg(unix)]
    {
        use std::os::unix::ffi::{OsStrExt as _, OsStringExt as _};
        let mut pattern = Vec::new();
        for &byte in path.as_os_str().as_bytes() {
            if byte == b'%' {
                pattern.push(b'%');
            }
            pattern.push(byte);
        }
        OsString::from_vec(pattern)
    }
    #[cfg(not(unix))]
    match path.to_str() {
        Some(path) => path.replace('%', "%%").into(),
        None => path.into(),
    }
}

/// Creates the output directory and removes every file of an earlier run, so that a run
/// which writes no profile cannot be mistaken for one that did, and no file of the
/// earlier run stays beside the new ones.
pub(crate) fn clear_out_dir(dir: &Path) -> anyhow::Result<()> {
    fs::create_dir_all(dir).with_context(|| format!("failed to create {}", dir.display()))?;
    let snapshots = fs::read_dir(dir)
        .with_context(|| format!("failed to read {}", dir.display()))?
        .filter_map(|entry| entry.ok()?.file_name().into_string().ok())
        .filter(|name| report::is_snapshot_file(name));
    for name in ALL_FILES
        .iter()
        .map(|&name| name.to_owned())
        .chain(snapshots)
    {
        let path = dir.join(name);
        match fs::remove_file(&path) {
            Err(e) if e.kind() != io::ErrorKind::NotFound => {
                return Err(e)
                    .with_context(|| format!("failed to remove the stale {}", path.display()));
            }
            _ => {}
        }
    }
    Ok(())
}

/// The error for a program that wrote no profile: [`TARGET_FAILED`].
fn no_profile(status: ExitStatus, profile: &Path) -> Failure {
    let how = if status.success() {
        "exited successfully".to_owned()
    } else {
        describe_status(status)
    };
    let why = why_no_profile(status).map_or_else(String::new, |why| format!(": {why}"));
    Failure::new(
        TARGET_FAILED,
        anyhow!(
            "the program {how} and wrote no profile to {}{why}",
            profile.display()
        ),
    )
}

/// What to add, and where, for the target to use the tracker (`--mode inprocess` on a
/// program without it).
fn setup_instructions(
    meta: &Metadata,
    cwd: &Path,
    selection: &Selection,
    artifact: &Artifact,
) -> String {
    let what = format!("{} `{}`", selection.kind.noun(), selection.name);
    let show = |path: &Path| path.strip_prefix(cwd).unwrap_or(path).display().to_string();
    let package = meta.package(&artifact.package_id);
    let source = package
        .and_then(|p| {
            p.targets
                .iter()
                .find(|t| t.kind == selection.kind && t.name == selection.name)
        })
        .map_or_else(|| "its main.rs".to_owned(), |t| show(&t.src_path));
    let mut text = format!(
        "{what} does not use the `memleak` tracker, so it wrote no profile ({} has no tracker in it)\n",
        show(&artifact.executable)
    );
    text.push_str(&tracker_setup(meta, cwd, package, &source));
    let package = selection
        .package
        .as_ref()
        .map_or_else(String::new, |p| format!(" -p {p}"));
    let (flag, name) = (selection.kind.flag(), &selection.name);
    text.push_str(&format!(
        "\nthen run `cargo memleak run{package} {flag} {name}` again, or track it unchanged \
         with the interposer: `--mode preload` (Linux)"
    ));
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percent_signs_survive_the_pattern() {
        let path = Path::new("/home/a%p/100%/profile.json");
        assert_eq!(out_pattern(path), "/home/a%%p/100%%/profile.json");
        assert_eq!(
            out_pattern(Path::new("/t/memleak/leaky/profile.json")),
            "/t/memleak/leaky/profile.json"
        );
    }
}
