//! Test support shared by the unit tests (`src/testing.rs` includes this file) and the
//! integration tests: hand-written profile documents name only the fields a test is
//! about; this fills in every other field a profile must have, with zeros.

use serde_json::{Value, json};

/// Fills the required fields `document` lacks: `pid` and `elapsed_ns`, every `totals`
/// counter, every site counter, every live block's address, alignment, birth and thread,
/// and the scan's figures when it has a `reachability` object. Present fields are kept.
pub(crate) fn complete(document: &mut Value) {
    fill(document, &["pid", "elapsed_ns"]);
    if document.get("totals").is_none() {
        document["totals"] = json!({});
    }
    fill(
        &mut document["totals"],
        &[
            "allocated_bytes",
            "allocated_blocks",
            "freed_bytes",
            "freed_blocks",
            "reallocs",
            "live_bytes",
            "live_blocks",
            "peak_live_bytes",
            "peak_live_blocks",
            "unknown_frees",
            "untracked_allocs",
            "overhead_allocs",
        ],
    );
    for site in document["sites"].as_array_mut().into_iter().flatten() {
        fill(
            site,
            &[
                "allocated_bytes",
                "allocated_blocks",
                "freed_blocks",
                "live_bytes",
                "live_blocks",
                "peak_live_bytes",
                "reallocs",
            ],
        );
    }
    for block in document["live"].as_array_mut().into_iter().flatten() {
        fill(block, &["addr", "align", "birth_ns", "thread"]);
    }
    if document["reachability"].is_object() {
        fill(
            &mut document["reachability"],
            &["scan_ns", "root_bytes", "bytes_scanned", "threads"],
        );
    }
}

fn fill(object: &mut Value, fields: &[&str]) {
    let Some(object) = object.as_object_mut() else {
        return;
    };
    for field in fields {
        object.entry(*field).or_insert(json!(0));
    }
}
