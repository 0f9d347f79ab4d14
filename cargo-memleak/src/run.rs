//! `cargo memleak run`: build the target with the tracker, run it with `MEMLEAK_OUT`, then
//! report from the profile it wrote, or explain why there is none.

use std::ffi::OsString;
use std::fs::{self, File};
use std::io::{self, Read};
use std::path::{Component, Path, PathBuf};
use std::process::ExitStatus;

use anyhow::{Context as _, anyhow};
use leak_report::ProgramInfo;

use crate::cargo::{self, Artifact, UserEnv};
use crate::cli::RunArgs;
use crate::exit_code::{BUILD_FAILED, Failure, ResultExt as _, SETUP_ERROR, TARGET_FAILED};
use crate::process::{ProcessBuilder, describe_status};
use crate::report::{self, FILES};
use crate::term::say;
use crate::workspace::{self, Metadata, Package, Selection};
use crate::{env, settings};

/// `cargo memleak run [--bin NAME | --example NAME] [-p SPEC] [--release] [-- ARGS...]`.
pub(crate) fn run(args: &RunArgs) -> Result<u8, Failure> {
    let cwd = std::env::current_dir()
        .context("failed to read the current directory")
        .exit_code(SETUP_ERROR)?;
    let manifest_path = args.manifest_path.as_deref();
    let meta = workspace::metadata(manifest_path)
        .context("failed to read the workspace")
        .exit_code(SETUP_ERROR)?;
    // With --manifest-path, the package is chosen where the manifest is, as cargo does.
    let package_dir = manifest_path
        .and_then(Path::parent)
        .map_or_else(|| cwd.clone(), |dir| cwd.join(dir));
    let package_dir = package_dir.canonicalize().unwrap_or(package_dir);
    let selection = Selection::resolve(&meta, &package_dir, args.package.as_deref(), args.named())
        .exit_code(SETUP_ERROR)?;
    settings::install(
        args.report.config.as_deref(),
        Some(&meta.workspace_root),
        args.report.show_reachable,
    )?;
    let memleak_dir = meta.target_directory.join("memleak");
    let artifact = build(
        &selection,
        args.release,
        manifest_path,
        &memleak_dir.join("build"),
    )?;

    let out_dir = memleak_dir.join(&selection.name);
    let profile = out_dir.join(FILES[0]);
    clear_out_dir(&out_dir).exit_code(SETUP_ERROR)?;
    let mut program = ProcessBuilder::new(&artifact.executable);
    program
        .args(&args.args)
        .env(env::MEMLEAK_OUT, out_pattern(&profile));
    say(format_args!("running: {program}"));
    let status = program.status().exit_code(TARGET_FAILED)?;

    if !profile.exists() {
        return Err(no_profile(
            &meta, &cwd, &selection, &artifact, status, &profile,
        ));
    }
    report_run(&profile, &out_dir, status)
}

/// Builds the selection into `target_dir` and returns its executable.
fn build(
    selection: &Selection,
    release: bool,
    manifest_path: Option<&Path>,
    target_dir: &Path,
) -> Result<Artifact, Failure> {
    let user = UserEnv::read().exit_code(SETUP_ERROR)?;
    let tracker_profile = cargo::write_tracker_profile(target_dir)
        .context("failed to write the tracker's build profile")
        .exit_code(SETUP_ERROR)?;
    let mut build = cargo::build_command(selection, release, target_dir, &tracker_profile, &user);
    if let Some(manifest_path) = manifest_path {
        build.arg("--manifest-path").arg(manifest_path);
    }
    say(format_args!("running: {build}"));
    cargo::build(&build, selection)
        .with_context(|| {
            format!(
                "failed to build {} `{}`",
                selection.kind.noun(),
                selection.name
            )
        })
        .exit_code(BUILD_FAILED)
}

/// Reports from the profile the program wrote: the files, the text on stdout, and the
/// exit code, [`TARGET_FAILED`] when the program failed even though it wrote a profile.
fn report_run(profile_path: &Path, out_dir: &Path, status: ExitStatus) -> Result<u8, Failure> {
    let profile = report::load(profile_path)?;
    let mut program_info = ProgramInfo::from_profile(&profile);
    program_info.exit_code = status.code();
    let report = settings::build_report(&profile, program_info);
    let written = report::write_files(&report, out_dir)?;
    report::print_text(&report)?;
    report::say_written(out_dir, &written);
    if !status.success() {
        return Err(Failure::new(
            TARGET_FAILED,
            anyhow!("the program {}", describe_status(status)),
        ));
    }
    if report.has_leaks() {
        let (bytes, blocks) = (report.leaked_bytes(), report.leaked_blocks());
        let plural = if blocks == 1 { "" } else { "s" };
        say(format_args!(
            "leaks found: {bytes} bytes in {blocks} block{plural}"
        ));
    }
    Ok(report::outcome(&report))
}

