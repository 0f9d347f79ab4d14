//! A small process builder whose `Display` is the command as a shell would take it, for
//! the `running: ...` lines on stderr; and how a process ended, in words.

use std::borrow::Cow;
use std::ffi::{OsStr, OsString};
use std::fmt;
use std::path::PathBuf;
use std::process::{Command, ExitStatus};

use anyhow::{Context as _, Result};

/// A program, its arguments and the environment changes it runs with.
#[derive(Debug, Clone)]
pub(crate) struct ProcessBuilder {
    program: OsString,
    args: Vec<OsString>,
    /// In order; `None` removes the variable.
    env: Vec<(OsString, Option<OsString>)>,
    /// Where it runs; `None` for the current directory.
    current_dir: Option<PathBuf>,
}

impl ProcessBuilder {
    pub(crate) fn new(program: impl Into<OsString>) -> Self {
        Self {
            program: program.into(),
            args: Vec::new(),
            env: Vec::new(),
            current_dir: None,
        }
    }

    pub(crate) fn arg(&mut self, arg: impl Into<OsString>) -> &mut Self {
        self.args.push(arg.into());
        self
    }

    pub(crate) fn args<I: IntoIterator<Item = S>, S: Into<OsString>>(
        &mut self,
        args: I,
    ) -> &mut Self {
        self.args.extend(args.into_iter().map(Into::into));
        self
    }

    pub(crate) fn env(
        &mut self,
        key: impl Into<OsString>,
        value: impl Into<OsString>,
    ) -> &mut Self {
        self.env.push((key.into(), Some(value.into())));
        self
    }

    pub(crate) fn env_remove(&mut self, key: impl Into<OsString>) -> &mut Self {
        self.env.push((key.into(), None));
        self
    }

    /// Runs it in `dir` (not shown by `Display`).
    pub(crate) fn current_dir(&mut self, dir: impl Into<PathBuf>) -> &mut Self {
        self.current_dir = Some(dir.into());
        self
    }

    /// The value this builder gives `key`: `Some(None)` when it removes it, `None` when it
    /// leaves it as inherited.
    #[cfg(test)]
    pub(crate) fn get_env(&self, key: &str) -> Option<Option<&OsStr>> {
        self.env
            .iter()
            .rev()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_deref())
    }

    #[cfg(test)]
    pub(crate) fn get_args(&self) -> &[OsString] {
        &self.args
    }

    /// The command, with stdin, stdout and stderr inherited.
    pub(crate) fn command(&self) -> Command {
        let mut command = Command::new(&self.program);
        command.args(&self.args);
        for (key, value) in &self.env {
            match value {
                Some(value) => command.env(key, value),
                None => command.env_remove(key),
            };
        }
        if let Some(dir) = &self.current_dir {
            command.current_dir(dir);
        }
        command
    }

    /// Runs it to completion with inherited stdio.
    pub(crate) fn status(&self) -> Result<ExitStatus> {
        self.command()
            .status()
            .with_context(|| format!("failed to start `{}`", self.program.to_string_lossy()))
    }
}

/// `KEY=value ... program args...`, each word quoted for a POSIX shell when it needs it.
/// Removed variables are not shown.
impl fmt::Display for ProcessBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (key, value) in &self.env {
            if let Some(value) = value {
                write!(f, "{}={} ", key.to_string_lossy(), shell_escape(value))?;
            }
        }
        write!(f, "{}", shell_escape(&self.program))?;
        for arg in &self.args {
            write!(f, " {}", shell_escape(arg))?;
        }
        Ok(())
    }
}

/// `word` as one POSIX shell word: unchanged when it only has safe characters, in single
/// quotes otherwise, and in `$'...'` with escapes when it has control characters (say the
/// `\x1f` of `CARGO_ENCODED_RUSTFLAGS`). Non-UTF-8 bytes are shown lossily.
pub(crate) fn shell_escape(word: &OsStr) -> Cow<'_, str> {
    let word = word.to_string_lossy();
    let safe = |c: char| c.is_ascii_alphanumeric() || "-_=+,./:@%^".contains(c);
    if !word.is_empty() && word.chars().all(safe) {
        return word;
    }
    if word.chars().any(char::is_control) {
        let mut quoted = String::from("$'");
        for c in word.chars() {
            match c {
                '\\' | '\'' => quoted.extend(['\\', c]),
                '\n' => quoted.push_str("\\n"),
                '\t' => quoted.push_str("\\t"),
                c if c.is_control() => quoted.push_str(&format!("\\x{:02x}", u32::from(c))),
                c => quoted.push(c),
            }
        }
        quoted.push('\'');
        return Cow::Owned(quoted);
    }
    Cow::Owned(format!("'{}'", word.replace('\'', r"'\''")))
}

