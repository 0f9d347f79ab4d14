//! The real allocator: the next definition of each function after this library in the
//! process's lookup order (glibc's, or another preloaded allocator's), found once with
//! `dlsym(RTLD_NEXT, ...)`. The calls `dlsym` itself makes (it may allocate) are served
//! by the bootstrap arena, and other threads wait for the lookup; blocks of the arena are
//! recognised and never reach the real allocator.

use std::cell::Cell;
use std::ffi::{CStr, c_void};
use std::sync::atomic::{AtomicU8, AtomicUsize, Ordering};

use crate::bootstrap;

/// The functions looked up, in the order of `NAMES`.
#[derive(Debug, Clone, Copy)]
enum Function {
    Malloc,
    Calloc,
    Realloc,
    Free,
    PosixMemalign,
    AlignedAlloc,
    Memalign,
    Valloc,
    Pvalloc,
    Reallocarray,
    MallocUsableSize,
}

const NAMES: [&CStr; 11] = [
    c"malloc",
    c"calloc",
    c"realloc",
    c"free",
    c"posix_memalign",
    c"aligned_alloc",
    c"memalign",
    c"valloc",
    c"pvalloc",
    c"reallocarray",
    c"malloc_usable_size",
];

static ADDRESSES: [AtomicUsize; 11] = [const { AtomicUsize::new(0) }; 11];

const UNRESOLVED: u8 = 0;
const RESOLVING: u8 = 1;
const RESOLVED: u8 = 2;
static STATE: AtomicU8 = AtomicU8::new(UNRESOLVED);

thread_local! {
    /// Whether this thread is inside [`resolve`] (its `dlsym` calls allocate).
    static RESOLVING_HERE: Cell<bool> = const { Cell::new(false) };
}

/// Looks every function up, unless that is done or under way.
#[cold]
pub(crate) fn resolve() {
    if STATE
        .compare_exchange(UNRESOLVED, RESOLVING, Ordering::Acquire, Ordering::Acquire)
        .is_err()
    {
        return;
    }
    let _ = RESOLVING_HERE.try_with(|here| here.set(true));
    for (name, address) in NAMES.iter().zip(&ADDRESSES) {
        // SAFETY: `name` is a NUL-terminated string; RTLD_NEXT asks for the definition
        // after this library's. A null result (a libc without the function) is kept.
        let found = unsafe { libc::dlsym(libc::RTLD_NEXT, name.as_ptr()) };
        address.store(found as usize, Ordering::Relaxed);
    }
    let _ = RESOLVING_HERE.try_with(|here| here.set(false));
    STATE.store(RESOLVED, Ordering::Release);
}

/// The real function's address: `None` for the calls `dlsym` makes while this thread
/// resolves (the arena serves them), or when the C library lacks the function. Another
/// thread waits for the lookup to end.
#[inline]
fn address(function: Function) -> Option<usize> {
    if STATE.load(Ordering::Acquire) != RESOLVED {
        resolve();
        while STATE.load(Ordering::Acquire) != RESOLVED {
            if RESOLVING_HERE.try_with(Cell::get).unwrap_or(true) {
                return None;
            }
            std::thread::yield_now();
        }
    }
    let address = ADDRESSES
        .get(function as usize)
        .map_or(0, |a| a.load(Ordering::Relaxed));
    (address != 0).then_some(address)
}

/// Casts a looked-up address to the function type `F` (a C function pointer).
///
/// # Safety
/// `address` must be the address of a function of type `F`.
#[inline]
unsafe fn as_function<F: Copy>(address: usize) -> F {
    debug_assert_eq!(size_of::<F>(), size_of::<usize>());
    // SAFETY: `F` is a function pointer type (the caller's promise), the same size as
    // `usize`, and `address` is such a function's address.
    unsafe { std::mem::transmute_copy(&address) }
}

const MALLOC_ALIGN: usize = memleak::interposer::MALLOC_ALIGN;

/// `malloc`.
pub(crate) fn malloc(size: usize) -> *mut c_void {
    let Some(address) = address(Function::Malloc) else {
        return bootstrap::allocate(size, MALLOC_ALIGN);
    };
    // SAFETY: the address is libc's `malloc`, whose signature this is; any size is valid.
    unsafe { as_function::<unsafe extern "C" fn(usize) -> *mut c_void>(address)(size) }
}

/// `calloc`.
pub(crate) fn calloc(count: usize, size: usize) -> *mut c_void {
    let Some(address) = address(Function::Calloc) else {
        return count
            .checked_mul(size)
            .map_or(std::ptr::null_mut(), |total| {
                bootstrap::allocate(total, MALLOC_ALIGN)
            });
    };
    // SAFETY: libc's `calloc`; any arguments are valid (overflow gives null).
    unsafe {
        as_function::<unsafe extern "C" fn(usize, usize) -> *mut c_void>(address)(count, size)
    }
}

/// `free`; blocks of the arena are kept.
///
/// # Safety
/// As C's `free`: `block` is null or a live block of this allocator.
pub(crate) unsafe fn free(block: *mut c_void) {
    if block.is_null() || bootstrap::owns(block) {
        return;
    }
    if let Some(address) = address(Function::Free) {
        // SAFETY: libc's `free` of a block that libc allocated (the caller's promise,
        // and not the arena's).
        unsafe { as_function::<unsafe extern "C" fn(*mut c_void)>(address)(block) };
    }
}

