//! Helpers shared by the scenario binaries (each includes this file as a module).
#![allow(
    dead_code,
    reason = "each scenario binary uses a different part of these helpers"
)]

use serde_json::Value;

/// Loads a profile written by the tracker, as JSON, with each frame's `symbols` filled
/// in by leak-report (which must also accept the file).
pub(crate) fn load(path: &std::path::Path) -> Value {
    let text =
        std::fs::read_to_string(path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));
    let mut value: Value =
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("parsing {}: {e}", path.display()));
    let loaded = leak_report::load_profile(path)
        .unwrap_or_else(|e| panic!("leak-report rejects {}: {e}", path.display()));
    assert!(
        loaded.symbol_warnings().is_empty(),
        "{:?}",
        loaded.symbol_warnings()
    );
    for (i, frame) in loaded.frames().iter().enumerate() {
        let symbols: Vec<Value> = frame
            .symbols
            .iter()
            .map(|s| serde_json::json!({"function": s.function, "file": s.file, "line": s.line}))
            .collect();
        value["frames"][i]["symbols"] = Value::from(symbols);
    }
    value
}

/// Every function name on a site's stack, inlined frames included.
pub(crate) fn site_functions(profile: &Value, site: &Value) -> Vec<String> {
    let frames = profile["frames"].as_array().expect("frames");
    site["frames"]
        .as_array()
        .expect("site frames")
        .iter()
        .filter_map(|index| frames.get(usize::try_from(index.as_u64()?).ok()?))
        .flat_map(|frame| frame["symbols"].as_array().cloned().unwrap_or_default())
        .filter_map(|symbol| symbol["function"].as_str().map(str::to_owned))
        .collect()
}

/// Sums a counter over the sites whose stack contains `function`.
pub(crate) fn sum_for(profile: &Value, function: &str, counter: &str) -> u64 {
    profile["sites"]
        .as_array()
        .expect("sites")
        .iter()
        .filter(|site| {
            site_functions(profile, site)
                .iter()
                .any(|f| f.ends_with(function))
        })
        .map(|site| site[counter].as_u64().expect("counter"))
        .sum()
}
