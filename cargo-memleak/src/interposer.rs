//! The interposer library (`memleak-preload`): built from the cargo-memleak checkout this
//! binary came from, once per target directory, in release mode with frame pointers,
//! into `<target dir>/memleak/preload`. Never from the user's workspace, and never with
//! the user's flags: it is the same library whatever the program.

use std::path::{Path, PathBuf};

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
        let build = build_command(checkout, &self.target_dir);
        say(format_args!("building the interposer: {build}"));
        let status = build.status()?;
        if !status.success() {
            bail!("building the interposer {}", describe_status(status));
        }
        let library = self.target_dir.join("release").join(LIBRARY_FILE);
        if !library.is_file() {
            bail!("the interposer's build wrote no {}", library.display());
        }
        self.library = Some(library.clone());
        Ok(library)
    }
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
