//! Whether a program has the tracker in it, and, when it has not, the lines to add and
//! where: the one recipe that works today (a path dependency until the crate is on
//! crates.io, the `unexpected_cfgs` line, one `#[global_allocator]`).

use std::fs::File;
use std::io::{self, Read};
use std::path::{Component, Path, PathBuf};

use crate::workspace::{Metadata, Package};

/// The marker the tracker embeds in every program that uses it, stored reversed so that
/// this binary does not contain it: `cargo memleak run` on cargo-memleak itself (the only
/// binary of this workspace) must say that it does not use the tracker.
const MARKER_REVERSED: &[u8] = b"1v:rekram-rekcart:kaelmem";

/// Whether the executable has the tracker in it (its marker).
pub(crate) fn uses_tracker(executable: &Path) -> io::Result<bool> {
    let marker: Vec<u8> = MARKER_REVERSED.iter().rev().copied().collect();
    File::open(executable).and_then(|f| contains(f, &marker, 1 << 20))
}

/// The lines to add, and where, for `package` (when known) to use the tracker: the
/// dependency and the `unexpected_cfgs` line in its manifest, and the
/// `#[global_allocator]` in `source`, and only there: rustc rejects a second one, so the
/// library's source is named when it is another file.
pub(crate) fn tracker_setup(
    meta: &Metadata,
    cwd: &Path,
    package: Option<&Package>,
    source: &str,
) -> String {
    let show = |path: &Path| path.strip_prefix(cwd).unwrap_or(path).display().to_string();
    let only_there = match package.and_then(|p| p.lib_src.as_deref()).map(show) {
        Some(lib) if lib != source => format!("not also in {lib}"),
        _ => "nowhere else".to_owned(),
    };
    let static_lines = format!(
        "{source} ({only_there}: a program has one global allocator):\n    \
         #[cfg(memleak)]\n    #[global_allocator]\n    \
         static ALLOC: memleak::TrackingAlloc = memleak::TrackingAlloc::system();"
    );
    let manifest = package.map_or_else(|| "Cargo.toml".to_owned(), |p| show(&p.manifest_path));
    if package.is_some_and(|p| p.depends_on_tracker) {
        return format!("{manifest} depends on memleak already; add to {static_lines}");
    }
    let dependency = tracker_dependency(meta, package.and_then(|p| p.manifest_path.parent()));
    let manifest_text = package
        .and_then(|p| std::fs::read_to_string(&p.manifest_path).ok())
        .unwrap_or_default();
    format!(
        "add to {manifest}:\n    [target.'cfg(memleak)'.dependencies]\n    {dependency}\n\n{}\
         and to {static_lines}",
        lints_lines(&manifest_text)
    )
}

/// The `unexpected_cfgs` line, and where it goes: a new `[lints.rust]` table, the one the
/// manifest has (a second one is a TOML error), or the workspace's when the package
/// inherits its lints.
fn lints_lines(manifest: &str) -> String {
    const LINE: &str = "unexpected_cfgs = { level = \"warn\", check-cfg = [\"cfg(memleak)\"] }";
    let tables: Vec<&str> = manifest.lines().map(str::trim).collect();
    let inherits = tables
        .windows(2)
        .any(|pair| pair[0] == "[lints]" && pair[1].replace(' ', "") == "workspace=true");
    if inherits {
        format!("and to the workspace's Cargo.toml, in [workspace.lints.rust]:\n    {LINE}\n")
    } else if tables.contains(&"[lints.rust]") {
        format!("    {LINE}    (in its existing [lints.rust] table)\n")
    } else {
        format!("    [lints.rust]\n    {LINE}\n")
    }
}

/// The tracker's source folder in the checkout this cargo-memleak was built from.
const OWN_TRACKER_DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../alloc-tracker");

/// `memleak = { path = ".." }`: relative when the workspace has the tracker as a member,
/// else the checkout this cargo-memleak was built from (the tracker is not on crates.io
/// yet); the registry version only when neither is there.
fn tracker_dependency(meta: &Metadata, package_dir: Option<&Path>) -> String {
    let member_dir = meta
        .packages
        .iter()
        .find(|p| p.name == "memleak")
        .and_then(|p| p.manifest_path.parent());
    if let (Some(from), Some(to)) = (package_dir, member_dir) {
        return format!(
            "memleak = {{ path = \"{}\" }}",
            relative(from, to).display()
        );
    }
    match Path::new(OWN_TRACKER_DIR).canonicalize() {
        Ok(dir) if dir.join("Cargo.toml").is_file() => {
            format!("memleak = {{ path = \"{}\" }}", dir.display())
        }
        _ => "memleak = \"0.1\"".to_owned(),
    }
}