/// `path` as a `MEMLEAK_OUT` pattern: the tracker expands `%p` to the pid and `%%` to `%`,
/// so each `%` of the path is doubled.
pub(crate) fn out_pattern(path: &Path) -> OsString {
    #[cfg(unix)]
    {
        use std::os::unix::ffi::{OsStrExt as _, OsStringExt as _};
        let mut pattern = Vec::new();
        for &byte in path.as_os_str().as_bytes() {
            if byte == b'%' {
                pattern.push(b'%');
            }
            pattern.push(byte);
        }
        OsString::from_vec(pattern)
    }
    #[cfg(not(unix))]
    match path.to_str() {
        Some(path) => path.replace('%', "%%").into(),
        None => path.into(),
    }
}

/// Creates the output directory and removes the files of an earlier run, so that a run
/// which writes no profile cannot be mistaken for one that did.
pub(crate) fn clear_out_dir(dir: &Path) -> anyhow::Result<()> {
    fs::create_dir_all(dir).with_context(|| format!("failed to create {}", dir.display()))?;
    for name in FILES {
        let path = dir.join(name);
        match fs::remove_file(&path) {
            Err(e) if e.kind() != io::ErrorKind::NotFound => {
                return Err(e)
                    .with_context(|| format!("failed to remove the stale {}", path.display()));
            }
            _ => {}
        }
    }
    Ok(())
}

/// The marker the tracker embeds in every program that uses it, stored reversed so that
/// this binary does not contain it: `cargo memleak run` on cargo-memleak itself (the only
/// binary of this workspace) must say that it does not use the tracker.
const MARKER_REVERSED: &[u8] = b"1v:rekram-rekcart:kaelmem";

/// Whether the executable has the tracker in it (its marker).
pub(crate) fn uses_tracker(executable: &Path) -> io::Result<bool> {
    let marker: Vec<u8> = MARKER_REVERSED.iter().rev().copied().collect();
    File::open(executable).and_then(|f| contains(f, &marker, 1 << 20))
}

/// The error for a program that wrote no profile: [`SETUP_ERROR`] with the two lines to
/// add when it does not use the tracker, else [`TARGET_FAILED`].
fn no_profile(
    meta: &Metadata,
    cwd: &Path,
    selection: &Selection,
    artifact: &Artifact,
    status: ExitStatus,
    profile: &Path,
) -> Failure {
    if let Ok(false) = uses_tracker(&artifact.executable) {
        let mut message = setup_instructions(meta, cwd, selection, artifact);
        if !status.success() {
            message.push_str(&format!(
                "\nnote: the program also {}",
                describe_status(status)
            ));
        }
        return Failure::new(SETUP_ERROR, anyhow!(message));
    }
    let how = if status.success() {
        "exited successfully".to_owned()
    } else {
        describe_status(status)
    };
    Failure::new(
        TARGET_FAILED,
        anyhow!(
            "the program {how} and wrote no profile to {}",
            profile.display()
        ),
    )
}

/// What to add, and where, for the target to use the tracker.
fn setup_instructions(
    meta: &Metadata,
    cwd: &Path,
    selection: &Selection,
    artifact: &Artifact,
) -> String {
    let what = format!("{} `{}`", selection.kind.noun(), selection.name);
    let show = |path: &Path| path.strip_prefix(cwd).unwrap_or(path).display().to_string();
    let package = meta.package(&artifact.package_id);
    let source = package
        .and_then(|p| {
            p.targets
                .iter()
                .find(|t| t.kind == selection.kind && t.name == selection.name)
        })
        .map_or_else(|| "its main.rs".to_owned(), |t| show(&t.src_path));
    let mut text = format!(
        "{what} does not use the `memleak` tracker, so it wrote no profile ({} has no tracker in it)\n",
        show(&artifact.executable)
    );
    text.push_str(&tracker_setup(meta, cwd, package, &source));
    let package = selection
        .package
        .as_ref()
        .map_or_else(String::new, |p| format!(" -p {p}"));
    let (flag, name) = (selection.kind.flag(), &selection.name);
    text.push_str(&format!(
        "\nthen run `cargo memleak run{package} {flag} {name}` again"
    ));
    text
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
        if buf[..filled]
            .windows(needle.len())
            .any(|window| window == needle)
        {
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
    fn percent_signs_survive_the_pattern() {
        let path = Path::new("/home/a%p/100%/profile.json");
        assert_eq!(out_pattern(path), "/home/a%%p/100%%/profile.json");
        assert_eq!(
            out_pattern(Path::new("/t/memleak/leaky/profile.json")),
            "/t/memleak/leaky/profile.json"
        );
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
