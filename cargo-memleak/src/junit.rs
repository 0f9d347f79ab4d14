//! `--junit PATH`: JUnit XML, which CI systems (GitLab, Jenkins, Azure, GitHub through
//! test-report actions) show as a list of tests. For `cargo memleak test`, one suite per
//! test binary and one case per test, failed when the test leaked; for `run`, one case
//! for the program. Failures carry the leak in words and the top frames of the leak
//! sites.

use std::fmt::Write as _;
use std::fs;
use std::path::Path;

use anyhow::Context as _;
use leak_report::{Report, ReportSite, StackEntry};

use crate::exit_code::{Failure, ResultExt as _, SETUP_ERROR};
use crate::fail_on::FailOn;

/// How many leak sites a failure lists, and how many frames of each.
const SITES: usize = 5;
const FRAMES: usize = 4;

/// A `<testsuite>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Suite {
    pub(crate) name: String,
    pub(crate) cases: Vec<Case>,
}

/// A `<testcase>`: passed, skipped, or failed with a message and a text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Case {
    pub(crate) name: String,
    pub(crate) failure: Option<(String, String)>,
    pub(crate) skipped: bool,
}

impl Case {
    /// A case that passed.
    pub(crate) fn passed(name: &str) -> Self {
        Self {
            name: name.to_owned(),
            failure: None,
            skipped: false,
        }
    }

    /// A case that did not run (an ignored test).
    pub(crate) fn skipped(name: &str) -> Self {
        Self {
            skipped: true,
            ..Self::passed(name)
        }
    }

    /// A case that failed: `message` in a line, `text` with the details.
    pub(crate) fn failed(name: &str, message: String, text: String) -> Self {
        Self {
            name: name.to_owned(),
            failure: Some((message, text)),
            skipped: false,
        }
    }
}

/// Writes the suites to `path`; a path that cannot be written is a setup error naming it.
pub(crate) fn write(path: &Path, suites: &[Suite]) -> Result<(), Failure> {
    fs::write(path, render(suites))
        .with_context(|| format!("failed to write the JUnit report {}", path.display()))
        .exit_code(SETUP_ERROR)?;
    crate::term::say(format_args!("wrote {}", path.display()));
    Ok(())
}

/// The XML document.
pub(crate) fn render(suites: &[Suite]) -> String {
    let count = |failed: bool| {
        suites
            .iter()
            .flat_map(|suite| &suite.cases)
            .filter(|case| case.failure.is_some() == failed)
            .count()
    };
    let (failures, passed) = (count(true), count(false));
    let skipped = suites
        .iter()
        .flat_map(|suite| &suite.cases)
        .filter(|case| case.skipped)
        .count();
    let mut xml = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(
        xml,
        "<testsuites name=\"cargo memleak\" tests=\"{}\" failures=\"{failures}\" errors=\"0\" skipped=\"{skipped}\">",
        failures + passed
    );
    for suite in suites {
        let failures = suite.cases.iter().filter(|c| c.failure.is_some()).count();
        let skipped = suite.cases.iter().filter(|c| c.skipped).count();
        let _ = writeln!(
            xml,
            "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{failures}\" errors=\"0\" skipped=\"{skipped}\">",
            escape(&suite.name),
            suite.cases.len()
        );
        for case in &suite.cases {
            let _ = write!(
                xml,
                "    <testcase name=\"{}\" classname=\"{}\"",
                escape(&case.name),
                escape(&suite.name)
            );
            match &case.failure {
                None if case.skipped => xml.push_str(">\n      <skipped/>\n    </testcase>\n"),
                None => xml.push_str("/>\n"),
                Some((message, text)) => {
                    let _ = writeln!(
                        xml,
                        ">\n      <failure message=\"{}\" type=\"memleak\">{}</failure>\n    </testcase>",
                        escape(message),
                        escape(text)
                    );
                }
            }
        }
        xml.push_str("  </testsuite>\n");
    }
    xml.push_str("</testsuites>\n");
    xml
}

