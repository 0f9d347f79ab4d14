//! Programs from outside the workspace that some tests check our outputs with: Go's
//! `pprof` for the pprof export, Chromium for the HTML report.
//!
//! A fresh machine with only a Rust toolchain must pass `cargo test --workspace` (the
//! README's command), so a test whose tool is missing says so on stderr and checks
//! nothing more. CI installs the tools and sets `MEMLEAK_E2E_REQUIRE_TOOLS=1`
//! (`.ci/run`): there a missing tool fails the test instead of skipping it.

use std::path::{Path, PathBuf};

/// The variable that turns a missing tool into a failure.
const REQUIRE_TOOLS: &str = "MEMLEAK_E2E_REQUIRE_TOOLS";

/// The first of `names` found on `PATH` (or given as an absolute path); `None`, after a
/// line on stderr naming `why` it was wanted, when there is none and tools are not
/// required.
///
/// # Panics
/// When none is found and `MEMLEAK_E2E_REQUIRE_TOOLS=1`.
pub(crate) fn find(names: &[&str], why: &str) -> Option<PathBuf> {
    let found = names.iter().find_map(|name| on_path(name));
    if found.is_none() {
        let message = format!("none of {names:?} is installed: {why} is not checked");
        assert!(
            std::env::var(REQUIRE_TOOLS).as_deref() != Ok("1"),
            "{message} ({REQUIRE_TOOLS}=1)"
        );
        eprintln!("skipped: {message}");
    }
    found
}

/// `name` if it is an existing absolute path, else the first `PATH` entry holding it.
fn on_path(name: &str) -> Option<PathBuf> {
    let path = Path::new(name);
    if path.is_absolute() {
        return path.is_file().then(|| path.to_owned());
    }
    let dirs = std::env::var_os("PATH")?;
    std::env::split_paths(&dirs)
        .map(|dir| dir.join(name))
        .find(|candidate| candidate.is_file())
}
