//! The one error type of the crate: what is wrong with a profile or a suppressions file,
//! and where.

use std::io;
use std::path::{Path, PathBuf};

/// Why a profile or a suppressions file could not be loaded, or a report not written.
///
/// Every variant names the file it is about: the profile, or the suppressions file. The messages are lowercase, have no trailing
/// period and read well after "error: "; the CLI prints them with their source chain.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The file could not be read at all (missing, a directory, no permission).
    #[error("failed to read profile {}", .path.display())]
    Io {
        /// The profile file.
        path: PathBuf,
        /// The cause.
        #[source]
        source: io::Error,
    },

    /// The file holds nothing but whitespace.
    #[error(
        "profile {} is empty: the program probably died before the tracker wrote it",
        .path.display()
    )]
    Empty {
        /// The profile file.
        path: PathBuf,
    },

    /// The JSON stops in the middle: the writer was interrupted or the file was cut.
    #[error(
        "profile {} is truncated: the JSON ends early at line {line}, column {column}",
        .path.display()
    )]
    Truncated {
        /// The profile file.
        path: PathBuf,
        /// Line of the end of the input (1-based).
        line: usize,
        /// Column of the end of the input (1-based).
        column: usize,
    },

    /// The file is not JSON, or is corrupt (bad syntax, invalid UTF-8, trailing bytes).
    #[error(
        "profile {} is not valid JSON: {message} at line {line}, column {column}",
        .path.display()
    )]
    Corrupt {
        /// The profile file.
        path: PathBuf,
        /// What the parser found wrong.
        message: String,
        /// Line of the error (1-based).
        line: usize,
        /// Column of the error (1-based).
        column: usize,
    },

    /// The file is JSON but not a `memleak-profile`.
    #[error(
        "{} is not a memleak profile: expected format \"memleak-profile\", found {found}",
        .path.display()
    )]
    WrongFormat {
        /// The profile file.
        path: PathBuf,
        /// What was there instead: the `format` value as JSON, or a description.
        found: String,
    },

    /// A `report.json` given to compare is not one this crate reads.
    #[error("{} is not a memleak report.json this cargo-memleak reads: {message}", .path.display())]
    InvalidReport {
        /// The file.
        path: PathBuf,
        /// What is wrong with it.
        message: String,
    },

    /// The profile was written by a newer tracker than this reader knows.
    #[error(
        "profile {} has format version {found}, but this cargo-memleak reads versions up to \
         {supported}: upgrade cargo-memleak",
        .path.display()
    )]
    UnsupportedVersion {
        /// The profile file.
        path: PathBuf,
        /// The version in the file.
        found: u64,
        /// The newest version this crate reads.
        supported: u64,
    },

    /// A field the report needs is absent.
    #[error("profile {} is missing the field `{field}`", .path.display())]
    MissingField {
        /// The profile file.
        path: PathBuf,
        /// Where the field belongs, e.g. `totals.peak_live_bytes` or `sites[3].frames`.
        field: String,
    },

    /// A field has the wrong type or an impossible value.
    #[error("profile {} has an invalid field `{field}`: {message}", .path.display())]
    InvalidField {
        /// The profile file.
        path: PathBuf,
        /// The field, e.g. `live[12].size`.
        field: String,
        /// What is wrong with it.
        message: String,
    },

    /// A site refers to a frame index past the end of `frames`.
    #[error(
        "profile {} is inconsistent: sites[{site}].frames[{position}] is frame index {frame}, \
         but `frames` has only {frames} entries",
        .path.display()
    )]
    DanglingFrame {
        /// The profile file.
        path: PathBuf,
        /// Index of the site in `sites`.
        site: usize,
        /// Position of the bad index in that site's `frames`.
        position: usize,
        /// The out-of-range frame index.
        frame: u64,
        /// How many frames the profile has.
        frames: usize,
    },

    /// A live block refers to a site id that no entry of `sites` has.
    #[error(
        "profile {} is inconsistent: live[{block}].site is site id {site}, but no entry of \
         `sites` has that id",
        .path.display()
    )]
    DanglingSite {
        /// The profile file.
        path: PathBuf,
        /// Index of the block in `live`.
        block: usize,
        /// The unknown site id.
        site: u64,
    },

    /// Two sites share one id, so live blocks cannot be attributed.
    #[error(
        "profile {} is inconsistent: sites[{index}] repeats site id {id}",
        .path.display()
    )]
    DuplicateSite {
        /// The profile file.
        path: PathBuf,
        /// Index in `sites` of the second entry with the id.
        index: usize,
        /// The repeated id.
        id: u64,
    },

    /// A live block's `refs` names a block index past the end of `live`.
    #[error(
        "profile {} is inconsistent: live[{block}].refs[{position}] is block index {target}, \
         but `live` has only {blocks} entries",
        .path.display()
    )]
    DanglingRef {
        /// The profile file.
        path: PathBuf,
        /// Index of the block in `live`.
        block: usize,
        /// Position of the bad index in its `refs`.
        position: usize,
        /// The out-of-range block index.
        target: u64,
        /// How many live blocks the profile has.
        blocks: usize,
    },

    /// The suppressions file could not be read.
    #[error("failed to read suppressions file {}", .path.display())]
    SuppressionsIo {
        /// The suppressions file.
        path: PathBuf,
        /// The cause.
        #[source]
        source: io::Error,
    },

    /// The suppressions file is not valid TOML, or not a valid list of suppressions.
    #[error(
        "suppressions file {} is invalid{}: {message}",
        .path.display(),
        .line.map(|line| format!(" at line {line}")).unwrap_or_default()
    )]
    InvalidSuppressions {
        /// The suppressions file.
        path: PathBuf,
        /// The line of the problem (1-based), when known.
        line: Option<usize>,
        /// What is wrong.
        message: String,
    },

    /// Rendering or writing the flamegraph failed.
    #[error("failed to write the flamegraph for profile {}", .path.display())]
    Flamegraph {
        /// The profile the report was built from.
        path: PathBuf,
        /// The cause.
        #[source]
        source: io::Error,
    },

    /// Writing the timeline chart failed.
    #[error("failed to write the timeline chart for profile {}", .path.display())]
    Chart {
        /// The profile the report was built from.
        path: PathBuf,
        /// The cause.
        #[source]
        source: io::Error,
    },
}

