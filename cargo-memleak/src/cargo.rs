//! Builds with cargo: `cargo build` with memleak's flags added to the user's, and the
//! executable taken from the build's JSON messages.

use std::ffi::OsString;
use std::path::{Path, PathBuf};

use anyhow::{Context as _, Result, bail};
use cargo_metadata::TargetKind;

use crate::build_messages::{MESSAGE_FORMAT, build_artifacts};
use crate::env::{self, cargo_program};
use crate::process::ProcessBuilder;
pub(crate) use crate::tracker_profile::write_tracker_profile;
use crate::workspace::{Kind, Selection};

/// Added to the user's compiler flags: frame pointers for the tracker's fast stack walk,
/// and `cfg(memleak)`, which switches the tracker on in the user's crate.
pub(crate) const MEMLEAK_RUSTFLAGS: [&str; 4] =
    ["-C", "force-frame-pointers=yes", "--cfg", "memleak"];

/// The user's build settings that `cargo memleak` adds to rather than replaces.
#[derive(Debug, Default, Clone)]
pub(crate) struct UserEnv {
    pub(crate) encoded_rustflags: Option<String>,
    pub(crate) rustflags: Option<String>,
    pub(crate) release_debug: Option<String>,
    /// `target.<host>.runner`: what cargo would run the program with.
    pub(crate) runner: Option<Runner>,
}

impl UserEnv {
    /// Reads them from the environment (empty means unset) and from cargo's configuration
    /// files as cargo finds them from `cwd`. Setting `RUSTFLAGS` makes cargo ignore the
    /// configured rustflags (`build.rustflags`, `target.<triple>.rustflags`), so without
    /// the variables those are taken from the configuration and passed on with ours.
    pub(crate) fn read(cwd: &Path) -> Result<Self> {
        let encoded = env::var(env::CARGO_ENCODED_RUSTFLAGS)?;
        let plain = env::var(env::RUSTFLAGS)?;
        let config = cargo_config2::Config::load_with_cwd(cwd)
            .context("failed to read cargo's configuration")?;
        let host = config
            .host_triple()
            .context("failed to find the host's target triple")?
            .to_owned();
        let configured = if encoded.is_none() && plain.is_none() {
            config
                .rustflags(host.as_str())
                .context("failed to read the configured rustflags")?
                .filter(|flags| !flags.flags.is_empty())
                .map(|flags| flags.flags.join("\x1f"))
        } else {
            None
        };
        let runner = config
            .runner(host.as_str())
            .context("failed to read the configured runner")?
            .map(|runner| (runner.path, runner.args));
        Ok(Self {
            encoded_rustflags: encoded.or(configured),
            rustflags: plain,
            release_debug: env::var(env::CARGO_PROFILE_RELEASE_DEBUG)?,
            runner,
        })
    }

    /// The command that runs `executable`, through the configured runner if any.
    pub(crate) fn command(&self, executable: &Path) -> ProcessBuilder {
        run_command(self.runner.as_ref(), executable)
    }
}

/// A configured `target.<triple>.runner`: the program and its arguments.
pub(crate) type Runner = (PathBuf, Vec<OsString>);

/// The command that runs `executable`: through `runner`, as `cargo run` and `cargo test`
/// do, else the executable itself.
pub(crate) fn run_command(runner: Option<&Runner>, executable: &Path) -> ProcessBuilder {
    match runner {
        Some((runner, args)) => {
            let mut command = ProcessBuilder::new(runner);
            command.args(args).arg(executable);
            command
        }
        None => ProcessBuilder::new(executable),
    }
}

/// The flags variable to set and its value: the user's flags with [`MEMLEAK_RUSTFLAGS`]
/// after them (later `-C` options win). `CARGO_ENCODED_RUSTFLAGS` when the user set it,
/// since cargo then ignores `RUSTFLAGS`; else `RUSTFLAGS`.
pub(crate) fn merge_rustflags(user: &UserEnv) -> (&'static str, String) {
    if let Some(encoded) = &user.encoded_rustflags {
        let mut flags: Vec<&str> = encoded.split('\x1f').collect();
        flags.extend(MEMLEAK_RUSTFLAGS);
        return (env::CARGO_ENCODED_RUSTFLAGS, flags.join("\x1f"));
    }
    let mut flags: Vec<&str> = user
        .rustflags
        .as_deref()
        .unwrap_or("")
        .split_whitespace()
        .collect();
    flags.extend(MEMLEAK_RUSTFLAGS);
    (env::RUSTFLAGS, flags.join(" "))
}

