//! Which stack entries are plumbing (the allocator, the tracker, std's internals every
//! allocation passes through) and which are the runtime's start-up, by name and, for
//! bare inlined names, by source file. [`crate::stack`] applies these rules.

use std::borrow::Cow;

use crate::symbols::entry::StackEntry;

/// Path prefixes (after any leading `<`) of the allocator, the tracker and the standard
/// library internals that every allocation passes through.
const PLUMBING_PREFIXES: &[&str] = &[
    "memleak::",
    "alloc_tracker::",
    "alloc::",
    "core::",
    "std::",
    "hashbrown::",
    "backtrace::",
    "__rustc::",
    "__rust_",
    "__rdl_",
    "__rg_",
    "_Unwind_",
];

/// Crates whose traits, implemented for a non-user type, are plumbing:
/// `<T as alloc::vec::spec_from_elem::SpecFromElem>::from_elem`.
const STD_CRATES: &[&str] = &[
    "alloc",
    "core",
    "std",
    "hashbrown",
    "memleak",
    // The tracker's name before 0.1 was published as `memleak`: older profiles.
    "alloc_tracker",
    "backtrace",
];

/// Whether `function` is the allocator, the tracker, or a std/core/alloc/hashbrown internal
/// (including a std trait implemented for a std, primitive or generic type).
#[must_use]
pub fn is_plumbing(function: &str) -> bool {
    let name = function.trim_start_matches('<');
    if PLUMBING_PREFIXES
        .iter()
        .any(|prefix| name.starts_with(prefix))
    {
        return true;
    }
    match split_trait_impl(function) {
        Some((self_type, trait_path)) => {
            crate_of(trait_path).is_some_and(|krate| STD_CRATES.contains(&krate))
                && !is_user_type(self_type)
        }
        None => false,
    }
}

/// Whether an entry is plumbing by its name or, failing that, by its source file: debug
/// info without linkage names (`debug = "line-tables-only"`) gives inlined functions bare
/// names (`from_elem<u8>`, `on_alloc`), but their files still say where they live.
#[must_use]
pub fn is_plumbing_entry(entry: &StackEntry) -> bool {
    is_plumbing(&entry.function) || entry.file.as_deref().is_some_and(is_plumbing_file)
}

/// Whether an entry, the innermost of a stack recorded by the interposer, is Rust's
/// allocation path calling `malloc` (see the `stack` module): std's allocation plumbing or
/// the tracker's, but not the unwinder, which is C.
#[must_use]
pub(crate) fn is_rust_allocator_entry(entry: &StackEntry) -> bool {
    !entry.function.starts_with("_Unwind_") && is_plumbing_entry(entry)
}

/// Sources of std's libraries (`/rustc/<hash>/library/alloc/src/...`) and of the tracker
/// (a path checkout `alloc-tracker/src/` or a registry `memleak-0.1.0/src/`).
fn is_plumbing_file(file: &str) -> bool {
    const LIBRARIES: &[&str] = &[
        "/library/alloc/src/",
        "/library/core/src/",
        "/library/std/src/",
    ];
    let file = file.replace('\\', "/");
    if LIBRARIES.iter().any(|library| file.contains(library)) {
        return true;
    }
    file.split('/')
        .zip(file.split('/').skip(1))
        .any(|(dir, next)| {
            next == "src"
                && (dir == "alloc-tracker"
                    || dir
                        .strip_prefix("memleak-")
                        .is_some_and(|version| version.starts_with(|c: char| c.is_ascii_digit())))
        })
}

pub use memleak_format::runtime::is_startup;

/// `core::ops::function::FnOnce::call_once` in any of its spellings, including the
/// `<F as core::ops::function::FnOnce<A>>::call_once` form and `{{vtable.shim}}`.
fn is_call_once_shim(function: &str) -> bool {
    if function.starts_with("core::ops::function::FnOnce::call_once") {
        return true;
    }
    split_trait_impl(function).is_some_and(|(_, trait_path)| {
        trait_path.starts_with("core::ops::function::FnOnce") && trait_path.contains(">::call_once")
    })
}

/// [`is_startup`], or the same function under the bare name that debug info without
/// linkage names gives it (`__rust_begin_short_backtrace<fn(), ()>` in std's sources).
pub(crate) fn is_startup_entry(entry: &StackEntry) -> bool {
    is_startup(&entry.function)
        || (entry
            .file
            .as_deref()
            .is_some_and(|file| file.contains("/library/std/src/"))
            && ["__rust_begin_short_backtrace", "lang_start"]
                .iter()
                .any(|name| entry.function.starts_with(name)))
}

