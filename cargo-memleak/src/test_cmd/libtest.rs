//! Talking to libtest: the test binaries' arguments that select tests (reused to list
//! them and to run one alone), the `--list --format terse` output, and the name libtest's
//! thread for a test ends up with.

use std::ffi::OsString;

/// How many bytes of a thread's name the OS keeps: 15 on Linux (16 with the NUL), 63 on
/// Apple platforms; `None` where std does not truncate.
pub(crate) const THREAD_NAME_LIMIT: Option<usize> =
    if cfg!(any(target_os = "linux", target_os = "android")) {
        Some(15)
    } else if cfg!(target_vendor = "apple") {
        Some(63)
    } else {
        None
    };

/// libtest options whose value is the next argument (or follows `=`).
const LIBTEST_VALUE: [&str; 7] = [
    "--logfile",
    "--test-threads",
    "--skip",
    "--color",
    "--format",
    "-Z",
    "--shuffle-seed",
];

/// libtest options that change which tests run, other than by name; kept for `--list` and
/// for running one test alone (`-Z unstable-options` because some of them need it).
const LIBTEST_SELECTION: [&str; 6] = [
    "--ignored",
    "--include-ignored",
    "--exclude-should-panic",
    "--test",
    "--bench",
    "-Z",
];

/// The test binaries' arguments that decide which tests run.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct TestFilters {
    /// Free arguments: a test runs when its name contains one (equals one with `--exact`).
    filters: Vec<OsString>,
    /// `--skip` values.
    skips: Vec<OsString>,
    exact: bool,
    /// The [`LIBTEST_SELECTION`] options given, with their values.
    options: Vec<OsString>,
}

impl TestFilters {
    /// Picks the selecting arguments out of a test binary's arguments.
    pub(crate) fn parse(args: &[OsString]) -> Self {
        let mut parsed = Self::default();
        let mut args = args.iter();
        while let Some(arg) = args.next() {
            let Some(text) = arg.to_str().filter(|t| t.starts_with('-') && *t != "-") else {
                parsed.filters.push(arg.clone());
                continue;
            };
            if text == "--" {
                parsed.filters.extend(args.by_ref().cloned());
                break;
            }
            let (option, attached) = match text.split_once('=') {
                Some((option, value)) if option.starts_with("--") => (option, Some(value)),
                _ if text.starts_with("-Z") && text.len() > 2 => ("-Z", Some(&text[2..])),
                _ => (text, None),
            };
            let value: Option<OsString> = match attached {
                Some(value) => Some(value.into()),
                None if LIBTEST_VALUE.contains(&option) => args.next().cloned(),
                None => None,
            };
            match option {
                "--exact" => parsed.exact = true,
                "--skip" => parsed.skips.extend(value),
                _ if LIBTEST_SELECTION.contains(&option) => {
                    parsed.options.push(option.into());
                    parsed.options.extend(value);
                }
                _ => {}
            }
        }
        parsed
    }

    /// Arguments that list, one `name: test` line each, the tests a run with the same
    /// arguments runs.
    pub(crate) fn list_args(&self) -> Vec<OsString> {
        let mut args = self.options.clone();
        args.extend(["--list", "--format", "terse"].map(OsString::from));
        if self.exact {
            args.push("--exact".into());
        }
        for skip in &self.skips {
            args.extend(["--skip".into(), skip.clone()]);
        }
        args.push("--".into());
        args.extend(self.filters.iter().cloned());
        args
    }

    /// Arguments that list the ignored tests among those [`list_args`](Self::list_args)
    /// lists, which the run skips; `None` when the run runs ignored tests too
    /// (`--ignored`, `--include-ignored`).
    pub(crate) fn ignored_list_args(&self) -> Option<Vec<OsString>> {
        let runs_ignored = self
            .options
            .iter()
            .any(|option| option == "--ignored" || option == "--include-ignored");
        if runs_ignored {
            return None;
        }
        let mut args = vec![OsString::from("--ignored")];
        args.extend(self.list_args());
        Some(args)
    }

