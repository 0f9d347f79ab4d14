//! Scopes of the in-test API (`memleak::leaks`, `limit_memory`, `assert_no_alloc`): what
//! one thread allocated between two points, exactly, while other threads (the other
//! tests of a parallel run) allocate too.
//!
//! A thread in a scope carries its scope's id and slot in a thread-local. Its allocations
//! are entered, with their stack, in a table of their own (by address) and counted in
//! the scope's slot; a free from any thread takes the block out of the table and its
//! scope's counts. Outside scopes nothing here runs: the state says whether any scope is
//! open (`state::SCOPED` while the tracker does not record otherwise), read with the
//! same one load as before.
//!
//! Threads a scope's thread starts join the scope (`scope_threads`); what they allocated
//! counts if they have finished when the scope closes.

use std::cell::Cell;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::Relaxed};

use hashbrown::HashMap;
use parking_lot::Mutex;

use crate::hot::guard::{self, Entry};
use crate::hot::scope_threads;
use crate::hot::shard::{AddressKey, SHARDS, shard_index};
use crate::hot::site::{self, Site};
use crate::hot::spin_lock::SpinMutex;
use crate::hot::thread;
use crate::os::frames::{self, Stack};

/// A scope as a thread-local holds it: its id (0: none) and slot, and which of its
/// threads this is (0: the one that opened it; n: the n-th it started).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct InScope {
    pub(super) id: u64,
    pub(super) slot: usize,
    pub(super) thread: u32,
}

pub(super) const NO_SCOPE: InScope = InScope {
    id: 0,
    slot: 0,
    thread: 0,
};

thread_local! {
    pub(super) static CURRENT: Cell<InScope> = const { Cell::new(NO_SCOPE) };
    /// Whether the thread allocated or freed while a scope was open, or opened one.
    static SEEN: Cell<bool> = const { Cell::new(false) };
}

/// Scopes open at once, at most (one per test running in parallel, usually).
pub(crate) const SLOTS: usize = 256;

/// Whether any scope is open (also with the tracker recording).
static ANY_OPEN: AtomicBool = AtomicBool::new(false);

/// One block allocated in a scope and not freed yet.
#[derive(Debug, Clone, Copy)]
struct ScopeBlock {
    scope: InScope,
    size: u64,
    site: Option<&'static Site>,
}

type Blocks = SpinMutex<HashMap<usize, ScopeBlock, AddressKey>>;

static BLOCKS: [Blocks; SHARDS] =
    [const { SpinMutex::new(HashMap::with_hasher(AddressKey)) }; SHARDS];

