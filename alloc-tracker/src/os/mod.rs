//! Operating-system probes and the machine-level stack walk. Each function degrades to
//! "unknown" (0, `None`, `false`) where a platform cannot answer.

pub(crate) mod frames;

#[cfg(unix)]
mod unix;
#[cfg(unix)]
pub(crate) use unix::{env_is_set, monotonic_ns, register_exit_hook, register_fork_handlers};

#[cfg(target_os = "linux")]
mod linux;
#[cfg(target_os = "linux")]
pub(crate) use linux::{stack_top, thread_name};

#[cfg(target_os = "macos")]
mod macos;
#[cfg(target_os = "macos")]
pub(crate) use macos::{stack_top, thread_name};

#[cfg(not(any(target_os = "linux", target_os = "macos")))]
mod other;
#[cfg(not(unix))]
pub(crate) use other::{env_is_set, monotonic_ns, register_exit_hook, register_fork_handlers};
#[cfg(not(any(target_os = "linux", target_os = "macos")))]
pub(crate) use other::{stack_top, thread_name};
