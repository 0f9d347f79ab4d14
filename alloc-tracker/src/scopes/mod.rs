//! The in-test API: memory checks around a closure, exact per thread under libtest's
//! parallel runner (`hot::scope` does the counting).

pub(crate) mod checks;
pub(crate) mod future;
pub(crate) mod heap_stats;
pub(crate) mod leaks;
pub(crate) mod open;
mod runtime;
pub(crate) mod symbols;
