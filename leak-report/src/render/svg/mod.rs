//! The SVG drawings: flamegraphs (through inferno) and the timeline chart.

pub(crate) mod diff;
pub(crate) mod flamegraph;
pub(crate) mod layers;
pub(crate) mod timeline;
