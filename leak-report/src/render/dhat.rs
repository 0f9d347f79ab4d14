//! DHAT's JSON (`dhatFileVersion` 2), as valgrind's `dh_view.html` reads it and dhat-rs
//! writes it: for each allocation stack, the bytes and blocks allocated over the run.
//!
//! Block lifetimes (`bklt`) are off. `dh_view` then wants, per stack, only `tb`, `tbk`
//! and `fs`, and offers the "total" views. The lifetime views would need per stack the
//! bytes and blocks at its own peak and at the program's, and the blocks' summed
//! lifetimes, which the tracker does not keep: writing estimates there would mislead.

use std::collections::HashMap;
use std::io;

use serde_json::{Value, json};

use crate::model::Mode;
use crate::profile::loaded::Profile;
use crate::symbols::entry::StackEntry;
use crate::symbols::stack::analyse_site;

/// The file format version `dh_view.html` expects.
pub const DHAT_FILE_VERSION: u64 = 2;

/// Writes the profile as DHAT JSON: one program point per stack that allocated anything,
/// trimmed as the report trims it (innermost first, as DHAT lists frames; sites with the
/// same trimmed stack summed), frames as `function (file:line)`.
///
/// # Errors
/// Write errors.
pub fn write_dhat(profile: &Profile, out: &mut dyn io::Write) -> io::Result<()> {
    serde_json::to_writer(&mut *out, &dhat_json(profile))?;
    out.write_all(b"\n")
}

/// The JSON value [`write_dhat`] writes.
fn dhat_json(profile: &Profile) -> Value {
    let mut frames = FrameTable::default();
    // dh_view refuses two program points with the same frames ("repeated location"):
    // sites whose trimmed stacks are equal are summed.
    let mut points: Vec<(Vec<usize>, u64, u64)> = Vec::new();
    let mut point_of: HashMap<Vec<usize>, usize> = HashMap::new();
    for site in profile
        .sites()
        .iter()
        .filter(|site| site.allocated_blocks > 0)
    {
        let stack = analyse_site(profile, site).stack;
        let fs: Vec<usize> = stack.iter().map(|entry| frames.index(entry)).collect();
        let at = *point_of.entry(fs.clone()).or_insert_with(|| {
            points.push((fs, 0, 0));
            points.len() - 1
        });
        if let Some((_, bytes, blocks)) = points.get_mut(at) {
            *bytes = bytes.saturating_add(site.allocated_bytes);
            *blocks = blocks.saturating_add(site.allocated_blocks);
        }
    }
    let pps: Vec<Value> = points
        .into_iter()
        .map(|(fs, bytes, blocks)| json!({"tb": bytes, "tbk": blocks, "fs": fs}))
        .collect();
    // Under the interposer every `malloc` is recorded, as valgrind's own DHAT records them.
    let mode = match profile.mode() {
        Mode::Preload => "heap",
        _ => "rust-heap",
    };
    json!({
        "dhatFileVersion": DHAT_FILE_VERSION,
        "mode": mode,
        "verb": "Allocated",
        "bklt": false,
        "bkacc": false,
        "tu": "µs",
        "Mtu": "s",
        "cmd": profile.args().join(" "),
        "pid": profile.pid(),
        "te": profile.elapsed_ns() / 1000,
        "pps": pps,
        "ftbl": frames.names,
    })
}

/// DHAT's frame table: each distinct frame once, `[root]` first.
struct FrameTable {
    names: Vec<String>,
    indices: HashMap<String, usize>,
}

impl Default for FrameTable {
    fn default() -> Self {
        let root = "[root]".to_owned();
        Self {
            indices: HashMap::from([(root.clone(), 0)]),
            names: vec![root],
        }
    }
}

impl FrameTable {
    /// The index of the entry's frame, added if new.
    fn index(&mut self, entry: &StackEntry) -> usize {
        let name = match (&entry.file, entry.line, entry.ip) {
            (Some(file), Some(line), _) => format!("{} ({file}:{line})", entry.function),
            (Some(file), None, _) => format!("{} ({file})", entry.function),
            (None, _, Some(ip)) => format!("{ip:#x}: {}", entry.function),
            (None, _, None) => entry.function.clone(),
        };
        let next = self.names.len();
        *self.indices.entry(name.clone()).or_insert_with(|| {
            self.names.push(name);
            next
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::leaky;

    #[test]
    fn leaky_has_every_field_dh_view_requires_and_its_sites_totals() {
        let value = dhat_json(&leaky());
        // dh_view.js's checks: the global fields, then per program point.
        for field in [
            "dhatFileVersion",
            "mode",
            "verb",
            "bklt",
            "bkacc",
            "tu",
            "Mtu",
            "cmd",
            "pid",
            "te",
            "pps",
            "ftbl",
        ] {
            assert!(value.get(field).is_some(), "no {field} in {value:#}");
        }
        assert_eq!(value["dhatFileVersion"], 2);
        assert_eq!(value["bklt"], false);
        let ftbl: Vec<&str> = value["ftbl"]
            .as_array()
            .unwrap()
            .iter()
            .map(|name| name.as_str().unwrap())
            .collect();
        assert_eq!(ftbl[0], "[root]");
        let pps = value["pps"].as_array().unwrap();
        let profile = leaky();
        // Distinct trimmed stacks, as dh_view wants them (the fixture splits one leak
        // site over two profile sites with the same trimmed stack).
        let stacks: std::collections::HashSet<Vec<String>> = profile
            .sites()
            .iter()
            .filter(|s| s.allocated_blocks > 0)
            .map(|s| {
                let stack = analyse_site(&profile, s).stack;
                stack.iter().map(|e| format!("{e:?}")).collect()
            })
            .collect();
        assert_eq!(pps.len(), stacks.len());
        let fss: std::collections::HashSet<String> =
            pps.iter().map(|pp| pp["fs"].to_string()).collect();
        assert_eq!(fss.len(), pps.len(), "repeated frames in {value:#}");
        let leak_some = pps
            .iter()
            .find(|pp| {
                let first = pp["fs"][0].as_u64().unwrap() as usize;
                ftbl[first].starts_with("leaky::leak_some (")
            })
            .unwrap_or_else(|| panic!("no leak_some point in {value:#}"));
        // The fixture's two leak_some sites, summed into one point.
        let (bytes, blocks) = profile
            .sites()
            .iter()
            .filter(|site| analyse_site(&profile, site).stack[0].function == "leaky::leak_some")
            .fold((0, 0), |(bytes, blocks), site| {
                (bytes + site.allocated_bytes, blocks + site.allocated_blocks)
            });
        assert_eq!(bytes, 6400);
        assert_eq!(
            (leak_some["tb"].as_u64(), leak_some["tbk"].as_u64()),
            (Some(bytes), Some(blocks))
        );
        for pp in pps {
            for field in ["tb", "tbk", "fs"] {
                assert!(pp.get(field).is_some(), "no {field} in {pp}");
            }
        }
    }
}
