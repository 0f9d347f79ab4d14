//! Blocks whose contents the scan must not read as references: std's backtrace
//! symbolizer caches (gimli and addr2line tables, built when a panic prints a backtrace
//! with `RUST_BACKTRACE` set). They are tens of MiB of vectors allocated late, whose
//! spare capacity holds whatever freed memory held before, stale pointers to the
//! program's lost blocks included: read as references, they made a leak reachable on
//! some runs and not others. Their own reachability is unchanged.

use std::ops::Range;

use hashbrown::HashSet;

use crate::hot::record::Record;
use crate::hot::site::Site;
use crate::os;

/// Mangled path segments of std's symbolizer (legacy and v0 manglings both write a
/// segment as its length and its name).
const SYMBOLIZER: &[u8] = b"12backtrace_rs9symbolize";

/// The symbolizer's code in this process, sorted. Read before the scan's freeze: it
/// walks the loader's list, whose lock a frozen thread may hold.
pub(crate) fn symbolizer_code() -> Vec<Range<usize>> {
    os::program_function_ranges(SYMBOLIZER)
}

/// For each live block (address-sorted, as the scan takes them), whether it is one of
/// std's symbolizer caches: its site's stack passes through `code` (from
/// [`symbolizer_code`]).
pub(crate) fn symbolizer_blocks(
    code: &[Range<usize>],
    live: &[(usize, Record)],
    sites: &[&'static Site],
) -> Vec<bool> {
    if code.is_empty() {
        return vec![false; live.len()];
    }
    let inside = |address: usize| {
        let after = code.partition_point(|range| range.start <= address);
        after
            .checked_sub(1)
            .and_then(|index| code.get(index))
            .is_some_and(|range| range.contains(&address))
    };
    let caches: HashSet<u32> = sites
        .iter()
        // A return address may be the end of its caller: look just before it.
        .filter(|site| {
            site.frames()
                .iter()
                .any(|&frame| inside(frame.wrapping_sub(1)))
        })
        .map(|site| site.id())
        .collect();
    live.iter()
        .map(|(_, record)| caches.contains(&record.site_id()))
        .collect()
}
