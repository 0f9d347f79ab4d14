//! The environment variables `cargo memleak` reads or sets, by name.
//!
//! A variable set to the empty string counts as unset, as in cargo-llvm-cov: `RUSTFLAGS=`
//! in a CI file means "no flags", not "one empty flag".

use std::ffi::OsString;

use anyhow::{Result, bail};

/// The cargo that runs us (cargo sets it for subcommands and `cargo run`); else `cargo`.
pub(crate) const CARGO: &str = "CARGO";
/// The target directory; set for the inner build to `<target dir>/memleak/build`.
pub(crate) const CARGO_TARGET_DIR: &str = "CARGO_TARGET_DIR";
/// Compiler flags, separated by `\x1f`; takes precedence over [`RUSTFLAGS`].
pub(crate) const CARGO_ENCODED_RUSTFLAGS: &str = "CARGO_ENCODED_RUSTFLAGS";
/// Compiler flags, separated by whitespace.
pub(crate) const RUSTFLAGS: &str = "RUSTFLAGS";
/// Debug info of the release profile; `limited` (line tables and function names of
/// inlined frames) unless the user set it.
pub(crate) const CARGO_PROFILE_RELEASE_DEBUG: &str = "CARGO_PROFILE_RELEASE_DEBUG";
/// `auto`, `always` or `never`: colour of the text report on stdout.
pub(crate) const CARGO_TERM_COLOR: &str = "CARGO_TERM_COLOR";
/// Any value turns colour off (<https://no-color.org>), unless `CARGO_TERM_COLOR=always`.
pub(crate) const NO_COLOR: &str = "NO_COLOR";
/// The package directory; set for the test binaries `cargo memleak test` runs, as cargo
/// sets it.
pub(crate) const CARGO_MANIFEST_DIR: &str = "CARGO_MANIFEST_DIR";
/// Where the tracked program writes its profile; set by `cargo memleak run`.
pub(crate) const MEMLEAK_OUT: &str = "MEMLEAK_OUT";
/// The target triple of `cargo build`; unset for the interposer's build.
pub(crate) const CARGO_BUILD_TARGET: &str = "CARGO_BUILD_TARGET";
/// Libraries the loader loads first: the interposer, under `--mode preload`.
pub(crate) const LD_PRELOAD: &str = "LD_PRELOAD";
/// The program the interposer tracks; any other process it finds itself in (a runner)
/// passes it on untracked.
pub(crate) const MEMLEAK_PRELOAD_EXE: &str = "MEMLEAK_PRELOAD_EXE";

/// `value` unless it is empty.
pub(crate) fn non_empty(value: Option<OsString>) -> Option<OsString> {
    value.filter(|v| !v.is_empty())
}

/// The variable's value, `None` when unset or empty.
pub(crate) fn var_os(name: &str) -> Option<OsString> {
    non_empty(std::env::var_os(name))
}

/// The variable's value as UTF-8, `None` when unset or empty.
///
/// # Errors
/// When the value is not valid UTF-8.
pub(crate) fn var(name: &str) -> Result<Option<String>> {
    utf8(name, var_os(name))
}

fn utf8(name: &str, value: Option<OsString>) -> Result<Option<String>> {
    match value.map(OsString::into_string) {
        None => Ok(None),
        Some(Ok(s)) => Ok(Some(s)),
        Some(Err(raw)) => bail!("{name} is not valid UTF-8: {}", raw.to_string_lossy()),
    }
}

/// The cargo to run: the one that runs us, else `cargo` from `PATH`.
pub(crate) fn cargo_program() -> OsString {
    var_os(CARGO).unwrap_or_else(|| "cargo".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_means_unset() {
        assert_eq!(non_empty(None), None);
        assert_eq!(non_empty(Some(OsString::new())), None);
        assert_eq!(non_empty(Some(" ".into())), Some(OsString::from(" ")));
        assert_eq!(
            non_empty(Some("-Dwarnings".into())),
            Some("-Dwarnings".into())
        );
    }

    #[test]
    fn unset_variable_is_none() {
        assert_eq!(var("MEMLEAK_TEST_SURELY_UNSET_VARIABLE").unwrap(), None);
    }

    #[cfg(unix)]
    #[test]
    fn non_utf8_is_an_error_naming_the_variable() {
        use std::os::unix::ffi::OsStringExt;
        let raw = OsString::from_vec(vec![b'-', 0xff]);
        let err = utf8(RUSTFLAGS, Some(raw)).unwrap_err().to_string();
        assert!(err.starts_with("RUSTFLAGS is not valid UTF-8"), "{err}");
        assert_eq!(
            utf8(RUSTFLAGS, Some("-g".into())).unwrap().as_deref(),
            Some("-g")
        );
    }
}
