//! End-to-end tests: the real `cargo memleak`, run the way the README says, on the
//! programs of `examples/` and the crates of `fixtures/`.
//!
//! Every test runs `$CARGO memleak ...` (the workspace's alias for `cargo run -p
//! cargo-memleak -- memleak ...`) at the workspace root, with a scrubbed environment and
//! `CARGO_TARGET_DIR=target/memleak-e2e`: the outer `cargo test` holds the lock on
//! `target/`, and a separate directory that persists keeps reruns incremental. Tests that
//! run at once wait for each other on that directory's lock.

mod browser;
mod diff;
mod exports;
mod help;
mod html;
mod kinds;
mod layers;
mod preload;
mod report;
mod run;
mod signals;
mod test_cmd;
mod tools;

use std::fmt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;

/// Exit codes of `cargo memleak`, as documented in its `--help`.
mod code {
    pub(crate) const SUCCESS: i32 = 0;
    pub(crate) const USAGE_ERROR: i32 = 2;
    pub(crate) const LEAKS_FOUND: i32 = 10;
    pub(crate) const TARGET_FAILED: i32 = 11;
    pub(crate) const BUILD_FAILED: i32 = 12;
    pub(crate) const PROFILE_UNREADABLE: i32 = 13;
    pub(crate) const SETUP_ERROR: i32 = 14;
    pub(crate) const GROWTH_FOUND: i32 = 15;
    pub(crate) const REGRESSED: i32 = 16;
}

/// The workspace root: the parent of this crate.
fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests/ has a parent")
        .to_owned()
}

/// The target directory of these tests' builds.
fn target_dir() -> PathBuf {
    workspace_root().join("target").join("memleak-e2e")
}

/// Where `cargo memleak run` leaves the files for target `name`.
fn out_dir(name: &str) -> PathBuf {
    target_dir().join("memleak").join(name)
}

/// Variables that would change the build or the output, beyond the `MEMLEAK_*` ones.
const SCRUBBED: [&str; 9] = [
    "RUSTFLAGS",
    "CARGO_ENCODED_RUSTFLAGS",
    "CARGO_BUILD_RUSTFLAGS",
    "CARGO_TERM_COLOR",
    "CARGO_BUILD_TARGET_DIR",
    "CARGO_PROFILE_RELEASE_DEBUG",
    "NO_COLOR",
    // Annotations on stdout, and their paths, when CI itself runs on GitHub.
    "GITHUB_ACTIONS",
    "GITHUB_WORKSPACE",
];

/// What one `cargo memleak` run printed and how it ended.
struct Output {
    args: Vec<String>,
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

impl fmt::Debug for Output {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "`cargo memleak {}` ended with {:?}",
            self.args.join(" "),
            self.code
        )?;
        writeln!(f, "--- stdout ---\n{}", self.stdout)?;
        write!(f, "--- stderr ---\n{}", self.stderr)
    }
}

impl Output {
    /// Asserts the exit code, and that nothing panicked on the way.
    fn assert_code(&self, code: i32) -> &Self {
        assert_eq!(self.code, Some(code), "wrong exit code\n{self:?}");
        assert!(!self.stderr.contains("panicked"), "a panic\n{self:?}");
        self
    }
}

/// Runs `$CARGO memleak ARGS...` at the workspace root.
fn cargo_memleak(args: &[&str]) -> Output {
    cargo_memleak_at(&workspace_root(), args)
}

/// Runs `$CARGO memleak ARGS...` in `dir`, a directory of this workspace.
fn cargo_memleak_at(dir: &Path, args: &[&str]) -> Output {
    cargo_memleak_with(dir, args, &[])
}

/// Runs `$CARGO memleak ARGS...` in `dir` with the variables `env` set (`None`: unset).
fn cargo_memleak_with(dir: &Path, args: &[&str], env: &[(&str, Option<&str>)]) -> Output {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| env!("CARGO").into());
    let mut command = Command::new(cargo);
    command.arg("memleak").args(args).current_dir(dir);
    scrub(&mut command);
    for &(key, value) in env {
        match value {
            Some(value) => command.env(key, value),
            None => command.env_remove(key),
        };
    }
    output_of(command, args)
}

