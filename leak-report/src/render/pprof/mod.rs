//! The pprof export: the schema's messages, and the profile written in them.

pub(crate) mod proto;
pub(crate) mod write;
