//! `cargo memleak test`'s command line, which is `cargo test`'s: what goes to `cargo test
//! --no-run`, and what goes to every test binary.

use std::ffi::{OsStr, OsString};
use std::path::PathBuf;

use leak_report::Threshold;

use crate::cli::diff_args::parse_threshold;
use crate::cli::run_args::ColorWhen;
use crate::fail_on::FailOn;
use crate::tracking::ModeChoice;

/// `cargo test` options whose value is the next argument (or follows `=`).
const CARGO_VALUE: [&str; 20] = [
    "-F",
    "--features",
    "-j",
    "--jobs",
    "--profile",
    "--exclude",
    "--manifest-path",
    "--lockfile-path",
    "--color",
    // memleak's suppression file, not cargo's `--config KEY=VALUE` (see `split`).
    "--config",
    // memleak's: in-process or preloaded; what fails the command.
    "--mode",
    "--fail-on",
    "--max-leaked",
    "--junit",
    "--baseline",
    "--threshold",
    "-Z",
    // Rejected below, but their value must not be taken for a TESTNAME.
    "--target-dir",
    "--message-format",
    "--artifact-dir",
];

/// `cargo test` options with an optional value: the next argument, unless it is an option.
const CARGO_OPTIONAL_VALUE: [&str; 7] = [
    "-p",
    "--package",
    "--bin",
    "--example",
    "--test",
    "--bench",
    "--target",
];

/// What `cargo memleak test`'s arguments mean.
#[derive(Debug, Default, PartialEq)]
pub(crate) struct Split {
    /// For `cargo test --no-run`, in the order given (TESTNAME taken out).
    pub(crate) cargo_args: Vec<OsString>,
    /// For every test binary: TESTNAME, then what followed `--`, then `--quiet` for `-q`
    /// (as `cargo test` passes them).
    pub(crate) test_args: Vec<OsString>,
    /// `--release`, `-r` or `--profile release`: line tables are added to that profile.
    pub(crate) release: bool,
    /// `--manifest-path`: `cargo metadata` needs it too.
    pub(crate) manifest_path: Option<PathBuf>,
    /// `--no-fail-fast`: run every test binary even after one failed.
    pub(crate) no_fail_fast: bool,
    /// `--config FILE`: memleak's suppressions. It shadows cargo's own `--config`, whose
    /// settings can be given as `CARGO_*` environment variables instead.
    pub(crate) config: Option<PathBuf>,
    /// `--show-reachable`: list memory still reachable at exit.
    pub(crate) show_reachable: bool,
    /// `--fail-on KINDS` and `--max-leaked BYTES`: what fails the command.
    pub(crate) fail_on: FailOn,
    /// `--mode`: how the test binaries are tracked.
    pub(crate) mode: ModeChoice,
    /// `--junit PATH`: where to write the JUnit XML.
    pub(crate) junit: Option<PathBuf>,
    /// `--color WHEN`: for cargo (passed on) and for cargo memleak's own output.
    pub(crate) color: Option<ColorWhen>,
    /// `--baseline DIR`: a copy of an earlier run's `target/memleak/test/`.
    pub(crate) baseline: Option<PathBuf>,
    /// `--threshold`, for `--baseline`; when not given,
    /// [`DEFAULT_THRESHOLD`](crate::cli::diff_args::DEFAULT_THRESHOLD).
    pub(crate) threshold: Option<Threshold>,
}

/// Why the arguments cannot be used.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum SplitError {
    /// `-h` or `--help` after other arguments: show the help.
    Help,
    /// A usage error, the message.
    Usage(String),
}

