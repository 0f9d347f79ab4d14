//! From a site's return addresses to the stack a person reads: inline expansion, and
//! trimming of the allocation plumbing and of the runtime's start-up.
//!
//! The rules, in the order they apply:
//!
//! 1. **Expand.** Each frame becomes its symbols, innermost inlined function first; a frame
//!    without symbols becomes one `??` entry that keeps its address.
//! 2. **Cut the start-up.** Going outward, the first entry that is the runtime's or libc's
//!    start-up ([`is_startup`](crate::is_startup)) and everything outside it is dropped; then any
//!    `FnOnce::call_once` shim left just inside the cut.
//! 3. **Trim the plumbing.** Leading entries that are the allocator, the tracker or
//!    std/core/alloc/hashbrown internals ([`is_plumbing`](crate::is_plumbing)) are dropped, keeping at least one.
//! 4. **Classify** the stack after step 2 (see the `runtime` module).
//! 5. **Origin.** Under the interposer, where every `malloc` is recorded, a block is Rust
//!    heap when the innermost entry (the caller of `malloc`, before any trimming) is
//!    Rust's allocation path: `alloc::alloc::alloc` and the `Global`/`RawVec`/`Box`
//!    internals that call `__rust_alloc` (which tail-calls `__rdl_alloc`, which tail-calls
//!    `malloc`, so neither shows), std's `System` allocator, or a `TrackingAlloc`. Any
//!    other caller (a C library, libc itself, a Rust function calling `libc::malloc`)
//!    makes it native.

use crate::model::{Mode, Origin};
use crate::profile::loaded::{Profile, Site};
use crate::symbols::entry::{StackEntry, UNKNOWN_FUNCTION};
use crate::symbols::plumbing::{
    is_call_once_shim_entry, is_plumbing_entry, is_rust_allocator_entry, is_startup_entry,
};
use crate::symbols::runtime::is_runtime;

/// A site's displayed stack and whether it is the runtime's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SiteStack {
    /// Innermost first, trimmed at both ends.
    pub(crate) stack: Vec<StackEntry>,
    /// Whether the runtime holds this memory on purpose.
    pub(crate) runtime: bool,
    /// Whether the blocks came through Rust's global allocator.
    pub(crate) origin: Origin,
}

/// Expands, trims and classifies one site of a validated profile. Frame indices out of
/// range are skipped, so this never panics even on a profile that bypassed validation.
pub(crate) fn analyse_site(profile: &Profile, site: &Site) -> SiteStack {
    let mut stack = expand(profile, site);
    let origin = match profile.mode() {
        Mode::Preload if !stack.first().is_some_and(is_rust_allocator_entry) => Origin::Native,
        _ => Origin::Rust,
    };
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
    SiteStack {
        stack,
        runtime,
        origin,
    }
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

    /// The origin of a single-site profile's site with `frames`, recorded by the interposer.
    fn preloaded_origin(frames: &[&str]) -> Origin {
        let mut document = crate::testing::scanned_json(&[frames], &[(0, 8, false, &[])]);
        document["mode"] = "preload".into();
        let profile = crate::symbols::load::parse_profile(
            std::path::Path::new("/preloaded.json"),
            document.to_string().as_bytes(),
        )
        .unwrap();
        analyse_site(&profile, &profile.sites()[0]).origin
    }

    #[test]
    fn under_the_interposer_the_caller_of_malloc_tells_rust_heap_from_native() {
        let rust = [
            "alloc::alloc::alloc",
            "<alloc::raw_vec::RawVecInner>::try_allocate_in",
            "std::sys::alloc::unix::aligned_malloc",
            "<memleak::alloc::TrackingAlloc<A> as core::alloc::global::GlobalAlloc>::alloc",
            "__rustc::__rust_alloc",
            "__rdl_alloc",
        ];
        for caller in rust {
            assert_eq!(
                preloaded_origin(&on_main(&[caller, "app::load"])),
                Origin::Rust,
                "{caller}"
            );
        }
        for caller in [
            "strdup",
            "sqlite3MemMalloc",
            "app::call_c",
            "_Unwind_Find_FDE",
        ] {
            assert_eq!(
                preloaded_origin(&on_main(&[caller, "app::load"])),
                Origin::Native,
                "{caller}"
            );
        }
        // In-process every block came through Rust's allocator, whatever the names.
        assert_eq!(
            analyse(&on_main(&["strdup", "app::load"])).origin,
            Origin::Rust
        );
    }

    #[test]
    fn leak_site_is_trimmed_at_both_ends_with_inlined_symbols_expanded() {
        let site = analyse(&on_main(&[
            "<memleak::alloc::TrackingAlloc<A> as core::alloc::global::GlobalAlloc>::alloc",
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
