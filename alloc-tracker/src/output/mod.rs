//! The profile writer (`docs/profile-format.md`): plain data in, JSON out, streamed.

pub(crate) mod footprint_json;
pub(crate) mod json_text;
pub(crate) mod profile_json;
pub(crate) mod timeline_json;
