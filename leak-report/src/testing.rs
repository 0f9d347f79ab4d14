//! Test support: profiles from the hand-written fixture, or built from short descriptions.

use std::path::Path;

use serde_json::{Value, json};

use crate::load::parse_profile;
use crate::profile::Profile;

/// The hand-written fixture shared with the integration tests: two leak sites (one of
/// them split over two profile sites with the same trimmed stack), stdout's buffer and
/// the main thread's handle (runtime), and a site with nothing live.
pub(crate) const LEAKY: &str = include_str!("../tests/fixtures/leaky.json");

/// The leaky fixture, loaded.
pub(crate) fn leaky() -> Profile {
    parse_profile(Path::new("/fixtures/leaky.json"), LEAKY.as_bytes()).expect("fixture loads")
}

/// A frame description: symbols innermost first, separated by `" | "`, each either
/// `function @ file:line` or `function`; an empty string is an unresolved frame.
fn frame(ip: u64, description: &str) -> Value {
    let symbols: Vec<Value> = description
        .split(" | ")
        .filter(|symbol| !symbol.is_empty())
        .map(|symbol| match symbol.split_once(" @ ") {
            Some((function, location)) => {
                let (file, line) = location.rsplit_once(':').expect("file:line");
                json!({"function": function, "file": file, "line": line.parse::<u64>().expect("line")})
            }
            None => json!({"function": symbol, "file": null, "line": null}),
        })
        .collect();
    json!({"ip": ip, "symbols": symbols})
}

/// A profile whose site `i` has the frames `sites[i].0` (innermost first, see [`frame`])
/// and one live block per size in `sites[i].1`.
pub(crate) fn profile(sites: &[(&[&str], &[u64])]) -> Profile {
    let mut frames = Vec::new();
    let mut site_values = Vec::new();
    let mut live = Vec::new();
    for (id, (descriptions, sizes)) in sites.iter().enumerate() {
        let mut indices = Vec::new();
        for description in *descriptions {
            indices.push(frames.len());
            frames.push(frame(0x1000 + 0x10 * frames.len() as u64, description));
        }
        site_values.push(json!({"id": id, "frames": indices}));
        for size in *sizes {
            live.push(json!({"size": size, "site": id}));
        }
    }
    let total = sites
        .iter()
        .flat_map(|(_, sizes)| sizes.iter())
        .fold(0_u64, |sum, size| sum.saturating_add(*size));
    let document = json!({
        "format": "memleak-profile",
        "version": 1,
        "exe": "/bin/prog",
        "args": ["/bin/prog"],
        "totals": {
            "allocated_bytes": total, "allocated_blocks": live.len(),
            "peak_live_bytes": total, "peak_live_blocks": live.len(),
        },
        "frames": frames,
        "sites": site_values,
        "live": live,
    });
    parse_profile(Path::new("/built.json"), document.to_string().as_bytes())
        .expect("built profile loads")
}

/// The start-up frames below `main` on Linux, outermost last.
pub(crate) const MAIN_STARTUP: &[&str] = &[
    "core::ops::function::FnOnce::call_once",
    "std::sys::backtrace::__rust_begin_short_backtrace",
    "std::rt::lang_start::{{closure}}",
    "std::rt::lang_start_internal",
    "main",
    "__libc_start_call_main",
    "__libc_start_main",
    "_start",
];

/// `frames` followed by [`MAIN_STARTUP`].
pub(crate) fn on_main<'a>(frames: &[&'a str]) -> Vec<&'a str> {
    frames.iter().chain(MAIN_STARTUP).copied().collect()
}