/// Splits `cargo memleak test`'s arguments: `before` is everything up to `--` (clap keeps
/// a `--` that follows other arguments in it), `after` what clap found after a leading `--`.
pub(crate) fn split(before: &[OsString], after: &[OsString]) -> Result<Split, SplitError> {
    let (cargo_part, mut test_part) = match before.iter().position(|arg| arg == "--") {
        Some(at) => (&before[..at], before[at + 1..].to_vec()),
        None => (before, Vec::new()),
    };
    test_part.extend(after.iter().cloned());

    let mut split = Split::default();
    let mut test_name: Option<OsString> = None;
    let mut quiet = false;
    let mut args = cargo_part.iter().peekable();
    while let Some(arg) = args.next() {
        let Some(text) = arg.to_str().filter(|t| t.starts_with('-') && *t != "-") else {
            if let Some(first) = &test_name {
                return Err(SplitError::Usage(format!(
                    "unexpected argument `{}`: `cargo test` takes one TESTNAME (`{}`); put \
                     more filters after `--`",
                    arg.to_string_lossy(),
                    first.to_string_lossy()
                )));
            }
            test_name = Some(arg.clone());
            continue;
        };
        let (option, attached) = option_and_value(text);
        let takes_value = CARGO_VALUE.contains(&option)
            || (CARGO_OPTIONAL_VALUE.contains(&option)
                && args
                    .peek()
                    .is_some_and(|next| !next.to_string_lossy().starts_with('-')));
        let value: Option<OsString> = match attached {
            Some(value) => Some(value.into()),
            None if takes_value => args.next().cloned(),
            None => None,
        };
        match option {
            "-h" | "--help" => return Err(SplitError::Help),
            "--doc" => {
                return Err(SplitError::Usage(
                    "`--doc` is not supported: doctests are compiled and run by rustdoc, one \
                     process each, not as test binaries `cargo memleak` can run"
                        .to_owned(),
                ));
            }
            "--no-run" | "--message-format" | "--target-dir" | "--artifact-dir" => {
                return Err(SplitError::Usage(format!(
                    "`{option}` cannot be used with `cargo memleak test`, which builds with \
                     its own (`--no-run --message-format=json-diagnostic-rendered-ansi` into \
                     `<target dir>/memleak/build`)"
                )));
            }
            "-r" | "--release" => split.release = true,
            "--profile" if value.as_deref() == Some(OsStr::new("release")) => split.release = true,
            "--manifest-path" => split.manifest_path = value.clone().map(PathBuf::from),
            "--no-fail-fast" => split.no_fail_fast = true,
            "--config" => {
                split.config = value.map(PathBuf::from);
                continue;
            }
            "--mode" => {
                let name = value.as_deref().and_then(OsStr::to_str).unwrap_or("");
                split.mode = ModeChoice::from_name(name).ok_or_else(|| {
                    SplitError::Usage(format!(
                        "invalid value `{name}` for `--mode`: expected `auto`, `inprocess` or \
                         `preload`"
                    ))
                })?;
                continue;
            }
            "--color" => {
                let name = value.as_deref().and_then(OsStr::to_str).unwrap_or("");
                split.color = Some(ColorWhen::from_name(name).ok_or_else(|| {
                    SplitError::Usage(format!(
                        "invalid value `{name}` for `--color`: expected `auto`, `always` or \
                         `never`"
                    ))
                })?);
            }
            "--baseline" => {
                let path = value.filter(|path| !path.is_empty()).ok_or_else(|| {
                    SplitError::Usage(
                        "`--baseline` needs the DIR of an earlier run's target/memleak/test"
                            .to_owned(),
                    )
                })?;
                split.baseline = Some(PathBuf::from(path));
                continue;
            }
            "--threshold" => {
                let text = value.as_deref().and_then(OsStr::to_str).unwrap_or("");
                split.threshold = Some(parse_threshold(text).map_err(|expected| {
                    SplitError::Usage(format!(
                        "invalid value `{text}` for `--threshold`: {expected}"
                    ))
                })?);
                continue;
            }
            "--junit" => {
                let path = value.filter(|path| !path.is_empty()).ok_or_else(|| {
                    SplitError::Usage("`--junit` needs the PATH of the XML file".to_owned())
                })?;
                split.junit = Some(PathBuf::from(path));
                continue;
            }
            "--show-reachable" => {
                split.show_reachable = true;
                continue;
            }
            "--fail-on" => {
                let text = value.as_deref().and_then(OsStr::to_str).unwrap_or("");
                let max_leaked = split.fail_on.max_leaked;
                split.fail_on = FailOn::parse(text)
                    .ok_or_else(|| {
                        SplitError::Usage(format!(
                            "invalid value `{text}` for `--fail-on`: expected {}",
                            crate::fail_on::EXPECTED
                        ))
                    })?
                    .with_max_leaked(max_leaked);
                continue;
            }
            "--max-leaked" => {
                let text = value.as_deref().and_then(OsStr::to_str).unwrap_or("");
                let bytes = crate::fail_on::parse_bytes(text).ok_or_else(|| {
                    SplitError::Usage(format!(
                        "invalid value `{text}` for `--max-leaked`: expected {}",
                        crate::fail_on::EXPECTED_BYTES
                    ))
                })?;
                split.fail_on = split.fail_on.with_max_leaked(bytes);
                continue;
            }
            "-q" | "--quiet" => quiet = true,
            _ => {}
        }
        split.cargo_args.push(arg.clone());
        if attached.is_none()
            && let Some(value) = value
        {
            split.cargo_args.push(value);
        }
    }
    split.test_args.extend(test_name);
    split.test_args.extend(test_part);
    if quiet {
        split.test_args.push("--quiet".into());
    }
    Ok(split)
}

