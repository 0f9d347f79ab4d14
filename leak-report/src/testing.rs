//! Test support: profiles from the hand-written fixture, or built from short descriptions.

use std::path::Path;

use serde_json::{Value, json};

use crate::profile::loaded::Profile;
use crate::symbols::load::parse_profile;

#[path = "../tests/common/complete.rs"]
mod complete;
pub(crate) use complete::complete;

/// The hand-written fixture shared with the integration tests: two leak sites (one of
/// them split over two profile sites with the same trimmed stack), stdout's buffer and
/// the main thread's handle (runtime), and a site with nothing live.
pub(crate) const LEAKY: &str = include_str!("../tests/fixtures/leaky.json");

/// The leaky fixture, loaded.
pub(crate) fn leaky() -> Profile {
    parse_profile(Path::new("/fixtures/leaky.json"), LEAKY.as_bytes()).expect("fixture loads")
}

/// A footprint with every field known (the real `leaky` example's numbers, cgroup v2
/// with a `memory.high`), pressure `full` null.
pub(crate) fn full() -> Value {
    json!({"source": "smaps_rollup", "rss": 3_678_208, "anonymous": 286_720,
           "file_backed": 3_391_488, "swap": 0,
           "mem_available": 24_652_361_728_u64, "mem_total": 25_276_510_208_u64,
           "malloc": {"in_use": 42288, "free": 92880, "mmapped": 0},
           "pressure": {"level": "normal",
                        "some": {"avg10": 0.25, "avg60": 1.5, "avg300": 0.0, "total_us": 77},
                        "full": null},
           "cgroup": {"version": 2, "current": 406_138_880, "limit": "max",
                      "high": 1_073_741_824, "peak": 484_724_736, "oom": 0,
                      "oom_kill": 0, "failcnt": null}})
}

/// The leaky fixture's text with `footprint` set (left absent when `None`).
pub(crate) fn leaky_with(footprint: Option<Value>) -> String {
    let mut value: Value = serde_json::from_str(LEAKY).expect("fixture parses");
    if let Some(footprint) = footprint {
        value["footprint"] = footprint;
    }
    value.to_string()
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
    let stacks: Vec<&[&str]> = sites.iter().map(|(frames, _)| *frames).collect();
    let live: Vec<Value> = sites
        .iter()
        .enumerate()
        .flat_map(|(id, (_, sizes))| {
            sizes
                .iter()
                .map(move |size| json!({"size": size, "site": id}))
        })
        .collect();
    let total = sites
        .iter()
        .flat_map(|(_, sizes)| sizes.iter())
        .fold(0_u64, |sum, size| sum.saturating_add(*size));
    let mut document = document(&stacks, live, total);
    complete(&mut document);
    parse_profile(Path::new("/built.json"), document.to_string().as_bytes())
        .expect("built profile loads")
}

/// A profile document whose site `i` has the frames `stacks[i]` (innermost first, see
/// [`frame`]) and whose live blocks, `total` bytes in all, are `live`.
fn document(stacks: &[&[&str]], live: Vec<Value>, total: u64) -> Value {
    let mut frames = Vec::new();
    let mut site_values = Vec::new();
    for (id, descriptions) in stacks.iter().enumerate() {
        let mut indices = Vec::new();
        for description in *descriptions {
            indices.push(frames.len());
            frames.push(frame(0x1000 + 0x10 * frames.len() as u64, description));
        }
        site_values.push(json!({"id": id, "frames": indices}));
    }
    json!({
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
    })
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

/// A live block of a scanned profile: its site's index, size, whether it is reachable,
/// and its `refs`.
pub(crate) type ScanBlock<'a> = (usize, u64, bool, &'a [u64]);

/// The JSON of a scanned profile: site `i` has the frames `sites[i]` (innermost first, see
/// [`frame`]); every block is one of `blocks`. Unreachable blocks carry their `refs`.
pub(crate) fn scanned_json(sites: &[&[&str]], blocks: &[ScanBlock<'_>]) -> Value {
    let live: Vec<Value> = blocks
        .iter()
        .map(|&(site, size, reachable, refs)| {
            if reachable {
                json!({"size": size, "site": site, "reachable": true})
            } else {
                json!({"size": size, "site": site, "reachable": false, "refs": refs})
            }
        })
        .collect();
    let total: u64 = blocks.iter().map(|block| block.1).sum();
    let mut document = document(sites, live, total);
    document["reachability"] = json!({"scanned": true, "scan_ns": 1000, "root_bytes": 4096,
                                      "bytes_scanned": total, "threads": 1, "complete": true});
    complete(&mut document);
    document
}

/// [`scanned_json`], loaded.
pub(crate) fn scanned(sites: &[&[&str]], blocks: &[ScanBlock<'_>]) -> Profile {
    let document = scanned_json(sites, blocks);
    parse_profile(Path::new("/scanned.json"), document.to_string().as_bytes())
        .expect("scanned profile loads")
}

/// A scanned profile built in memory, without JSON: a chain of `chain` unreachable blocks
/// (site 0, 16 bytes each, block `i` pointing to `i + 1`), then `pairs` two-block cycles
/// (site 1, 8 bytes each), then one reachable block (site 2, 1 byte).
pub(crate) fn big_scanned(chain: usize, pairs: usize) -> Profile {
    use crate::profile::loaded::{Frame, LiveBlock, Raw, Reachability, Site, Symbol, Totals};
    let frames = ["app::chain", "app::pairs", "app::root"]
        .iter()
        .zip(0_u64..)
        .map(|(function, ip)| Frame {
            ip: 0x1000 + ip,
            symbols: vec![Symbol {
                function: Some((*function).to_owned()),
                file: Some("/app/src/main.rs".to_owned()),
                line: Some(ip + 1),
            }],
        })
        .collect();
    let sites = (0..3)
        .map(|id| Site {
            id,
            frames: vec![id],
            ..Site::default()
        })
        .collect();
    let unreachable = |site: u64, size: u64, refs: Vec<u64>| LiveBlock {
        size,
        site,
        reachable: Some(false),
        refs,
        ..LiveBlock::default()
    };
    let mut live = Vec::with_capacity(chain + 2 * pairs + 1);
    for index in 0..chain as u64 {
        let next = index + 1;
        let refs = if next < chain as u64 {
            vec![next]
        } else {
            Vec::new()
        };
        live.push(unreachable(0, 16, refs));
    }
    for _ in 0..pairs {
        let first = live.len() as u64;
        live.push(unreachable(1, 8, vec![first + 1]));
        live.push(unreachable(1, 8, vec![first]));
    }
    live.push(LiveBlock {
        size: 1,
        site: 2,
        reachable: Some(true),
        ..LiveBlock::default()
    });
    let raw = Raw {
        version: 1,
        pid: 1,
        exe: "/app/target/debug/app".to_owned(),
        args: Vec::new(),
        reason: Some("exit".to_owned()),
        elapsed_ns: 0,
        mode: None,
        totals: Totals::default(),
        threads: Vec::new(),
        frames,
        sites,
        live,
        reachability: Some(Reachability::default()),
        footprint: None,
        timeline: None,
        sampling: None,
        modules: None,
    };
    crate::symbols::load::profile_from_raw(Path::new("/big.json"), raw)
        .expect("big profile is valid")
}
