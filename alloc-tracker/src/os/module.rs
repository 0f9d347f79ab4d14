//! The module map: what leak-report needs to symbolize the profile's return addresses
//! later, outside the tracked process (the tracker itself never reads debug info).

/// One loaded object (the executable, a shared library) as the loader placed it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Module {
    /// Absolute path of the file it was loaded from; the executable's own path for the
    /// main program.
    pub(crate) path: String,
    /// Added to an address of the file (its stated virtual address) to give the address
    /// in this process: `dlpi_addr` on Linux, the image's slide on macOS.
    pub(crate) bias: usize,
    /// The linker's build id (`NT_GNU_BUILD_ID`) or Mach-O `LC_UUID`: lets the reader
    /// tell the file it finds at `path` from the one that ran. Empty when the file has
    /// none.
    pub(crate) build_id: Vec<u8>,
    /// Its executable segments in this process.
    pub(crate) segments: Vec<Segment>,
}

/// An executable segment: `[start, end)` in this process, and where it starts in the file.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Segment {
    pub(crate) start: usize,
    pub(crate) end: usize,
    pub(crate) file_offset: u64,
}

/// A module for tests: path `path`, bias 4096, build id `ab01`, one segment.
#[cfg(test)]
pub(crate) fn test_module(path: &str) -> Module {
    Module {
        path: path.into(),
        bias: 4096,
        build_id: vec![0xab, 0x01],
        segments: vec![Segment {
            start: 8192,
            end: 9000,
            file_offset: 4096,
        }],
    }
}