/// How the process ended, to follow "the program": "exited with code 3", "was killed by
/// signal 11 (SIGSEGV, core dumped)".
pub(crate) fn describe_status(status: ExitStatus) -> String {
    if let Some(code) = status.code() {
        return format!("exited with code {code}");
    }
    #[cfg(unix)]
    {
        use std::os::unix::process::ExitStatusExt as _;
        if let Some(signal) = status.signal() {
            let mut detail: Vec<&str> = leak_report::signal_name(signal).into_iter().collect();
            if status.core_dumped() {
                detail.push("core dumped");
            }
            return if detail.is_empty() {
                format!("was killed by signal {signal}")
            } else {
                format!("was killed by signal {signal} ({})", detail.join(", "))
            };
        }
    }
    format!("ended with {status}")
}

/// The signal that ended the program, if one did.
pub(crate) fn exit_signal(status: ExitStatus) -> Option<i32> {
    #[cfg(unix)]
    {
        use std::os::unix::process::ExitStatusExt as _;
        status.signal()
    }
    #[cfg(not(unix))]
    {
        let _ = status;
        None
    }
}

/// Why a program that ended with `status` could write no profile, when its end says so:
/// a signal ends a process without running its exit hooks, where the tracker writes.
pub(crate) fn why_no_profile(status: ExitStatus) -> Option<&'static str> {
    #[cfg(unix)]
    {
        use std::os::unix::process::ExitStatusExt as _;
        match status.signal()? {
            9 => Some(
                "SIGKILL cannot be caught: nothing runs after it, the tracker's exit hook \
                 included (the OOM killer and `kill -9` send it)",
            ),
            _ => Some(
                "a signal's default action ends the process without running its exit hooks, \
                 where the tracker writes the profile",
            ),
        }
    }
    #[cfg(not(unix))]
    {
        let _ = status;
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn esc(s: &str) -> String {
        shell_escape(OsStr::new(s)).into_owned()
    }

    #[test]
    fn shell_escaping() {
        assert_eq!(esc("cargo"), "cargo");
        assert_eq!(
            esc("/abs/target/memleak/build"),
            "/abs/target/memleak/build"
        );
        assert_eq!(
            esc("--message-format=json-render-diagnostics"),
            "--message-format=json-render-diagnostics"
        );
        assert_eq!(esc(""), "''");
        assert_eq!(esc("two words"), "'two words'");
        assert_eq!(esc("it's"), r"'it'\''s'");
        assert_eq!(esc("$HOME"), "'$HOME'");
        assert_eq!(esc("a*b"), "'a*b'");
        assert_eq!(
            esc("-C\x1fforce-frame-pointers=yes"),
            r"$'-C\x1fforce-frame-pointers=yes'"
        );
        assert_eq!(esc("it's\n"), r"$'it\'s\n'");
    }

    #[test]
    fn display_shows_set_variables_then_the_command() {
        let mut p = ProcessBuilder::new("cargo");
        p.env("RUSTFLAGS", "-C force-frame-pointers=yes --cfg memleak")
            .env_remove("CARGO_ENCODED_RUSTFLAGS")
            .args(["build", "--example", "leaky"]);
        assert_eq!(
            p.to_string(),
            "RUSTFLAGS='-C force-frame-pointers=yes --cfg memleak' cargo build --example leaky"
        );
        assert_eq!(p.get_env("CARGO_ENCODED_RUSTFLAGS"), Some(None));
        assert_eq!(p.get_env("PATH"), None);
    }

    #[cfg(unix)]
    #[test]
    fn status_descriptions() {
        use std::os::unix::process::ExitStatusExt as _;
        assert_eq!(
            describe_status(ExitStatus::from_raw(3 << 8)),
            "exited with code 3"
        );
        assert_eq!(
            describe_status(ExitStatus::from_raw(11)),
            "was killed by signal 11 (SIGSEGV)"
        );
        assert_eq!(
            describe_status(ExitStatus::from_raw(6 | 0x80)),
            "was killed by signal 6 (SIGABRT, core dumped)"
        );
        assert_eq!(
            describe_status(ExitStatus::from_raw(40)),
            "was killed by signal 40"
        );
    }

    #[cfg(unix)]
    #[test]
    fn a_signal_explains_a_missing_profile_and_sigkill_says_it_cannot_be_caught() {
        use std::os::unix::process::ExitStatusExt as _;
        assert_eq!(why_no_profile(ExitStatus::from_raw(3 << 8)), None);
        assert!(
            why_no_profile(ExitStatus::from_raw(9))
                .unwrap()
                .contains("SIGKILL cannot")
        );
        assert!(
            why_no_profile(ExitStatus::from_raw(15))
                .unwrap()
                .contains("without running its exit hooks")
        );
    }
}
