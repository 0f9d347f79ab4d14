//! Builds the test binaries, runs each under the tracker, reports it, and has its leaks
//! attributed to tests (listing them and rerunning some alone when it takes that).

use std::ffi::OsString;
use std::fs;
use std::io;
use std::path::Path;

use anyhow::{Context as _, anyhow};
use leak_report::{Amount, ProgramInfo};

use crate::build_messages::build_artifacts;
use crate::cargo::{self, UserEnv};
use crate::cli::diff_args::DEFAULT_THRESHOLD;
use crate::cli::run_args::ColorWhen;
use crate::cli::{self, TestArgs};
use crate::diff::Baseline;
use crate::exit_code::{
    BUILD_FAILED, Failure, GROWTH_FOUND, LEAKS_FOUND, PROFILE_UNREADABLE, REGRESSED,
    ResultExt as _, SETUP_ERROR, SUCCESS, TARGET_FAILED, USAGE_ERROR,
};
use crate::interposer::Interposer;
use crate::junit::{self, Case, Suite};
use crate::process::{ProcessBuilder, describe_status, why_no_profile};
use crate::report::{self, FILES};
use crate::run::{clear_out_dir, out_pattern};
use crate::setup::tracker_setup;
use crate::term::say;
use crate::tracking::{self, Tracking};
use crate::workspace::{self, Metadata};
use crate::{env, interrupt, settings};

use super::args::{self, Split, SplitError};
use super::attribution;
use super::binary::{self, TestBinary};
use super::junit_cases;
use super::libtest::TestFilters;
use super::reruns;
use super::threads;
use leak_report::Threshold;

/// `cargo memleak test [CARGO_TEST_ARGS...] [-- TEST_ARGS...]`.
pub(crate) fn test(args: &TestArgs) -> Result<u8, Failure> {
    let split = match args::split(&args.cargo_args, &args.test_args) {
        Ok(split) => split,
        Err(SplitError::Help) => {
            cli::print_test_help()
                .context("failed to print the help")
                .exit_code(SETUP_ERROR)?;
            return Ok(SUCCESS);
        }
        Err(SplitError::Usage(message)) => return Err(Failure::new(USAGE_ERROR, anyhow!(message))),
    };
    crate::term::choose_colour(split.color.map(ColorWhen::name));
    if let Some(dir) = split.baseline.as_deref().filter(|dir| !dir.is_dir()) {
        return Err(Failure::new(
            PROFILE_UNREADABLE,
            anyhow!(
                "the baseline {} is not a directory: give a copy of an earlier run's \
                 target/memleak/test",
                dir.display()
            ),
        ));
    }
    let cwd = std::env::current_dir()
        .context("failed to read the current directory")
        .exit_code(SETUP_ERROR)?;
    let meta = workspace::metadata(split.manifest_path.as_deref())
        .context("failed to read the workspace")
        .exit_code(SETUP_ERROR)?;
    settings::install(
        split.config.as_deref(),
        Some(&meta.workspace_root),
        split.show_reachable,
        split.fail_on,
    )?;
    let memleak_dir = meta.target_directory.join("memleak");
    let mut binaries = build(&split, &memleak_dir.join("build"))?;
    let mut interposer = Interposer::new(&memleak_dir);
    for binary in &mut binaries {
        binary.tracking = tracking::choose(split.mode, &binary.executable, &mut interposer)
            .context("failed to prepare the interposer")
            .exit_code(SETUP_ERROR)?;
    }
    let filters = TestFilters::parse(&split.test_args);
    let each = EachBinary {
        test_args: &split.test_args,
        filters: &filters,
        root: &meta.workspace_root,
        junit: split.junit.is_some(),
        baseline: split.baseline.as_deref(),
        threshold: split.threshold.unwrap_or(DEFAULT_THRESHOLD),
    };
    let mut ran = Vec::new();
    for (binary, name) in binaries.iter().zip(binary::dir_names(&binaries)) {
        let out_dir = memleak_dir.join("test").join(&name);
        let outcome = run_binary(binary, &name, &out_dir, &each)?;
        let failed = outcome.failure.is_some();
        ran.push(outcome);
        if failed && !split.no_fail_fast && ran.len() < binaries.len() {
            say("stopping after a failed test binary (`--no-fail-fast` runs the others)");
            break;
        }
    }
    if let Some(path) = &split.junit {
        let suites: Vec<Suite> = ran.iter().filter_map(|o| o.suite.clone()).collect();
        junit::write(path, &suites)?;
    }
    finish(&ran, &binaries, &meta, &cwd)
}

