//! How this command builds and shows reports: the suppressions of `memleak.toml` (or
//! `--config FILE`), `--show-reachable` and `--fail-on`. Chosen once, when the command starts, and
//! read wherever a report is built (the test runner builds many).

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use anyhow::Context as _;
use leak_report::{Profile, ProgramInfo, Report, Suppressions};

use crate::exit_code::{Failure, ResultExt as _, SETUP_ERROR};
use crate::fail_on::FailOn;
use crate::term::say;

/// The suppression file looked for at the workspace root.
pub(crate) const CONFIG_FILE: &str = "memleak.toml";

/// The settings of this run.
#[derive(Debug, Default)]
pub(crate) struct Settings {
    pub(crate) suppressions: Suppressions,
    pub(crate) show_reachable: bool,
    pub(crate) fail_on: FailOn,
}

static SETTINGS: OnceLock<Settings> = OnceLock::new();

/// Loads the suppressions from `explicit`, else from `memleak.toml` in `root` if there is
/// one, and makes them this command's settings. A malformed file is a setup error that
/// names the file and the line.
pub(crate) fn install(
    explicit: Option<&Path>,
    root: Option<&Path>,
    show_reachable: bool,
    fail_on: FailOn,
) -> Result<(), Failure> {
    let path: Option<PathBuf> = match explicit {
        Some(path) => Some(path.to_owned()),
        None => root
            .map(|root| root.join(CONFIG_FILE))
            .filter(|path| path.is_file()),
    };
    let suppressions = match &path {
        Some(path) => {
            let loaded = Suppressions::load(path)
                .with_context(|| format!("failed to load suppressions from {}", path.display()))
                .exit_code(SETUP_ERROR)?;
            if explicit.is_none() {
                say(format_args!("using suppressions from {}", path.display()));
            }
            loaded
        }
        None => Suppressions::default(),
    };
    let _ = SETTINGS.set(Settings {
        suppressions,
        show_reachable,
        fail_on,
    });
    Ok(())
}

/// This command's settings (the defaults until [`install`]).
pub(crate) fn get() -> &'static Settings {
    SETTINGS.get_or_init(Settings::default)
}

/// Classifies a profile with this command's suppressions.
pub(crate) fn build_report(profile: &Profile, program: ProgramInfo) -> Report {
    Report::build_with(profile, program, &get().suppressions)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_malformed_file_names_itself_and_its_line() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("bad.toml");
        std::fs::write(
            &path,
            "[[suppress]]\nfunction = \"a::*\"\ncolour = \"red\"\n",
        )
        .unwrap();
        let failure = install(Some(&path), None, false, FailOn::default()).unwrap_err();
        let text = format!("{failure:?}");
        assert!(
            text.contains("bad.toml") && text.contains("line 3"),
            "{text}"
        );
    }
}
