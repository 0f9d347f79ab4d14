//! What the program and its children see of the tracker: nothing. After start-up the
//! interposer removes `MEMLEAK_OUT` and itself from `LD_PRELOAD`, so the program reads
//! the environment it would read untracked, a program that carries `TrackingAlloc` too
//! leaves recording to the interposer, and the processes it spawns (a shell, a compiler,
//! the test binary re-running itself) run untracked and write no profile over its own.

use std::ffi::{CString, OsStr};
use std::os::unix::ffi::OsStrExt;

/// The program to track, when cargo memleak names it; other processes are its runners.
const PROGRAM_VAR: &str = "MEMLEAK_PRELOAD_EXE";

/// The file name every build of this library starts with.
const LIBRARY_STEM: &[u8] = b"libmemleak_preload";

/// Whether this process is the program to track: the one `MEMLEAK_PRELOAD_EXE` names, or
/// any when it is unset.
pub(crate) fn is_the_tracked_program() -> bool {
    let Some(program) = std::env::var_os(PROGRAM_VAR) else {
        return true;
    };
    let program = std::fs::canonicalize(&program).unwrap_or_else(|_| program.into());
    std::env::current_exe().is_ok_and(|exe| exe == program)
}

/// Removes the tracker's variables. Runs in the library constructor, before the program's
/// own code.
pub(crate) fn hide_tracker() {
    // SAFETY: the name is NUL-terminated. glibc's unsetenv takes the environment lock
    // and never frees the strings a concurrent getenv may hold.
    unsafe {
        libc::unsetenv(c"MEMLEAK_OUT".as_ptr());
        libc::unsetenv(c"MEMLEAK_PRELOAD_EXE".as_ptr());
    }
    let Some(preload) = std::env::var_os("LD_PRELOAD") else {
        return;
    };
    let kept = without_this_library(preload.as_bytes());
    if kept.len() == preload.len() {
        return;
    }
    match CString::new(kept) {
        // SAFETY: both strings are NUL-terminated; glibc's setenv copies them under the
        // environment lock.
        Ok(kept) if !kept.is_empty() => unsafe {
            libc::setenv(c"LD_PRELOAD".as_ptr(), kept.as_ptr(), 1);
        },
        // SAFETY: as above.
        _ => unsafe {
            libc::unsetenv(c"LD_PRELOAD".as_ptr());
        },
    }
}

/// `LD_PRELOAD` (entries separated by spaces or colons) without this library's entries.
fn without_this_library(preload: &[u8]) -> Vec<u8> {
    let kept: Vec<&[u8]> = preload
        .split(|&b| b == b':' || b == b' ')
        .filter(|entry| !entry.is_empty() && !is_this_library(entry))
        .collect();
    kept.join(&b':')
}

fn is_this_library(entry: &[u8]) -> bool {
    std::path::Path::new(OsStr::from_bytes(entry))
        .file_name()
        .is_some_and(|name| name.as_bytes().starts_with(LIBRARY_STEM))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_this_library_leaves_ld_preload() {
        let cut = |s: &str| String::from_utf8(without_this_library(s.as_bytes())).unwrap();
        assert_eq!(cut("/t/memleak/preload/libmemleak_preload.so"), "");
        assert_eq!(
            cut("/usr/lib/libfoo.so:/x/libmemleak_preload.so /usr/lib/libbar.so"),
            "/usr/lib/libfoo.so:/usr/lib/libbar.so"
        );
        assert_eq!(cut("libmemleak_preload-abc.so"), "");
        assert_eq!(cut("/lib/libmemleak.so"), "/lib/libmemleak.so");
    }
}
