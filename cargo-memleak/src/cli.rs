//! The command line: `cargo memleak run ...`, `test ...` and `report ...`, parsed with
//! clap; the long help lives in `docs/*.txt`. `main` calls [`parse`], then dispatches.

use std::ffi::OsString;
use std::io;
use std::path::PathBuf;

use clap::{Args, CommandFactory as _, Parser, Subcommand, ValueEnum};

use crate::exit_code;
use crate::fail_on::FailOn;
use crate::tracking::ModeChoice;
use crate::workspace::Kind;

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
    long_about = include_str!("../docs/memleak.txt"),
    after_help = include_str!("../docs/exit-codes.txt"),
    after_long_help = concat!(include_str!("../docs/memleak-examples.txt"), "\n", include_str!("../docs/exit-codes.txt")),
    disable_help_subcommand = true,
)]
pub(crate) struct Memleak {
    #[command(subcommand)]
    pub(crate) command: Command,
}

/// The subcommands. `diff` will join them.
#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Build a binary or example with the `memleak` tracker, run it, and report its leaks.
    #[command(
        long_about = include_str!("../docs/run.txt"),
        after_help = include_str!("../docs/exit-codes.txt"),
        after_long_help = concat!(include_str!("../docs/run-examples.txt"), "\n", include_str!("../docs/exit-codes.txt")),
    )]
    Run(RunArgs),
    /// Build the tests with the `memleak` tracker, run them, and report which test leaked what.
    #[command(
        long_about = include_str!("../docs/test.txt"),
        override_usage = "cargo memleak test [OPTIONS] [TESTNAME] [-- <TEST_ARGS>...]",
        after_help = include_str!("../docs/exit-codes.txt"),
        after_long_help = concat!(include_str!("../docs/test-examples.txt"), "\n", include_str!("../docs/exit-codes.txt")),
    )]
    Test(TestArgs),
    /// Report the leaks of a saved profile: text, JSON, folded stacks, DHAT or a flamegraph.
    #[command(
        long_about = include_str!("../docs/report.txt"),
        after_help = include_str!("../docs/exit-codes.txt"),
        after_long_help = include_str!("../docs/exit-codes.txt"),
    )]
    Report(ReportArgs),
}

/// `cargo memleak run`.
#[derive(Debug, Args)]
pub(crate) struct RunArgs {
    /// Run this binary target.
    #[arg(long, value_name = "NAME", conflicts_with = "example")]
    pub(crate) bin: Option<String>,
    /// Run this example.
    #[arg(long, value_name = "NAME")]
    pub(crate) example: Option<String>,
    /// The package of the target [default: the one in the current directory, as for `cargo run`].
    #[arg(short, long, value_name = "SPEC")]
    pub(crate) package: Option<String>,
    /// Build with the release profile (with line tables and inlined functions' names).
    #[arg(long)]
    pub(crate) release: bool,
    /// The package's (or workspace's) Cargo.toml [default: found from the current
    /// directory, as for `cargo run`].
    #[arg(long, value_name = "PATH")]
    pub(crate) manifest_path: Option<PathBuf>,
    /// How to track it: in-process through the `TrackingAlloc` built into it, or with the
    /// interposer preloaded as malloc (no change to the program; C code's blocks too;
    /// Linux). `auto`: in-process when the program has the tracker in it.
    #[arg(long, value_enum, default_value_t, value_name = "MODE")]
    pub(crate) mode: ModeChoice,
    #[command(flatten)]
    pub(crate) build: BuildOptions,
    #[command(flatten)]
    pub(crate) report: ReportOptions,

    /// Arguments for the program, after `--`.
    #[arg(last = true, value_name = "ARGS")]
    pub(crate) args: Vec<OsString>,
}

/// `cargo build` options passed through as `cargo run` takes them.
#[derive(Debug, Default, Args)]
pub(crate) struct BuildOptions {
    /// Features to activate (space- or comma-separated; may be given more than once).
    #[arg(short = 'F', long, value_name = "FEATURES")]
    pub(crate) features: Vec<String>,
    /// Activate all the package's features.
    #[arg(long)]
    pub(crate) all_features: bool,
    /// Do not activate the `default` feature.
    #[arg(long)]
    pub(crate) no_default_features: bool,
    /// Build with this profile (`--release` is `--profile release`).
    #[arg(long, value_name = "NAME", conflicts_with = "release")]
    pub(crate) profile: Option<String>,
    /// The target directory the build and the report files go under (in `memleak/`)
    /// [default: the workspace's].
    #[arg(long, value_name = "DIR")]
    pub(crate) target_dir: Option<PathBuf>,
    /// Quieter cargo output.
    #[arg(short, long)]
    pub(crate) quiet: bool,
    /// More cargo output (-vv: very verbose).
    #[arg(short, long, action = clap::ArgAction::Count)]
    pub(crate) verbose: u8,
}

