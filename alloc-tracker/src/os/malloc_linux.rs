//! glibc's own counters: `mallinfo2` (in use, free, mmapped, the releasable top) and, at
//! exit, `malloc_info`'s arenas. Both take every arena's lock while they walk it.

use crate::os::footprint::{MallocArenas, MallocInfo};

/// glibc's counters over all its arenas. They describe the system allocator: with
/// another inner allocator (jemalloc, mimalloc) they only count native C `malloc`.
#[cfg(target_env = "gnu")]
pub(crate) fn malloc_info() -> Option<MallocInfo> {
    use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};
    type Mallinfo2 = unsafe extern "C" fn() -> libc::mallinfo2;
    /// `mallinfo2`'s address; 0 before the lookup, 1 when glibc has none. Looked up
    /// once: `dlsym` takes the loader's lock, and a peak sample may run on a thread
    /// that allocates inside `dl_iterate_phdr` (holding another loader lock).
    static SYMBOL: AtomicUsize = AtomicUsize::new(0);
    let mut address = SYMBOL.load(Relaxed);
    if address == 0 {
        // Looked up at run time, not linked: a tracked program must still build and
        // run with a glibc older than 2.33, which has no mallinfo2.
        // SAFETY: dlsym with RTLD_DEFAULT and a NUL-terminated name has no
        // preconditions.
        let found = unsafe { libc::dlsym(libc::RTLD_DEFAULT, c"mallinfo2".as_ptr()) };
        address = if found.is_null() { 1 } else { found as usize };
        SYMBOL.store(address, Relaxed);
    }
    if address == 1 {
        return None;
    }
    let symbol = address as *mut libc::c_void;
    // SAFETY: the symbol glibc exports as `mallinfo2` is the function
    // `struct mallinfo2 mallinfo2(void)`, which is what `Mallinfo2` declares.
    let mallinfo2 = unsafe { std::mem::transmute::<*mut libc::c_void, Mallinfo2>(symbol) };
    // SAFETY: mallinfo2 has no preconditions: it takes the arenas' locks itself and
    // returns a plain struct by value. It is never called from inside malloc, and the
    // tracker never holds a frozen thread inside glibc's allocator.
    let info = unsafe { mallinfo2() };
    let bytes = |value: usize| u64::try_from(value).unwrap_or(u64::MAX);
    Some(MallocInfo {
        in_use: bytes(info.uordblks),
        free: bytes(info.fordblks),
        mmapped: bytes(info.hblkhd),
        releasable: Some(bytes(info.keepcost)),
        arenas: None,
    })
}

/// glibc's arenas, from `malloc_info`'s report (written to a memory stream, through the
/// inner allocator). Like `mallinfo2` it takes each arena's lock, so it is read at exit
/// only.
#[cfg(target_env = "gnu")]
pub(crate) fn arenas() -> Option<MallocArenas> {
    let mut text: *mut libc::c_char = std::ptr::null_mut();
    let mut len: libc::size_t = 0;
    // SAFETY: both out-pointers are valid; the stream owns `text` until fclose.
    let stream = unsafe { libc::open_memstream(&raw mut text, &raw mut len) };
    if stream.is_null() {
        return None;
    }
    // SAFETY: `stream` is an open stream; options must be 0.
    let rc = unsafe { libc::malloc_info(0, stream) };
    // SAFETY: closed once; afterwards `text` and `len` hold the whole report.
    let closed = unsafe { libc::fclose(stream) } == 0;
    if text.is_null() {
        return None;
    }
    let arenas = (rc == 0 && closed)
        .then(|| {
            // SAFETY: after fclose, `text` points at `len` bytes written by the stream.
            let report = unsafe { std::slice::from_raw_parts(text.cast::<u8>(), len) };
            std::str::from_utf8(report).ok().and_then(parse_malloc_info)
        })
        .flatten();
    // SAFETY: the stream's buffer comes from malloc and is freed once, here.
    unsafe { libc::free(text.cast()) };
    arenas
}

#[cfg(not(target_env = "gnu"))]
pub(crate) fn arenas() -> Option<MallocArenas> {
    None
}

/// The arenas of a `malloc_info` report: one `<heap nr="N">` element each, the main
/// arena `nr="0"`, its free bytes in `<total type="fast" .. size=".."/>` and
/// `<total type="rest" .. size=".."/>`.
fn parse_malloc_info(report: &str) -> Option<MallocArenas> {
    let mut arenas = MallocArenas::default();
    for heap in report.split("<heap nr=\"").skip(1) {
        let (number, body) = heap.split_once('"')?;
        let body = body.split("</heap>").next()?;
        arenas.count += 1;
        if number == "0" {
            continue;
        }
        for kind in ["fast", "rest"] {
            let total = body.split(&format!("<total type=\"{kind}\"")).nth(1)?;
            let size = total.split("size=\"").nth(1)?.split('"').next()?;
            arenas.free_outside_main += size.parse::<u64>().ok()?;
        }
    }
    (arenas.count > 0).then_some(arenas)
}

/// Not glibc (musl has no `mallinfo2`): unknown.
#[cfg(not(target_env = "gnu"))]
pub(crate) fn malloc_info() -> Option<MallocInfo> {
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn malloc_info_gives_the_arenas_and_the_free_space_outside_the_main_one() {
        let report = "<malloc version=\"1\">\n<heap nr=\"0\">\n<sizes>\n</sizes>\n\
            <total type=\"fast\" count=\"2\" size=\"64\"/>\n\
            <total type=\"rest\" count=\"70\" size=\"175477\"/>\n</heap>\n\
            <heap nr=\"1\">\n<sizes>\n  <unsorted from=\"240097\" to=\"2601041\" total=\"3961588\" count=\"4\"/>\n\
            </sizes>\n<total type=\"fast\" count=\"1\" size=\"32\"/>\n\
            <total type=\"rest\" count=\"5\" size=\"3963956\"/>\n</heap>\n\
            <total type=\"fast\" count=\"3\" size=\"96\"/>\n\
            <total type=\"rest\" count=\"75\" size=\"4139433\"/>\n</malloc>\n";
        assert_eq!(
            parse_malloc_info(report),
            Some(MallocArenas {
                count: 2,
                free_outside_main: 3_963_988,
            })
        );
        assert_eq!(parse_malloc_info("<malloc version=\"1\"></malloc>"), None);
        assert_eq!(
            parse_malloc_info("<heap nr=\"1\"><total type=\"fast\""),
            None
        );
    }

    #[cfg(target_env = "gnu")]
    #[test]
    fn this_process_has_a_main_arena() {
        let arenas = arenas().expect("glibc's malloc_info");
        assert!(arenas.count >= 1, "{arenas:?}");
    }
}
