//! Platforms without probes: every answer is "unknown", and the tracker still records
//! allocations (stacks come from the unwinder).

/// Unknown: the unwinder is used for stacks.
pub(crate) fn stack_top() -> usize {
    0
}

/// Unknown.
pub(crate) fn thread_name() -> Option<String> {
    None
}

/// Reads the variable through std (allocates; only called inside the tracker's guard).
#[cfg(not(unix))]
pub(crate) fn env_is_set(name: &std::ffi::CStr) -> bool {
    name.to_str()
        .ok()
        .and_then(std::env::var_os)
        .is_some_and(|value| !value.is_empty())
}

/// The environment variable's bytes, copied into `buffer` (cut at its length).
#[cfg(not(unix))]
pub(crate) fn env_bytes<'a>(name: &std::ffi::CStr, buffer: &'a mut [u8]) -> Option<&'a [u8]> {
    let value = std::env::var_os(name.to_str().ok()?)?;
    let value = value.to_str()?.as_bytes();
    let len = value.len().min(buffer.len());
    let (head, _) = buffer.split_at_mut(len);
    head.copy_from_slice(value.get(..len)?);
    Some(head)
}

/// Monotonic nanoseconds from the first call.
#[cfg(not(unix))]
pub(crate) fn monotonic_ns() -> u64 {
    static START: std::sync::OnceLock<std::time::Instant> = std::sync::OnceLock::new();
    let start = START.get_or_init(std::time::Instant::now);
    u64::try_from(start.elapsed().as_nanos()).unwrap_or(u64::MAX)
}

/// No `fork` here.
#[cfg(not(unix))]
pub(crate) fn register_fork_handlers(
    _prepare: extern "C" fn(),
    _parent: extern "C" fn(),
    _child: extern "C" fn(),
) -> bool {
    false
}

/// No exit hook here: profiles are written through the API only.
#[cfg(not(unix))]
pub(crate) fn register_exit_hook(_hook: extern "C" fn()) -> bool {
    false
}

/// No thread-exit notice here.
pub(crate) fn call_at_thread_exit(_hook: extern "C" fn()) -> bool {
    false
}
