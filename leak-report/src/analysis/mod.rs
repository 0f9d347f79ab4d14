//! What each block live at exit is (definite, indirect, reachable, runtime), cycles,
//! suppressions, groups by trimmed stack, per-thread sums and growth over the run.

pub(crate) mod cycles;
pub(crate) mod findings;
pub(crate) mod graph;
pub(crate) mod groups;
pub(crate) mod growth;
pub(crate) mod kinds;
pub(crate) mod summary;
pub(crate) mod suppress;