/// What a scope counted.
#[derive(Debug, Default)]
pub(crate) struct Counts {
    pub(crate) live_bytes: u64,
    pub(crate) live_blocks: u64,
    pub(crate) peak_bytes: u64,
    pub(crate) allocated_bytes: u64,
    pub(crate) allocated_blocks: u64,
    /// Live bytes and blocks by site (the site's address; 0 without a stack).
    pub(crate) by_site: HashMap<usize, (Option<&'static Site>, u64, u64), AddressKey>,
    /// Over this many live bytes, the site that held most is noted at each new peak.
    pub(crate) limit: Option<u64>,
    /// At the highest peak over `limit`: the site that held most then, and its bytes.
    pub(crate) top_at_peak: Option<(Option<&'static Site>, u64)>,
    /// The first allocation's site, for `assert_no_alloc`.
    pub(crate) first_site: Option<Option<&'static Site>>,
    /// The threads the scope started, in order: whether each has exited.
    pub(crate) threads_exited: Vec<bool>,
    /// Bytes and blocks of threads still running at the close, not counted.
    pub(crate) running_threads_live: (u64, u64),
}

impl Counts {
    fn add(&mut self, site: Option<&'static Site>, size: u64) {
        self.first_site.get_or_insert(site);
        self.allocated_bytes += size;
        self.allocated_blocks += 1;
        self.live_bytes += size;
        self.live_blocks += 1;
        let entry = self.by_site.entry(site_key(site)).or_insert((site, 0, 0));
        entry.1 += size;
        entry.2 += 1;
        if self.live_bytes > self.peak_bytes {
            self.peak_bytes = self.live_bytes;
            if self.limit.is_some_and(|limit| self.live_bytes > limit) {
                self.top_at_peak = self
                    .by_site
                    .values()
                    .max_by_key(|(_, bytes, _)| *bytes)
                    .map(|&(site, bytes, _)| (site, bytes));
            }
        }
    }

    pub(super) fn remove(&mut self, site: Option<&'static Site>, size: u64) {
        self.live_bytes = self.live_bytes.saturating_sub(size);
        self.live_blocks = self.live_blocks.saturating_sub(1);
        if let Some(entry) = self.by_site.get_mut(&site_key(site)) {
            entry.1 = entry.1.saturating_sub(size);
            entry.2 = entry.2.saturating_sub(1);
        }
    }
}

fn site_key(site: Option<&'static Site>) -> usize {
    site.map_or(0, |site| std::ptr::from_ref(site) as usize)
}

struct Slot {
    /// The id of the scope using the slot; 0 when free.
    id: AtomicU64,
    counts: Mutex<Option<Counts>>,
}

static SLOT_TABLE: [Slot; SLOTS] = [const {
    Slot {
        id: AtomicU64::new(0),
        counts: Mutex::new(None),
    }
}; SLOTS];

/// Whether any scope is open.
#[inline]
pub(crate) fn any_open() -> bool {
    ANY_OPEN.load(Relaxed)
}

pub(crate) fn set_any_open(open: bool) {
    ANY_OPEN.store(open, Relaxed);
}

/// The id of the scope the calling thread opened, 0 outside scopes (or in one that has
/// closed, or when the thread only runs in a scope another thread opened).
pub(crate) fn current() -> u64 {
    let scope = CURRENT.try_with(Cell::get).unwrap_or(NO_SCOPE);
    if scope.thread == 0 && is_open(scope) {
        scope.id
    } else {
        0
    }
}

fn is_open(scope: InScope) -> bool {
    scope.id != 0
        && SLOT_TABLE
            .get(scope.slot)
            .is_some_and(|slot| slot.id.load(Relaxed) == scope.id)
}

/// Leaves the calling thread's scope for now (a future between two polls): the scope
/// stays open; what it returns puts the thread back in with [`resume`].
pub(crate) fn suspend() -> Option<(u64, usize)> {
    let scope = CURRENT.try_with(|current| current.replace(NO_SCOPE)).ok()?;
    (scope.id != 0 && scope.thread == 0).then_some((scope.id, scope.slot))
}

/// Puts the calling thread back in a scope [`suspend`] left.
pub(crate) fn resume((id, slot): (u64, usize)) {
    let _ = CURRENT.try_with(|current| {
        current.set(InScope {
            id,
            slot,
            thread: 0,
        })
    });
}

/// Opens scope `id` for the calling thread, in a free slot; `false` when all are used.
pub(crate) fn open(id: u64, limit: Option<u64>) -> bool {
    for (index, slot) in SLOT_TABLE.iter().enumerate() {
        if slot.id.compare_exchange(0, id, Relaxed, Relaxed).is_ok() {
            *slot.counts.lock() = Some(Counts {
                limit,
                ..Counts::default()
            });
            let _ = SEEN.try_with(|seen| seen.set(true));
            let scope = InScope {
                id,
                slot: index,
                thread: 0,
            };
            let _ = CURRENT.try_with(|current| current.set(scope));
            return true;
        }
    }
    false
}

/// Closes scope `id` and returns what it counted; its blocks leave the table (those
/// still live are the scope's leaks, in the counts, except those of threads it started
/// that are still running).
pub(crate) fn close(id: u64) -> Option<Counts> {
    let _ = CURRENT.try_with(|current| {
        if current.get().id == id {
            current.set(NO_SCOPE);
        }
    });
    let slot = SLOT_TABLE.iter().find(|slot| slot.id.load(Relaxed) == id)?;
    let mut counts = slot.counts.lock().take();
    slot.id.store(0, Relaxed);
    for shard in &BLOCKS {
        shard.lock().retain(|_, block| {
            if block.scope.id != id {
                return true;
            }
            let thread = block.scope.thread as usize;
            if let Some(counts) = counts.as_mut()
                && thread != 0
                && counts.threads_exited.get(thread - 1) != Some(&true)
            {
                counts.remove(block.site, block.size);
                counts.running_threads_live.0 += block.size;
                counts.running_threads_live.1 += 1;
            }
            false
        });
    }
    counts
}

/// Whether a thread scope `id` started is still running.
pub(crate) fn threads_running(id: u64) -> bool {
    let Some(slot) = SLOT_TABLE.iter().find(|slot| slot.id.load(Relaxed) == id) else {
        return false;
    };
    slot.counts
        .lock()
        .as_ref()
        .is_some_and(|counts| counts.threads_exited.contains(&false))
}

/// Clears the counts of the calling thread's scope (keeping its limit); returns how many
/// blocks it had counted as allocated.
pub(crate) fn reset_counts() -> u64 {
    let scope = CURRENT.try_with(Cell::get).unwrap_or(NO_SCOPE);
    let mut allocated = 0;
    with_counts(scope, |counts| {
        allocated = counts.allocated_blocks;
        *counts = Counts {
            limit: counts.limit,
            ..Counts::default()
        };
    });
    allocated
}

/// Runs `update` on the counts of `scope`, if it is open.
pub(super) fn with_counts(scope: InScope, update: impl FnOnce(&mut Counts)) {
    if let Some(slot) = SLOT_TABLE.get(scope.slot)
        && slot.id.load(Relaxed) == scope.id
        && let Some(counts) = slot.counts.lock().as_mut()
    {
        update(counts);
    }
}

fn shard_of(address: usize) -> &'static Blocks {
    BLOCKS.get(shard_index(address)).unwrap_or(&BLOCKS[0])
}

/// A successful allocation: entered in the calling thread's scope, if it is in one.
#[inline]
pub(crate) fn on_alloc(address: usize, size: usize) {
    let scope = CURRENT.try_with(Cell::get).unwrap_or(NO_SCOPE);
    if scope.id == 0 {
        let _ = SEEN.try_with(|seen| seen.set(true));
        return;
    }
    let Entry::Entered(_guard) = guard::enter() else {
        return;
    };
    enter_block(scope, address, size as u64);
}

#[cold]
#[inline(never)]
fn enter_block(scope: InScope, address: usize, size: u64) {
    if !is_open(scope) {
        let _ = CURRENT.try_with(|current| current.set(NO_SCOPE));
        return;
    }
    let mut stack = Stack::new();
    frames::capture(&mut stack, thread::current().stack_top);
    let site = site::intern(&stack);
    with_counts(scope, |counts| counts.add(site, size));
    shard_of(address)
        .lock()
        .insert(address, ScopeBlock { scope, size, site });
}

/// A block about to be freed (by any thread): out of its scope, if it was in one.
#[inline]
pub(crate) fn on_free(address: usize) {
    if let Entry::Entered(_guard) = guard::enter() {
        let first = SEEN.try_with(|seen| !seen.replace(true)).unwrap_or(false);
        take_block(address, first);
    }
}

#[cold]
#[inline(never)]
fn take_block(address: usize, first_of_thread: bool) {
    let Some(block) = shard_of(address).lock().remove(&address) else {
        return;
    };
    with_counts(block.scope, |counts| counts.remove(block.site, block.size));
    if first_of_thread {
        scope_threads::join_if_started_by(block.scope);
    }
}
