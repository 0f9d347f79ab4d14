//! The tracker preloaded as `malloc` (`LD_PRELOAD=libmemleak_preload.so`): the zero-change
//! mode of `cargo memleak`. The library exports `malloc`, `calloc`, `realloc`, `free`,
//! `posix_memalign`, `aligned_alloc`, `memalign`, `valloc`, `pvalloc`, `reallocarray` and
//! `malloc_usable_size`; each forwards to the next definition in the process (glibc's,
//! found with `dlsym(RTLD_NEXT, ...)`) and reports the block to the same engine that
//! `memleak::TrackingAlloc` drives, so every block of the process, Rust's and C code's, is
//! recorded with its stack. leak-report tells Rust heap from native memory by stack.
//!
//! - Start-up is this library's constructor: it reads `MEMLEAK_OUT`, then removes it and
//!   this library from the environment, so the program sees the environment it would see
//!   untracked and the processes it spawns run untracked (see `docs/preload.md`).
//! - The engine's own allocations go to the real allocator directly (this library's
//!   global allocator), never through the exported functions.
//! - Linux only: elsewhere the library is empty.

// The test harness is a program of its own: it keeps the system's malloc (the functions
// are compiled but not exported, and there is no constructor), so some items go unused.
#![cfg_attr(test, allow(dead_code))]

#[cfg(target_os = "linux")]
mod bootstrap;
#[cfg(target_os = "linux")]
mod environment;
#[cfg(target_os = "linux")]
mod exports;
#[cfg(all(target_os = "linux", not(test)))]
mod own_allocator;
#[cfg(target_os = "linux")]
mod real;
#[cfg(all(target_os = "linux", not(test)))]
mod startup;