/// `cargo` with memleak's build environment: `CARGO_TARGET_DIR=target_dir`, the user's
/// flags plus [`MEMLEAK_RUSTFLAGS`], line tables for the release profile (unless the user
/// chose), and `--config tracker_profile` (see [`write_tracker_profile`]).
fn cargo_with_flags(target_dir: &Path, tracker_profile: &Path, user: &UserEnv) -> ProcessBuilder {
    let mut cargo = ProcessBuilder::new(cargo_program());
    cargo.arg("--config").arg(tracker_profile);
    cargo.env(env::CARGO_TARGET_DIR, target_dir);
    let (flags_var, flags) = merge_rustflags(user);
    cargo.env(flags_var, flags);
    // The other one is empty or unset; an empty CARGO_ENCODED_RUSTFLAGS would hide RUSTFLAGS.
    let other = if flags_var == env::RUSTFLAGS {
        env::CARGO_ENCODED_RUSTFLAGS
    } else {
        env::RUSTFLAGS
    };
    cargo.env_remove(other);
    if user.release_debug.is_none() {
        // For the release profile and those that inherit it (`--profile bench`), so set
        // whatever the build. Not `line-tables-only`: inlined frames would then carry
        // bare names (`from_elem<u8>`), and the report could not tell std's plumbing from
        // user code.
        cargo.env(env::CARGO_PROFILE_RELEASE_DEBUG, "limited");
    }
    cargo
}

/// `cargo build` of the selection into `target_dir` with memleak's flags and line tables.
pub(crate) fn build_command(
    selection: &Selection,
    release: bool,
    target_dir: &Path,
    tracker_profile: &Path,
    user: &UserEnv,
) -> ProcessBuilder {
    let mut cargo = cargo_with_flags(target_dir, tracker_profile, user);
    cargo.args(["build", MESSAGE_FORMAT]);
    if let Some(package) = &selection.package {
        cargo.args(["--package", package]);
    }
    cargo.args([selection.kind.flag(), &selection.name]);
    if release {
        cargo.arg("--release");
    }
    cargo
}

/// `cargo test --no-run` with the user's cargo arguments, built like [`build_command`].
pub(crate) fn test_command(
    cargo_args: &[OsString],
    target_dir: &Path,
    tracker_profile: &Path,
    user: &UserEnv,
) -> ProcessBuilder {
    let mut cargo = cargo_with_flags(target_dir, tracker_profile, user);
    cargo.args(["test", "--no-run", MESSAGE_FORMAT]);
    cargo.args(cargo_args);
    cargo
}

/// A built executable and the package it belongs to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Artifact {
    pub(crate) executable: PathBuf,
    pub(crate) package_id: String,
}

/// Runs the build (its progress and diagnostics go to stderr) and returns the executable.
pub(crate) fn build(cargo: &ProcessBuilder, selection: &Selection) -> Result<Artifact> {
    let artifacts = build_artifacts(cargo, "cargo build")?;
    pick_artifact(&artifacts, selection)
}

