//! The loader's list of loaded objects (`dl_iterate_phdr`), behind one safe function:
//! the module map and the scan's roots both walk it.

use std::ffi::CStr;

#[cfg(target_pointer_width = "64")]
type ProgramHeader = libc::Elf64_Phdr;
#[cfg(target_pointer_width = "32")]
type ProgramHeader = libc::Elf32_Phdr;

/// One loaded object as the loader describes it, valid for the duration of the visit.
pub(crate) struct LoadedObject<'a> {
    /// Its path as the loader names it; empty for the main program.
    pub(crate) name: &'a CStr,
    /// `dlpi_addr`: added to the object's stated addresses to give addresses in memory.
    pub(crate) bias: usize,
    /// Its program headers.
    pub(crate) headers: &'a [ProgramHeader],
    /// The calling thread's TLS block for this object, or null.
    pub(crate) tls_data: *mut libc::c_void,
}

/// Calls `visit` with every loaded object, in the loader's order. `visit` must not
/// unwind (it runs inside the loader's callback).
pub(crate) fn for_each_loaded_object(mut visit: impl FnMut(&LoadedObject<'_>)) {
    let mut visit: &mut dyn FnMut(&LoadedObject<'_>) = &mut visit;
    // SAFETY: the callback matches dl_iterate_phdr's signature and only reads the
    // `dl_phdr_info` it is given, for the duration of the call; `visit` outlives the call.
    unsafe {
        libc::dl_iterate_phdr(Some(callback), std::ptr::from_mut(&mut visit).cast());
    }
}

unsafe extern "C" fn callback(
    info: *mut libc::dl_phdr_info,
    _size: libc::size_t,
    data: *mut libc::c_void,
) -> libc::c_int {
    // SAFETY: `data` is the `&mut dyn FnMut` passed by `for_each_loaded_object`, alive
    // and not aliased during this callback.
    let visit = unsafe { &mut *data.cast::<&mut dyn FnMut(&LoadedObject<'_>)>() };
    // SAFETY: the loader passes a valid `dl_phdr_info` for the duration of the call.
    let info = unsafe { &*info };
    let name = if info.dlpi_name.is_null() {
        c""
    } else {
        // SAFETY: a non-null `dlpi_name` is a NUL-terminated string owned by the loader.
        unsafe { CStr::from_ptr(info.dlpi_name) }
    };
    let headers = if info.dlpi_phdr.is_null() {
        &[][..]
    } else {
        // SAFETY: `dlpi_phdr` points at `dlpi_phnum` program headers owned by the loader.
        unsafe { std::slice::from_raw_parts(info.dlpi_phdr, usize::from(info.dlpi_phnum)) }
    };
    visit(&LoadedObject {
        name,
        bias: info.dlpi_addr as usize,
        headers,
        tls_data: info.dlpi_tls_data,
    });
    0
}
