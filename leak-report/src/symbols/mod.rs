//! Stacks and symbols: the profile's return addresses become functions, files and lines
//! (read from the binaries the module map names, each checked against the build id the
//! tracked process saw), and each site's stack is expanded into its inlined functions and
//! trimmed of the allocator's plumbing and the runtime's start-up.

mod binary;
pub(crate) mod entry;
pub(crate) mod load;
pub(crate) mod own_allocator;
pub(crate) mod plumbing;
mod resolve;
pub(crate) mod runtime;
pub(crate) mod stack;

pub use crate::profile::symbol_warning::SymbolWarning;
pub use memleak_format::{Module, Segment};