/// The executable of the selected target among the build's artifacts.
pub(crate) fn pick_artifact(
    artifacts: &[cargo_metadata::Artifact],
    selection: &Selection,
) -> Result<Artifact> {
    let what = format!("{} `{}`", selection.kind.noun(), selection.name);
    let kind = match selection.kind {
        Kind::Bin => TargetKind::Bin,
        Kind::Example => TargetKind::Example,
    };
    let mut found: Vec<Artifact> = Vec::new();
    for artifact in artifacts {
        if artifact.target.name != selection.name || !artifact.target.is_kind(kind.clone()) {
            continue;
        }
        let executable = artifact
            .executable
            .as_ref()
            .with_context(|| format!("{what} is not an executable"))?;
        found.push(Artifact {
            executable: executable.clone().into_std_path_buf(),
            package_id: artifact.package_id.repr.clone(),
        });
    }
    match found.len() {
        0 => bail!("cargo built no executable for {what}"),
        1 => Ok(found.remove(0)),
        _ => {
            let paths: Vec<String> = found
                .iter()
                .map(|a| a.executable.display().to_string())
                .collect();
            bail!(
                "cargo built more than one {what}: {}; name the package with `-p`",
                paths.join(", ")
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::workspace::Kind;

    use serde_json::json;

    use crate::build_messages::test_artifact;

    fn leaky() -> cargo_metadata::Artifact {
        test_artifact(&json!({
            "package_id": "path+file:///w/examples#memleak-examples@0.1.0",
            "target": {"kind": ["example"], "name": "leaky", "src_path": "/w/examples/leaky.rs"},
            "executable": "/t/debug/examples/leaky"}))
    }

    fn bin_leaky() -> cargo_metadata::Artifact {
        test_artifact(&json!({"target": {"kind": ["bin"], "name": "leaky"},
                              "executable": "/t/debug/leaky"}))
    }

    fn lib() -> cargo_metadata::Artifact {
        test_artifact(
            &json!({"target": {"kind": ["lib"], "crate_types": ["lib"], "name": "leaky"}}),
        )
    }

    fn cdylib_example() -> cargo_metadata::Artifact {
        test_artifact(
            &json!({"target": {"kind": ["example"], "crate_types": ["cdylib"],
                                         "name": "plugin"}}),
        )
    }

    fn sel(kind: Kind, name: &str) -> Selection {
        Selection {
            kind,
            name: name.to_owned(),
            package: None,
        }
    }

    #[test]
    fn picks_the_requested_executable() {
        let artifacts = [lib(), bin_leaky(), leaky()];
        let artifact = pick_artifact(&artifacts, &sel(Kind::Example, "leaky")).unwrap();
        assert_eq!(artifact.executable, Path::new("/t/debug/examples/leaky"));
        assert_eq!(
            artifact.package_id,
            "path+file:///w/examples#memleak-examples@0.1.0"
        );
        let bin = pick_artifact(&artifacts, &sel(Kind::Bin, "leaky")).unwrap();
        assert_eq!(bin.executable, Path::new("/t/debug/leaky"));
    }

    #[test]
    fn artifact_errors_name_the_target() {
        let err = pick_artifact(&[lib()], &sel(Kind::Example, "leaky")).unwrap_err();
        assert_eq!(
            err.to_string(),
            "cargo built no executable for example `leaky`"
        );
        let err = pick_artifact(&[cdylib_example()], &sel(Kind::Example, "plugin")).unwrap_err();
        assert_eq!(err.to_string(), "example `plugin` is not an executable");
        let err = pick_artifact(&[leaky(), leaky()], &sel(Kind::Example, "leaky")).unwrap_err();
        assert!(
            err.to_string()
                .starts_with("cargo built more than one example `leaky`"),
            "{err}"
        );
    }

    const PROFILE: &str = "/t/memleak/build/tracker-profile.toml";

    #[test]
    fn test_command_adds_no_run_and_the_users_arguments() {
        let dir = Path::new("/t/memleak/build");
        let args: Vec<OsString> = vec!["-p".into(), "lt".into(), "--features".into(), "x".into()];
        let test = test_command(&args, dir, PROFILE.as_ref(), &user(None, None));
        assert_eq!(
            test.get_args(),
            [
                "--config",
                PROFILE,
                "test",
                "--no-run",
                MESSAGE_FORMAT,
                "-p",
                "lt",
                "--features",
                "x"
            ]
        );
        assert_eq!(
            test.get_env("RUSTFLAGS"),
            Some(Some("-C force-frame-pointers=yes --cfg memleak".as_ref()))
        );
        assert_eq!(
            test.get_env("CARGO_TARGET_DIR"),
            Some(Some(dir.as_os_str()))
        );
        assert_eq!(
            test.get_env("CARGO_PROFILE_RELEASE_DEBUG"),
            Some(Some("limited".as_ref()))
        );
    }

    fn user(encoded: Option<&str>, plain: Option<&str>) -> UserEnv {
        UserEnv {
            encoded_rustflags: encoded.map(Into::into),
            rustflags: plain.map(Into::into),
            release_debug: None,
            runner: None,
        }
    }

    #[test]
    fn the_configured_runner_runs_the_program() {
        let mut user = user(None, None);
        assert_eq!(user.command(Path::new("/t/app")).to_string(), "/t/app");
        user.runner = Some(("/usr/bin/env".into(), vec!["-u".into(), "X".into()]));
        assert_eq!(
            user.command(Path::new("/t/app")).to_string(),
            "/usr/bin/env -u X /t/app"
        );
    }

    #[test]
    fn rustflags_are_added_to_not_replaced() {
        let ours = "-C force-frame-pointers=yes --cfg memleak";
        assert_eq!(
            merge_rustflags(&user(None, None)),
            ("RUSTFLAGS", ours.to_owned())
        );
        assert_eq!(
            merge_rustflags(&user(None, Some("  -D warnings\t-Ctarget-cpu=native "))),
            (
                "RUSTFLAGS",
                format!("-D warnings -Ctarget-cpu=native {ours}")
            )
        );
        // The encoded form wins over RUSTFLAGS, as in cargo, and keeps spaces inside a flag.
        assert_eq!(
            merge_rustflags(&user(Some("--cfg\x1ffeature=\"a b\""), Some("-D warnings"))),
            (
                "CARGO_ENCODED_RUSTFLAGS",
                "--cfg\x1ffeature=\"a b\"\x1f-C\x1fforce-frame-pointers=yes\x1f--cfg\x1fmemleak"
                    .to_owned()
            )
        );
    }

    #[test]
    fn build_command_sets_flags_dir_and_debug_info() {
        let selection = Selection {
            kind: Kind::Example,
            name: "leaky".into(),
            package: Some("ex".into()),
        };
        let dir = Path::new("/t/memleak/build");
        let debug = build_command(
            &selection,
            false,
            dir,
            PROFILE.as_ref(),
            &user(None, Some("-Dwarnings")),
        );
        assert_eq!(
            debug.get_env("CARGO_TARGET_DIR"),
            Some(Some(dir.as_os_str()))
        );
        assert_eq!(
            debug.get_env("RUSTFLAGS"),
            Some(Some(
                "-Dwarnings -C force-frame-pointers=yes --cfg memleak".as_ref()
            ))
        );
        assert_eq!(debug.get_env("CARGO_ENCODED_RUSTFLAGS"), Some(None));
        // Set for the release profile and those that inherit it, whatever the build.
        assert_eq!(
            debug.get_env("CARGO_PROFILE_RELEASE_DEBUG"),
            Some(Some("limited".as_ref()))
        );
        let args: Vec<&str> = debug
            .get_args()
            .iter()
            .map(|a| a.to_str().unwrap())
            .collect();
        assert_eq!(
            args,
            [
                "--config",
                PROFILE,
                "build",
                MESSAGE_FORMAT,
                "--package",
                "ex",
                "--example",
                "leaky"
            ]
        );

        let release = build_command(
            &selection,
            true,
            dir,
            PROFILE.as_ref(),
            &user(Some("-g"), None),
        );
        assert_eq!(
            release.get_env("CARGO_PROFILE_RELEASE_DEBUG"),
            Some(Some("limited".as_ref()))
        );
        assert_eq!(release.get_env("RUSTFLAGS"), Some(None));
        assert_eq!(release.get_args().last().unwrap(), "--release");
        let mut mine = user(None, None);
        mine.release_debug = Some("full".into());
        let release = build_command(&selection, true, dir, PROFILE.as_ref(), &mine);
        assert_eq!(release.get_env("CARGO_PROFILE_RELEASE_DEBUG"), None);
    }
}
