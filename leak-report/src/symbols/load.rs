//! Loading a profile as the analysis needs it: read and parsed, validated (the `profile`
//! layer), then its frames symbolized from the binaries of its module map. Never panics,
//! whatever the bytes.

use std::path::Path;

use crate::error::Error;
use crate::profile::loaded::{Profile, Raw};
use crate::profile::parse::{parse_document, read};
use crate::profile::validate::validate;
use crate::symbols::resolve::symbolize;

/// Loads, validates and symbolizes a profile.
///
/// # Errors
/// When the file is unreadable, not a profile, truncated or of a newer version, lacks a
/// field the format requires or has one of the wrong type, refers to frames, sites or
/// blocks that are not there, or has reachability fields that do not hold together (see
/// [`Profile`]). The error names the file and the field. A binary that cannot be used for
/// symbols is not an error: see [`Profile::symbol_warnings`].
pub fn load_profile(path: &Path) -> Result<Profile, Error> {
    parse_profile(path, &read(path)?)
}

/// Parses, validates and symbolizes a profile already in memory; `path` names it in
/// errors (and, for a binary without a build id, its modification time is compared with
/// the profile's).
///
/// # Errors
/// As [`load_profile`], except for reading the file.
pub fn parse_profile(path: &Path, bytes: &[u8]) -> Result<Profile, Error> {
    profile_from_raw(path, parse_document(path, bytes)?)
}

/// A profile from a document parsed (or, in tests, built in memory): validated, then
/// symbolized.
pub(crate) fn profile_from_raw(path: &Path, mut raw: Raw) -> Result<Profile, Error> {
    let site_index = validate(path, &mut raw)?;
    let symbol_warnings = symbolize(path, &mut raw);
    Ok(Profile::new(
        path.to_owned(),
        raw,
        site_index,
        symbol_warnings,
    ))
}