/// Text and attribute values: the five XML escapes, and characters XML 1.0 forbids
/// (control characters but tab and newline, from a test's name or a frame) as `?`.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' | '\n' => out.push(c),
            '\r' => out.push_str("&#13;"),
            c if c.is_control() || matches!(c, '\u{fffe}' | '\u{ffff}') => out.push('?'),
            c => out.push(c),
        }
    }
    out
}

/// The leak sites of `report` that `fail_on` fails, biggest first: for each, its amount
/// and kind, then its top frames (`function (file:line)`), paths relative to `root`.
pub(crate) fn leak_sites_text(report: &Report, fail_on: FailOn, root: &Path) -> String {
    let sites: Vec<&ReportSite> = report
        .sites()
        .iter()
        .filter(|site| fail_on.fails_site(site.kind))
        .collect();
    let mut text = String::new();
    for site in sites.iter().take(SITES) {
        let _ = writeln!(
            text,
            "{} in {} ({}), allocated at:",
            plural(site.bytes, "byte"),
            plural(site.blocks, "block"),
            site.kind.as_str()
        );
        for entry in site.stack.iter().take(FRAMES) {
            let _ = writeln!(text, "    {}", frame(entry, root));
        }
        if site.stack.len() > FRAMES {
            text.push_str("    ...\n");
        }
    }
    if sites.len() > SITES {
        let _ = writeln!(text, "and {} more leak sites", sites.len() - SITES);
    }
    text
}

/// `function (file:line)`, the file relative to `root` when inside it.
fn frame(entry: &StackEntry, root: &Path) -> String {
    let Some(file) = &entry.file else {
        return entry.function.clone();
    };
    let file = Path::new(file)
        .strip_prefix(root)
        .map_or_else(|_| file.clone(), |relative| relative.display().to_string());
    match entry.line {
        Some(line) => format!("{} ({file}:{line})", entry.function),
        None => format!("{} ({file})", entry.function),
    }
}

/// `1 byte`, `2 bytes`.
fn plural(count: u64, word: &str) -> String {
    let suffix = if count == 1 { "" } else { "s" };
    format!("{count} {word}{suffix}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suites_render_as_junit_with_counts_and_escapes() {
        let suites = [
            Suite {
                name: "lib<1>".to_owned(),
                cases: vec![
                    Case::failed(
                        "tests::leaks",
                        "leaked 1000 bytes in 1 block".to_owned(),
                        "a & b \"quoted\" 'x'\u{1}\n".to_owned(),
                    ),
                    Case::passed("tests::frees"),
                    Case::skipped("tests::ignored"),
                ],
            },
            Suite {
                name: "empty".to_owned(),
                cases: vec![],
            },
        ];
        let xml = render(&suites);
        assert!(
            xml.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites"),
            "{xml}"
        );
        assert!(
            xml.contains(
                "<testsuites name=\"cargo memleak\" tests=\"3\" failures=\"1\" errors=\"0\" skipped=\"1\">"
            ),
            "{xml}"
        );
        assert!(
            xml.contains("<testsuite name=\"lib&lt;1&gt;\" tests=\"3\" failures=\"1\" errors=\"0\" skipped=\"1\">"),
            "{xml}"
        );
        assert!(
            xml.contains("<testcase name=\"tests::ignored\" classname=\"lib&lt;1&gt;\">\n      <skipped/>\n    </testcase>"),
            "{xml}"
        );
        assert!(
            xml.contains("<testcase name=\"tests::frees\" classname=\"lib&lt;1&gt;\"/>"),
            "{xml}"
        );
        assert!(
            xml.contains(
                "<failure message=\"leaked 1000 bytes in 1 block\" type=\"memleak\">a &amp; b &quot;quoted&quot; &apos;x&apos;?\n</failure>"
            ),
            "{xml}"
        );
        assert!(
            xml.contains("<testsuite name=\"empty\" tests=\"0\" failures=\"0\""),
            "{xml}"
        );
        assert!(xml.ends_with("</testsuites>\n"));
    }
}