/// [`is_call_once_shim`], or its bare-named form in core's `ops/function.rs`.
pub(crate) fn is_call_once_shim_entry(entry: &StackEntry) -> bool {
    is_call_once_shim(&entry.function)
        || (entry.function.starts_with("call_once")
            && entry.file.as_deref().is_some_and(|file| {
                file.replace('\\', "/")
                    .ends_with("library/core/src/ops/function.rs")
            }))
}

/// The name with a v0-style inherent-impl path `<alloc::boxed::Box<str>>::from` written
/// as `alloc::boxed::Box<str>::from`, and any other leading `<` dropped, for prefix
/// matching.
pub(crate) fn normalized(function: &str) -> Cow<'_, str> {
    let Some(inner) = function.strip_prefix('<') else {
        return Cow::Borrowed(function);
    };
    if split_trait_impl(function).is_none() {
        let mut depth = 0_usize;
        for (index, byte) in inner.bytes().enumerate() {
            match byte {
                b'<' => depth += 1,
                b'>' if index > 0 && inner.as_bytes()[index - 1] == b'-' => {}
                b'>' if depth == 0 => {
                    return Cow::Owned(format!("{}{}", &inner[..index], &inner[index + 1..]));
                }
                b'>' => depth -= 1,
                _ => {}
            }
        }
    }
    Cow::Borrowed(inner)
}

/// Splits `<X as path::Trait<..>>::method` into `X` and `path::Trait<..>>::method`.
fn split_trait_impl(function: &str) -> Option<(&str, &str)> {
    let inner = function.strip_prefix('<')?;
    let mut depth = 0_usize;
    for (index, byte) in inner.bytes().enumerate() {
        match byte {
            b'<' | b'[' | b'(' => depth += 1,
            // The `>` of a function type's `->` closes nothing.
            b'>' if index > 0 && inner.as_bytes()[index - 1] == b'-' => {}
            b'>' | b']' | b')' => depth = depth.checked_sub(1)?,
            b' ' if depth == 0 && inner[index..].starts_with(" as ") => {
                return Some((&inner[..index], &inner[index + 4..]));
            }
            _ => {}
        }
    }
    None
}

/// The crate a path starts with: `alloc` for `alloc::vec::Vec<T>`.
fn crate_of(path: &str) -> Option<&str> {
    let end = path.find("::")?;
    let krate = &path[..end];
    let is_ident = !krate.is_empty()
        && krate
            .bytes()
            .all(|byte| byte.is_ascii_alphanumeric() || byte == b'_');
    is_ident.then_some(krate)
}

/// Whether a `Self` type is a path into a crate other than std's: the program's own type.
/// References and pointers are looked through; slices, tuples, primitives and generic
/// parameters are not user types.
fn is_user_type(self_type: &str) -> bool {
    let mut rest = self_type.trim();
    loop {
        let next = ["&", "mut ", "*const ", "*mut ", "dyn ", "impl "]
            .iter()
            .find_map(|prefix| rest.strip_prefix(prefix))
            .map(str::trim_start);
        match next {
            Some(stripped) => rest = stripped,
            None => break,
        }
    }
    crate_of(rest).is_some_and(|krate| !STD_CRATES.contains(&krate))
}

#[cfg(test)]
mod file_tests {
    use super::*;

    fn entry(function: &str, file: &str) -> StackEntry {
        StackEntry {
            function: function.to_owned(),
            file: Some(file.to_owned()),
            line: Some(1),
            ip: None,
        }
    }

    #[test]
    fn bare_inlined_names_are_plumbing_by_their_file() {
        let std_file = "/rustc/17067e9ac6d/library/alloc/src/vec/mod.rs";
        assert!(is_plumbing_entry(&entry("from_elem<u8>", std_file)));
        assert!(is_plumbing_entry(&entry(
            "on_alloc",
            "/w/alloc-tracker/src/events.rs"
        )));
        assert!(is_plumbing_entry(&entry(
            "on_alloc",
            "/r/memleak-0.1.0/src/events.rs"
        )));
        assert!(!is_plumbing_entry(&entry(
            "leak_some",
            "/w/examples/leaky.rs"
        )));
        assert!(!is_plumbing_entry(&entry(
            "main",
            "/w/memleak-demo/src/main.rs"
        )));
        assert!(!is_plumbing_entry(&entry(
            "parse",
            "/w/my-library/src/lib.rs"
        )));
    }

