//! Reading a profile: parsing (`docs/profile-format.md`, the types of `memleak_format`),
//! the checks that let everything above trust it, and the loaded [`Profile`](loaded::Profile).
//! Symbolization is the next layer's (`symbols`).

pub(crate) mod footprint;
pub(crate) mod loaded;
pub(crate) mod parse;
pub(crate) mod parse_error;
pub(crate) mod reach;
pub(crate) mod sampling;
pub(crate) mod symbol_warning;
pub(crate) mod timeline;
pub(crate) mod validate;
