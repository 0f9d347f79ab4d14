//! The text report for people.

pub(crate) mod growth;
pub(crate) mod header;
pub(crate) mod memory;
pub(crate) mod memory_notes;
pub(crate) mod sections;
pub(crate) mod write;
pub(crate) mod writer;