/// Runs the `cargo-memleak` binary that [`cargo_memleak`] builds, as `cargo memleak ARGS`
/// would in `dir`: for fixtures whose own cargo configuration matters, where the
/// workspace's alias cannot run (it names a package of this workspace).
fn cargo_memleak_in(dir: &Path, args: &[&str]) -> Output {
    cargo_memleak(&["--version"]).assert_code(code::SUCCESS);
    let mut command = Command::new(target_dir().join("debug").join("cargo-memleak"));
    command.arg("memleak").args(args).current_dir(dir);
    scrub(&mut command);
    output_of(command, args)
}

/// Runs `command` (its environment scrubbed by the caller, see [`scrub`]).
fn output_of(mut command: Command, args: &[&str]) -> Output {
    let output = command.output().expect("failed to run cargo");
    Output {
        args: args.iter().map(|&a| a.to_owned()).collect(),
        code: output.status.code(),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

/// The scrubbed environment, the tests' target directory and no stdin.
fn scrub(command: &mut Command) {
    for (key, _) in std::env::vars_os() {
        if key.to_string_lossy().starts_with("MEMLEAK_") {
            command.env_remove(key);
        }
    }
    for key in SCRUBBED {
        command.env_remove(key);
    }
    command
        .env("CARGO_TARGET_DIR", target_dir())
        .stdin(Stdio::null());
}

/// `cargo memleak run --example leaky`, run once for all the tests that look at it. It
/// runs from another package's source directory, as a user might: cargo alone would
/// look for the example in that package only. And as a GitHub Actions step
/// (`GITHUB_ACTIONS=true`): the annotations follow the report, which stays as it is.
fn leaky() -> &'static Output {
    static LEAKY: OnceLock<Output> = OnceLock::new();
    LEAKY.get_or_init(|| {
        let elsewhere = workspace_root().join("leak-report").join("src");
        cargo_memleak_with(
            &elsewhere,
            &["run", "--example", "leaky"],
            &[("GITHUB_ACTIONS", Some("true"))],
        )
    })
}

/// `cargo memleak run --example clean`, run once for all the tests that look at it (two
/// runs at once would write the same files).
fn clean() -> &'static Output {
    static CLEAN: OnceLock<Output> = OnceLock::new();
    CLEAN.get_or_init(|| cargo_memleak(&["run", "--example", "clean"]))
}

/// `cargo memleak run --example growing_cache`, run once for all the tests that look at
/// it.
fn growing_cache() -> &'static Output {
    static GROWING_CACHE: OnceLock<Output> = OnceLock::new();
    GROWING_CACHE.get_or_init(|| cargo_memleak(&["run", "--example", "growing_cache"]))
}

/// The parsed report.json of a run.
fn report_json(target: &str, output: &Output) -> serde_json::Value {
    json_file(&out_dir(target).join("report.json"), output)
}

/// A JSON file that the run `output` wrote, parsed.
fn json_file(path: &Path, output: &Output) -> serde_json::Value {
    let text = std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("{}: {e}\n{output:?}", path.display()));
    serde_json::from_str(&text)
        .unwrap_or_else(|e| panic!("{} does not parse: {e}\n{output:?}", path.display()))
}

/// The sites of a report.json that are leaks (`definite` or `indirect`; `live_at_exit`
/// for a profile without the exit scan), biggest first.
fn live_sites(report: &serde_json::Value) -> Vec<&serde_json::Value> {
    let sites = report["sites"]
        .as_array()
        .expect("report.json has no `sites` array");
    let mut live: Vec<&serde_json::Value> = sites
        .iter()
        .filter(|s| {
            ["definite", "indirect", "live_at_exit"]
                .iter()
                .any(|kind| s["kind"] == *kind)
        })
        .collect();
    live.sort_by_key(|s| std::cmp::Reverse(s["bytes"].as_u64()));
    live
}

/// The function names of a site's stack, innermost first.
fn functions(site: &serde_json::Value) -> Vec<&str> {
    site["stack"].as_array().map_or_else(Vec::new, |stack| {
        stack
            .iter()
            .filter_map(|f| f["function"].as_str())
            .collect()
    })
}
