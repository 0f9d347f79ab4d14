//! Whether a program has a global allocator of its own that does not call `malloc`
//! (jemalloc, mimalloc): under the interposer its Rust heap goes unseen, and the report
//! must say so rather than call an empty heap clean.

use std::fs::File;
use std::path::Path;

use object::read::ReadCache;
use object::{Object as _, ObjectSymbol as _};

/// Allocators known by their symbols, and the name the report gives them.
const KNOWN: &[(&str, &str)] = &[
    ("_rjem_", "jemalloc"),
    ("jemalloc", "jemalloc"),
    ("mi_malloc", "mimalloc"),
    ("snmalloc", "snmalloc"),
    ("tc_malloc", "tcmalloc"),
    ("rpmalloc", "rpmalloc"),
];

/// What the program's own allocator is when it has a `#[global_allocator]`: a known
/// allocator's name, or a description. `None` without one, or when the file cannot be
/// read. rustc links std's default (`__rdl_alloc`, System's) only when the program has
/// no global allocator of its own; with one, `__rust_alloc` calls that allocator (older
/// compilers through a `__rg_alloc` shim).
pub(crate) fn global_allocator_of(exe: &Path) -> Option<String> {
    let file = File::open(exe).ok()?;
    let cache = ReadCache::new(file);
    let object = object::File::parse(&cache).ok()?;
    let (mut rust, mut default) = (false, false);
    let mut known = None;
    for symbol in object.symbols() {
        let Ok(name) = symbol.name() else { continue };
        rust |= name.contains("__rust_alloc");
        default |= name.contains("__rdl_alloc");
        if known.is_none() {
            known = KNOWN
                .iter()
                .find(|(part, _)| name.contains(part))
                .map(|(_, allocator)| *allocator);
        }
    }
    (rust && !default)
        .then(|| known.map_or_else(|| "its own `#[global_allocator]`".to_owned(), str::to_owned))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_program_without_a_global_allocator_has_none() {
        // This test binary uses std's default allocator.
        let exe = std::env::current_exe().unwrap();
        assert_eq!(global_allocator_of(&exe), None);
        assert_eq!(global_allocator_of(Path::new("/no/such/file")), None);
    }
}
