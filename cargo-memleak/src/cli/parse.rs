//! Parsing the command line: `cargo memleak run ...`, `test ...`, `report ...` and
//! `diff ...` with clap; the long help lives in `docs/*.txt`. `main` calls [`parse`],
//! then dispatches.

use std::ffi::OsString;
use std::io;

use clap::{Args, CommandFactory as _, Parser, Subcommand};

use crate::cli::diff_args::DiffArgs;
use crate::cli::report_args::ReportArgs;
use crate::cli::run_args::{RunArgs, TestArgs};
use crate::exit_code;

/// cargo runs `cargo-memleak memleak ARGS...` for `cargo memleak ARGS...`; so does the
/// workspace's alias. Hence one subcommand, named like the binary's suffix.
#[derive(Debug, Parser)]
#[command(
    name = "cargo-memleak",
    bin_name = "cargo",
    version,
    disable_help_subcommand = true
)]
enum Cargo {
    Memleak(Memleak),
}

/// Find the memory leaks of a Rust program: where each leaked block was allocated, its
/// size, and how many.
#[derive(Debug, Args)]
#[command(
    version,
    display_name = "cargo-memleak",
    long_about = include_str!("../../docs/memleak.txt"),
    after_help = include_str!("../../docs/exit-codes.txt"),
    after_long_help = concat!(include_str!("../../docs/memleak-examples.txt"), "\n", include_str!("../../docs/exit-codes.txt")),
    disable_help_subcommand = true,
)]
pub(crate) struct Memleak {
    #[command(subcommand)]
    pub(crate) command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Build a binary or example with the `memleak` tracker, run it, and report its leaks.
    #[command(
        long_about = include_str!("../../docs/run.txt"),
        after_help = include_str!("../../docs/exit-codes.txt"),
        after_long_help = concat!(include_str!("../../docs/run-examples.txt"), "\n", include_str!("../../docs/exit-codes.txt")),
    )]
    Run(RunArgs),
    /// Build the tests with the `memleak` tracker, run them, and report which test leaked what.
    #[command(
        long_about = include_str!("../../docs/test.txt"),
        override_usage = "cargo memleak test [OPTIONS] [TESTNAME] [-- <TEST_ARGS>...]",
        after_help = include_str!("../../docs/exit-codes.txt"),
        after_long_help = concat!(include_str!("../../docs/test-examples.txt"), "\n", include_str!("../../docs/exit-codes.txt")),
    )]
    Test(TestArgs),
    /// Report the leaks of a saved profile: text, JSON, folded stacks, DHAT, pprof, HTML or
    /// a flamegraph.
    #[command(
        long_about = include_str!("../../docs/report.txt"),
        after_help = include_str!("../../docs/exit-codes.txt"),
        after_long_help = include_str!("../../docs/exit-codes.txt"),
    )]
    Report(ReportArgs),
    /// Compare two runs (profiles or report.json files): what each stack leaked, held and
    /// peaked at, and whether the second regressed.
    #[command(
        long_about = include_str!("../../docs/diff.txt"),
        after_help = include_str!("../../docs/exit-codes.txt"),
        after_long_help = include_str!("../../docs/exit-codes.txt"),
    )]
    Diff(DiffArgs),
}

/// Prints `cargo memleak test --help`, for a `--help` that came after other arguments.
pub(crate) fn print_test_help() -> io::Result<()> {
    let mut cargo = Cargo::command();
    let test = cargo
        .find_subcommand_mut("memleak")
        .and_then(|memleak| memleak.find_subcommand_mut("test"))
        .expect("the test subcommand exists");
    crate::term::print_stdout(|out| write!(out, "{}", test.render_long_help()))
}

