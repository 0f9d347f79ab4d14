//! The tracker always optimized: a cargo configuration file, passed with `--config`,
//! that builds the tracker and its dependencies at opt-level 3 in debug builds.

use std::path::{Path, PathBuf};

/// The tracker crate and every crate of its normal dependency graph, on any platform
/// (`cargo tree -p memleak -e normal --target all`; a test keeps the list in step).
pub(crate) const TRACKER_PACKAGES: &[&str] = &[
    "memleak",
    "addr2line",
    "adler2",
    "allocator-api2",
    "backtrace",
    "bitflags",
    "cfg-if",
    "equivalent",
    "foldhash",
    "gimli",
    "hashbrown",
    "libc",
    "lock_api",
    "mach2",
    "memchr",
    "memleak-format",
    "miniz_oxide",
    "object",
    "parking_lot",
    "parking_lot_core",
    "redox_syscall",
    "rustc-demangle",
    "scopeguard",
    "smallvec",
    "windows-link",
];

/// The file, in memleak's target directory, that tells cargo (`--config FILE`) to build
/// the tracker and its dependencies at opt-level 3 in debug builds: the tracker runs on
/// every allocation, and unoptimized it made a program many times slower than it is.
/// The user's own crates keep their profile; no manifest is edited.
pub(crate) fn write_tracker_profile(target_dir: &Path) -> std::io::Result<PathBuf> {
    let mut text = String::from(
        "# Written by cargo memleak: the tracker and its dependencies are always optimized.\n",
    );
    for package in TRACKER_PACKAGES {
        text.push_str(&format!("[profile.dev.package.{package}]\nopt-level = 3\n"));
    }
    std::fs::create_dir_all(target_dir)?;
    let path = target_dir.join("tracker-profile.toml");
    std::fs::write(&path, text)?;
    Ok(path)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::env::cargo_program;

    #[test]
    fn the_tracker_profile_names_every_package_of_the_trackers_graph() {
        let tree = std::process::Command::new(cargo_program())
            .args(["tree", "-p", "memleak", "-e", "normal", "--target", "all"])
            .args(["--prefix", "none", "--format", "{p}"])
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .output()
            .unwrap();
        assert!(
            tree.status.success(),
            "{}",
            String::from_utf8_lossy(&tree.stderr)
        );
        let mut graph: Vec<String> = String::from_utf8_lossy(&tree.stdout)
            .lines()
            .filter_map(|line| line.split_whitespace().next().map(str::to_owned))
            .collect();
        graph.sort();
        graph.dedup();
        let mut listed: Vec<String> = TRACKER_PACKAGES.iter().map(|p| (*p).to_owned()).collect();
        listed.sort();
        assert_eq!(listed, graph, "update TRACKER_PACKAGES");

        let dir = tempfile::tempdir().unwrap();
        let path = write_tracker_profile(&dir.path().join("build")).unwrap();
        let text = std::fs::read_to_string(path).unwrap();
        assert!(
            text.contains("[profile.dev.package.memleak]\nopt-level = 3\n"),
            "{text}"
        );
        assert!(text.contains("[profile.dev.package.parking_lot_core]\nopt-level = 3\n"));
    }
}
