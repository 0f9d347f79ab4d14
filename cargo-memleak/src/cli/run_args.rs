//! The options of `cargo memleak run` and `cargo memleak test`.

use std::ffi::OsString;
use std::path::PathBuf;

use clap::Args;

use crate::cli::diff_args::BaselineOptions;
use crate::cli::report_args::ReportOptions;
use crate::tracking::ModeChoice;
use crate::workspace::Kind;

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
    #[command(flatten)]
    pub(crate) baseline: BaselineOptions,
    /// Also write JUnit XML to PATH: one test case, the program, failed with the report
    /// when the command fails, for CI systems that show test results.
    #[arg(long, value_name = "PATH")]
    pub(crate) junit: Option<PathBuf>,

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
    #[command(flatten)]
    pub(crate) color: ColorOption,
}

/// `--color WHEN`, for cargo memleak's own output (and cargo's, where it runs cargo).
#[derive(Debug, Default, Clone, Copy, Args)]
pub(crate) struct ColorOption {
    /// Coloring: auto (on a terminal, unless NO_COLOR is set), always, never [default:
    /// CARGO_TERM_COLOR, else auto]
    #[arg(long, value_enum, value_name = "WHEN")]
    pub(crate) color: Option<ColorWhen>,
}

/// The values of `--color`, as cargo takes them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum ColorWhen {
    Auto,
    Always,
    Never,
}

impl ColorWhen {
    /// As cargo writes it.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Self::Auto => "auto",
            Self::Always => "always",
            Self::Never => "never",
        }
    }

    /// The value named `name`, as `--color` takes it.
    pub(crate) fn from_name(name: &str) -> Option<Self> {
        [Self::Auto, Self::Always, Self::Never]
            .into_iter()
            .find(|when| when.name() == name)
    }
}

impl ColorOption {
    /// Makes it the command's choice of colour.
    pub(crate) fn apply(self) {
        crate::term::choose_colour(self.color.map(ColorWhen::name));
    }
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
        if let Some(when) = self.color.color {
            args.push("--color".to_owned());
            args.push(when.name().to_owned());
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
