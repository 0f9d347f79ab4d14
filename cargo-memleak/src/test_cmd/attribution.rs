//! Which test leaked. libtest runs each test on a thread named after the test, and the
//! tracker records each thread's OS name (at its first allocation; on Linux the first 15
//! bytes), so a leaked block's thread names its test. A name that fits several tests, the
//! main thread, or a thread named after no test is settled by running each candidate test
//! alone (the runner runs them; this module decides and sums).

use std::fmt::Write as _;

use leak_report::Amount;

use super::libtest::thread_name_of;
use super::threads::{ThreadLeak, minus, plus};

/// Candidates beyond this many are not rerun one by one: the leak stays unattributed.
pub(crate) const MAX_RERUNS: usize = 16;

/// The name std's main thread has, and the one the tracker gives it.
const MAIN: &str = "main";

/// Who leaked a thread's memory, before any rerun.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Blame<'a> {
    /// The one test whose thread has this name.
    Named(&'a str),
    /// Any of these tests, because of `why`: run each alone to know.
    Rerun { tests: Vec<&'a str>, why: String },
    /// Nobody can tell; why.
    Unknown(String),
}

/// Who may have leaked on `thread`, among the tests the run ran.
pub(crate) fn blame<'a>(
    thread: Option<&str>,
    tests: &'a [String],
    limit: Option<usize>,
) -> Blame<'a> {
    let all = || tests.iter().map(String::as_str).collect::<Vec<_>>();
    let (candidates, why) = match thread {
        Some(MAIN) => (all(), "the leak was on the main thread".to_owned()),
        None => (all(), "the leak was on a thread of unknown name".to_owned()),
        Some(name) => {
            let named: Vec<&str> = tests
                .iter()
                .map(String::as_str)
                .filter(|test| thread_name_of(test, limit) == name)
                .collect();
            match named[..] {
                [one] => return Blame::Named(one),
                [] => (
                    all(),
                    format!("the leak was on thread `{name}`, named after no test"),
                ),
                _ => (named, format!("their threads are all named `{name}`")),
            }
        }
    };
    match candidates.len() {
        0 => Blame::Unknown("the test binary listed no tests".to_owned()),
        n if n > MAX_RERUNS => Blame::Unknown(format!(
            "any of {n} tests could have ({why}), too many to rerun each alone (the limit \
             is {MAX_RERUNS}): narrow the run with a filter"
        )),
        _ => Blame::Rerun {
            tests: candidates,
            why,
        },
    }
}

/// How a leak was pinned on a test.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum How {
    /// Its thread's name.
    ThreadName(String),
    /// Running it alone, among `of` candidates, because of `why`.
    Rerun { of: usize, why: String },
}

/// One test's leaks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct TestLeak {
    pub(crate) test: String,
    pub(crate) leaked: Amount,
    pub(crate) how: Vec<How>,
}

/// Leaked memory that no test could be found for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Unattributed {
    pub(crate) thread: Option<String>,
    pub(crate) leaked: Amount,
    pub(crate) why: String,
}

/// The per-test summary being built: leaks summed per test.
#[derive(Debug, Default)]
pub(crate) struct Attribution {
    pub(crate) tests: Vec<TestLeak>,
    pub(crate) unattributed: Vec<Unattributed>,
}

impl Attribution {
    /// Adds `leaked` to `test`'s total.
    pub(crate) fn charge(&mut self, test: &str, leaked: Amount, how: How) {
        let index = match self.tests.iter().position(|t| t.test == test) {
            Some(index) => index,
            None => {
                let test = test.to_owned();
                self.tests.push(TestLeak {
                    test,
                    leaked: Amount::default(),
                    how: Vec::new(),
                });
                self.tests.len() - 1
            }
        };
        let entry = &mut self.tests[index];
        entry.leaked = plus(entry.leaked, leaked);
        if !entry.how.contains(&how) {
            entry.how.push(how);
        }
    }

    /// Leaves `leaks` unattributed, because of `why`.
    pub(crate) fn leave(&mut self, leaks: &[ThreadLeak], why: &str) {
        self.unattributed
            .extend(leaks.iter().map(|leak| Unattributed {
                thread: leak.thread.clone(),
                leaked: leak.leaked,
                why: why.to_owned(),
            }));
    }

