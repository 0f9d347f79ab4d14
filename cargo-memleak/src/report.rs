//! `cargo memleak report`, and the rendering `cargo memleak run` shares with it: loading a
//! profile, the text report on stdout, and the report files.

use std::fs;
use std::io::{self, IsTerminal as _};
use std::path::{Path, PathBuf};

use anyhow::Context as _;
use leak_report::{
    Profile, ProgramInfo, Report, TextOptions, flamegraph_kinds, has_timeline_chart, write_dhat,
    write_folded, write_html, write_json, write_kind_flamegraph, write_layers_flamegraph,
    write_live_flamegraph, write_pprof, write_text, write_timeline_chart,
};

use crate::cli::{ReportArgs, ReportFormat};
use crate::exit_code::{
    Failure, INTERNAL_ERROR, PROFILE_UNREADABLE, ResultExt as _, SETUP_ERROR, USAGE_ERROR,
};
use crate::term::{self, say};
use crate::{annotations, settings};

/// `cargo memleak report PROFILE [--format FORMAT] [-o FILE] [--svg OUT]`.
pub(crate) fn report(args: &ReportArgs) -> Result<u8, Failure> {
    args.color.apply();
    let cwd = std::env::current_dir().ok();
    settings::install(
        args.report.config.as_deref(),
        cwd.as_deref(),
        args.report.show_reachable,
        args.report.fail_on(),
    )?;
    let profile = load(&args.profile)?;
    let report = settings::build_report(&profile, ProgramInfo::from_profile(&profile));
    if let Some(svg) = &args.svg {
        let image = live_flamegraph(&report).exit_code(INTERNAL_ERROR)?;
        write_file(svg, &image)?;
        say(format_args!("wrote {}", svg.display()));
    }
    let format = args.format();
    match &args.output {
        Some(path) => {
            let mut bytes = Vec::new();
            render(&profile, &report, format, false, &mut bytes)
                .context("failed to render the report")
                .exit_code(INTERNAL_ERROR)?;
            write_file(path, &bytes)?;
            say(format_args!("wrote {}", path.display()));
        }
        None if format == ReportFormat::Pprof && io::stdout().is_terminal() => {
            return Err(Failure::new(
                USAGE_ERROR,
                anyhow::anyhow!(
                    "the pprof export is gzipped protobuf, not for a terminal: \
                     give `-o FILE`, or redirect stdout"
                ),
            ));
        }
        None => {
            let color = term::colour(term::Stream::Stdout);
            print(|out| render(&profile, &report, format, color, out))?;
        }
    }
    Ok(outcome(&report))
}

/// Renders `report` (or for DHAT, its `profile`) in `format`; `color` for the text on a
/// terminal.
fn render(
    profile: &Profile,
    report: &Report,
    format: ReportFormat,
    color: bool,
    out: &mut dyn io::Write,
) -> io::Result<()> {
    match format {
        ReportFormat::Text => write_text(report, out, &text_options(color)),
        ReportFormat::Json => write_json(report, out),
        ReportFormat::Folded => write_folded(report, out),
        ReportFormat::Dhat => write_dhat(profile, out),
        ReportFormat::Pprof => write_pprof(profile, out),
        ReportFormat::Html => {
            let cwd = std::env::current_dir().ok();
            write_html(profile, report, cwd.as_deref(), out)
        }
    }
}

/// The text report's options: the settings' `--show-reachable`, and colour or not.
fn text_options(color: bool) -> TextOptions {
    TextOptions {
        color,
        show_reachable: settings::get().show_reachable,
        ..TextOptions::default()
    }
}

/// In a GitHub Actions step, the annotations of the leaks (see [`annotations`]);
/// `workspace_root` is the cargo workspace's.
pub(crate) fn print_annotations(report: &Report, workspace_root: &Path) -> Result<(), Failure> {
    if annotations::enabled() {
        let fail_on = settings::get().fail_on;
        let root = annotations::paths_root(workspace_root);
        print(|out| annotations::write_annotations(report, fail_on, &root, out))?;
    }
    Ok(())
}

/// The exit code a successful run ends with, as `--fail-on` says (see
/// [`FailOn::outcome`](crate::fail_on::FailOn::outcome)).
pub(crate) fn outcome(report: &Report) -> u8 {
    settings::get().fail_on.outcome(report)
}

/// Loads the profile; leak-report's error names the file and what is wrong with it.
pub(crate) fn load(path: &Path) -> Result<Profile, Failure> {
    let label = format!("reading and symbolizing {}", path.display());
    term::with_progress(&label, || leak_report::load_profile(path)).exit_code(PROFILE_UNREADABLE)
}

/// Prints the text report on stdout, in colour on a terminal.
pub(crate) fn print_text(report: &Report) -> Result<(), Failure> {
    let options = text_options(term::colour(term::Stream::Stdout));
    print(|out| write_text(report, out, &options))
}

/// Writes to stdout through a buffer (see [`term::print_stdout`]). A broken pipe ends up
/// as exit code 0 (see [`Failure::print`]).
pub(crate) fn print(
    write: impl FnOnce(&mut dyn io::Write) -> io::Result<()>,
) -> Result<(), Failure> {
    term::print_stdout(write)
        .context("failed to print the report")
        .exit_code(SETUP_ERROR)
}

/// The files `cargo memleak run` leaves in its output directory, the profile first.
pub(crate) const FILES: [&str; 4] = ["profile.json", "report.txt", "report.json", "live.svg"];