/// `realloc` of a block that is not the arena's (the caller checks).
///
/// # Safety
/// As C's `realloc`.
pub(crate) unsafe fn realloc(block: *mut c_void, size: usize) -> *mut c_void {
    let Some(address) = address(Function::Realloc) else {
        return std::ptr::null_mut();
    };
    // SAFETY: libc's `realloc`, with the caller's arguments.
    unsafe {
        as_function::<unsafe extern "C" fn(*mut c_void, usize) -> *mut c_void>(address)(block, size)
    }
}

/// `reallocarray` (emulated with an overflow check where libc lacks it).
///
/// # Safety
/// As C's `reallocarray`.
pub(crate) unsafe fn reallocarray(block: *mut c_void, count: usize, size: usize) -> *mut c_void {
    let Some(address) = address(Function::Reallocarray) else {
        let Some(total) = count.checked_mul(size) else {
            return std::ptr::null_mut();
        };
        // SAFETY: the caller's promise, forwarded.
        return unsafe { realloc(block, total) };
    };
    // SAFETY: libc's `reallocarray`, with the caller's arguments.
    unsafe {
        as_function::<unsafe extern "C" fn(*mut c_void, usize, usize) -> *mut c_void>(address)(
            block, count, size,
        )
    }
}

/// `memalign`: also what `aligned_alloc`, `valloc` and `pvalloc` fall back on.
pub(crate) fn memalign(align: usize, size: usize) -> *mut c_void {
    let Some(address) = address(Function::Memalign) else {
        return if align.is_power_of_two() {
            bootstrap::allocate(size, align)
        } else {
            std::ptr::null_mut()
        };
    };
    // SAFETY: libc's `memalign`; it checks its arguments itself.
    unsafe {
        as_function::<unsafe extern "C" fn(usize, usize) -> *mut c_void>(address)(align, size)
    }
}

/// `aligned_alloc`.
pub(crate) fn aligned_alloc(align: usize, size: usize) -> *mut c_void {
    match address(Function::AlignedAlloc) {
        // SAFETY: libc's `aligned_alloc`; it checks its arguments itself.
        Some(address) => unsafe {
            as_function::<unsafe extern "C" fn(usize, usize) -> *mut c_void>(address)(align, size)
        },
        None => memalign(align, size),
    }
}

/// `valloc`.
pub(crate) fn valloc(size: usize) -> *mut c_void {
    match address(Function::Valloc) {
        // SAFETY: libc's `valloc`; any size is valid.
        Some(address) => unsafe {
            as_function::<unsafe extern "C" fn(usize) -> *mut c_void>(address)(size)
        },
        None => memalign(page_size(), size),
    }
}

/// `pvalloc`.
pub(crate) fn pvalloc(size: usize) -> *mut c_void {
    match address(Function::Pvalloc) {
        // SAFETY: libc's `pvalloc`; any size is valid.
        Some(address) => unsafe {
            as_function::<unsafe extern "C" fn(usize) -> *mut c_void>(address)(size)
        },
        None => size
            .checked_next_multiple_of(page_size())
            .map_or(std::ptr::null_mut(), |rounded| {
                memalign(page_size(), rounded)
            }),
    }
}

/// `posix_memalign`: 0 or an error number.
///
/// # Safety
/// `out` must be valid for a pointer write.
pub(crate) unsafe fn posix_memalign(out: *mut *mut c_void, align: usize, size: usize) -> i32 {
    match address(Function::PosixMemalign) {
        // SAFETY: libc's `posix_memalign`, with the caller's valid `out`.
        Some(address) => unsafe {
            as_function::<unsafe extern "C" fn(*mut *mut c_void, usize, usize) -> i32>(address)(
                out, align, size,
            )
        },
        None => {
            if !align.is_power_of_two() || !align.is_multiple_of(size_of::<usize>()) {
                return libc::EINVAL;
            }
            let block = memalign(align, size);
            if block.is_null() {
                return libc::ENOMEM;
            }
            // SAFETY: the caller's promise.
            unsafe { out.write(block) };
            0
        }
    }
}

/// `malloc_usable_size`.
///
/// # Safety
/// As C's: `block` is null or a live block of this allocator.
pub(crate) unsafe fn malloc_usable_size(block: *mut c_void) -> usize {
    if bootstrap::owns(block) {
        // SAFETY: a block of the arena (checked just above).
        return unsafe { bootstrap::size_of(block) };
    }
    match address(Function::MallocUsableSize) {
        // SAFETY: libc's `malloc_usable_size` of one of its blocks (the caller's promise).
        Some(address) => unsafe {
            as_function::<unsafe extern "C" fn(*mut c_void) -> usize>(address)(block)
        },
        None => 0,
    }
}

/// The system's page size (4096 where it cannot be read).
pub(crate) fn page_size() -> usize {
    // SAFETY: sysconf has no preconditions.
    let size = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
    usize::try_from(size)
        .ok()
        .filter(|&s| s > 0)
        .unwrap_or(4096)
}