impl BuildOptions {
    /// The options as `cargo build` arguments.
    pub(crate) fn cargo_args(&self) -> Vec<String> {
        let mut args = Vec::new();
        for features in &self.features {
            args.push("--features".to_owned());
            args.push(features.clone());
        }
        if self.all_features {
            args.push("--all-features".to_owned());
        }
        if self.no_default_features {
            args.push("--no-default-features".to_owned());
        }
        if let Some(profile) = &self.profile {
            args.push("--profile".to_owned());
            args.push(profile.clone());
        }
        if self.quiet {
            args.push("--quiet".to_owned());
        }
        if self.verbose > 0 {
            args.push(format!("-{}", "v".repeat(usize::from(self.verbose))));
        }
        args
    }
}

impl RunArgs {
    /// The `--bin` or `--example` given, if any.
    pub(crate) fn named(&self) -> Option<(Kind, &str)> {
        match (&self.bin, &self.example) {
            (Some(bin), _) => Some((Kind::Bin, bin)),
            (None, Some(example)) => Some((Kind::Example, example)),
            (None, None) => None,
        }
    }
}

/// `cargo memleak test`: `cargo test`'s arguments, split by `test_cmd::args::split`
/// (clap cannot: once it meets an option it does not know, it takes everything after it,
/// `--` included, as values).
#[derive(Debug, Args)]
pub(crate) struct TestArgs {
    /// `cargo test` options (`-p SPEC`, `--lib`, `--bins`, `--tests`, `--test NAME`,
    /// `--release`, `--features ...`, ...) and a TESTNAME filter.
    #[arg(value_name = "CARGO_TEST_ARGS", allow_hyphen_values = true)]
    pub(crate) cargo_args: Vec<OsString>,
    /// Arguments for every test binary, after `--`.
    #[arg(last = true, value_name = "TEST_ARGS")]
    pub(crate) test_args: Vec<OsString>,
}

/// How reports are built and shown, for `run` and `report` (`test` reads the same two
/// options from its raw arguments).
#[derive(Debug, clap::Args)]
pub(crate) struct ReportOptions {
    /// Suppressions file [default: memleak.toml at the workspace root (for `report`: in
    /// the current directory), if there is one]
    #[arg(long, value_name = "FILE")]
    pub(crate) config: Option<PathBuf>,
    /// Also list the memory still reachable at exit (never counted as a leak)
    #[arg(long)]
    pub(crate) show_reachable: bool,
    /// What fails the command: a comma-separated list of `definite`, `indirect`,
    /// `growth` (exit code 15 when no leak fails it), or `any` for all three
    #[arg(long, value_name = "KINDS", default_value = "definite,indirect", value_parser = parse_fail_on)]
    fail_on: FailOn,
    /// Leaked bytes that still pass (of the kinds `--fail-on` names, per program): `4096`,
    /// `64k`, `1MiB` [default: 0]
    #[arg(long, value_name = "BYTES", value_parser = parse_max_leaked)]
    max_leaked: Option<u64>,
}

impl ReportOptions {
    /// What fails the command: `--fail-on` with `--max-leaked`'s budget.
    pub(crate) fn fail_on(&self) -> FailOn {
        self.fail_on.with_max_leaked(self.max_leaked.unwrap_or(0))
    }
}

fn parse_fail_on(text: &str) -> Result<FailOn, String> {
    FailOn::parse(text).ok_or_else(|| format!("expected {}", crate::fail_on::EXPECTED))
}

fn parse_max_leaked(text: &str) -> Result<u64, String> {
    crate::fail_on::parse_bytes(text)
        .ok_or_else(|| format!("expected {}", crate::fail_on::EXPECTED_BYTES))
}

/// `cargo memleak report`.
#[derive(Debug, Args)]
pub(crate) struct ReportArgs {
    /// The profile: `profile.json` as the tracker wrote it (`MEMLEAK_OUT`).
    #[arg(value_name = "PROFILE")]
    pub(crate) profile: PathBuf,
    /// Print report.json (documented in docs/report-json.md) instead of the text report:
    /// the same as `--format json`.
    #[arg(long, conflicts_with = "format")]
    pub(crate) json: bool,
    /// What to write: the text report, report.json, the folded stacks of the bytes live
    /// at exit (`main;...;allocating_fn BYTES` lines, for any flamegraph tool), or DHAT's
    /// JSON of what each stack allocated (for valgrind's dh_view.html).
    #[arg(long, value_enum, value_name = "FORMAT", default_value_t = ReportFormat::Text)]
    pub(crate) format: ReportFormat,
    /// Write the report to this file instead of stdout.
    #[arg(short, long, value_name = "FILE")]
    pub(crate) output: Option<PathBuf>,
    /// Also write the flamegraph of the blocks live at exit to this SVG file.
    #[arg(long, value_name = "OUT")]
    pub(crate) svg: Option<PathBuf>,

    #[command(flatten)]
    pub(crate) report: ReportOptions,
}

/// `cargo memleak report --format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum ReportFormat {
    /// The text report, as `cargo memleak run` prints it.
    Text,
    /// report.json (docs/report-json.md).
    Json,
    /// Folded stacks: one `outer;...;inner BYTES` line a stack.
    Folded,
    /// DHAT's JSON (`dhatFileVersion` 2): bytes and blocks allocated by stack.
    Dhat,
}

impl ReportArgs {
    /// The format asked for, `--json` included.
    pub(crate) fn format(&self) -> ReportFormat {
        if self.json {
            ReportFormat::Json
        } else {
            self.format
        }
    }
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
    use std::path::Path;

    use super::*;

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
