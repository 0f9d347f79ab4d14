//! The text report, for people: a header with the headline numbers (the `header_text`
//! module), then the leaks biggest first with their stacks (with a reachability scan, in
//! the sections of the `sections` module), what each suppression hid, the growing sites
//! (the `growth_text` module) and last the memory by layer (the `memory_text` module).

use std::io;
use std::path::Path;

use crate::analysis::findings::ReportSuppression;
use crate::model::SiteKind;
use crate::render::format::Style;
use crate::render::text::growth::write_growth;
use crate::render::text::header::write_header;
use crate::render::text::memory::write_memory;
use crate::render::text::sections::scanned_sections;
use crate::render::text::writer::{TextOptions, Writer, whole};
use crate::report::model::Report;

/// Text report.
///
/// Source paths are shortened: relative to the current directory when under it,
/// `/rustc/<hash>/library/...` to `library/...`, and a registry crate's
/// `.../registry/src/<index>/name-1.2.3/...` to `name-1.2.3/...`. For the same report
/// and current directory the output is always the same.
///
/// # Errors
/// Write errors.
pub fn write_text(
    report: &Report,
    out: &mut dyn io::Write,
    options: &TextOptions,
) -> io::Result<()> {
    let cwd = std::env::current_dir().ok();
    render(report, out, options, cwd.as_deref())
}

