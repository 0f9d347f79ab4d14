//! How a program is tracked: in-process, by the `TrackingAlloc` built into it, or by the
//! interposer preloaded as `malloc` (no change to the program, and C code's blocks too).
//! Chosen for each executable from its tracker marker unless `--mode` says.

use std::ffi::OsString;
use std::path::{Path, PathBuf};

use anyhow::Result;

use crate::env;
use crate::interposer::Interposer;
use crate::process::ProcessBuilder;
use crate::setup::uses_tracker;

/// `--mode`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum ModeChoice {
    /// In-process when the program has the tracker in it, else preloaded.
    #[default]
    Auto,
    /// The program's own `TrackingAlloc` (it must have the tracker in it).
    Inprocess,
    /// The interposer, preloaded as `malloc` (Linux).
    Preload,
}

impl ModeChoice {
    /// The mode named `name` (`--mode`'s values), if any.
    pub(crate) fn from_name(name: &str) -> Option<Self> {
        <Self as clap::ValueEnum>::from_str(name, false).ok()
    }
}

/// How one executable runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Tracking {
    /// Its `TrackingAlloc` records.
    InProcess,
    /// The interposer at this path records.
    Preload(PathBuf),
    /// Nothing can: a program without the tracker, with `--mode inprocess` or where there
    /// is no interposer.
    Untracked,
}

/// Chooses for `executable`, building the interposer when it is needed.
pub(crate) fn choose(
    choice: ModeChoice,
    executable: &Path,
    interposer: &mut Interposer,
) -> Result<Tracking> {
    // An unreadable executable fails to run anyway; in-process says less that is wrong.
    let has_tracker = uses_tracker(executable).unwrap_or(true);
    let preload_works = cfg!(target_os = "linux");
    Ok(match (choice, has_tracker) {
        (ModeChoice::Inprocess, false) => Tracking::Untracked,
        // Where there is no interposer, the lines to add are the way.
        (ModeChoice::Auto, false) if !preload_works => Tracking::Untracked,
        (ModeChoice::Inprocess | ModeChoice::Auto, true) => Tracking::InProcess,
        (ModeChoice::Preload, _) | (ModeChoice::Auto, false) => {
            Tracking::Preload(interposer.library()?)
        }
    })
}

impl Tracking {
    /// Sets up `command`, which runs `executable` (maybe through a runner), for this mode:
    /// under the interposer, `LD_PRELOAD` gets the library and `MEMLEAK_PRELOAD_EXE`
    /// names the program, so that a runner passes the library on without being tracked.
    pub(crate) fn apply(&self, command: &mut ProcessBuilder, executable: &Path) {
        let Self::Preload(library) = self else {
            return;
        };
        let mut preload = OsString::from(library);
        if let Some(existing) = env::var_os(env::LD_PRELOAD) {
            preload.push(":");
            preload.push(existing);
        }
        let program = executable
            .canonicalize()
            .unwrap_or_else(|_| executable.to_owned());
        command
            .env(env::LD_PRELOAD, preload)
            .env(env::MEMLEAK_PRELOAD_EXE, program);
    }
}
