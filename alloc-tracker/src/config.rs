//! Configuration from `MEMLEAK_*` environment variables.
//!
//! | variable | meaning |
//! |---|---|
//! | `MEMLEAK_OUT` | where the profile is written at exit; `%p` becomes the pid. Unset or empty: the tracker records nothing and writes nothing |

use std::ffi::{CStr, OsString};
use std::path::PathBuf;

/// The output path variable, as a C string so it can be read without allocating.
pub(crate) const OUT_VAR: &CStr = c"MEMLEAK_OUT";

/// The profile path from `MEMLEAK_OUT` with `%p` expanded, or `None` when unset or empty.
pub(crate) fn out_path() -> Option<PathBuf> {
    let name = OUT_VAR.to_str().ok()?;
    let raw = std::env::var_os(name)?;
    if raw.is_empty() {
        return None;
    }
    Some(expand_pattern(&raw, std::process::id()))
}

/// Expands `%p` to the pid and `%%` to `%`; other text is kept as is.
pub(crate) fn expand_pattern(pattern: &std::ffi::OsStr, pid: u32) -> PathBuf {
    let Some(text) = pattern.to_str() else {
        return PathBuf::from(pattern);
    };
    let mut out = String::with_capacity(text.len() + 8);
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c != '%' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('p') => out.push_str(&pid.to_string()),
            Some('%') => out.push('%'),
            Some(other) => {
                out.push('%');
                out.push(other);
            }
            None => out.push('%'),
        }
    }
    PathBuf::from(OsString::from(out))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pid_pattern_expands() {
        let path = expand_pattern("out/%p/profile-%p.json".as_ref(), 42);
        assert_eq!(path, PathBuf::from("out/42/profile-42.json"));
        assert_eq!(
            expand_pattern("100%%-%x%".as_ref(), 1),
            PathBuf::from("100%-%x%")
        );
    }
}
