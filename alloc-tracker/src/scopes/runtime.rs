//! Memory the standard library keeps on purpose, allocated inside a scope: libtest's
//! captured output (a `println!` in a test grows it), stdout's buffer, the stack-overflow
//! handler's table of threads (a thread the scope starts may grow it), the backtrace
//! symbolizer's caches. None of it is the scope's leak. The list is the report's
//! (`memleak_format::runtime`), so the two agree on what `runtime` means.

use std::borrow::Cow;

use memleak_format::runtime;

use crate::scopes::symbols::Frame;

/// Whether the block allocated through `frames` (innermost first) is kept by the
/// standard library on purpose. The stack is cut where the runtime starts `main` or the
/// thread's code: the start-up beyond that is on every stack.
pub(crate) fn is_kept_by_runtime(frames: &[Frame]) -> bool {
    let start = frames
        .iter()
        .position(|frame| runtime::is_startup(&frame.function))
        .unwrap_or(frames.len());
    let frames = frames.get(..start).unwrap_or(frames);
    let reads_into_caller_buffer = frames
        .iter()
        .any(|frame| runtime::is_caller_buffer_read(&frame.function));
    frames.iter().any(|frame| {
        runtime::is_runtime_holder(&normalized(&frame.function), reads_into_caller_buffer)
    })
}

/// `<std::thread::Thread>::new` as `std::thread::Thread::new`: a v0-style inherent method
/// written the way the holders are listed. Trait methods (`<X as Trait>::f`) keep their
/// form; no holder starts with them.
fn normalized(function: &str) -> Cow<'_, str> {
    let Some(inner) = function.strip_prefix('<') else {
        return Cow::Borrowed(function);
    };
    let mut depth = 0_usize;
    for (index, byte) in inner.bytes().enumerate() {
        match byte {
            b'<' => depth += 1,
            b'>' if depth == 0 => {
                return Cow::Owned(format!("{}{}", &inner[..index], &inner[index + 1..]));
            }
            b'>' => depth -= 1,
            b' ' if depth == 0 => break,
            _ => {}
        }
    }
    Cow::Borrowed(inner)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frames(functions: &[&str]) -> Vec<Frame> {
        functions
            .iter()
            .map(|function| Frame {
                function: (*function).to_owned(),
                file: None,
                line: None,
            })
            .collect()
    }

    /// Stacks seen under `cargo test` with Rust 1.95.
    #[test]
    fn captured_output_and_the_thread_table_are_the_runtimes() {
        assert!(is_kept_by_runtime(&frames(&[
            "alloc::raw_vec::finish_grow",
            "<alloc::vec::Vec<u8> as std::io::Write>::write_all",
            "std::io::stdio::print_to_buffer_if_capture_used",
            "std::io::stdio::_print",
            "app::tests::prints::{{closure}}",
            "std::sys::backtrace::__rust_begin_short_backtrace::<fn(), ()>",
        ])));
        assert!(is_kept_by_runtime(&frames(&[
            "<alloc::collections::btree::map::BTreeMap<usize, std::sys::pal::unix::stack_overflow::thread_info::ThreadInfo>>::insert",
            "std::sys::pal::unix::stack_overflow::thread_info::set_current_info",
            "<std::sys::pal::unix::stack_overflow::Handler>::new",
            "<std::sys::thread::unix::Thread>::new::thread_start",
            "start_thread",
        ])));
    }

    #[test]
    fn a_threads_own_allocation_and_a_read_into_a_callers_string_are_not() {
        assert!(!is_kept_by_runtime(&frames(&[
            "alloc::vec::from_elem::<u8>",
            "app::tests::leaks::{{closure}}::{{closure}}",
            "std::sys::backtrace::__rust_begin_short_backtrace::<_, ()>",
            "std::thread::lifecycle::spawn_unchecked::<_, ()>::{{closure}}::{{closure}}",
            "<std::sys::thread::unix::Thread>::new::thread_start",
        ])));
        // A walk that missed the start-up marker: std's spawn closures are the thread's.
        assert!(!is_kept_by_runtime(&frames(&[
            "alloc::vec::from_elem::<u8>",
            "app::tests::leaks::{closure#0}::{closure#0}",
            "std::thread::lifecycle::spawn_unchecked::<_, ()>::{closure#1}::{closure#0}",
            "<std::sys::thread::unix::Thread>::new::thread_start",
        ])));
        assert!(!is_kept_by_runtime(&frames(&[
            "alloc::raw_vec::finish_grow",
            "std::io::default_read_to_string::<std::io::stdio::StdinLock>",
            "<std::io::stdio::Stdin>::read_to_string",
            "app::read_input",
        ])));
    }

    #[test]
    fn inherent_methods_are_normalized_and_trait_methods_kept() {
        assert_eq!(
            normalized("<std::thread::Thread>::new"),
            "std::thread::Thread::new"
        );
        assert_eq!(
            normalized("<alloc::vec::Vec<u8> as std::io::Write>::write_all"),
            "alloc::vec::Vec<u8> as std::io::Write>::write_all"
        );
        assert_eq!(normalized("std::rt::lang_start"), "std::rt::lang_start");
    }
}
