//! Everything around the hot path: start-up on the first allocation, fork handlers, the
//! timeline's sampler thread, the exit hook and its reachability scan, profiles on
//! signals. Imports the hot
//! path, `os` and `output`; the hot path never imports it.

pub(crate) mod exit;
pub(crate) mod fork;
#[expect(unsafe_code, reason = "the exit scan reads the live blocks' contents")]
pub(crate) mod reach;
pub(crate) mod rolling;
pub(crate) mod runtime_caches;
pub(crate) mod sampler;
#[cfg(unix)]
pub(crate) mod signals;
pub(crate) mod start;
pub(crate) mod timeline;
