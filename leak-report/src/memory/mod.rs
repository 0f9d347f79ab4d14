//! Where the resident memory went, by layer (tracked heap, tracker overhead, malloc's
//! overhead, native memory, free space, other anonymous, file-backed), at the peak and
//! at exit, and the alerts (pressure, cgroup headroom).

pub(crate) mod alerts;
pub(crate) mod chunks;
pub(crate) mod layers;
pub(crate) mod overview;