/// The subcommand, or the exit code after clap printed help, the version or a usage error.
pub(crate) fn parse(args: Vec<OsString>) -> Result<Command, u8> {
    if let Err(message) = check_memleak_first(&args) {
        crate::term::say(format_args!("error: {message}"));
        return Err(exit_code::USAGE_ERROR);
    }
    match Cargo::try_parse_from(args) {
        Ok(Cargo::Memleak(memleak)) => Ok(memleak.command),
        Err(e) => {
            // Help and version go to stdout; a closed stdout is no reason to fail.
            let _ = e.print();
            Err(u8::try_from(e.exit_code()).unwrap_or(exit_code::USAGE_ERROR))
        }
    }
}

/// cargo passes `memleak` first (`cargo-memleak memleak run ...`); someone running the
/// binary by hand may not. Options (`--help`, `--version`) are left to clap.
fn check_memleak_first(args: &[OsString]) -> Result<(), String> {
    match args.get(1).map(|arg| arg.to_string_lossy()) {
        Some(first) if first != "memleak" && !first.starts_with('-') => Err(format!(
            "expected the subcommand `memleak`, found `{first}`\n\n\
             this is a cargo subcommand: run `cargo memleak {first}` (or `cargo-memleak memleak {first}`)"
        )),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use std::path::{Path, PathBuf};

    use super::*;
    use crate::cli::report_args::ReportFormat;
    use crate::workspace::Kind;

    fn parse_args(args: &[&str]) -> Result<Cargo, clap::Error> {
        Cargo::try_parse_from(args)
    }

    #[test]
    fn clap_definition_is_valid() {
        Cargo::command().debug_assert();
    }

    #[test]
    fn run_takes_cargo_run_options_and_trailing_args() {
        let Cargo::Memleak(m) = parse_args(&[
            "cargo-memleak",
            "memleak",
            "run",
            "--example",
            "leaky",
            "-p",
            "ex",
            "--release",
            "--",
            "-x",
            "--y",
        ])
        .unwrap();
        let Command::Run(run) = m.command else {
            panic!("not run")
        };
        assert_eq!(run.named(), Some((Kind::Example, "leaky")));
        assert_eq!(run.package.as_deref(), Some("ex"));
        assert!(run.release);
        assert_eq!(run.args, ["-x", "--y"]);
    }

    #[test]
    fn run_passes_cargo_builds_options_on() {
        let Cargo::Memleak(m) = parse_args(&[
            "cargo-memleak",
            "memleak",
            "run",
            "--features",
            "a b",
            "-F",
            "c",
            "--no-default-features",
            "--profile",
            "bench",
            "--target-dir",
            "/t",
            "-vv",
            "-q",
        ])
        .unwrap();
        let Command::Run(run) = m.command else {
            panic!("not run")
        };
        assert_eq!(
            run.build.cargo_args(),
            [
                "--features",
                "a b",
                "--features",
                "c",
                "--no-default-features",
                "--profile",
                "bench",
                "--quiet",
                "-vv"
            ]
        );
        assert_eq!(run.build.target_dir.as_deref(), Some(Path::new("/t")));
        let both = parse_args(&[
            "cargo-memleak",
            "memleak",
            "run",
            "--release",
            "--profile",
            "x",
        ]);
        assert!(
            both.is_err(),
            "--release and --profile conflict, as in cargo"
        );
    }

    /// The shapes `test_cmd`'s split relies on: clap keeps a `--` that follows options in
    /// `cargo_args` (and everything after it), and only a leading `--` goes to `test_args`.
    #[test]
    fn test_args_arrive_raw() {
        let test = |args: &[&str]| {
            let mut all = vec!["cargo-memleak", "memleak", "test"];
            all.extend(args);
            let Cargo::Memleak(m) = parse_args(&all).unwrap();
            let Command::Test(test) = m.command else {
                panic!("not test")
            };
            (test.cargo_args, test.test_args)
        };
        let os = |args: &[&str]| args.iter().map(OsString::from).collect::<Vec<_>>();
        assert_eq!(
            test(&["--lib", "-p", "x", "--", "--nocapture", "--release"]),
            (
                os(&["--lib", "-p", "x", "--", "--nocapture", "--release"]),
                vec![]
            )
        );
        assert_eq!(
            test(&["--", "--nocapture", "x"]),
            (vec![], os(&["--nocapture", "x"]))
        );
        assert_eq!(
            test(&["name", "--features", "a", "--doc"]),
            (os(&["name", "--features", "a", "--doc"]), vec![])
        );
    }

    #[test]
    fn usage_errors_exit_2() {
        for bad in [
            &[
                "cargo-memleak",
                "memleak",
                "run",
                "--bin",
                "a",
                "--example",
                "b",
            ][..],
            &["cargo-memleak", "memleak", "run", "--nope"],
            &["cargo-memleak", "memleak", "run", "stray"],
            &["cargo-memleak", "memleak", "report"],
            &["cargo-memleak", "memleak"],
        ] {
            let err = parse_args(bad).unwrap_err();
            assert_eq!(err.exit_code(), 2, "{bad:?}: {err}");
        }
    }

    #[test]
    fn memleak_must_come_first() {
        let args = |list: &[&str]| list.iter().map(OsString::from).collect::<Vec<_>>();
        assert!(check_memleak_first(&args(&["cargo-memleak", "memleak", "run"])).is_ok());
        assert!(check_memleak_first(&args(&["cargo-memleak", "--version"])).is_ok());
        assert!(check_memleak_first(&args(&["cargo-memleak"])).is_ok());
        let err =
            check_memleak_first(&args(&["cargo-memleak", "run", "--example", "x"])).unwrap_err();
        assert!(
            err.starts_with("expected the subcommand `memleak`, found `run`"),
            "{err}"
        );
    }

    #[test]
    fn report_args() {
        let Cargo::Memleak(m) = parse_args(&[
            "cargo", "memleak", "report", "p.json", "--json", "--svg", "o.svg",
        ])
        .unwrap();
        let Command::Report(report) = m.command else {
            panic!("not report")
        };
        assert_eq!(report.profile, PathBuf::from("p.json"));
        assert!(report.json);
        assert_eq!(report.format(), ReportFormat::Json);
        assert_eq!(report.svg, Some(PathBuf::from("o.svg")));
        assert_eq!(report.output, None);
    }

    #[test]
    fn report_formats_and_output() {
        let report = |args: &[&str]| {
            let mut all = vec!["cargo", "memleak", "report", "p.json"];
            all.extend(args);
            match parse_args(&all).map(|Cargo::Memleak(m)| m.command) {
                Ok(Command::Report(report)) => Ok((report.format(), report.output)),
                Ok(_) => panic!("not report"),
                Err(e) => Err(e.to_string()),
            }
        };
        assert_eq!(report(&[]), Ok((ReportFormat::Text, None)));
        assert_eq!(
            report(&["--format", "folded", "-o", "live.folded"]),
            Ok((ReportFormat::Folded, Some(PathBuf::from("live.folded"))))
        );
        let conflict = report(&["--json", "--format", "folded"]).unwrap_err();
        assert!(conflict.contains("cannot be used with"), "{conflict}");
        let unknown = report(&["--format", "pdf"]).unwrap_err();
        assert!(
            unknown.contains("pdf") && unknown.contains("folded"),
            "{unknown}"
        );
    }

    #[test]
    fn help_lists_exit_codes() {
        let mut cmd = Cargo::command();
        let memleak = cmd.find_subcommand_mut("memleak").unwrap();
        let help = memleak.render_long_help().to_string();
        assert!(
            help.contains("Exit codes:") && help.contains("LEAKS_FOUND"),
            "{help}"
        );
        let run = memleak
            .find_subcommand_mut("run")
            .unwrap()
            .render_long_help()
            .to_string();
        assert!(
            run.contains("Exit codes:") && run.contains("MEMLEAK_OUT"),
            "{run}"
        );
    }
}
