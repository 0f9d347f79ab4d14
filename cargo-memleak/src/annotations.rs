//! GitHub Actions annotations: under `GITHUB_ACTIONS=true` (the runner sets it), one
//! `::error file=...,line=...::` line on stdout for each leak site that fails the command,
//! at the innermost frame inside the repository, so the leak shows on the lines of the
//! pull request that allocated it.

use std::io;
use std::path::{Path, PathBuf};

use leak_report::{Report, ReportSite, SiteKind};

use crate::env;
use crate::fail_on::FailOn;

/// The variable GitHub's runner sets to `true`.
pub(crate) const GITHUB_ACTIONS: &str = "GITHUB_ACTIONS";
/// The checkout's directory on the runner: annotation paths are relative to it.
pub(crate) const GITHUB_WORKSPACE: &str = "GITHUB_WORKSPACE";

/// GitHub shows at most 10 error annotations of a step; the rest are summed in one line.
const MAX_ANNOTATIONS: usize = 10;

/// Whether this runs as a GitHub Actions step.
pub(crate) fn enabled() -> bool {
    env::var_os(GITHUB_ACTIONS).is_some_and(|value| value == "true")
}

/// What annotation paths are relative to: the checkout (`GITHUB_WORKSPACE`), which may
/// hold the cargo workspace in a subdirectory; else the cargo workspace's root.
pub(crate) fn paths_root(workspace_root: &Path) -> PathBuf {
    env::var_os(GITHUB_WORKSPACE).map_or_else(|| workspace_root.to_owned(), PathBuf::from)
}

/// Writes the annotations of the sites `fail_on` fails, biggest first (the report's
/// order); file paths are made relative to `root` (see [`paths_root`]).
pub(crate) fn write_annotations(
    report: &Report,
    fail_on: FailOn,
    root: &Path,
    out: &mut dyn io::Write,
) -> io::Result<()> {
    let failing: Vec<&ReportSite> = report
        .sites()
        .iter()
        .filter(|site| fail_on.fails_site(site.kind))
        .collect();
    for site in failing.iter().take(MAX_ANNOTATIONS) {
        writeln!(out, "{}", annotation(report, site, root))?;
    }
    let more = failing.len().saturating_sub(MAX_ANNOTATIONS);
    if more > 0 {
        writeln!(
            out,
            "::error title=memleak::{more} more leak sites: see the report above"
        )?;
    }
    Ok(())
}

/// One `::error` line: the site's file and line when a frame lies in the workspace.
fn annotation(report: &Report, site: &ReportSite, root: &Path) -> String {
    let what = match site.kind {
        SiteKind::Definite => "definitely lost",
        SiteKind::Indirect => "indirectly lost",
        _ => "live at exit",
    };
    let allocator = site
        .stack
        .first()
        .map_or("??", |entry| entry.function.as_str());
    let message = format!(
        "{} bytes in {} block{} {what}, allocated in {allocator} ({})",
        site.bytes,
        site.blocks,
        if site.blocks == 1 { "" } else { "s" },
        report.program().name(),
    );
    let title = format!("memleak: {what}");
    let place = site
        .stack
        .iter()
        .find_map(|entry| in_workspace(entry.file.as_deref(), entry.line, root));
    match place {
        Some((file, line)) => format!(
            "::error file={},line={line},title={}::{}",
            escape_property(&file),
            escape_property(&title),
            escape_data(&message)
        ),
        None => format!(
            "::error title={}::{}",
            escape_property(&title),
            escape_data(&message)
        ),
    }
}

/// A frame's file relative to `root` and its line, when both are known and the file lies
/// under `root` (so not a dependency's or the standard library's).
fn in_workspace(file: Option<&str>, line: Option<u64>, root: &Path) -> Option<(String, u64)> {
    let relative = Path::new(file?).strip_prefix(root).ok()?;
    let line = line?;
    // GitHub wants forward slashes, whatever the build machine used.
    let parts: Vec<String> = relative
        .components()
        .map(|part| part.as_os_str().to_string_lossy().into_owned())
        .collect();
    Some((parts.join("/"), line))
}

/// GitHub's escaping of a message: `%`, carriage return and line feed.
fn escape_data(text: &str) -> String {
    text.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// GitHub's escaping of a property value: as a message, and `:` and `,` too.
fn escape_property(text: &str) -> String {
    escape_data(text).replace(':', "%3A").replace(',', "%2C")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_files_under_the_root_are_named_relative_to_it() {
        let root = Path::new("/work/app");
        assert_eq!(
            in_workspace(Some("/work/app/src/lib.rs"), Some(7), root),
            Some(("src/lib.rs".to_owned(), 7))
        );
        let dependency = "/home/u/.cargo/registry/src/dep-1.0.0/src/lib.rs";
        assert_eq!(in_workspace(Some(dependency), Some(3), root), None);
        assert_eq!(in_workspace(Some("/work/app/src/lib.rs"), None, root), None);
        assert_eq!(in_workspace(None, None, root), None);
    }

    #[test]
    fn messages_and_properties_are_escaped_as_github_reads_them() {
        assert_eq!(escape_data("50% lost\nsee: a, b"), "50%25 lost%0Asee: a, b");
        assert_eq!(escape_property("memleak: a, b"), "memleak%3A a%2C b");
    }
}
