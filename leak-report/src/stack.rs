//! From a site's return addresses to the stack a person reads: inline expansion, and
//! trimming of the allocation plumbing and of the runtime's start-up.
//!
//! The rules, in the order they apply:
//!
//! 1. **Expand.** Each frame becomes its symbols, innermost inlined function first; a frame
//!    without symbols becomes one `??` entry that keeps its address.
//! 2. **Cut the start-up.** Going outward, the first entry that is the runtime's or libc's
//!    start-up ([`is_startup`]) and everything outside it is dropped; then any
//!    `FnOnce::call_once` shim left just inside the cut.
//! 3. **Trim the plumbing.** Leading entries that are the allocator, the tracker or
//!    std/core/alloc/hashbrown internals ([`is_plumbing`]) are dropped, keeping at least one.
//! 4. **Classify** the stack after step 2 (see the `runtime` module).

use std::borrow::Cow;

use crate::profile::{Profile, Site};
use crate::runtime::is_runtime;

/// One line of a displayed stack: an inlined function or a frame.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[non_exhaustive]
pub struct StackEntry {
    /// Demangled function name, or `"??"` when unknown.
    pub function: String,
    /// Source file, when known.
    pub file: Option<String>,
    /// Source line, when known.
    pub line: Option<u64>,
    /// The return address, kept only for unresolved entries (no function and no file),
    /// where it is the only thing that tells two of them apart.
    pub ip: Option<u64>,
}

/// The name shown for a frame that could not be symbolized.
pub const UNKNOWN_FUNCTION: &str = "??";

impl StackEntry {
    /// Whether the entry could not be symbolized at all.
    #[must_use]
    pub fn is_unresolved(&self) -> bool {
        self.ip.is_some()
    }
}

/// Path prefixes (after any leading `<`) of the allocator, the tracker and the standard
/// library internals that every allocation passes through.
const PLUMBING_PREFIXES: &[&str] = &[
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

/// Sources of std's libraries (`/rustc/<hash>/library/alloc/src/...`) and of the tracker
/// (a path checkout `alloc-tracker/src/` or a registry `alloc-tracker-0.1.0/src/`).
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
                        .strip_prefix("alloc-tracker-")
                        .is_some_and(|version| version.starts_with(|c: char| c.is_ascii_digit())))
        })
}

