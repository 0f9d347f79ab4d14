//! Sites by id: a live block's record keeps its site as a 26-bit id, not a pointer, so
//! that the record fits in 16 bytes (a big heap has millions); a free finds the site
//! again here with two loads and no lock (a free is the hot path: `OnceLock`s here cost
//! churn a tenth more time).

use std::sync::atomic::{AtomicPtr, Ordering::Acquire, Ordering::Release};

use crate::hot::site::Site;

/// Ids per chunk; a chunk is allocated when its first id is registered.
const CHUNK: usize = 4096;
/// Chunks at most: 2^26 ids, what a record's site field holds (a power of two: the
/// record masks ids with it).
const CHUNKS: usize = 1 << 14;
/// Sites beyond this many go untracked (each is hundreds of bytes: tens of GiB first).
pub(crate) const MAX_SITES: u32 = (CHUNK * CHUNKS) as u32;

type Chunk = [AtomicPtr<Site>; CHUNK];

static CHUNKS_BY_ID: [AtomicPtr<Chunk>; CHUNKS] =
    [const { AtomicPtr::new(std::ptr::null_mut()) }; CHUNKS];

/// Makes `site` findable by its id. Called by one thread at a time (under the site
/// list's lock), before the site reaches any record. `false` when its chunk could not
/// be allocated, or the id is beyond [`MAX_SITES`]: the site is then not used.
///
/// Must be called with the reentrancy guard held: a new chunk is allocated.
pub(crate) fn register(site: &'static Site) -> bool {
    let id = site.id() as usize;
    let Some(chunk_slot) = CHUNKS_BY_ID.get(id / CHUNK) else {
        return false;
    };
    let mut chunk = chunk_slot.load(Acquire);
    if chunk.is_null() {
        let Some(new_chunk) = new_chunk() else {
            return false;
        };
        chunk = std::ptr::from_ref(new_chunk).cast_mut();
        chunk_slot.store(chunk, Release);
    }
    // SAFETY: a non-null chunk pointer is a leaked `&'static Chunk` (`new_chunk`),
    // published whole and never freed.
    let chunk = unsafe { &*chunk };
    chunk[id % CHUNK].store(std::ptr::from_ref(site).cast_mut(), Release);
    true
}

/// The site with id `id`; `None` for an id never registered.
#[inline]
pub(crate) fn get(id: u32) -> Option<&'static Site> {
    let id = id as usize;
    let chunk = CHUNKS_BY_ID.get(id / CHUNK)?.load(Acquire);
    if chunk.is_null() {
        return None;
    }
    // SAFETY: as in `register`: a leaked chunk, published whole, never freed.
    let chunk = unsafe { &*chunk };
    let site = chunk[id % CHUNK].load(Acquire);
    // SAFETY: a non-null entry is a leaked `&'static Site` stored by `register`.
    (!site.is_null()).then(|| unsafe { &*site })
}

/// A chunk of null entries for the rest of the process, through a fallible allocation.
fn new_chunk() -> Option<&'static Chunk> {
    let mut entries: Vec<AtomicPtr<Site>> = Vec::new();
    entries.try_reserve_exact(CHUNK).ok()?;
    entries.resize_with(CHUNK, || AtomicPtr::new(std::ptr::null_mut()));
    let leaked: &'static [AtomicPtr<Site>] = entries.leak();
    leaked.try_into().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_registered_site_is_found_by_its_id() {
        let site = crate::hot::site::test_site();
        assert!(register(site));
        assert!(get(site.id()).is_some_and(|found| std::ptr::eq(found, site)));
        assert!(get(MAX_SITES - 1).is_none());
        assert!(get(u32::MAX).is_none());
    }
}