/// [`write_text`] with the directory paths are made relative to.
pub(crate) fn render(
    report: &Report,
    out: &mut dyn io::Write,
    options: &TextOptions,
    cwd: Option<&Path>,
) -> io::Result<()> {
    let mut writer = Writer {
        out,
        options,
        cwd,
        style: Style {
            color: options.color,
        },
        rank: 0,
    };
    write_header(report, &mut writer)?;
    if report.reachability().is_none() {
        let sites = report
            .sites_of(SiteKind::LiveAtExit)
            .map(|site| (site, whole(site)));
        writer.sites(None, sites)?;
    } else {
        scanned_sections(report, &mut writer)?;
    }
    let hid: Vec<&ReportSuppression> = report
        .suppressed()
        .iter()
        .filter(|entry| entry.hidden.blocks > 0)
        .collect();
    if !hid.is_empty() {
        writeln!(writer.out)?;
    }
    for entry in hid {
        let suppression = &entry.suppression;
        write!(
            writer.out,
            "suppressed by `{}`: {}",
            suppression.function,
            writer.style.amount(entry.hidden)
        )?;
        if let Some(kind) = suppression.kind {
            write!(writer.out, " ({} only)", kind.as_str())?;
        }
        if let Some(reason) = &suppression.reason {
            write!(writer.out, " - {reason}")?;
        }
        writeln!(writer.out)?;
    }
    write_growth(report, &mut writer)?;
    write_memory(report, &mut writer)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::findings::ProgramInfo;
    use crate::testing::{leaky, on_main, profile};

    fn text(report: &Report, options: &TextOptions) -> String {
        let mut out = Vec::new();
        render(report, &mut out, options, Some(Path::new("/work/proj"))).unwrap();
        String::from_utf8(out).unwrap()
    }

    fn leaky_report(exit_code: Option<i32>) -> Report {
        let profile = leaky();
        Report::build(
            &profile,
            ProgramInfo {
                exit_code,
                ..ProgramInfo::from_profile(&profile)
            },
        )
    }

    #[test]
    fn fixture_report() {
        let expected = "\
memleak report for leaky (exit code 0, in-process)
live at exit: 10,496 bytes in 101 blocks from 2 sites
runtime: 1,072 bytes in 2 blocks held by the Rust runtime until exit, not leaks
allocated: 20,000 bytes in 300 blocks over the run; peak live: 12,000 bytes in 120 blocks

#1  6,400 bytes in 100 blocks
    leaky::leak_some  examples/leaky.rs:14
    leaky::main  examples/leaky.rs:37

#2  4,096 bytes in 1 block
    leaky::leak_box  examples/leaky.rs:22
    leaky::main  examples/leaky.rs:38
";
        assert_eq!(
            text(&leaky_report(Some(0)), &TextOptions::default()),
            expected
        );
    }

    #[test]
    fn limits_color_and_unknown_exit() {
        let options = TextOptions {
            color: true,
            max_sites: 1,
            max_frames: 1,
            show_reachable: false,
        };
        let out = text(&leaky_report(None), &options);
        let bold = |n: &str| format!("\x1b[1m{n}\x1b[0m");
        let expected = format!(
            "\
memleak report for leaky (exit code not recorded, in-process)
live at exit: {} bytes in {} blocks from {} sites
runtime: {} bytes in {} blocks held by the Rust runtime until exit, not leaks
allocated: {} bytes in {} blocks over the run; peak live: {} bytes in {} blocks

#1  {} bytes in {} blocks
    leaky::leak_some  examples/leaky.rs:14
    ... 1 more frame

... 1 more site: {} bytes in {} block
",
            bold("10,496"),
            bold("101"),
            bold("2"),
            bold("1,072"),
            bold("2"),
            bold("20,000"),
            bold("300"),
            bold("12,000"),
            bold("120"),
            bold("6,400"),
            bold("100"),
            bold("4,096"),
            bold("1"),
        );
        assert_eq!(out, expected);
    }

    #[test]
    fn nothing_leaked_is_said_plainly() {
        let profile = profile(&[(
            &on_main(&[
                "alloc::alloc::alloc",
                "std::io::stdio::stdout::{{closure}}",
                "app::main",
            ]),
            &[1024],
        )]);
        let report = Report::build(
            &profile,
            ProgramInfo {
                exit_code: Some(3),
                ..ProgramInfo::from_profile(&profile)
            },
        );
        let expected = "\
memleak report for prog (exit code 3, in-process)
no leaks: nothing the program allocated was live at exit
runtime: 1,024 bytes in 1 block held by the Rust runtime until exit, not leaks
allocated: 1,024 bytes in 1 block over the run; peak live: 1,024 bytes in 1 block
";
        assert_eq!(text(&report, &TextOptions::default()), expected);
    }

    #[test]
    fn notes_and_unresolved_frames() {
        let mut value: serde_json::Value = serde_json::from_str(crate::testing::LEAKY).unwrap();
        value["reason"] = "request".into();
        value["totals"]["untracked_allocs"] = 3.into();
        value["frames"][5]["symbols"] = serde_json::json!([]);
        let profile =
            crate::symbols::load::parse_profile(Path::new("/p.json"), value.to_string().as_bytes())
                .unwrap();
        let report = Report::build(&profile, ProgramInfo::from_profile(&profile));
        let out = text(
            &report,
            &TextOptions {
                max_sites: 0,
                ..TextOptions::default()
            },
        );
        assert!(
            out.contains("\nnote: the profile was written on request, not at exit"),
            "{out}"
        );
        value["reason"] = "snapshot".into();
        let profile =
            crate::symbols::load::parse_profile(Path::new("/p.json"), value.to_string().as_bytes())
                .unwrap();
        let snapshot = text(
            &Report::build(&profile, ProgramInfo::from_profile(&profile)),
            &TextOptions::default(),
        );
        assert!(
            snapshot.contains(
                "\nnote: the profile was written as a snapshot (MEMLEAK_SNAPSHOT_SIGNAL) while \
                 the program ran on, not at exit"
            ),
            "{snapshot}"
        );
        assert!(
            out.contains(
                "\nnote: 3 allocations went untracked; the counts may be low by that much\n"
            ),
            "{out}"
        );
        assert!(
            out.ends_with("\n... 3 more sites: 10,496 bytes in 101 blocks\n"),
            "{out}"
        );
        let all = text(&report, &TextOptions::default());
        assert!(all.contains("\n#2  3,840 bytes in 60 blocks\n    ??  0x2000\n    leaky::main  examples/leaky.rs:37\n"), "{all}");
        assert!(
            all.contains(
                "\n#3  2,560 bytes in 40 blocks\n    leaky::leak_some  examples/leaky.rs:14\n"
            ),
            "{all}"
        );
    }
}
