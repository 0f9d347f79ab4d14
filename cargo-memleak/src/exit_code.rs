//! The exit codes of `cargo memleak`, and the error type that carries one.
//!
//! Every code is documented in `--help` (`docs/exit-codes.txt`; a test keeps the two in
//! sync). CI scripts branch on them, so a code never changes its meaning.

use std::fmt;
use std::io;

/// The program ran, and nothing it allocated was live at exit (the runtime's own blocks
/// excepted). `cargo memleak report` on a profile without leaks. Also a closed stdout
/// (`cargo memleak run | head`): the reader has seen what it wanted.
pub(crate) const SUCCESS: u8 = 0;
/// A bug in cargo-memleak: a panic or a state that should be impossible.
pub(crate) const INTERNAL_ERROR: u8 = 1;
/// A usage error reported by the argument parser: unknown option, missing value.
pub(crate) const USAGE_ERROR: u8 = 2;
/// The program ran and blocks it allocated were still live at exit.
pub(crate) const LEAKS_FOUND: u8 = 10;
/// The program exited non-zero or was killed by a signal, or could not be started. The
/// report is still printed when it wrote a profile.
pub(crate) const TARGET_FAILED: u8 = 11;
/// `cargo build` failed, or built no executable for the target.
pub(crate) const BUILD_FAILED: u8 = 12;
/// The profile could not be read: missing, corrupt, truncated, or from a newer version.
pub(crate) const PROFILE_UNREADABLE: u8 = 13;
/// No leak, but memory grew while the program ran, and `--fail-on growth` asked to
/// fail on that.
pub(crate) const GROWTH_FOUND: u8 = 15;
/// `cargo memleak diff`, or `run --baseline`: the new run regressed against the base,
/// with a leak the base did not have, or leaked bytes or a peak grown past `--threshold`.
pub(crate) const REGRESSED: u8 = 16;
/// Interrupted (SIGINT) before the program ran: while building, say. Once the program
/// runs, Ctrl-C reaches it too; it writes its profile and the report follows.
pub(crate) const INTERRUPTED: u8 = 130;
/// cargo-memleak could not do its job: the program does not use the `memleak` tracker, no such
/// target or package, not in a cargo workspace, or its own files could not be written.
pub(crate) const SETUP_ERROR: u8 = 14;

/// Every code with its name, for the documentation test.
#[cfg(test)]
pub(crate) const ALL: [(&str, u8); 11] = [
    ("SUCCESS", SUCCESS),
    ("INTERNAL_ERROR", INTERNAL_ERROR),
    ("USAGE_ERROR", USAGE_ERROR),
    ("LEAKS_FOUND", LEAKS_FOUND),
    ("TARGET_FAILED", TARGET_FAILED),
    ("BUILD_FAILED", BUILD_FAILED),
    ("PROFILE_UNREADABLE", PROFILE_UNREADABLE),
    ("SETUP_ERROR", SETUP_ERROR),
    ("GROWTH_FOUND", GROWTH_FOUND),
    ("REGRESSED", REGRESSED),
    ("INTERRUPTED", INTERRUPTED),
];

/// An error and the exit code it ends the command with.
pub(crate) struct Failure {
    code: u8,
    error: anyhow::Error,
}

impl Failure {
    /// An error that exits with `code`.
    pub(crate) fn new(code: u8, error: impl Into<anyhow::Error>) -> Self {
        Self {
            code,
            error: error.into(),
        }
    }

    /// The message, as [`print`](Self::print) shows it.
    pub(crate) fn message(&self) -> String {
        format!("{:#}", self.error)
    }

    /// Prints `error: {e:#}` to stderr and returns the exit code; a broken pipe (stdout
    /// closed by its reader) prints nothing and exits [`SUCCESS`].
    pub(crate) fn print(self) -> u8 {
        if is_broken_pipe(&self.error) {
            return SUCCESS;
        }
        crate::term::say(format_args!("error: {:#}", self.error));
        self.code
    }
}

impl fmt::Debug for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "exit code {}: {:#}", self.code, self.error)
    }
}

/// Whether the error, or any of its causes, is a broken pipe.
fn is_broken_pipe(error: &anyhow::Error) -> bool {
    error
        .chain()
        .filter_map(|cause| cause.downcast_ref::<io::Error>())
        .any(|io| io.kind() == io::ErrorKind::BrokenPipe)
}

/// `.exit_code(CODE)?` turns any error into a [`Failure`] with that code.
pub(crate) trait ResultExt<T> {
    /// Attaches the exit code to the error.
    fn exit_code(self, code: u8) -> Result<T, Failure>;
}

impl<T, E: Into<anyhow::Error>> ResultExt<T> for Result<T, E> {
    fn exit_code(self, code: u8) -> Result<T, Failure> {
        self.map_err(|e| Failure::new(code, e))
    }
}

#[cfg(test)]
mod tests {
    use anyhow::Context as _;

    use super::*;

    #[test]
    fn help_text_documents_every_code() {
        let help = include_str!("../docs/exit-codes.txt");
        // Each entry is a line starting with the code, plus its indented continuation lines.
        let mut entries: Vec<String> = Vec::new();
        for line in help.lines().skip(1) {
            match entries.last_mut() {
                Some(entry) if !line.trim_start().starts_with(|c: char| c.is_ascii_digit()) => {
                    entry.push_str(line);
                }
                _ => entries.push(line.trim_start().to_owned()),
            }
        }
        assert_eq!(entries.len(), ALL.len(), "{entries:#?}");
        for (name, code) in ALL {
            let entry = entries
                .iter()
                .find(|entry| entry.starts_with(&format!("{code} ")))
                .unwrap_or_else(|| panic!("docs/exit-codes.txt has no entry for {code}"));
            assert!(
                entry.contains(&format!("({name})")),
                "the entry for {code} does not name {name}: {entry}"
            );
        }
    }

    #[test]
    fn broken_pipe_anywhere_in_the_chain_exits_zero() {
        let pipe = io::Error::new(io::ErrorKind::BrokenPipe, "closed");
        let err = Err::<(), _>(pipe)
            .context("failed to print the report")
            .unwrap_err();
        assert!(is_broken_pipe(&err));
        assert_eq!(Failure::new(SETUP_ERROR, err).print(), SUCCESS);
        let other = io::Error::new(io::ErrorKind::PermissionDenied, "no");
        assert!(!is_broken_pipe(&anyhow::Error::new(other)));
    }

    #[test]
    fn result_ext_keeps_the_message() {
        let failure = Err::<(), _>(anyhow::anyhow!("no profile")).exit_code(TARGET_FAILED);
        assert_eq!(
            format!("{:?}", failure.unwrap_err()),
            "exit code 11: no profile"
        );
    }
}
