//! A profile's leaks by allocating thread's name. Each name's blocks are handed to
//! leak-report on their own, so what counts as leaked stays leak-report's call.

use std::cmp::Reverse;
use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use anyhow::{Context as _, Result};
use leak_report::{Amount, ProgramInfo};

use crate::settings;
use serde_json::Value;

/// Leaked memory allocated by the threads of one name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ThreadLeak {
    /// The OS thread name; `None` when the tracker did not know it.
    pub(crate) thread: Option<String>,
    pub(crate) leaked: Amount,
}

/// The leaks of the profile at `path` by thread name, biggest first; names that leaked
/// nothing are left out.
pub(crate) fn leaks_by_thread(path: &Path) -> Result<Vec<ThreadLeak>> {
    let json = std::fs::read(path).with_context(|| format!("failed to read {}", path.display()))?;
    let mut root: Value = serde_json::from_slice(&json)
        .with_context(|| format!("failed to parse {}", path.display()))?;
    let mut names: HashMap<u64, String> = HashMap::new();
    for thread in root["threads"].as_array().into_iter().flatten() {
        if let (Some(id), Some(name)) = (thread["id"].as_u64(), thread["name"].as_str()) {
            names.insert(id, name.to_owned());
        }
    }
    let live = match root.get_mut("live").map(Value::take) {
        Some(Value::Array(live)) => live,
        _ => Vec::new(),
    };
    let mut by_name: BTreeMap<Option<String>, Vec<usize>> = BTreeMap::new();
    for (index, block) in live.iter().enumerate() {
        let name = block["thread"].as_u64().and_then(|id| names.get(&id));
        by_name.entry(name.cloned()).or_default().push(index);
    }
    let mut leaks = Vec::new();
    for (thread, indices) in by_name {
        root["live"] = Value::Array(subset(&live, &indices));
        let bytes = serde_json::to_vec(&root).context("failed to split the profile")?;
        let profile = leak_report::parse_profile(path, &bytes)?;
        let report = settings::build_report(&profile, ProgramInfo::from_profile(&profile));
        if report.has_leaks() {
            let leaked = Amount::new(report.leaked_bytes(), report.leaked_blocks());
            leaks.push(ThreadLeak { thread, leaked });
        }
    }
    leaks.sort_by_key(|leak| Reverse((leak.leaked.bytes, leak.leaked.blocks)));
    Ok(leaks)
}

/// The blocks at `indices`, with their `refs` (indices into `live` of the unreachable
/// blocks they point to, docs/profile-format.md) renumbered and cut to the subset.
fn subset(live: &[Value], indices: &[usize]) -> Vec<Value> {
    let renumber: HashMap<u64, u64> = (0u64..)
        .zip(indices)
        .map(|(new, &old)| (old as u64, new))
        .collect();
    let renumbered = |target: &mut Value| match target.as_u64().and_then(|t| renumber.get(&t)) {
        Some(&new) => {
            *target = new.into();
            true
        }
        None => false,
    };
    indices
        .iter()
        .map(|&index| {
            let mut block = live[index].clone();
            if let Some(refs) = block.get_mut("refs").and_then(Value::as_array_mut) {
                refs.retain_mut(renumbered);
            }
            block
        })
        .collect()
}

/// What `leaks` holds for `thread`; nothing if it is not there.
pub(crate) fn leaked_on(leaks: &[ThreadLeak], thread: Option<&str>) -> Amount {
    leaks
        .iter()
        .find(|leak| leak.thread.as_deref() == thread)
        .map_or_else(Amount::default, |leak| leak.leaked)
}

/// `a - b`, bytes and blocks each at least 0.
pub(crate) fn minus(a: Amount, b: Amount) -> Amount {
    Amount::new(
        a.bytes.saturating_sub(b.bytes),
        a.blocks.saturating_sub(b.blocks),
    )
}

/// `a + b`, saturating.
pub(crate) fn plus(a: Amount, b: Amount) -> Amount {
    Amount::new(
        a.bytes.saturating_add(b.bytes),
        a.blocks.saturating_add(b.blocks),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A profile with blocks of `(size, thread id)`, each from its own site in app code.
    fn profile(blocks: &[(u64, u64)]) -> String {
        let frames: Vec<String> = (0..blocks.len())
            .map(|i| {
                format!(
                    r#"{{"ip": {}, "symbols": [{{"function": "app::f{i}", "file": "/app/src/lib.rs", "line": {i}}}]}}"#,
                    1000 + i
                )
            })
            .collect();
        let sites: Vec<String> = (0..blocks.len())
            .map(|i| format!(r#"{{"id": {i}, "frames": [{i}]}}"#))
            .collect();
        let live: Vec<String> = blocks
            .iter()
            .enumerate()
            .map(|(i, (size, thread))| {
                format!(
                    r#"{{"addr": {}, "size": {size}, "site": {i}, "thread": {thread}}}"#,
                    4096 * (i + 1)
                )
            })
            .collect();
        format!(
            r#"{{"format": "memleak-profile", "version": 1, "exe": "/t/app", "args": ["/t/app"],
                "totals": {{"allocated_bytes": 0, "allocated_blocks": 0, "peak_live_bytes": 0, "peak_live_blocks": 0}},
                "threads": [{{"id": 0, "name": "main"}}, {{"id": 1, "name": "tests::a"}},
                            {{"id": 2, "name": "tests::a"}}, {{"id": 3, "name": null}}],
                "frames": [{}], "sites": [{}], "live": [{}]}}"#,
            frames.join(","),
            sites.join(","),
            live.join(",")
        )
    }

    #[test]
    fn leaks_are_split_by_thread_name() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("profile.json");
        let blocks = [(10, 0), (100, 1), (200, 2), (7, 3), (8, 42)];
        std::fs::write(&path, profile(&blocks)).unwrap();
        let leaks = leaks_by_thread(&path).unwrap();
        let found: Vec<(Option<&str>, u64, u64)> = leaks
            .iter()
            .map(|l| (l.thread.as_deref(), l.leaked.bytes, l.leaked.blocks))
            .collect();
        // Two threads of one name are one; an unnamed and an unknown thread are `None`.
        assert_eq!(
            found,
            [
                (Some("tests::a"), 300, 2),
                (None, 15, 2),
                (Some("main"), 10, 1)
            ]
        );
        assert!(leaks_by_thread(&dir.path().join("missing.json")).is_err());
    }

    #[test]
    fn subsets_renumber_refs() {
        let live: Vec<Value> = serde_json::from_str(
            r#"[{"size": 1, "thread": 0, "refs": [1, 2]}, {"size": 2, "thread": 1},
                {"size": 3, "thread": 0, "refs": [0, 2]}]"#,
        )
        .unwrap();
        let picked = subset(&live, &[0, 2]);
        assert_eq!(picked[0]["refs"], serde_json::json!([1]));
        assert_eq!(picked[1]["refs"], serde_json::json!([0, 1]));
        assert_eq!(picked[1]["size"], 3);
    }

    #[test]
    fn amounts_by_thread_and_arithmetic() {
        let leaks = [ThreadLeak {
            thread: Some("main".into()),
            leaked: Amount::new(148, 2),
        }];
        assert_eq!(leaked_on(&leaks, Some("main")), Amount::new(148, 2));
        assert_eq!(leaked_on(&leaks, None), Amount::default());
        let base = Amount::new(48, 1);
        assert_eq!(minus(Amount::new(148, 2), base), Amount::new(100, 1));
        assert_eq!(minus(base, Amount::new(148, 2)), Amount::default());
        assert_eq!(plus(base, base), Amount::new(96, 2));
    }
}
