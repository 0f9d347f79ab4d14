//! A test binary's JUnit suite: one case per test it ran, failed when the test leaked
//! (and its leaks fail the command), plus cases for what no test explains: leaks no test
//! could be found for, and the binary's own failure.

use std::path::Path;

use anyhow::Result;
use leak_report::Report;

use crate::junit::{Case, Suite, leak_sites_text};
use crate::settings;

use super::attribution::{self, Attribution};

/// The case for the binary's own failure (a test failed, a crash, no profile).
const BINARY_CASE: &str = "(test binary)";
/// The case for leaks that no test could be found for.
const UNATTRIBUTED_CASE: &str = "(leaks no test could be found for)";

/// The suite of the binary `name`: its `tests` as listed, and those of them it skips as
/// ignored (or why they could not be listed),
/// `leaks` when it has leaks that fail the command, with their attribution to tests, and
/// its `failure`, if any. Paths in the texts are relative to `root`.
pub(super) fn binary_suite(
    name: &str,
    tests: Result<(Vec<String>, Vec<String>)>,
    leaks: Option<(&Report, &Attribution)>,
    failure: Option<&str>,
    root: &Path,
) -> Suite {
    let sites = leaks.map(|(report, _)| leak_sites_text(report, settings::get().fail_on, root));
    let sites = sites.as_deref().unwrap_or("");
    let mut cases: Vec<Case> = Vec::new();
    match tests {
        Ok((tests, ignored)) => {
            for test in &tests {
                if ignored.contains(test) {
                    cases.push(Case::skipped(test));
                    continue;
                }
                let leaked = leaks.and_then(|(_, attribution)| {
                    attribution.tests.iter().find(|leak| &leak.test == test)
                });
                cases.push(match leaked {
                    None => Case::passed(test),
                    Some(leak) => {
                        let how: Vec<String> = leak.how.iter().map(attribution::describe).collect();
                        let amount = attribution::amount(leak.leaked);
                        Case::failed(
                            test,
                            format!("`{test}` leaked {amount}"),
                            format!(
                                "`{test}` leaked {amount} ({})\n\nleak sites of `{name}`:\n{sites}",
                                how.join("; ")
                            ),
                        )
                    }
                });
            }
        }
        Err(e) => cases.push(Case::failed(
            "(its tests)",
            "its tests could not be listed".to_owned(),
            format!("{e:#}"),
        )),
    }
    if let Some((_, attribution)) = leaks
        && !attribution.unattributed.is_empty()
    {
        let lines = attribution.render_unattributed();
        cases.push(Case::failed(
            UNATTRIBUTED_CASE,
            format!("leaks no test of `{name}` could be found for"),
            format!("{lines}\nleak sites of `{name}`:\n{sites}"),
        ));
    }
    if let Some(failure) = failure {
        cases.push(Case::failed(
            BINARY_CASE,
            failure.to_owned(),
            failure.to_owned(),
        ));
    }
    Suite {
        name: name.to_owned(),
        cases,
    }
}
