//! Symbolization at report time: the profile's return addresses become functions, files
//! and lines, read from the binaries the module map names, each checked against the
//! build id the tracked process saw.

mod binary;
mod module_map;
mod resolve;

pub use module_map::{Module, Segment};
pub use resolve::SymbolWarning;
pub(crate) use resolve::symbolize;