    #[test]
    fn bare_start_up_names_are_cut_by_their_file() {
        let std_file = "/rustc/17067e9ac6d/library/std/src/sys/backtrace.rs";
        assert!(is_startup_entry(&entry(
            "__rust_begin_short_backtrace<fn(), ()>",
            std_file
        )));
        assert!(!is_startup_entry(&entry(
            "__rust_begin_short_backtrace",
            "/w/src/main.rs"
        )));
        let core_file = "/rustc/17067e9ac6d/library/core/src/ops/function.rs";
        assert!(is_call_once_shim_entry(&entry(
            "call_once<fn(), ()>",
            core_file
        )));
        assert!(!is_call_once_shim_entry(&entry(
            "call_once",
            "/w/src/main.rs"
        )));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plumbing_names() {
        for name in [
            "memleak::site::capture",
            "<memleak::alloc::TrackingAlloc<A> as core::alloc::global::GlobalAlloc>::alloc",
            "__rustc::__rust_alloc",
            "__rust_alloc",
            "__rdl_alloc",
            "__rg_alloc",
            "alloc::raw_vec::finish_grow",
            "<alloc::alloc::Global as core::alloc::Allocator>::allocate",
            "core::ptr::drop_in_place",
            "std::collections::hash::map::HashMap<K,V,S>::insert",
            "hashbrown::raw::RawTable<T,A>::reserve_rehash",
            "<u8 as alloc::vec::spec_from_elem::SpecFromElem>::from_elem",
            "<T as alloc::slice::hack::ConvertVec>::to_vec",
            "<[T] as alloc::borrow::ToOwned>::to_owned",
            "<&str as std::ffi::CString>::new",
            "<str as alloc::string::ToString>::to_string",
            "backtrace::backtrace::trace_unsynchronized",
        ] {
            assert!(is_plumbing(name), "{name} should be plumbing");
        }
        for name in [
            "leaky::leak_some",
            "leaky::main::{{closure}}",
            "<leaky::Cache as core::clone::Clone>::clone",
            "<&mut leaky::Cache as core::default::Default>::default",
            "<leaky::Cache as serde::Serialize>::serialize",
            "<T as serde::Serialize>::serialize",
            "serde_json::de::from_str",
            "memleakish::f",
            "memleak_demo::f",
            "main",
            "??",
        ] {
            assert!(!is_plumbing(name), "{name} should not be plumbing");
        }
    }

    #[test]
    fn startup_names() {
        for name in [
            "std::sys::backtrace::__rust_begin_short_backtrace",
            "std::sys::backtrace::__rust_begin_short_backtrace::<fn(), ()>",
            "test::__rust_begin_short_backtrace::<core::result::Result<(), alloc::string::String>, fn()>",
            "std::rt::lang_start",
            "std::rt::lang_start_internal",
            "std::rt::lang_start::{{closure}}",
            "__libc_start_main",
            "__libc_start_call_main",
            "_start",
            "start_thread",
            "clone3",
            "clone",
            "thread_start",
        ] {
            assert!(is_startup(name), "{name} should be start-up");
        }
        for name in [
            "std::rt::init",
            "_start_foo",
            "leaky::clone",
            "std::thread::spawn",
            "main",
        ] {
            assert!(!is_startup(name), "{name} should not be start-up");
        }
    }

    #[test]
    fn inherent_impls_are_normalized() {
        assert_eq!(
            normalized("<std::thread::thread::Thread>::new"),
            "std::thread::thread::Thread::new"
        );
        assert_eq!(
            normalized("<alloc::boxed::Box<str>>::clone_from_ref"),
            "alloc::boxed::Box<str>::clone_from_ref"
        );
        assert_eq!(normalized("<T as core::Trait>::f"), "T as core::Trait>::f");
        assert_eq!(normalized("std::rt::init"), "std::rt::init");
        assert_eq!(normalized("<unclosed"), "unclosed");
    }

    #[test]
    fn trait_impls_split_at_the_outer_as() {
        assert_eq!(
            split_trait_impl("<alloc::vec::Vec<T,A> as core::ops::drop::Drop>::drop"),
            Some(("alloc::vec::Vec<T,A>", "core::ops::drop::Drop>::drop"))
        );
        assert_eq!(
            split_trait_impl("<<A as x::Y>::Z as core::T>::f"),
            Some(("<A as x::Y>::Z", "core::T>::f"))
        );
        assert_eq!(
            split_trait_impl(
                "<fn() -> core::result::Result<(), E> as core::ops::function::FnOnce<()>>::call_once"
            ),
            Some((
                "fn() -> core::result::Result<(), E>",
                "core::ops::function::FnOnce<()>>::call_once"
            ))
        );
        assert_eq!(split_trait_impl("alloc::vec::Vec<T>::push"), None);
        assert_eq!(split_trait_impl("<alloc::vec::Vec<T>>::push"), None);
        assert_eq!(split_trait_impl("<unbalanced>> as x::Y>::f"), None);
    }
}