impl Error {
    /// The file the error is about: the profile, or the suppressions file.
    #[must_use]
    pub fn path(&self) -> &Path {
        match self {
            Self::Io { path, .. }
            | Self::Empty { path }
            | Self::Truncated { path, .. }
            | Self::Corrupt { path, .. }
            | Self::WrongFormat { path, .. }
            | Self::UnsupportedVersion { path, .. }
            | Self::MissingField { path, .. }
            | Self::InvalidField { path, .. }
            | Self::DanglingFrame { path, .. }
            | Self::DanglingSite { path, .. }
            | Self::DuplicateSite { path, .. }
            | Self::DanglingRef { path, .. }
            | Self::SuppressionsIo { path, .. }
            | Self::InvalidSuppressions { path, .. }
            | Self::InvalidReport { path, .. }
            | Self::Flamegraph { path, .. }
            | Self::Chart { path, .. } => path,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_name_the_file_and_are_lowercase_without_period() {
        let path = PathBuf::from("/tmp/p.json");
        let errors = [
            Error::Io {
                path: path.clone(),
                source: io::Error::other("boom"),
            },
            Error::Empty { path: path.clone() },
            Error::Truncated {
                path: path.clone(),
                line: 1,
                column: 2,
            },
            Error::Corrupt {
                path: path.clone(),
                message: "expected value".into(),
                line: 1,
                column: 1,
            },
            Error::WrongFormat {
                path: path.clone(),
                found: "\"other\"".into(),
            },
            Error::UnsupportedVersion {
                path: path.clone(),
                found: 2,
                supported: 1,
            },
            Error::MissingField {
                path: path.clone(),
                field: "totals".into(),
            },
            Error::InvalidField {
                path: path.clone(),
                field: "pid".into(),
                message: "x".into(),
            },
            Error::DanglingFrame {
                path: path.clone(),
                site: 0,
                position: 1,
                frame: 9,
                frames: 2,
            },
            Error::DanglingSite {
                path: path.clone(),
                block: 0,
                site: 7,
            },
            Error::DuplicateSite {
                path: path.clone(),
                index: 1,
                id: 0,
            },
            Error::DanglingRef {
                path: path.clone(),
                block: 1,
                position: 0,
                target: 9,
                blocks: 2,
            },
            Error::SuppressionsIo {
                path: path.clone(),
                source: io::Error::other("boom"),
            },
            Error::InvalidSuppressions {
                path: path.clone(),
                line: Some(3),
                message: "x".into(),
            },
            Error::InvalidSuppressions {
                path: path.clone(),
                line: None,
                message: "x".into(),
            },
            Error::Flamegraph {
                path: path.clone(),
                source: io::Error::other("boom"),
            },
            Error::Chart {
                path: path.clone(),
                source: io::Error::other("boom"),
            },
        ];
        for error in &errors {
            let message = error.to_string();
            assert!(message.contains("/tmp/p.json"), "{message}");
            assert!(!message.ends_with('.'), "{message}");
            let first = message.chars().next().unwrap();
            assert!(!first.is_uppercase(), "{message}");
            assert_eq!(error.path(), path);
        }
    }
}