    /// Settles a thread's leak from the reruns: `base` is what a run of no test leaked on
    /// that thread, `deltas` what each candidate (rerun because of `why`) leaked there
    /// beyond it. If one test leaked alone, it gets the leak minus `base`; if several did,
    /// each gets what it leaked alone. `base` itself is the binary's, not a test's; when
    /// it is the whole leak, `deltas` may be empty (no test was rerun for it).
    pub(crate) fn settle(
        &mut self,
        leak: &ThreadLeak,
        why: &str,
        base: Amount,
        deltas: &[(&str, Amount)],
    ) {
        let own = minus(leak.leaked, base);
        let mut leave = |leaked: Amount, why: String| {
            if leaked.blocks > 0 {
                let thread = leak.thread.clone();
                self.unattributed.push(Unattributed {
                    thread,
                    leaked,
                    why,
                });
            }
        };
        leave(
            minus(leak.leaked, own),
            "the test binary leaks it even when it runs no test".to_owned(),
        );
        if own.blocks == 0 {
            return;
        }
        let how = How::Rerun {
            of: deltas.len(),
            why: why.to_owned(),
        };
        let leakers: Vec<&(&str, Amount)> = deltas.iter().filter(|(_, d)| d.blocks > 0).collect();
        match leakers[..] {
            [] => leave(
                own,
                format!(
                    "none of the {} tests that could have ({why}) leaked when run alone",
                    deltas.len()
                ),
            ),
            [&(test, _)] => self.charge(test, own, how),
            _ => {
                for &&(test, delta) in &leakers {
                    self.charge(test, delta, how.clone());
                }
            }
        }
    }

    /// "test `name` leaked N bytes in M blocks (how)" for each test, biggest first, then
    /// the leaks no test could be found for.
    pub(crate) fn render(&self) -> String {
        let mut tests: Vec<&TestLeak> = self.tests.iter().collect();
        tests.sort_by(|a, b| {
            (b.leaked.bytes, b.leaked.blocks, &a.test).cmp(&(
                a.leaked.bytes,
                a.leaked.blocks,
                &b.test,
            ))
        });
        let mut text = String::new();
        for test in tests {
            let how: Vec<String> = test.how.iter().map(describe).collect();
            let _ = writeln!(
                text,
                "test `{}` leaked {} ({})",
                test.test,
                amount(test.leaked),
                how.join("; ")
            );
        }
        text.push_str(&self.render_unattributed());
        text
    }

    /// "no test found for N bytes in M blocks leaked on thread `t`: why", a line each.
    pub(crate) fn render_unattributed(&self) -> String {
        let mut text = String::new();
        for leak in &self.unattributed {
            let thread = leak.thread.as_deref().map_or_else(
                || "a thread of unknown name".to_owned(),
                |t| format!("thread `{t}`"),
            );
            let _ = writeln!(
                text,
                "no test found for {} leaked on {thread}: {}",
                amount(leak.leaked),
                leak.why
            );
        }
        text
    }
}

pub(crate) fn describe(how: &How) -> String {
    match how {
        How::ThreadName(name) => format!("by the name of its thread, `{name}`"),
        How::Rerun { of, why } => {
            format!("by running alone each of the {of} tests that could have: {why}")
        }
    }
}

