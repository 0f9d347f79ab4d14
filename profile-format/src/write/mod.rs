//! Writing profiles: JSON text by hand (no dependencies, nothing allocated but what the
//! caller hands in), streamed section by section so that a million live blocks never
//! sit in memory as JSON.

mod footprint;
mod json;
mod profile;
mod timeline;

pub use profile::{ProfileWriter, write_document};