/// The memory charts: the resident set at exit by layer, and the timeline.
const LAYERS_SVG: &str = "layers.svg";
const TIMELINE_SVG: &str = "timeline.svg";
/// The self-contained HTML report.
pub(crate) const REPORT_HTML: &str = "report.html";

/// Written instead of the report when the program wrote no profile: why.
pub(crate) const ERROR_FILE: &str = "error.txt";

/// Every file a run may leave in its output directory: all are removed before a run, so
/// that the directory never mixes two runs.
pub(crate) const ALL_FILES: [&str; 13] = [
    FILES[0],
    FILES[1],
    FILES[2],
    FILES[3],
    "definite.svg",
    "indirect.svg",
    "reachable.svg",
    "live_at_exit.svg",
    LAYERS_SVG,
    TIMELINE_SVG,
    REPORT_HTML,
    ERROR_FILE,
    // MEMLEAK_SNAPSHOT_INTERVAL's.
    "profile.rolling.json",
];

/// Whether `name` is a snapshot the program wrote on `MEMLEAK_SNAPSHOT_SIGNAL`
/// (`profile.snapshot-N.json`): of the run, so the next run removes them too.
pub(crate) fn is_snapshot_file(name: &str) -> bool {
    name.strip_prefix("profile.snapshot-")
        .and_then(|rest| rest.strip_suffix(".json"))
        .is_some_and(|number| !number.is_empty() && number.bytes().all(|b| b.is_ascii_digit()))
}

/// Leaves `message` in `dir` as the reason the run has no report; a failure to write it
/// only loses the file (the message is printed anyway).
pub(crate) fn write_error_file(dir: &Path, message: &str) {
    let _ = fs::write(dir.join(ERROR_FILE), format!("{message}\n"));
}

/// Writes report.txt, report.json, live.svg, a flamegraph per kind of memory, layers.svg
/// (when the profile has a footprint), timeline.svg (when it has two samples or more)
/// and report.html (from `report`'s `profile`) into `dir` (beside profile.json) and
/// returns the files written. An image that cannot be drawn is a warning, not a failure.
pub(crate) fn write_files(
    profile: &Profile,
    report: &Report,
    dir: &Path,
) -> Result<Vec<PathBuf>, Failure> {
    let mut text = Vec::new();
    write_text(report, &mut text, &text_options(false))
        .context("failed to render the text report")
        .exit_code(INTERNAL_ERROR)?;
    let mut json = Vec::new();
    write_json(report, &mut json)
        .context("failed to render report.json")
        .exit_code(INTERNAL_ERROR)?;
    let mut written = vec![dir.join(FILES[0])];
    for (name, bytes) in [(FILES[1], text), (FILES[2], json)] {
        written.push(write_file(&dir.join(name), &bytes)?);
    }
    match live_flamegraph(report) {
        Ok(svg) => written.push(write_file(&dir.join(FILES[3]), &svg)?),
        Err(e) => say(format_args!("warning: no {}: {e:#}", FILES[3])),
    }
    // One flamegraph per kind that has bytes (definite.svg, indirect.svg, ...); the
    // directory was emptied of an earlier run's files before the program ran.
    for kind in flamegraph_kinds(report) {
        let name = format!("{}.svg", kind.as_str());
        let mut svg = Vec::new();
        match write_kind_flamegraph(report, kind, &mut svg) {
            Ok(()) => written.push(write_file(&dir.join(&name), &svg)?),
            Err(e) => say(format_args!("warning: no {name}: {e:#}")),
        }
    }
    let charts: [(&str, bool, Chart); 2] = [
        (
            LAYERS_SVG,
            report.layers().at_exit.is_some(),
            write_layers_flamegraph,
        ),
        (
            TIMELINE_SVG,
            has_timeline_chart(report),
            write_timeline_chart,
        ),
    ];
    for (name, wanted, draw) in charts {
        if !wanted {
            continue;
        }
        let mut svg = Vec::new();
        match draw(report, &mut svg) {
            Ok(()) => written.push(write_file(&dir.join(name), &svg)?),
            Err(e) => say(format_args!("warning: no {name}: {e:#}")),
        }
    }
    let mut html = Vec::new();
    let cwd = std::env::current_dir().ok();
    write_html(profile, report, cwd.as_deref(), &mut html)
        .context("failed to render report.html")
        .exit_code(INTERNAL_ERROR)?;
    written.push(write_file(&dir.join(REPORT_HTML), &html)?);
    Ok(written)
}

/// A report's drawing of one of its charts.
type Chart = fn(&Report, &mut dyn io::Write) -> Result<(), leak_report::Error>;

/// "wrote DIR/{profile.json,report.txt,...}" on stderr, for the files [`write_files`] wrote.
pub(crate) fn say_written(dir: &Path, written: &[PathBuf]) {
    let names: Vec<String> = written
        .iter()
        .filter_map(|p| p.file_name())
        .map(|n| n.to_string_lossy().into_owned())
        .collect();
    say(format_args!(
        "wrote {}{}{{{}}}",
        dir.display(),
        std::path::MAIN_SEPARATOR,
        names.join(",")
    ));
}

fn live_flamegraph(report: &Report) -> anyhow::Result<Vec<u8>> {
    let mut svg = Vec::new();
    write_live_flamegraph(report, &mut svg).context("failed to draw the flamegraph")?;
    Ok(svg)
}

pub(crate) fn write_file(path: &Path, bytes: &[u8]) -> Result<PathBuf, Failure> {
    fs::write(path, bytes)
        .with_context(|| format!("failed to write {}", path.display()))
        .exit_code(SETUP_ERROR)?;
    Ok(path.to_owned())
}
