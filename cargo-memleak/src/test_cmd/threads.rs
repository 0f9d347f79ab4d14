//! A profile's leaks by allocating thread's name, as leak-report classifies them (with
//! this command's suppressions): threads of one name are added up.

use std::cmp::Reverse;
use std::collections::BTreeMap;
use std::path::Path;

use anyhow::Result;
use leak_report::{Amount, ProgramInfo, Report};

use crate::settings;

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
    let profile = leak_report::load_profile(path)?;
    let report = settings::build_report(&profile, ProgramInfo::from_profile(&profile));
    Ok(by_name(&report))
}

/// A report's leaks by thread name, biggest first.
pub(crate) fn by_name(report: &Report) -> Vec<ThreadLeak> {
    let mut by_name: BTreeMap<Option<String>, Amount> = BTreeMap::new();
    for leak in report.leaks_by_thread() {
        let total = by_name.entry(leak.name.clone()).or_default();
        *total = plus(*total, leak.leaked);
    }
    let mut leaks: Vec<ThreadLeak> = by_name
        .into_iter()
        .map(|(thread, leaked)| ThreadLeak { thread, leaked })
        .collect();
    leaks.sort_by_key(|leak| Reverse((leak.leaked.bytes, leak.leaked.blocks)));
    leaks
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
            .map(|i| {
                format!(
                    r#"{{"id": {i}, "frames": [{i}], "allocated_bytes": 0, "allocated_blocks": 0,
                        "freed_blocks": 0, "live_bytes": 0, "live_blocks": 0,
                        "peak_live_bytes": 0, "reallocs": 0}}"#
                )
            })
            .collect();
        let live: Vec<String> = blocks
            .iter()
            .enumerate()
            .map(|(i, (size, thread))| {
                format!(
                    r#"{{"addr": {}, "size": {size}, "align": 8, "site": {i}, "birth_ns": 0,
                        "thread": {thread}}}"#,
                    4096 * (i + 1)
                )
            })
            .collect();
        format!(
            r#"{{"format": "memleak-profile", "version": 1, "pid": 1, "exe": "/t/app",
                "args": ["/t/app"], "elapsed_ns": 0,
                "totals": {{"allocated_bytes": 0, "allocated_blocks": 0, "freed_bytes": 0,
                            "freed_blocks": 0, "reallocs": 0, "live_bytes": 0, "live_blocks": 0,
                            "peak_live_bytes": 0, "peak_live_blocks": 0, "unknown_frees": 0,
                            "untracked_allocs": 0, "overhead_allocs": 0}},
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