/// `cargo test --no-run` with memleak's flags; the test binaries it built.
fn build(split: &Split, target_dir: &Path) -> Result<Vec<TestBinary>, Failure> {
    let cwd = std::env::current_dir()
        .context("failed to read the current directory")
        .exit_code(SETUP_ERROR)?;
    let user = UserEnv::read(&cwd).exit_code(SETUP_ERROR)?;
    let tracker_profile = cargo::write_tracker_profile(target_dir)
        .context("failed to write the tracker's build profile")
        .exit_code(SETUP_ERROR)?;
    let cargo = cargo::test_command(&split.cargo_args, target_dir, &tracker_profile, &user);
    say(format_args!("running: {cargo}"));
    let artifacts = build_artifacts(&cargo, "cargo test --no-run")
        .context("failed to build the tests")
        .exit_code(interrupt::unless_interrupted(BUILD_FAILED))?;
    let mut binaries = binary::pick_test_binaries(&artifacts);
    for binary in &mut binaries {
        binary.runner.clone_from(&user.runner);
    }
    if binaries.is_empty() {
        return Err(Failure::new(
            SETUP_ERROR,
            anyhow!("`cargo test --no-run` built no test binaries"),
        ));
    }
    Ok(binaries)
}

/// How one test binary's run went.
struct Outcome {
    name: String,
    /// What its report alone would exit with, as `--fail-on` says.
    code: u8,
    /// What it leaked, if anything; `None` without a profile too.
    leaked: Option<Amount>,
    /// Why it counts as failed, if it does.
    failure: Option<String>,
    /// False when it wrote no profile because the tracker is not in it.
    tracked: bool,
    /// Its JUnit suite, with `--junit`.
    suite: Option<Suite>,
}

/// What every test binary runs with.
struct EachBinary<'a> {
    /// The test binaries' arguments, and the filters among them.
    test_args: &'a [OsString],
    filters: &'a TestFilters,
    /// The workspace root, which annotations' paths are relative to.
    root: &'a Path,
    /// Whether to build the JUnit suite.
    junit: bool,
    /// `--baseline DIR`, and `--threshold`.
    baseline: Option<&'a Path>,
    threshold: Threshold,
}

/// Runs one test binary under the tracker with the test arguments and their filters,
/// then reports its leaks, by test too (and in a GitHub Actions step as annotations);
/// with `--junit`, its JUnit suite too; with `--baseline`, compared with its baseline.
fn run_binary(
    binary: &TestBinary,
    name: &str,
    out_dir: &Path,
    each: &EachBinary<'_>,
) -> Result<Outcome, Failure> {
    let EachBinary {
        test_args,
        filters,
        root,
        junit,
        ..
    } = *each;
    clear_out_dir(out_dir).exit_code(SETUP_ERROR)?;
    let reruns = out_dir.join("reruns");
    match fs::remove_dir_all(&reruns) {
        Err(e) if e.kind() != io::ErrorKind::NotFound => {
            return Err(e)
                .with_context(|| format!("failed to remove {}", reruns.display()))
                .exit_code(SETUP_ERROR);
        }
        _ => {}
    }
    let profile_path = out_dir.join(FILES[0]);
    if binary.tracking == Tracking::Untracked {
        say(format_args!(
            "warning: test binary `{name}` does not use the `memleak` tracker (`--mode \
             inprocess`): its leaks are not checked"
        ));
    }
    let mut program = test_process(binary, true);
    program
        .args(test_args)
        .env(env::MEMLEAK_OUT, out_pattern(&profile_path));
    say(format_args!("running: {program}"));
    let status = program.status().exit_code(TARGET_FAILED)?;
    let failure =
        (!status.success()).then(|| format!("test binary `{name}` {}", describe_status(status)));
    if !profile_path.exists() {
        let tracked = binary.tracking != Tracking::Untracked;
        let failure = if tracked {
            let how =
                failure.unwrap_or_else(|| format!("test binary `{name}` exited successfully"));
            let why = why_no_profile(status).map_or_else(String::new, |why| format!(": {why}"));
            Some(format!(
                "{how} and wrote no profile to {}{why}",
                profile_path.display()
            ))
        } else {
            failure
        };
        if let Some(failure) = &failure {
            report::write_error_file(out_dir, failure);
        }
        let suite = junit.then(|| {
            junit_cases::binary_suite(
                name,
                listed(binary, filters),
                None,
                failure.as_deref(),
                root,
            )
        });
        return Ok(Outcome {
            name: name.to_owned(),
            code: SUCCESS,
            leaked: None,
            failure,
            tracked,
            suite,
        });
    }

    let profile = report::load(&profile_path)?;
    let program_info = ProgramInfo {
        exit_code: status.code(),
        exit_signal: crate::process::exit_signal(status),
        ..ProgramInfo::from_profile(&profile)
    };
    let report = settings::build_report(&profile, program_info);
    let written = report::write_files(&profile, &report, out_dir)?;
    report::print_text(&report)?;
    let attribution = report
        .has_leaks()
        .then(|| reruns::attribute(binary, threads::by_name(&report), &reruns, filters));
    if let Some(attribution) = &attribution {
        let text = format!("\nleaks by test in `{name}`:\n{}", attribution.render());
        report::print(|out| out.write_all(text.as_bytes()))?;
    }
    report::print_annotations(&report, root)?;
    report::say_written(out_dir, &written);
    let mut code = report::outcome(&report);
    if let Some(dir) = each.baseline {
        code = Baseline::of_binary(dir, name, each.threshold)?.compare(&report, &profile, code)?;
    }
    let suite = junit.then(|| {
        let leaks = attribution
            .as_ref()
            .filter(|_| code == LEAKS_FOUND)
            .map(|attribution| (&report, attribution));
        let mut suite = junit_cases::binary_suite(
            name,
            listed(binary, filters),
            leaks,
            failure.as_deref(),
            root,
        );
        if code == REGRESSED {
            let message = "regressed against the baseline".to_owned();
            let text = format!("see `cargo memleak test`'s comparison for `{name}`");
            suite.cases.push(Case::failed("(baseline)", message, text));
        }
        suite
    });
    Ok(Outcome {
        name: name.to_owned(),
        code,
        leaked: report
            .has_leaks()
            .then(|| Amount::new(report.leaked_bytes(), report.leaked_blocks())),
        failure,
        tracked: true,
        suite,
    })
}

