//! Reads `alloc-tracker` profiles and renders leak reports.
//!
//! API CONTRACT (skeleton; the leak-report helper fills in the bodies and may add items,
//! but must keep these signatures):
//!
//! - `load_profile(path) -> Result<Profile, Error>`
//! - `Report::build(&Profile, ProgramInfo) -> Report`
//! - `Report::has_leaks`, `leaked_bytes`, `leaked_blocks`
//! - `Report::write_text(&mut dyn Write, &TextOptions) -> io::Result<()>`
//! - `Report::to_json() -> serde_json::Value`, `Report::write_json(&mut dyn Write)`
//! - `Report::write_live_flamegraph(&mut dyn Write) -> Result<(), Error>`
#![forbid(unsafe_code)]

use std::io;
use std::path::Path;

/// Errors.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Placeholder.
    #[error("failed to read profile {path}")]
    Io {
        /// The file.
        path: std::path::PathBuf,
        /// The cause.
        #[source]
        source: io::Error,
    },
}

/// A loaded profile.
#[derive(Debug)]
pub struct Profile {}

/// Loads and validates a profile.
///
/// # Errors
/// When the file is unreadable, not a profile, truncated or of a newer version.
pub fn load_profile(path: &Path) -> Result<Profile, Error> {
    let _ = path;
    unimplemented!()
}

/// What ran.
#[derive(Debug, Clone, Default)]
pub struct ProgramInfo {
    /// Executable path.
    pub exe: String,
    /// Arguments, argv[0] first.
    pub args: Vec<String>,
    /// Exit code; `None` when killed by a signal or unknown.
    pub exit_code: Option<i32>,
}

impl ProgramInfo {
    /// exe and args from the profile, exit code unknown.
    #[must_use]
    pub fn from_profile(profile: &Profile) -> Self {
        let _ = profile;
        unimplemented!()
    }
}

/// Text rendering options.
#[derive(Debug, Clone)]
pub struct TextOptions {
    /// ANSI colour.
    pub color: bool,
    /// Sites shown.
    pub max_sites: usize,
    /// Frames shown per site.
    pub max_frames: usize,
}

impl Default for TextOptions {
    fn default() -> Self {
        Self { color: false, max_sites: 20, max_frames: 12 }
    }
}

/// An analysed profile.
#[derive(Debug)]
pub struct Report {}

impl Report {
    /// Classifies and aggregates.
    #[must_use]
    pub fn build(profile: &Profile, program: ProgramInfo) -> Self {
        let _ = (profile, program);
        unimplemented!()
    }
    /// Whether any non-runtime block was live at exit.
    #[must_use]
    pub fn has_leaks(&self) -> bool {
        unimplemented!()
    }
    /// Leaked bytes.
    #[must_use]
    pub fn leaked_bytes(&self) -> u64 {
        unimplemented!()
    }
    /// Leaked blocks.
    #[must_use]
    pub fn leaked_blocks(&self) -> u64 {
        unimplemented!()
    }
    /// Text report.
    ///
    /// # Errors
    /// Write errors.
    pub fn write_text(&self, out: &mut dyn io::Write, options: &TextOptions) -> io::Result<()> {
        let _ = (out, options);
        unimplemented!()
    }
    /// report.json as a value.
    #[must_use]
    pub fn to_json(&self) -> serde_json::Value {
        unimplemented!()
    }
    /// report.json, pretty.
    ///
    /// # Errors
    /// Write errors.
    pub fn write_json(&self, out: &mut dyn io::Write) -> io::Result<()> {
        let _ = out;
        unimplemented!()
    }
    /// live-at-exit flamegraph SVG.
    ///
    /// # Errors
    /// Write errors.
    pub fn write_live_flamegraph(&self, out: &mut dyn io::Write) -> Result<(), Error> {
        let _ = out;
        unimplemented!()
    }
}