/// `--name=value` as (`--name`, `value`); `-pfoo` or `-p=foo` as (`-p`, `foo`) for the
/// short options with values; anything else as itself, without a value.
fn option_and_value(arg: &str) -> (&str, Option<&str>) {
    if arg.starts_with("--") {
        return match arg.split_once('=') {
            Some((option, value)) => (option, Some(value)),
            None => (arg, None),
        };
    }
    match arg.get(..2) {
        Some(short @ ("-p" | "-F" | "-j" | "-Z")) if arg.len() > 2 => {
            (short, Some(arg[2..].strip_prefix('=').unwrap_or(&arg[2..])))
        }
        _ => (arg, None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn os(args: &[&str]) -> Vec<OsString> {
        args.iter().map(OsString::from).collect()
    }

    fn split_str(before: &[&str], after: &[&str]) -> Result<Split, SplitError> {
        split(&os(before), &os(after))
    }

    #[test]
    fn cargo_args_test_args_and_the_testname() {
        let s = split_str(
            &[
                "-p",
                "lt",
                "--features",
                "a b",
                "leaks",
                "-j4",
                "--test",
                "it",
                "--lib",
                "--",
                "--nocapture",
                "--",
                "x",
            ],
            &[],
        )
        .unwrap();
        assert_eq!(
            s.cargo_args,
            os(&[
                "-p",
                "lt",
                "--features",
                "a b",
                "-j4",
                "--test",
                "it",
                "--lib"
            ])
        );
        assert_eq!(s.test_args, os(&["leaks", "--nocapture", "--", "x"]));
        assert!(!s.release && !s.no_fail_fast && s.manifest_path.is_none());

        // A leading `--` is clap's: what follows arrives in `after`.
        let s = split_str(&[], &["--nocapture", "x"]).unwrap();
        assert!(s.cargo_args.is_empty());
        assert_eq!(s.test_args, os(&["--nocapture", "x"]));

        // An option's value is never the TESTNAME; an optional value is only taken when
        // it is not an option itself.
        let s = split_str(&["--bins", "--test", "--release", "name"], &[]).unwrap();
        assert_eq!(s.cargo_args, os(&["--bins", "--test", "--release"]));
        assert_eq!(s.test_args, os(&["name"]));
        assert!(s.release);
        let s = split_str(
            &["--color", "never", "-Z", "x", "--config=a=1", "name"],
            &[],
        )
        .unwrap();
        assert_eq!(s.test_args, os(&["name"]));
        // `--color` is cargo's too: read, and passed on.
        assert_eq!(s.color, Some(ColorWhen::Never));
        assert_eq!(s.cargo_args[..2], os(&["--color", "never"]));
        assert_eq!(
            split_str(&["--color=sometimes"], &[]),
            Err(SplitError::Usage(
                "invalid value `sometimes` for `--color`: expected `auto`, `always` or `never`"
                    .to_owned()
            ))
        );
    }

    #[test]
    fn options_cargo_memleak_reads() {
        let s = split_str(
            &[
                "--manifest-path",
                "f/Cargo.toml",
                "--no-fail-fast",
                "-q",
                "-r",
            ],
            &["--exact"],
        )
        .unwrap();
        assert_eq!(s.manifest_path, Some(PathBuf::from("f/Cargo.toml")));
        assert!(s.no_fail_fast && s.release);
        assert_eq!(s.test_args, os(&["--exact", "--quiet"]));
        assert_eq!(
            s.cargo_args,
            os(&[
                "--manifest-path",
                "f/Cargo.toml",
                "--no-fail-fast",
                "-q",
                "-r"
            ])
        );
        let s = split_str(&["--manifest-path=g/Cargo.toml", "--profile=release"], &[]).unwrap();
        assert_eq!(s.manifest_path, Some(PathBuf::from("g/Cargo.toml")));
        assert!(s.release);
        assert!(!split_str(&["--profile", "bench"], &[]).unwrap().release);
        // Either order: the budget survives a later `--fail-on`.
        for args in [
            &["--max-leaked", "64k", "--fail-on=any"][..],
            &["--fail-on", "any", "--max-leaked=64KiB"][..],
        ] {
            let s = split_str(args, &[]).unwrap();
            assert_eq!(
                s.fail_on,
                FailOn::parse("any").unwrap().with_max_leaked(65_536)
            );
            assert!(s.cargo_args.is_empty(), "{args:?}: {:?}", s.cargo_args);
        }
        // Taken out, its value never a TESTNAME.
        let s = split_str(&["--junit", "j.xml", "name"], &[]).unwrap();
        assert_eq!(s.junit, Some(PathBuf::from("j.xml")));
        assert_eq!(s.test_args, os(&["name"]));
        assert!(s.cargo_args.is_empty());
        let s = split_str(&["--baseline", "base", "--threshold=1k", "name"], &[]).unwrap();
        assert_eq!(s.baseline, Some(PathBuf::from("base")));
        assert_eq!(s.threshold, Some(Threshold::Bytes(1024)));
        assert_eq!(s.test_args, os(&["name"]));
        assert!(s.cargo_args.is_empty());
        let Err(SplitError::Usage(message)) = split_str(&["--threshold", "lots"], &[]) else {
            panic!("a bad threshold is accepted");
        };
        assert!(
            message.starts_with("invalid value `lots` for `--threshold`"),
            "{message}"
        );
        let s = split_str(&["--junit=k.xml"], &[]).unwrap();
        assert_eq!(s.junit, Some(PathBuf::from("k.xml")));
        for bad in [&["--junit"][..], &["--junit="]] {
            assert_eq!(
                split_str(bad, &[]),
                Err(SplitError::Usage(
                    "`--junit` needs the PATH of the XML file".to_owned()
                ))
            );
        }
    }

    #[test]
    fn unsupported_and_misplaced_arguments() {
        let usage = |args: &[&str]| match split_str(args, &[]) {
            Err(SplitError::Usage(message)) => message,
            other => panic!("{args:?}: {other:?}"),
        };
        assert!(usage(&["--doc"]).starts_with("`--doc` is not supported"));
        assert!(usage(&["--lib", "--no-run"]).starts_with("`--no-run` cannot be used"));
        assert!(usage(&["--target-dir", "t"]).starts_with("`--target-dir` cannot be used"));
        assert!(usage(&["--message-format=short"]).starts_with("`--message-format` cannot"));
        assert!(usage(&["--max-leaked", "lots"]).starts_with("invalid value `lots` for"));
        assert_eq!(
            usage(&["one", "two"]),
            "unexpected argument `two`: `cargo test` takes one TESTNAME (`one`); put more \
             filters after `--`"
        );
        assert_eq!(split_str(&["--lib", "--help"], &[]), Err(SplitError::Help));
        // After `--`, everything is the test binaries'.
        let s = split_str(&["--lib", "--", "--doc", "--help", "two", "three"], &[]).unwrap();
        assert_eq!(s.test_args, os(&["--doc", "--help", "two", "three"]));
    }

    #[test]
    fn short_options_with_attached_values() {
        assert_eq!(option_and_value("-pfoo"), ("-p", Some("foo")));
        assert_eq!(option_and_value("-p=foo"), ("-p", Some("foo")));
        assert_eq!(option_and_value("-j2"), ("-j", Some("2")));
        assert_eq!(option_and_value("--jobs=2"), ("--jobs", Some("2")));
        assert_eq!(option_and_value("-q"), ("-q", None));
        assert_eq!(option_and_value("-vv"), ("-vv", None));
        assert_eq!(option_and_value("--lib"), ("--lib", None));
    }
}
