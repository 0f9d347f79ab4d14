//! The exit scan: which live blocks are still reachable from the program's roots, and,
//! among the unreachable ones, which point to which (so the report can tell definite
//! leaks from indirect ones and find cycles). A conservative mark, as LeakSanitizer and
//! memcheck do: every aligned word that falls inside a live block, at its start or in its
//! interior, is a reference.
//!
//! Blocks are read while the tracker is frozen (`state::freeze`): a free of a tracked
//! block waits until the scan is over, so every block of the snapshot stays allocated.

use std::time::Instant;

use crate::hot::record::Record;
use crate::hot::thread::ThreadInfo;
use crate::os::{self, MemoryRange, memory};

/// What the scan found, index for index with the (address-sorted) live blocks.
#[derive(Debug, Default)]
pub(crate) struct Reachability {
    pub(crate) reachable: Vec<bool>,
    /// For each unreachable block, the unreachable blocks it points to (sorted, unique);
    /// empty for reachable ones.
    pub(crate) refs: Vec<Vec<u32>>,
    pub(crate) scan_ns: u64,
    pub(crate) root_bytes: u64,
    pub(crate) bytes_scanned: u64,
    pub(crate) threads: u32,
    /// False when some live thread's stack could not be found: its references are missed.
    pub(crate) complete: bool,
}

/// Where the roots are, as found by the exit path.
#[derive(Debug)]
pub(crate) struct Roots {
    pub(crate) ranges: Vec<MemoryRange>,
    /// Ranges whose words count only when they point at a block's first byte: libc's and
    /// the loader's data under the interposer (their own references point at blocks'
    /// starts; malloc's free lists at chunk headers, which may lie inside a live block).
    pub(crate) exact_ranges: Vec<MemoryRange>,
    /// Words from the exiting thread's registers.
    pub(crate) words: Vec<usize>,
    pub(crate) threads: u32,
    pub(crate) complete: bool,
}

/// Bytes below a stack pointer that a leaf function may use without moving it (the
/// x86-64 System V red zone; aarch64 has none, and the extra words cost nothing).
const RED_ZONE: usize = 128;

/// Collects the roots: the writable data and TLS of loaded modules, the exiting
/// thread's stack above `stack_pointer` and its registers, and every other thread the
/// tracker has seen that still runs: from its stack pointer up, with its registers, when
/// it answered the register capture (`captured`), else its whole stack mapping. libc's
/// and the loader's data are roots only with `allocator_data` (under the interposer,
/// where their own blocks are tracked too).
pub(crate) fn find_roots(
    stack_pointer: usize,
    registers: &[usize],
    current_kernel_id: u32,
    threads: &[ThreadInfo],
    captured: &[os::CapturedThread],
    allocator_data: bool,
) -> Roots {
    let readable = os::readable_mappings();
    let live_threads = os::live_thread_ids();
    let modules = os::module_roots();
    let mut exact = if allocator_data {
        modules.allocator_data
    } else {
        Vec::new()
    };
    let mut wanted = modules.program_data;
    let mut complete = true;
    let mut scanned_threads = 0;
    for thread in threads
        .iter()
        .filter(|t| live_threads.contains(&t.kernel_id))
    {
        if thread.kernel_id == current_kernel_id {
            if thread.stack_top > stack_pointer {
                wanted.push(MemoryRange {
                    start: stack_pointer,
                    end: thread.stack_top,
                });
                scanned_threads += 1;
            } else {
                complete = false;
            }
            continue;
        }
        // The thread runs on. The mapping also holds its static TLS, with glibc.
        let Some(mut mapping) =
            memory::mapping_containing(thread.stack_top.wrapping_sub(1), &readable)
                .filter(|_| thread.stack_top != 0)
        else {
            complete = false;
            continue;
        };
        let answered = captured.iter().find(|c| c.kernel_id == thread.kernel_id);
        if let Some(answered) = answered {
            let from = answered.stack_pointer.saturating_sub(RED_ZONE);
            if (mapping.start..mapping.end).contains(&from) {
                mapping.start = from;
            }
        }
        wanted.push(mapping);
        scanned_threads += 1;
    }
    let mut words = registers.to_vec();
    for answered in captured {
        words.extend_from_slice(&answered.words);
        // Its static TLS: the main thread's lies outside its stack mapping (the others'
        // inside it: scanned twice, a few bytes).
        if answered.thread_pointer != 0 {
            for block in &modules.tls_layout {
                let range = block.of(answered.thread_pointer);
                match (block.allocator, allocator_data) {
                    (false, _) => wanted.push(range),
                    (true, true) => exact.push(range),
                    (true, false) => {}
                }
            }
        }
    }
    Roots {
        ranges: memory::clip_to_readable(&wanted, &readable),
        exact_ranges: memory::clip_to_readable(&exact, &readable),
        words,
        threads: scanned_threads,
        complete,
    }
}

