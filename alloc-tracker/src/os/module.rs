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

/// The build id in a note segment's bytes: the descriptor of the first `NT_GNU_BUILD_ID`
/// note named "GNU" (ELF notes: namesz, descsz, type, name and descriptor each padded to
/// 4 bytes).
pub(crate) fn gnu_build_id(notes: &[u8]) -> Option<&[u8]> {
    const NT_GNU_BUILD_ID: u32 = 3;
    let word = |at: usize| -> Option<u32> {
        let bytes = notes.get(at..at.checked_add(4)?)?;
        Some(u32::from_ne_bytes(bytes.try_into().ok()?))
    };
    let padded = |n: u32| (usize::try_from(n).ok()?).checked_add(3).map(|n| n & !3);
    let mut at: usize = 0;
    while at.checked_add(12)? <= notes.len() {
        let (name_size, desc_size, kind) = (word(at)?, word(at + 4)?, word(at + 8)?);
        let name_at = at + 12;
        let desc_at = name_at.checked_add(padded(name_size)?)?;
        let desc_end = desc_at.checked_add(usize::try_from(desc_size).ok()?)?;
        let name = notes.get(name_at..name_at + usize::try_from(name_size).ok()?)?;
        if kind == NT_GNU_BUILD_ID && name == b"GNU\0" {
            return notes.get(desc_at..desc_end);
        }
        at = desc_at.checked_add(padded(desc_size)?)?;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn note(name: &[u8], kind: u32, desc: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        out.extend_from_slice(&u32::try_from(name.len()).unwrap().to_ne_bytes());
        out.extend_from_slice(&u32::try_from(desc.len()).unwrap().to_ne_bytes());
        out.extend_from_slice(&kind.to_ne_bytes());
        out.extend_from_slice(name);
        out.resize(out.len().next_multiple_of(4), 0);
        out.extend_from_slice(desc);
        out.resize(out.len().next_multiple_of(4), 0);
        out
    }

    #[test]
    fn finds_the_gnu_build_id_among_other_notes() {
        let mut notes = note(b"GNU\0", 1, &[0, 0, 0, 0, 3, 0, 0, 0]);
        notes.extend(note(b"stapsdt\0", 3, b"not it"));
        notes.extend(note(b"GNU\0", 3, &[0xde, 0xad, 0xbe, 0xef, 1]));
        assert_eq!(gnu_build_id(&notes), Some(&[0xde, 0xad, 0xbe, 0xef, 1][..]));
        assert_eq!(gnu_build_id(&notes[..notes.len() - 8]), None);
        assert_eq!(gnu_build_id(&[]), None);
        assert_eq!(gnu_build_id(&[0xff; 40]), None);
    }
}
