//! The interposer library (`memleak-preload`): built from the cargo-memleak checkout this
//! binary came from, once per target directory (again only when its sources change), in release mode with frame pointers,
//! into `<target dir>/memleak/preload`. Never from the user's workspace, and never with
//! the user's flags: it is the same library whatever the program.

use std::fs;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use anyhow::{Result, bail};

use crate::env::{self, cargo_program};
use crate::process::{ProcessBuilder, describe_status};
use crate::term::say;

/// The checkout's workspace root (this package's parent directory).
const CHECKOUT_DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/..");

/// The library's file name on Linux.
const LIBRARY_FILE: &str = "libmemleak_preload.so";

/// Where the interposer is built, and the library once it is.
#[derive(Debug)]
pub(crate) struct Interposer {
    target_dir: PathBuf,
    library: Option<PathBuf>,
}

impl Interposer {
    /// The interposer of a build whose memleak directory is `memleak_dir`.
    pub(crate) fn new(memleak_dir: &Path) -> Self {
        Self {
            target_dir: memleak_dir.join("preload"),
            library: None,
        }
    }

    /// The library, built first if this run has not built it yet (cargo makes a rebuild
    /// of an unchanged checkout a no-op).
    pub(crate) fn library(&mut self) -> Result<PathBuf> {
        if let Some(library) = &self.library {
            return Ok(library.clone());
        }
        if !cfg!(target_os = "linux") {
            bail!(
                "the preloaded interposer works on Linux only; add the tracker to the program \
                 (`--mode inprocess`)"
            );
        }
        let checkout = Path::new(CHECKOUT_DIR);
        let manifest = checkout.join("alloc-tracker/preload/Cargo.toml");
        if !manifest.is_file() {
            bail!(
                "the interposer's source is not at {} (this cargo-memleak was built from a \
                 checkout that has moved)",
                manifest.display()
            );
        }
        let library = self.target_dir.join("release").join(LIBRARY_FILE);
        // Skips cargo's own check (a tenth of a second) when nothing changed since the
        // last build: the sources, and this cargo-memleak (a new toolchain rebuilds it).
        let stamp_path = self.target_dir.join("sources.stamp");
        let stamp = sources_stamp(checkout);
        let fresh =
            library.is_file() && stamp.is_some() && fs::read_to_string(&stamp_path).ok() == stamp;
        if !fresh {
            let build = build_command(checkout, &self.target_dir);
            say(format_args!("building the interposer: {build}"));
            let status = build.status()?;
            if !status.success() {
                bail!("building the interposer {}", describe_status(status));
            }
            if !library.is_file() {
                bail!("the interposer's build wrote no {}", library.display());
            }
            if let Some(stamp) = stamp {
                // Without it the next run asks cargo again: nothing is lost.
                let _ = fs::write(&stamp_path, stamp);
            }
        }
        self.library = Some(library.clone());
        Ok(library)
    }
}

/// The state of what the library is built from: the newest modification time and the
/// number of the files of the tracker and the profile format (their `target` folders
/// aside), of the workspace's manifest and lock file, and of this executable. `None`
/// when some cannot be read.
fn sources_stamp(checkout: &Path) -> Option<String> {
    let mut newest = SystemTime::UNIX_EPOCH;
    let mut files = 0_u64;
    let mut note = |path: &Path| -> Option<()> {
        let modified = fs::metadata(path).ok()?.modified().ok()?;
        newest = newest.max(modified);
        files += 1;
        Some(())
    };
    note(&std::env::current_exe().ok()?)?;
    note(&checkout.join("Cargo.toml"))?;
    note(&checkout.join("Cargo.lock"))?;
    let mut dirs = vec![
        checkout.join("alloc-tracker"),
        checkout.join("profile-format"),
    ];
    while let Some(dir) = dirs.pop() {
        for entry in fs::read_dir(&dir).ok()? {
            let entry = entry.ok()?;
            let path = entry.path();
            if entry.file_type().ok()?.is_dir() {
                if entry.file_name() != "target" {
                    dirs.push(path);
                }
            } else {
                note(&path)?;
            }
        }
    }
    let nanos = newest
        .duration_since(SystemTime::UNIX_EPOCH)
        .ok()?
        .as_nanos();
    Some(format!("{nanos} {files}\n"))
}

/// `cargo build --release -p memleak-preload`, run in the checkout (its configuration,
/// not the user's) with frame pointers as the only flags.
fn build_command(checkout: &Path, target_dir: &Path) -> ProcessBuilder {
    let mut cargo = ProcessBuilder::new(cargo_program());
    cargo
        .current_dir(checkout)
        .args(["build", "--release", "--quiet", "-p", "memleak-preload"])
        .arg("--target-dir")
        .arg(target_dir)
        .env(env::CARGO_ENCODED_RUSTFLAGS, "-Cforce-frame-pointers=yes")
        .env_remove(env::RUSTFLAGS)
        .env_remove(env::CARGO_TARGET_DIR)
        .env_remove(env::CARGO_BUILD_TARGET);
    cargo
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_stamp_changes_with_the_sources_and_ignores_target() {
        let checkout = tempfile::tempdir().unwrap();
        let root = checkout.path();
        for dir in [
            "alloc-tracker/src",
            "alloc-tracker/target",
            "profile-format/src",
        ] {
            fs::create_dir_all(root.join(dir)).unwrap();
        }
        for file in ["Cargo.toml", "Cargo.lock", "alloc-tracker/src/lib.rs"] {
            fs::write(root.join(file), "x").unwrap();
        }
        let before = sources_stamp(root).expect("a stamp");
        fs::write(root.join("alloc-tracker/target/built.so"), "x").unwrap();
        assert_eq!(sources_stamp(root).as_ref(), Some(&before));
        fs::write(root.join("profile-format/src/lib.rs"), "x").unwrap();
        assert_ne!(sources_stamp(root).as_ref(), Some(&before));
        assert_eq!(sources_stamp(&root.join("nowhere")), None);
    }
}