/// The tests the run ran or skipped, and those it skipped as ignored.
fn listed(
    binary: &TestBinary,
    filters: &TestFilters,
) -> anyhow::Result<(Vec<String>, Vec<String>)> {
    Ok((
        reruns::list_tests(binary, filters)?,
        reruns::list_ignored(binary, filters)?,
    ))
}

/// The test binary, run the way `cargo test` runs it: through the configured runner, in
/// its package's directory, with CARGO_MANIFEST_DIR set (cargo sets more; this one tests
/// read at run time); `tracked`, with the interposer if it runs under it.
pub(super) fn test_process(binary: &TestBinary, tracked: bool) -> ProcessBuilder {
    let mut program = cargo::run_command(binary.runner.as_ref(), &binary.executable);
    if let Some(dir) = binary.manifest_path.parent() {
        program.current_dir(dir).env(env::CARGO_MANIFEST_DIR, dir);
    }
    if tracked {
        binary.tracking.apply(&mut program, &binary.executable);
    }
    program
}

/// The exit code once the binaries ran: [`TARGET_FAILED`] if one failed, else
/// [`SETUP_ERROR`] if none uses the tracker, else [`REGRESSED`] if one regressed against
/// `--baseline`, else [`LEAKS_FOUND`] if one leaked (of the kinds `--fail-on` names; with
/// `--baseline`, only leaks the baseline does not know fail), else [`GROWTH_FOUND`] if
/// one grew and `--fail-on` names growth.
fn finish(
    ran: &[Outcome],
    binaries: &[TestBinary],
    meta: &Metadata,
    cwd: &Path,
) -> Result<u8, Failure> {
    let leaky: Vec<String> = ran
        .iter()
        .filter_map(|o| Some(format!("`{}` ({})", o.name, attribution::amount(o.leaked?))))
        .collect();
    if !leaky.is_empty() {
        say(format_args!(
            "leaks found in {} of {} test binaries: {}",
            leaky.len(),
            ran.len(),
            leaky.join(", ")
        ));
    }
    let failures: Vec<&str> = ran.iter().filter_map(|o| o.failure.as_deref()).collect();
    if !failures.is_empty() {
        let failures = failures.join("\nerror: ");
        return Err(Failure::new(TARGET_FAILED, anyhow!(failures)));
    }
    if ran.iter().all(|o| !o.tracked) {
        let message = setup_message(binaries, meta, cwd);
        return Err(Failure::new(SETUP_ERROR, anyhow!(message)));
    }
    // A regression against the baseline first, then leaks, then growth: the code of the
    // worst binary.
    let codes = [REGRESSED, LEAKS_FOUND, GROWTH_FOUND];
    let worst = codes
        .into_iter()
        .find(|&code| ran.iter().any(|o| o.code == code));
    Ok(worst.unwrap_or(SUCCESS))
}

/// What to add for the tests to use the tracker, the `#[global_allocator]` going to the
/// first binary's source: the library's when there is one, which holds the unit tests and
/// is linked into every integration test that uses it.
fn setup_message(binaries: &[TestBinary], meta: &Metadata, cwd: &Path) -> String {
    let show = |path: &Path| path.strip_prefix(cwd).unwrap_or(path).display().to_string();
    let first = &binaries[0];
    let package = meta.package(&first.package_id);
    let mut text = format!(
        "the test binaries do not use the `memleak` tracker, so they wrote no profile ({} has no \
         tracker in it)\n",
        show(&first.executable)
    );
    let source = package
        .and_then(|p| p.lib_src.as_deref())
        .unwrap_or(&first.src_path);
    text.push_str(&tracker_setup(meta, cwd, package, &show(source)));
    text.push_str("\nthen run `cargo memleak test` again");
    text
}