/// Live blocks sorted by address, for interior-pointer lookups.
struct Blocks<'a> {
    blocks: &'a [(usize, Record)],
    low: usize,
    high: usize,
}

impl<'a> Blocks<'a> {
    fn new(blocks: &'a [(usize, Record)]) -> Self {
        let low = blocks.first().map_or(0, |&(address, _)| address);
        let high = blocks
            .iter()
            .map(|&(address, record)| address.saturating_add(record.size() as usize))
            .max()
            .unwrap_or(0);
        Self { blocks, low, high }
    }

    /// The block that contains `word`, as an address, if any.
    #[inline]
    fn find(&self, word: usize) -> Option<usize> {
        if word < self.low || word >= self.high {
            return None;
        }
        let index = self
            .blocks
            .partition_point(|&(address, _)| address <= word)
            .checked_sub(1)?;
        let &(address, record) = self.blocks.get(index)?;
        (word - address < record.size() as usize).then_some(index)
    }

    /// The block that starts at `word`, if any.
    #[inline]
    fn find_start(&self, word: usize) -> Option<usize> {
        self.find(word).filter(|&index| {
            self.blocks
                .get(index)
                .is_some_and(|&(address, _)| address == word)
        })
    }

    fn range(&self, index: usize) -> MemoryRange {
        let (address, record) = self.blocks[index];
        MemoryRange {
            start: address,
            end: address.saturating_add(record.size() as usize),
        }
    }
}