/// Whether `function` is where the runtime or libc starts `main` or a thread; the stack is
/// cut there.
#[must_use]
pub fn is_startup(function: &str) -> bool {
    const PREFIXES: &[&str] = &[
        "std::sys::backtrace::__rust_begin_short_backtrace",
        // libtest runs each test through its own copy of the marker.
        "test::__rust_begin_short_backtrace",
        "std::sys_common::backtrace::__rust_begin_short_backtrace",
        "std::rt::lang_start",
        "__libc_start_main",
        "__libc_start_call_main",
    ];
    const EXACT: &[&str] = &[
        "_start",
        "start_thread",
        "clone",
        "clone3",
        "__clone",
        "__clone3",
        "__GI___clone",
        "__GI___clone3",
        "thread_start",
        "_pthread_start",
        "BaseThreadInitThunk",
        "RtlUserThreadStart",
    ];
    PREFIXES.iter().any(|prefix| function.starts_with(prefix)) || EXACT.contains(&function)
}

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
fn is_startup_entry(entry: &StackEntry) -> bool {
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
fn is_call_once_shim_entry(entry: &StackEntry) -> bool {
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

/// A site's displayed stack and whether it is the runtime's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SiteStack {
    /// Innermost first, trimmed at both ends.
    pub(crate) stack: Vec<StackEntry>,
    /// Whether the runtime holds this memory on purpose.
    pub(crate) runtime: bool,
}

/// Expands, trims and classifies one site of a validated profile. Frame indices out of
/// range are skipped, so this never panics even on a profile that bypassed validation.
pub(crate) fn analyse_site(profile: &Profile, site: &Site) -> SiteStack {
    let mut stack = expand(profile, site);
    if stack.is_empty() {
        // The tracker caught no frame at all: say so, and let it count as the program's.
        stack.push(unresolved(0));
    }
    let cut = stack
        .iter()
        .position(is_startup_entry)
        .unwrap_or(stack.len());
    stack.truncate(cut.max(1));
    while stack.len() > 1 && stack.last().is_some_and(is_call_once_shim_entry) {
        stack.pop();
    }
    // Both on the cut stack: the entries trimmed below are all plumbing anyway.
    let runtime = is_runtime(&stack);
    let first_kept = stack
        .iter()
        .position(|entry| !is_plumbing_entry(entry))
        .unwrap_or(stack.len())
        .min(stack.len().saturating_sub(1));
    stack.drain(..first_kept);
    SiteStack { stack, runtime }
}

/// Every frame of the site as its inlined symbols, innermost first.
fn expand(profile: &Profile, site: &Site) -> Vec<StackEntry> {
    let frames = profile.frames();
    let mut stack = Vec::with_capacity(site.frames.len());
    for frame in site
        .frames
        .iter()
        .filter_map(|&index| frames.get(usize::try_from(index).ok()?))
    {
        if frame.symbols.is_empty() {
            stack.push(unresolved(frame.ip));
        }
        for symbol in &frame.symbols {
            let function = symbol.function.as_deref().filter(|name| !name.is_empty());
            if function.is_none() && symbol.file.is_none() {
                stack.push(unresolved(frame.ip));
                continue;
            }
            stack.push(StackEntry {
                function: function.unwrap_or(UNKNOWN_FUNCTION).to_owned(),
                file: symbol.file.clone(),
                line: symbol.line,
                ip: None,
            });
        }
    }
    stack
}

fn unresolved(ip: u64) -> StackEntry {
    StackEntry {
        function: UNKNOWN_FUNCTION.to_owned(),
        file: None,
        line: None,
        ip: Some(ip),
    }
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
            "/r/alloc-tracker-0.1.0/src/events.rs"
        )));
        assert!(!is_plumbing_entry(&entry(
            "leak_some",
            "/w/examples/leaky.rs"
        )));
        assert!(!is_plumbing_entry(&entry(
            "main",
            "/w/alloc-tracker-demo/src/main.rs"
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
pub(crate) mod tests {
    use super::*;
    use crate::testing::{leaky, on_main, profile};

    /// Analyses a single-site profile built from `frames`.
    pub(crate) fn analyse(frames: &[&str]) -> SiteStack {
        let profile = profile(&[(frames, &[8])]);
        analyse_site(&profile, &profile.sites()[0])
    }

    pub(crate) fn functions(site: &SiteStack) -> Vec<&str> {
        site.stack
            .iter()
            .map(|entry| entry.function.as_str())
            .collect()
    }

    #[test]
    fn plumbing_names() {
        for name in [
            "alloc_tracker::site::capture",
            "<alloc_tracker::alloc::TrackingAlloc<A> as core::alloc::global::GlobalAlloc>::alloc",
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
            "alloc_trackerish::f",
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

    #[test]
    fn leak_site_is_trimmed_at_both_ends_with_inlined_symbols_expanded() {
        let site = analyse(&on_main(&[
            "<alloc_tracker::alloc::TrackingAlloc<A> as core::alloc::global::GlobalAlloc>::alloc",
            "__rustc::__rust_alloc",
            "alloc::alloc::alloc @ /rustc/abc/library/alloc/src/alloc.rs:95 | alloc::alloc::Global::alloc_impl @ /rustc/abc/library/alloc/src/alloc.rs:190",
            "alloc::vec::from_elem @ /rustc/abc/library/alloc/src/vec/mod.rs:3180 | app::fill @ /p/src/lib.rs:7 | app::leak @ /p/src/lib.rs:20",
            "app::main @ /p/src/main.rs:3",
        ]));
        assert!(!site.runtime);
        let rendered: Vec<(&str, Option<&str>, Option<u64>)> = site
            .stack
            .iter()
            .map(|entry| (entry.function.as_str(), entry.file.as_deref(), entry.line))
            .collect();
        assert_eq!(
            rendered,
            [
                ("app::fill", Some("/p/src/lib.rs"), Some(7)),
                ("app::leak", Some("/p/src/lib.rs"), Some(20)),
                ("app::main", Some("/p/src/main.rs"), Some(3)),
            ]
        );
        assert!(site.stack.iter().all(|entry| entry.ip.is_none()));
    }

    #[test]
    fn spawned_thread_is_cut_at_begin_short_backtrace() {
        let site = analyse(&[
            "alloc::raw_vec::finish_grow",
            "worker::run::{{closure}}",
            "std::sys::backtrace::__rust_begin_short_backtrace",
            "std::thread::Builder::spawn_unchecked_::{{closure}}::{{closure}}",
            "std::sys::pal::unix::thread::Thread::new::thread_start",
            "start_thread",
            "clone3",
        ]);
        assert_eq!(functions(&site), ["worker::run::{{closure}}"]);
        assert!(!site.runtime);
    }

    #[test]
    fn call_once_shims_above_the_cut_are_dropped_but_one_entry_stays() {
        let site = analyse(&[
            "app::main",
            "<fn() as core::ops::function::FnOnce<()>>::call_once",
            "core::ops::function::FnOnce::call_once{{vtable.shim}}",
            "<fn() -> core::result::Result<(), E> as core::ops::function::FnOnce<()>>::call_once",
            "std::rt::lang_start_internal",
        ]);
        assert_eq!(functions(&site), ["app::main"]);
        let only_startup = analyse(&["std::rt::lang_start_internal", "main"]);
        assert_eq!(only_startup.stack.len(), 1);
        assert!(only_startup.runtime);
    }

    #[test]
    fn unresolved_frames_keep_their_address_and_count_as_program_code() {
        let site = analyse(&on_main(&["__rustc::__rust_alloc", "", "app::main"]));
        assert_eq!(functions(&site), ["??", "app::main"]);
        assert!(site.stack[0].is_unresolved());
        assert_eq!(site.stack[0].ip, Some(0x1010));
        assert_eq!(site.stack[1].ip, None);

        let stripped = analyse(&["", "", ""]);
        assert_eq!(functions(&stripped), ["??", "??", "??"]);
        assert!(
            !stripped.runtime,
            "a stripped program's sites must not vanish as runtime"
        );
    }

    #[test]
    fn a_site_without_frames_is_one_unknown_entry_and_not_runtime() {
        let site = analyse(&[]);
        assert_eq!(functions(&site), ["??"]);
        assert_eq!(site.stack[0].ip, Some(0));
        assert!(!site.runtime);
    }

    #[test]
    fn fixture_sites() {
        let profile = leaky();
        let stacks: Vec<SiteStack> = profile
            .sites()
            .iter()
            .map(|site| analyse_site(&profile, site))
            .collect();
        assert_eq!(functions(&stacks[0]), ["leaky::leak_some", "leaky::main"]);
        assert_eq!(
            stacks[0].stack, stacks[1].stack,
            "different ips, same trimmed stack"
        );
        assert_eq!(functions(&stacks[2]), ["leaky::leak_box", "leaky::main"]);
        assert!(stacks[3].runtime, "stdout buffer");
        assert!(stacks[4].runtime, "main thread handle");
        assert_eq!(functions(&stacks[4]), ["std::rt::init"]);
        assert!(!stacks[0].runtime && !stacks[2].runtime && !stacks[5].runtime);
    }
}
