//! Which std functions keep memory until exit on purpose, and where the runtime starts
//! `main` or a thread (stacks are cut there): defined once, for the report (such blocks
//! are the kind `runtime`, never leaks) and for the in-test API (they are not a scope's
//! leaks: libtest's captured output grows inside a test, say).

/// std functions that keep memory until exit on purpose: stdout's and stdin's buffers (and
/// libtest's captured output), the main thread's handle and name, the bookkeeping of a
/// thread still running at exit (its handle, name, result slot and closure box),
/// thread-local destructor lists, the saved arguments, the stack-overflow handler's thread
/// table, the backtrace symbolizer's caches.
///
/// Matched as prefixes of the function name with a v0-style `<Type>::method` written as
/// `Type::method` (std's module paths move between releases: both spellings are listed),
/// in a stack cut where the runtime starts `main` or a thread
/// (`__rust_begin_short_backtrace`).
pub const RUNTIME_HOLDERS: &[&str] = &[
    "std::io::stdio::",
    "std::thread::current",
    "std::thread::set_current",
    "std::thread::Thread::new",
    "std::thread::thread::Thread::new",
    "std::thread::Builder::spawn_unchecked",
    "std::thread::lifecycle::spawn_unchecked",
    "std::rt::",
    "std::sys::args",
    "std::sys::pal::unix::args",
    "std::sys::thread_local::destructors",
    "std::sys::thread_local::guard",
    "std::sys::pal::unix::stack_overflow",
    // The symbolizer's caches, kept for the next backtrace (a panic's, with
    // RUST_BACKTRACE set): tens of MiB that are neither leaks nor growth.
    "std::backtrace_rs::symbolize::",
];

/// std reads that grow a buffer the caller owns: a stack through them and `std::io::stdio`
/// is the program's string, not stdin's buffer.
const CALLER_BUFFER_READS: &[&str] = &["read_line", "read_to_string", "read_to_end", "read_until"];

/// Whether `function` is a std read into a buffer its caller owns (`read_line`, ...).
#[must_use]
pub fn is_caller_buffer_read(function: &str) -> bool {
    function.contains("std::io::")
        && CALLER_BUFFER_READS
            .iter()
            .any(|read| function.contains(read))
}

/// Whether `name` (normalized: `Type::method`, no leading `<`) is one of
/// [`RUNTIME_HOLDERS`]; `std::io::stdio` is not when the stack reads into its caller's
/// buffer ([`is_caller_buffer_read`] on one of its functions).
///
/// The closures of std's spawn function run in the new thread, around its own code: they
/// are not holders (a stack whose walk missed the start-up marker still ends in them).
#[must_use]
pub fn is_runtime_holder(name: &str, reads_into_caller_buffer: bool) -> bool {
    let last_segment = name.rsplit("::").next().unwrap_or(name);
    let is_closure = last_segment == "{{closure}}"
        || (last_segment.starts_with("{closure#") && last_segment.ends_with('}'));
    let spawned_thread_code = is_closure && name.contains("spawn_unchecked");
    RUNTIME_HOLDERS
        .iter()
        .any(|holder| name.starts_with(holder))
        && !(reads_into_caller_buffer && name.starts_with("std::io::stdio::"))
        && !spawned_thread_code
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spawn_is_a_holder_and_its_closures_are_the_new_threads() {
        // The spawn function itself, with a closure among its type arguments.
        assert!(is_runtime_holder(
            "std::thread::lifecycle::spawn_unchecked::<test::run_test::{closure#1}, ()>",
            false
        ));
        assert!(is_runtime_holder(
            "std::thread::lifecycle::spawn_unchecked::<app::main::{{closure}}, ()>",
            false
        ));
        for closure in [
            "std::thread::lifecycle::spawn_unchecked::<_, ()>::{closure#1}::{closure#0}",
            "std::thread::lifecycle::spawn_unchecked::{{closure}}::{{closure}}",
        ] {
            assert!(!is_runtime_holder(closure, false), "{closure}");
        }
    }

    #[test]
    fn a_read_into_the_callers_buffer_is_not_stdins() {
        assert!(is_runtime_holder("std::io::stdio::Stdout::lock", false));
        assert!(!is_runtime_holder("std::io::stdio::Stdin::read_line", true));
        assert!(is_caller_buffer_read("std::io::stdio::Stdin::read_line"));
        assert!(!is_caller_buffer_read("app::read_line"));
    }
}
