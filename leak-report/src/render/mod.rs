//! The renderers: free functions over the report model, one folder per output.

pub(crate) mod dhat;
pub(crate) mod diff;
pub(crate) mod folded;
pub(crate) mod format;
pub(crate) mod html;
pub(crate) mod json;
pub(crate) mod pprof;
pub(crate) mod svg;
pub(crate) mod text;