/// The path from directory `from` to `to`, both absolute.
fn relative(from: &Path, to: &Path) -> PathBuf {
    let (from, to): (Vec<Component<'_>>, Vec<Component<'_>>) =
        (from.components().collect(), to.components().collect());
    let common = from.iter().zip(&to).take_while(|(a, b)| a == b).count();
    let mut path: PathBuf = from[common..]
        .iter()
        .map(|_| Component::ParentDir)
        .collect();
    path.extend(&to[common..]);
    if path.as_os_str().is_empty() {
        PathBuf::from(".")
    } else {
        path
    }
}

/// Whether `needle` occurs in the stream, read `chunk` bytes at a time.
fn contains(mut reader: impl Read, needle: &[u8], chunk: usize) -> io::Result<bool> {
    let keep = needle.len().saturating_sub(1);
    let mut buf = vec![0; chunk.max(needle.len()) + keep];
    let mut filled = 0;
    loop {
        let read = match reader.read(&mut buf[filled..]) {
            Ok(0) => return Ok(false),
            Ok(read) => read,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        filled += read;
        if memchr::memmem::find(&buf[..filled], needle).is_some() {
            return Ok(true);
        }
        // Keep the tail: the needle may straddle two reads.
        let carry = filled.min(keep);
        buf.copy_within(filled - carry..filled, 0);
        filled = carry;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Hands out at most `step` bytes a read.
    struct Trickle<'a> {
        data: &'a [u8],
        step: usize,
    }

    impl Read for Trickle<'_> {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            let n = self.step.min(buf.len()).min(self.data.len());
            buf[..n].copy_from_slice(&self.data[..n]);
            self.data = &self.data[n..];
            Ok(n)
        }
    }

    #[test]
    fn finds_the_marker_across_reads() {
        let marker: Vec<u8> = MARKER_REVERSED.iter().rev().copied().collect();
        assert_eq!(marker, b"memleak:tracker-marker:v1");
        let mut data = vec![0u8; 1000];
        data.extend_from_slice(&marker);
        data.extend_from_slice(&[1; 7]);
        for step in [1, 3, 8, 23, 24, 999, 4096] {
            for chunk in [1, 16, 64, 1 << 20] {
                let found = contains(Trickle { data: &data, step }, &marker, chunk).unwrap();
                assert!(found, "step {step}, chunk {chunk}");
                let cut = &data[..data.len() - 8];
                assert!(!contains(Trickle { data: cut, step }, &marker, chunk).unwrap());
            }
        }
        assert!(!contains(&b""[..], &marker, 16).unwrap());
    }

    #[test]
    fn the_lints_line_goes_where_the_manifest_allows() {
        let fresh = lints_lines("[package]\nname = \"a\"\n");
        assert!(
            fresh.starts_with("    [lints.rust]\n    unexpected_cfgs"),
            "{fresh}"
        );
        let existing = lints_lines("[lints.rust]\nunsafe_code = \"deny\"\n");
        assert!(!existing.contains("    [lints.rust]\n"), "{existing}");
        assert!(
            existing.contains("(in its existing [lints.rust] table)"),
            "{existing}"
        );
        let inherited = lints_lines("[lints]\nworkspace = true\n");
        assert!(inherited.contains("[workspace.lints.rust]"), "{inherited}");
    }

    #[test]
    fn relative_paths() {
        assert_eq!(
            relative(Path::new("/w/examples"), Path::new("/w/alloc-tracker")),
            Path::new("../alloc-tracker")
        );
        assert_eq!(
            relative(Path::new("/w"), Path::new("/w/alloc-tracker")),
            Path::new("alloc-tracker")
        );
        assert_eq!(
            relative(Path::new("/w/a/b"), Path::new("/w")),
            Path::new("../..")
        );
        assert_eq!(relative(Path::new("/w"), Path::new("/w")), Path::new("."));
    }
}
