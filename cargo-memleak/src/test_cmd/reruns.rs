//! Which test of a binary leaked what: by the allocating thread's name, else by
//! listing the tests and running the candidates alone.

use std::collections::HashMap;
use std::ffi::OsString;
use std::fs;
use std::path::Path;
use std::process::Stdio;

use anyhow::{Context as _, Result, bail};
use leak_report::Amount;

use crate::env;
use crate::process::describe_status;
use crate::run::out_pattern;
use crate::term::say;

use super::attribution::{self, Attribution, Blame, How};
use super::binary::TestBinary;
use super::libtest::{self, THREAD_NAME_LIMIT, TestFilters};
use super::runner::test_process;
use super::threads::{self, ThreadLeak, leaked_on, minus};

/// Which test leaked what: by thread name, else by running candidates alone. A problem on
/// the way leaves the leaks concerned unattributed, with the reason.
pub(super) fn attribute(
    binary: &TestBinary,
    leaks: Vec<ThreadLeak>,
    reruns: &Path,
    filters: &TestFilters,
) -> Attribution {
    let mut attribution = Attribution::default();
    let tests = match list_tests(binary, filters) {
        Ok(tests) => tests,
        Err(e) => {
            attribution.leave(&leaks, &format!("its tests could not be listed: {e:#}"));
            return attribution;
        }
    };
    let mut pending: Vec<Pending<'_>> = Vec::new();
    for leak in &leaks {
        match attribution::blame(leak.thread.as_deref(), &tests, THREAD_NAME_LIMIT) {
            Blame::Named(test) => {
                let thread = leak.thread.clone().unwrap_or_default();
                attribution.charge(test, leak.leaked, How::ThreadName(thread));
            }
            Blame::Rerun { tests, why } => pending.push(Pending { leak, why, tests }),
            Blame::Unknown(why) => attribution.leave(std::slice::from_ref(leak), &why),
        }
    }
    if pending.is_empty() {
        return attribution;
    }
    match rerun_all(binary, reruns, filters, &pending) {
        Ok(runs) => {
            for Pending { leak, why, tests } in &pending {
                let thread = leak.thread.as_deref();
                let base = leaked_on(&runs.none, thread);
                let deltas: Vec<(&str, Amount)> = tests
                    .iter()
                    .filter_map(|&test| Some((test, runs.alone.get(test)?)))
                    .map(|(test, alone)| (test, minus(leaked_on(alone, thread), base)))
                    .collect();
                attribution.settle(leak, why, base, &deltas);
            }
        }
        Err(e) => {
            let leaks: Vec<ThreadLeak> = pending.iter().map(|p| p.leak.clone()).collect();
            attribution.leave(&leaks, &format!("rerunning tests alone failed: {e:#}"));
        }
    }
    attribution
}

/// A thread's leak to settle by running each of `tests` alone, because of `why`.
struct Pending<'a> {
    leak: &'a ThreadLeak,
    why: String,
    tests: Vec<&'a str>,
}

/// The leaks by thread of the reruns: with no test, and with each candidate alone.
struct Reruns<'a> {
    none: Vec<ThreadLeak>,
    alone: HashMap<&'a str, Vec<ThreadLeak>>,
}

/// `<binary> --list --format terse` with the run's filters: the tests the run ran.
pub(super) fn list_tests(binary: &TestBinary, filters: &TestFilters) -> Result<Vec<String>> {
    list_with(binary, &filters.list_args())
}

/// The tests [`list_tests`] lists that the run skips as ignored.
pub(super) fn list_ignored(binary: &TestBinary, filters: &TestFilters) -> Result<Vec<String>> {
    filters
        .ignored_list_args()
        .map_or_else(|| Ok(Vec::new()), |args| list_with(binary, &args))
}

/// The tests `<binary> ARGS` lists (`--list --format terse` among them).
fn list_with(binary: &TestBinary, args: &[OsString]) -> Result<Vec<String>> {
    let mut list = test_process(binary, false);
    list.args(args).env_remove(env::MEMLEAK_OUT);
    let output = list
        .command()
        .stdin(Stdio::null())
        .stderr(Stdio::inherit())
        .output()
        .with_context(|| format!("failed to start `{list}`"))?;
    if !output.status.success() {
        bail!("`{list}` {}", describe_status(output.status));
    }
    Ok(libtest::parse_test_list(&String::from_utf8_lossy(
        &output.stdout,
    )))
}

/// Reruns with no test (what the binary leaks by itself), then alone each candidate of the
/// leaks that this does not explain.
fn rerun_all<'a>(
    binary: &TestBinary,
    dir: &Path,
    filters: &TestFilters,
    pending: &[Pending<'a>],
) -> Result<Reruns<'a>> {
    fs::create_dir_all(dir).with_context(|| format!("failed to create {}", dir.display()))?;
    let none = filters.none_args();
    let none = rerun(binary, &none, &dir.join("none.json"), "with no test")?;
    let mut alone: HashMap<&str, Vec<ThreadLeak>> = HashMap::new();
    let unexplained = |p: &&Pending<'a>| {
        let base = leaked_on(&none, p.leak.thread.as_deref());
        minus(p.leak.leaked, base).blocks > 0
    };
    for &test in pending.iter().filter(unexplained).flat_map(|p| &p.tests) {
        if !alone.contains_key(test) {
            let profile = dir.join(format!("{}.json", alone.len()));
            let what = format!("`{test}` alone");
            alone.insert(
                test,
                rerun(binary, &filters.only_args(test), &profile, &what)?,
            );
        }
    }
    Ok(Reruns { none, alone })
}

/// Runs the binary with `args` and a profile of its own, its output hidden.
fn rerun(
    binary: &TestBinary,
    args: &[OsString],
    profile: &Path,
    what: &str,
) -> Result<Vec<ThreadLeak>> {
    let mut program = test_process(binary, true);
    program
        .args(args)
        .env(env::MEMLEAK_OUT, out_pattern(profile));
    say(format_args!("rerunning {what}: {program}"));
    let output = program
        .command()
        .stdin(Stdio::null())
        .output()
        .with_context(|| format!("failed to start `{program}`"))?;
    if !profile.exists() {
        bail!(
            "`{program}` {} and wrote no profile",
            describe_status(output.status)
        );
    }
    threads::leaks_by_thread(profile)
}