/// Marks from `roots` through `blocks` (sorted by address, kept allocated by the freeze).
/// The blocks that `opaque` flags (index for index) are marked like any other, but their
/// contents reach only other opaque blocks (see the `runtime_caches` module).
pub(crate) fn scan(blocks: &[(usize, Record)], roots: &Roots, opaque: &[bool]) -> Reachability {
    let started = Instant::now();
    let index = Blocks::new(blocks);
    let mut reachable = vec![false; blocks.len()];
    let mut pending: Vec<usize> = Vec::new();
    let mark_found = |found: Option<usize>, reachable: &mut Vec<bool>, pending: &mut Vec<usize>| {
        if let Some(found) = found
            && !reachable[found]
        {
            reachable[found] = true;
            pending.push(found);
        }
    };
    let mark = |word: usize, reachable: &mut Vec<bool>, pending: &mut Vec<usize>| {
        mark_found(index.find(word), reachable, pending);
    };
    for &word in &roots.words {
        mark(word, &mut reachable, &mut pending);
    }
    let mut root_bytes = 0u64;
    for &range in &roots.ranges {
        root_bytes += range.len() as u64;
        // SAFETY: root ranges were clipped to readable mappings of module data and of
        // live threads' stacks, which stay mapped while the process exits.
        unsafe { memory::for_each_word(range, |word| mark(word, &mut reachable, &mut pending)) };
    }
    for &range in &roots.exact_ranges {
        root_bytes += range.len() as u64;
        // SAFETY: as above: clipped to readable mappings of module data.
        unsafe {
            memory::for_each_word(range, |word| {
                mark_found(index.find_start(word), &mut reachable, &mut pending);
            });
        };
    }
    let mut bytes_scanned = 0u64;
    let is_opaque = |block: usize| opaque.get(block).copied().unwrap_or(false);
    while let Some(block) = pending.pop() {
        let range = index.range(block);
        bytes_scanned += range.len() as u64;
        let from_opaque = is_opaque(block);
        // SAFETY: the block is live in the snapshot and the tracker is frozen, so no
        // free of it can complete until the scan is over.
        unsafe {
            memory::for_each_word(range, |word| {
                // An opaque block's words reach only other opaque blocks (its own cache).
                let found = index
                    .find(word)
                    .filter(|&found| !from_opaque || is_opaque(found));
                mark_found(found, &mut reachable, &mut pending);
            });
        };
    }
    let mut refs: Vec<Vec<u32>> = vec![Vec::new(); blocks.len()];
    for (block, targets) in refs.iter_mut().enumerate() {
        if reachable[block] || is_opaque(block) {
            continue;
        }
        let range = index.range(block);
        bytes_scanned += range.len() as u64;
        // SAFETY: as above: a live block of the snapshot, kept allocated by the freeze.
        unsafe {
            memory::for_each_word(range, |word| {
                if let Some(found) = index.find(word)
                    && !reachable[found]
                {
                    targets.push(u32::try_from(found).unwrap_or(u32::MAX));
                }
            });
        }
        targets.sort_unstable();
        targets.dedup();
    }
    Reachability {
        reachable,
        refs,
        scan_ns: u64::try_from(started.elapsed().as_nanos()).unwrap_or(u64::MAX),
        root_bytes,
        bytes_scanned,
        threads: roots.threads,
        complete: roots.complete,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn site() -> &'static crate::hot::site::Site {
        crate::hot::site::test_site()
    }

    fn record(size: u64) -> Record {
        Record::new(size, site(), 0, 0, 8)
    }

    /// Blocks at these addresses with these sizes, sorted by address as the scan takes them.
    fn blocks_at(spans: &[(usize, u64)]) -> Vec<(usize, Record)> {
        let mut blocks: Vec<(usize, Record)> = spans
            .iter()
            .map(|&(address, size)| (address, record(size)))
            .collect();
        blocks.sort_by_key(|&(address, _)| address);
        blocks
    }

    /// The index of the block at `address`.
    fn index_of(blocks: &[(usize, Record)], address: usize) -> usize {
        blocks
            .iter()
            .position(|&(at, _)| at == address)
            .expect("a block at that address")
    }

    /// Roots of registers only, or of "allocator data" read for exact pointers only.
    fn roots(words: Vec<usize>, exact_ranges: Vec<MemoryRange>) -> Roots {
        Roots {
            ranges: Vec::new(),
            exact_ranges,
            words,
            threads: 1,
            complete: true,
        }
    }

    #[test]
    fn marks_through_blocks_and_records_edges_between_lost_ones() {
        // Four real buffers: a root points into the middle of `a`, `a` points at `b`;
        // `c` and `d` point at each other (a lost cycle).
        let mut a = vec![0usize; 4];
        let b = vec![7usize; 2];
        let mut c = vec![0usize; 2];
        let mut d = vec![0usize; 2];
        a[2] = b.as_ptr() as usize + 8;
        c[0] = d.as_ptr() as usize;
        d[1] = c.as_ptr() as usize;
        let address = |v: &Vec<usize>| v.as_ptr() as usize;
        let blocks = blocks_at(&[
            (address(&a), 32),
            (address(&b), 16),
            (address(&c), 16),
            (address(&d), 16),
        ]);
        let at = |v: &Vec<usize>| index_of(&blocks, address(v));
        let found = scan(&blocks, &roots(vec![address(&a) + 16], Vec::new()), &[]);
        assert!(found.reachable[at(&a)] && found.reachable[at(&b)]);
        assert!(!found.reachable[at(&c)] && !found.reachable[at(&d)]);
        assert_eq!(found.refs[at(&c)], vec![at(&d) as u32]);
        assert_eq!(found.refs[at(&d)], vec![at(&c) as u32]);
        assert!(found.refs[at(&a)].is_empty());
        drop((a, b, c, d));
    }

    #[test]
    fn a_pointer_one_past_the_end_is_not_a_reference() {
        let a = [1usize; 2];
        let blocks = blocks_at(&[(a.as_ptr() as usize, 16)]);
        let roots = roots(vec![a.as_ptr() as usize + 16], Vec::new());
        assert!(!scan(&blocks, &roots, &[]).reachable[0]);
    }

    #[test]
    fn exact_roots_reach_only_blocks_they_point_at_the_start_of() {
        let a = [0usize; 4];
        let b = [0usize; 4];
        let (a_at, b_at) = (a.as_ptr() as usize, b.as_ptr() as usize);
        let blocks = blocks_at(&[(a_at, 32), (b_at, 32)]);
        // The "allocator data": a pointer to a's start, one into b's last word.
        let data = [a_at, b_at + 24];
        let start = data.as_ptr() as usize;
        let roots = roots(
            Vec::new(),
            vec![MemoryRange {
                start,
                end: start + 16,
            }],
        );
        let found = scan(&blocks, &roots, &[]);
        assert!(found.reachable[index_of(&blocks, a_at)]);
        assert!(!found.reachable[index_of(&blocks, b_at)]);
    }

    #[test]
    fn an_opaque_block_reaches_only_opaque_blocks() {
        let b = [0usize; 2];
        let a = [b.as_ptr() as usize, 0];
        let (a_at, b_at) = (a.as_ptr() as usize, b.as_ptr() as usize);
        let blocks = blocks_at(&[(a_at, 16), (b_at, 16)]);
        let (a_index, b_index) = (index_of(&blocks, a_at), index_of(&blocks, b_at));
        let roots = roots(vec![a_at], Vec::new());
        assert!(scan(&blocks, &roots, &[]).reachable[b_index]);
        let mut opaque = vec![false; 2];
        opaque[a_index] = true;
        let found = scan(&blocks, &roots, &opaque);
        assert!(found.reachable[a_index]);
        assert!(!found.reachable[b_index]);
        assert!(found.refs[b_index].is_empty());
        // Between opaque blocks, references hold.
        opaque[b_index] = true;
        assert!(scan(&blocks, &roots, &opaque).reachable[b_index]);
    }
}
