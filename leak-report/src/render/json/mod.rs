//! `report.json` (`docs/report-json.md`).

pub(crate) mod entry;
pub(crate) mod memory;
pub(crate) mod report;
