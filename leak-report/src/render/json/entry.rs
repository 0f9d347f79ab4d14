//! A stack entry in `report.json`, shared by the sites, the growth and the layers.

use serde::Serialize;

use crate::symbols::entry::StackEntry;

/// `{"function", "file", "line"}`, plus `"ip"` for an unresolved entry.
#[derive(Serialize)]
pub(crate) struct WireEntry<'a> {
    function: &'a str,
    file: Option<&'a str>,
    line: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    ip: Option<u64>,
}

impl<'a> From<&'a StackEntry> for WireEntry<'a> {
    fn from(entry: &'a StackEntry) -> Self {
        Self {
            function: &entry.function,
            file: entry.file.as_deref(),
            line: entry.line,
            ip: entry.ip,
        }
    }
}