    /// Arguments that run the test named `name` and no other.
    pub(crate) fn only_args(&self, name: &str) -> Vec<OsString> {
        let mut args = self.options.clone();
        args.extend(["--exact", "--", name].map(OsString::from));
        args
    }

    /// Arguments that run no test at all: what the binary leaks by itself.
    pub(crate) fn none_args(&self) -> Vec<OsString> {
        // No `#[test]` can have this name: it is not a path.
        self.only_args("cargo memleak: no test has this name")
    }
}

/// The tests in a test binary's `--list --format terse` output (`name: test` and
/// `name: benchmark` lines), in order.
pub(crate) fn parse_test_list(stdout: &str) -> Vec<String> {
    stdout
        .lines()
        .filter_map(|line| {
            let (name, kind) = line.rsplit_once(": ")?;
            matches!(kind.trim_end(), "test" | "benchmark").then(|| name.to_owned())
        })
        .collect()
}

/// The name the tracker records for the thread libtest runs `test` on: its first `limit`
/// bytes (std cuts bytes, not characters), read back as UTF-8 the way the tracker does.
pub(crate) fn thread_name_of(test: &str, limit: Option<usize>) -> String {
    let bytes = test.as_bytes();
    let kept = limit.map_or(bytes.len(), |limit| limit.min(bytes.len()));
    String::from_utf8_lossy(&bytes[..kept]).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn os(args: &[&str]) -> Vec<OsString> {
        args.iter().map(OsString::from).collect()
    }

    #[test]
    fn terse_list_lines() {
        let stdout = "tests::frees_everything: test\ntests::leaks_a_buffer: test\n\
                      bench::fast: benchmark\nodd: name: with colons: test\n\n\
                      2 tests, 1 benchmark\nnot a test line\nwarning: something: else\n";
        assert_eq!(
            parse_test_list(stdout),
            [
                "tests::frees_everything",
                "tests::leaks_a_buffer",
                "bench::fast",
                "odd: name: with colons"
            ]
        );
        assert!(parse_test_list("").is_empty());
        assert_eq!(parse_test_list("a: test\r\n"), ["a"]);
    }

    #[test]
    fn thread_names_are_cut_like_the_os_cuts_them() {
        assert_eq!(
            thread_name_of("tests::leaks_a_buffer", Some(15)),
            "tests::leaks_a_"
        );
        assert_eq!(thread_name_of("short", Some(15)), "short");
        assert_eq!(
            thread_name_of("tests::leaks_a_buffer", None),
            "tests::leaks_a_buffer"
        );
        // A cut through a character reads back as U+FFFD, as the tracker reads it.
        assert_eq!(
            thread_name_of("tests::ünïcødé_test", Some(8)),
            "tests::\u{fffd}"
        );
        assert_eq!(
            thread_name_of("tests::ünïcødé_test", Some(8)),
            String::from_utf8_lossy(&"tests::ünïcødé_test".as_bytes()[..8])
        );
    }

    #[test]
    fn selection_keeps_what_selects_tests() {
        let filters = TestFilters::parse(&os(&[
            "leaks",
            "--nocapture",
            "--test-threads",
            "1",
            "--skip",
            "slow",
            "--format=json",
            "-Zunstable-options",
            "--include-ignored",
            "--exact",
            "--logfile",
            "log.txt",
            "--",
            "--weird",
        ]));
        assert_eq!(
            filters.list_args(),
            os(&[
                "-Z",
                "unstable-options",
                "--include-ignored",
                "--list",
                "--format",
                "terse",
                "--exact",
                "--skip",
                "slow",
                "--",
                "leaks",
                "--weird"
            ])
        );
        assert_eq!(
            filters.only_args("tests::a"),
            os(&[
                "-Z",
                "unstable-options",
                "--include-ignored",
                "--exact",
                "--",
                "tests::a"
            ])
        );
        let none = TestFilters::default().none_args();
        assert_eq!(none[..2], os(&["--exact", "--"]));
        assert!(none[2].to_str().unwrap().contains(' '));
        assert_eq!(
            TestFilters::parse(&[]).list_args(),
            os(&["--list", "--format", "terse", "--"])
        );
    }
}
