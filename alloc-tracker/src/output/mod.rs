//! The profile writer: the tracker's snapshot, as the profile format's types
//! (`memleak_format`), through the format's own streaming writer.

pub(crate) mod convert;
pub(crate) mod profile_json;