/// "N bytes in M blocks", "1 byte in 1 block".
pub(crate) fn amount(amount: Amount) -> String {
    let plural = |n: u64, word: &str| {
        if n == 1 {
            format!("{n} {word}")
        } else {
            format!("{n} {word}s")
        }
    };
    format!(
        "{} in {}",
        plural(amount.bytes, "byte"),
        plural(amount.blocks, "block")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(list: &[&str]) -> Vec<String> {
        list.iter().map(|&name| name.to_owned()).collect()
    }

    #[test]
    fn truncated_names_point_at_one_test_or_at_candidates() {
        let tests = names(&[
            "tests::leaks_a_buffer",
            "tests::leaks_a_box",
            "tests::frees_everything",
            "ok",
            "ok_too",
        ]);
        let limit = Some(15);
        assert_eq!(
            blame(Some("tests::frees_ev"), &tests, limit),
            Blame::Named("tests::frees_everything")
        );
        // A short name is whole: `ok` is not `ok_too`.
        assert_eq!(blame(Some("ok"), &tests, limit), Blame::Named("ok"));
        assert_eq!(
            blame(Some("tests::leaks_a_"), &tests, limit),
            Blame::Rerun {
                tests: vec!["tests::leaks_a_buffer", "tests::leaks_a_box"],
                why: "their threads are all named `tests::leaks_a_`".to_owned()
            }
        );
        // Without truncation the names differ.
        assert_eq!(
            blame(Some("tests::leaks_a_box"), &tests, None),
            Blame::Named("tests::leaks_a_box")
        );
        for thread in [Some("main"), Some("worker"), None] {
            let Blame::Rerun { tests: all, why } = blame(thread, &tests, limit) else {
                panic!("{thread:?}")
            };
            assert_eq!(all.len(), 5, "{thread:?}");
            assert!(why.starts_with("the leak was on"), "{why}");
        }
        assert_eq!(
            blame(Some("x"), &[], limit),
            Blame::Unknown("the test binary listed no tests".to_owned())
        );
        let many: Vec<String> = (0..=MAX_RERUNS).map(|i| format!("t{i}")).collect();
        let Blame::Unknown(why) = blame(Some("main"), &many, limit) else {
            panic!("too many to rerun")
        };
        assert!(why.contains("narrow the run with a filter"), "{why}");
    }

    fn leak(thread: Option<&str>, bytes: u64, blocks: u64) -> ThreadLeak {
        ThreadLeak {
            thread: thread.map(str::to_owned),
            leaked: Amount::new(bytes, blocks),
        }
    }

    #[test]
    fn reruns_settle_the_candidates() {
        let mut attribution = Attribution::default();
        let none = Amount::default();
        let shared = leak(Some("tests::leaks_a_"), 1000, 1);
        let deltas = [("a", Amount::new(990, 1)), ("b", Amount::default())];
        attribution.settle(&shared, "why", none, &deltas);
        // One test leaked alone: it gets the leak as the full run measured it.
        assert_eq!(attribution.tests[0].test, "a");
        assert_eq!(attribution.tests[0].leaked, Amount::new(1000, 1));
        // Several: each what it leaked alone. What the binary leaks by itself is its own.
        let deltas = [("a", Amount::new(10, 1)), ("c", Amount::new(20, 2))];
        attribution.settle(
            &leak(Some("main"), 78, 4),
            "main",
            Amount::new(48, 1),
            &deltas,
        );
        assert_eq!(attribution.tests[0].leaked, Amount::new(1010, 2));
        assert_eq!(attribution.tests[0].how.len(), 2);
        assert_eq!(attribution.tests[1].leaked, Amount::new(20, 2));
        assert_eq!(attribution.unattributed[0].leaked, Amount::new(48, 1));
        attribution.settle(&leak(None, 5, 1), "unknown", none, &[("a", none)]);
        assert_eq!(attribution.unattributed.len(), 2);
        attribution.charge("z", Amount::new(1010, 3), How::ThreadName("z".into()));
        assert_eq!(
            attribution.render(),
            "test `z` leaked 1010 bytes in 3 blocks (by the name of its thread, `z`)\n\
             test `a` leaked 1010 bytes in 2 blocks (by running alone each of the 2 tests \
             that could have: why; by running alone each of the 2 tests that could have: main)\n\
             test `c` leaked 20 bytes in 2 blocks (by running alone each of the 2 tests that \
             could have: main)\n\
             no test found for 48 bytes in 1 block leaked on thread `main`: the test binary \
             leaks it even when it runs no test\n\
             no test found for 5 bytes in 1 block leaked on a thread of unknown name: none of \
             the 1 tests that could have (unknown) leaked when run alone\n"
        );
        // The main thread's leak, all of it the binary's own.
        let mut attribution = Attribution::default();
        let base = Amount::new(48, 1);
        attribution.settle(&leak(Some("main"), 48, 1), "main", base, &[("a", none)]);
        assert!(attribution.tests.is_empty());
        assert_eq!(attribution.unattributed.len(), 1);
    }

    #[test]
    fn amounts_in_words() {
        assert_eq!(amount(Amount::new(1000, 1)), "1000 bytes in 1 block");
        assert_eq!(amount(Amount::new(1, 2)), "1 byte in 2 blocks");
    }
}
