//! The options of `cargo memleak report`, and those of how reports are built and shown,
//! shared with `run`.

use std::path::PathBuf;

use clap::{Args, ValueEnum};

use crate::cli::run_args::ColorOption;
use crate::fail_on::FailOn;

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
    /// at exit (`main;...;allocating_fn BYTES` lines, for any flamegraph tool), DHAT's
    /// JSON of what each stack allocated (for valgrind's dh_view.html), a gzipped pprof
    /// heap profile (for `go tool pprof`, Pyroscope, Parca; binary: needs `-o` on a
    /// terminal), or the HTML report (one self-contained page to open in a browser).
    #[arg(long, value_enum, value_name = "FORMAT", default_value_t = ReportFormat::Text)]
    pub(crate) format: ReportFormat,
    /// Write the report to this file instead of stdout.
    #[arg(short, long, value_name = "FILE")]
    pub(crate) output: Option<PathBuf>,
    /// Also write the flamegraph of the blocks live at exit to this SVG file.
    #[arg(long, value_name = "OUT")]
    pub(crate) svg: Option<PathBuf>,
    #[command(flatten)]
    pub(crate) color: ColorOption,

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
    /// pprof's gzipped protobuf: `alloc_objects`, `alloc_space`, `inuse_objects` and
    /// `inuse_space` by stack.
    Pprof,
    /// The HTML report: one self-contained page with the summary, flamegraphs, the
    /// timeline and the sites.
    Html,
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
