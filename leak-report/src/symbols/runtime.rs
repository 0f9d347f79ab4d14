//! Which live memory the Rust runtime keeps on purpose until exit (stdout's buffer, the
//! main thread's handle, thread-local bookkeeping, the saved arguments): such blocks are
//! reported as `runtime`, never as leaks. With a reachability scan they are normally
//! reachable and reported so; the rule then labels only the unreachable ones (see the
//! `kinds` module).
//!
//! A stack, cut at the runtime's start-up but not yet trimmed of its plumbing, is the
//! runtime's when
//!
//! - it holds no code of the program's own: every resolved entry is std, core, alloc,
//!   hashbrown or the tracker (see [`is_plumbing`](crate::is_plumbing)); or
//! - it passes through one of [`RUNTIME_HOLDERS`], except that a read through
//!   `std::io::stdio` into a caller's buffer (`read_line`, `read_to_string`, ...) is the
//!   program's string, not stdin's buffer.

use memleak_format::runtime;

use crate::symbols::entry::StackEntry;
use crate::symbols::plumbing::{is_plumbing_entry, normalized};

pub use memleak_format::runtime::RUNTIME_HOLDERS;

/// Whether the runtime keeps the memory allocated through `stack` (cut at start-up,
/// innermost first, untrimmed) on purpose.
pub(crate) fn is_runtime(stack: &[StackEntry]) -> bool {
    has_runtime_holder(stack) || !has_user_code(stack)
}

/// Whether a runtime holder appears in `stack` (the stack cut at start-up, untrimmed).
fn has_runtime_holder(stack: &[StackEntry]) -> bool {
    let reads_into_caller_buffer = stack
        .iter()
        .any(|entry| runtime::is_caller_buffer_read(&entry.function));
    stack.iter().any(|entry| {
        runtime::is_runtime_holder(&normalized(&entry.function), reads_into_caller_buffer)
    })
}

/// Whether a stack (cut at start-up) holds code of the program's own, or of a non-std
/// crate.
///
/// Unresolved entries count as the program's, except a run of them at the outer end of a
/// stack that has resolved entries: that is a frame-pointer walk running off into libc.
fn has_user_code(stack: &[StackEntry]) -> bool {
    let resolved_end = stack
        .iter()
        .rposition(|entry| !entry.is_unresolved())
        .map_or(stack.len(), |last| last + 1);
    stack[..resolved_end]
        .iter()
        .any(|entry| entry.is_unresolved() || !is_plumbing_entry(entry))
}

#[cfg(test)]
mod tests {
    use crate::symbols::stack::tests::{analyse, functions};
    use crate::testing::on_main;

    /// Stacks seen in a real 1.95 profile of a program whose detached thread was still
    /// running at exit.
    #[test]
    fn a_running_threads_bookkeeping_is_runtime() {
        let name = analyse(&on_main(&[
            "alloc::alloc::realloc",
            "<alloc::ffi::c_str::CString>::new::<alloc::string::String>",
            "<std::thread::thread::thread_name_string::ThreadNameString as core::convert::From<alloc::string::String>>::from",
            "<std::thread::thread::Thread>::new",
            "std::thread::lifecycle::spawn_unchecked",
            "std::thread::builder::Builder::spawn",
            "app::main",
        ]));
        assert!(name.runtime);
        assert_eq!(functions(&name), ["app::main"]);
        let packet = analyse(&on_main(&[
            "alloc::sync::Arc<T>::new",
            "std::thread::lifecycle::spawn_unchecked",
            "app::main",
        ]));
        assert!(packet.runtime);
        let old_std = analyse(&on_main(&[
            "alloc::sync::Arc<T>::new",
            "std::thread::Builder::spawn_unchecked_",
            "app::main",
        ]));
        assert!(old_std.runtime);
    }

    #[test]
    fn the_threads_own_allocations_stay_the_programs() {
        let site = analyse(&[
            "alloc::vec::from_elem",
            "app::main::{{closure}}",
            "std::sys::backtrace::__rust_begin_short_backtrace",
            "std::thread::lifecycle::spawn_unchecked::{{closure}}::{{closure}}",
            "<std::sys::thread::unix::Thread>::new::thread_start",
            "start_thread",
        ]);
        assert!(!site.runtime);
        assert_eq!(functions(&site), ["app::main::{{closure}}"]);
    }

    #[test]
    fn stdout_buffer_is_runtime_even_below_user_code() {
        let site = analyse(&on_main(&[
            "__rustc::__rust_alloc",
            "std::io::buffered::bufwriter::BufWriter<W>::with_capacity",
            "std::io::buffered::linewriter::LineWriter<W>::new",
            "std::io::stdio::stdout::{{closure}}",
            "std::sync::once_lock::OnceLock<T>::initialize",
            "std::io::stdio::_print",
            "app::main @ /p/src/main.rs:9",
        ]));
        assert_eq!(functions(&site), ["app::main"]);
        assert!(site.runtime);
    }

    #[test]
    fn a_string_read_from_stdin_is_the_programs() {
        let site = analyse(&on_main(&[
            "alloc::raw_vec::finish_grow",
            "std::io::append_to_string",
            "<std::io::stdio::StdinLock as std::io::BufRead>::read_line",
            "std::io::stdio::Stdin::read_line",
            "app::main @ /p/src/main.rs:4",
        ]));
        assert_eq!(functions(&site), ["app::main"]);
        assert!(!site.runtime);
    }

    #[test]
    fn thread_handle_and_tls_bookkeeping_are_runtime() {
        for holder in [
            "std::thread::current::init_current",
            "std::thread::Thread::new_unnamed",
            "std::sys::thread_local::destructors::list::register",
        ] {
            let site = analyse(&on_main(&["alloc::alloc::alloc", holder, "app::main"]));
            assert!(site.runtime, "{holder}");
        }
    }

    #[test]
    fn a_users_thread_local_value_is_not_runtime() {
        let site = analyse(&on_main(&[
            "alloc::alloc::alloc",
            "app::CACHE::{{constant}}::{{closure}}",
            "std::sys::thread_local::native::lazy::Storage<T,D>::initialize",
            "std::thread::local::LocalKey<T>::with",
            "app::main",
        ]));
        assert!(!site.runtime);
        assert_eq!(
            site.stack[0].function,
            "app::CACHE::{{constant}}::{{closure}}"
        );
    }

    #[test]
    fn unresolved_tail_below_std_only_code_is_still_runtime() {
        let site = analyse(&[
            "alloc::alloc::alloc",
            "std::sys::pal::unix::thread::Thread::new::thread_start",
            "",
            "",
        ]);
        assert!(site.runtime);
    }

    #[test]
    fn all_plumbing_keeps_the_outermost_entry_and_is_runtime() {
        let site = analyse(&on_main(&[
            "__rustc::__rust_alloc",
            "alloc::sync::Arc<T>::new",
            "std::sys::pal::unix::stack_overflow::imp::make_handler",
        ]));
        assert_eq!(
            functions(&site),
            ["std::sys::pal::unix::stack_overflow::imp::make_handler"]
        );
        assert!(site.runtime);
    }
}
