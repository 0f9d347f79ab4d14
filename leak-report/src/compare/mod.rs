//! Comparing two runs: each run's figures by stack, and what changed.

pub(crate) mod diff;
pub(crate) mod side;
