//! The hot path: what runs inside `alloc`, `dealloc` and `realloc`. It imports only from
//! here and from `os`: never exit, output or sampler code, never file I/O.

pub(crate) mod counting;
pub(crate) mod events;
pub(crate) mod guard;
pub(crate) mod own_blocks;
pub(crate) mod peak;
pub(crate) mod record;
pub(crate) mod sampling;
pub(crate) mod scope;
mod scope_threads;
pub(crate) mod shard;
pub(crate) mod site;
#[expect(
    unsafe_code,
    reason = "a free finds its site by id through raw pointers: two loads, no lock"
)]
pub(crate) mod site_ids;
#[expect(
    unsafe_code,
    reason = "implementing lock_api::RawMutex is unsafe by definition"
)]
pub(crate) mod spin_lock;
pub(crate) mod state;
pub(crate) mod stats;
pub(crate) mod thread;
pub(crate) mod volume;
