//! Reading memory the tracker does not own, for the reachability scan: ranges of
//! addresses, clipped to what is mapped readable, read one aligned word at a time.

const WORD: usize = std::mem::size_of::<usize>();

/// A half-open range of addresses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct MemoryRange {
    pub(crate) start: usize,
    pub(crate) end: usize,
}

impl MemoryRange {
    /// Its length in bytes.
    pub(crate) fn len(&self) -> usize {
        self.end.saturating_sub(self.start)
    }
}

/// The parts of `ranges` that lie inside `readable` (sorted, non-overlapping mappings).
pub(crate) fn clip_to_readable(
    ranges: &[MemoryRange],
    readable: &[MemoryRange],
) -> Vec<MemoryRange> {
    let mut clipped = Vec::new();
    for range in ranges {
        let first = readable.partition_point(|mapping| mapping.end <= range.start);
        for mapping in readable.iter().skip(first) {
            if mapping.start >= range.end {
                break;
            }
            let start = range.start.max(mapping.start);
            let end = range.end.min(mapping.end);
            if start < end {
                clipped.push(MemoryRange { start, end });
            }
        }
    }
    clipped
}

/// The mapping that contains `address`, if any.
pub(crate) fn mapping_containing(address: usize, readable: &[MemoryRange]) -> Option<MemoryRange> {
    let index = readable.partition_point(|mapping| mapping.end <= address);
    readable
        .get(index)
        .copied()
        .filter(|mapping| mapping.start <= address)
}

/// Calls `visit` with every aligned word of `range`.
///
/// # Safety
///
/// Every byte of `range` must stay mapped and readable until this returns. Other threads
/// may write to it meanwhile: a torn or stale word only makes the conservative scan see
/// one pointer more or less, never read outside the range.
pub(crate) unsafe fn for_each_word(range: MemoryRange, mut visit: impl FnMut(usize)) {
    let start = range.start.next_multiple_of(WORD);
    let end = range.end - range.end % WORD;
    let mut address = start;
    while address < end {
        // SAFETY: `address` is word-aligned and `address + WORD <= range.end`, inside a
        // range the caller guarantees readable; a volatile read because the program's
        // other threads may be writing it, and any bit pattern is a valid usize.
        let word = unsafe { std::ptr::read_volatile(address as *const usize) };
        visit(word);
        address += WORD;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(start: usize, end: usize) -> MemoryRange {
        MemoryRange { start, end }
    }

    #[test]
    fn ranges_are_clipped_to_mappings() {
        let readable = [r(100, 200), r(300, 400)];
        assert_eq!(
            clip_to_readable(&[r(50, 350)], &readable),
            vec![r(100, 200), r(300, 350)]
        );
        assert_eq!(clip_to_readable(&[r(200, 300)], &readable), vec![]);
        assert_eq!(mapping_containing(399, &readable), Some(r(300, 400)));
        assert_eq!(mapping_containing(250, &readable), None);
    }

    #[test]
    fn words_of_a_buffer_are_read_aligned() {
        let buffer: [usize; 4] = [1, 2, 3, 4];
        let start = buffer.as_ptr() as usize;
        let mut seen = Vec::new();
        // SAFETY: the range lies inside `buffer`, alive for the call.
        unsafe { for_each_word(r(start + 1, start + 4 * WORD), |w| seen.push(w)) };
        assert_eq!(seen, vec![2, 3, 4]);
    }
}

/// The writable data of the loaded modules, where the scan's static roots are.
#[derive(Debug, Default)]
pub(crate) struct ModuleRoots {
    /// The program's and its libraries' data and TLS.
    pub(crate) program_data: Vec<MemoryRange>,
    /// libc's and the loader's: besides their own references to the heap (locale data,
    /// stdio buffers, loaded libraries), malloc's bookkeeping, whose pointers to free
    /// chunks' headers may fall inside the last bytes of a live block.
    pub(crate) allocator_data: Vec<MemoryRange>,
    /// Where each module's static TLS block lies from a thread's pointer (its
    /// `pthread_self()`): the same for every thread, so other threads' blocks are found
    /// from theirs. The main thread's are outside its stack, unlike other threads'.
    pub(crate) tls_layout: Vec<TlsBlock>,
}

/// What a running thread left when the exit scan asked for its registers
/// (`thread_registers`, Linux).
#[derive(Debug)]
pub(crate) struct CapturedThread {
    pub(crate) kernel_id: u32,
    /// Where its stack stood when the signal came; 0 when unknown.
    pub(crate) stack_pointer: usize,
    /// Its `pthread_self()`, from which its static TLS blocks are found.
    pub(crate) thread_pointer: usize,
    /// Its saved context, every word of it.
    pub(crate) words: Vec<usize>,
}

/// One module's TLS block, relative to the thread pointer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct TlsBlock {
    /// Its start minus the thread pointer.
    pub(crate) offset: isize,
    pub(crate) len: usize,
    /// Whether it is libc's or the loader's (see `allocator_data`).
    pub(crate) allocator: bool,
}

impl TlsBlock {
    /// The block of the thread whose pointer is `thread_pointer`.
    pub(crate) fn of(self, thread_pointer: usize) -> MemoryRange {
        let start = thread_pointer.wrapping_add_signed(self.offset);
        MemoryRange {
            start,
            end: start.saturating_add(self.len),
        }
    }
}
