//! The profile's `modules`: the loaded objects of the tracked process, and which one an
//! address falls in.

use serde::Deserialize;

/// A loaded object (the executable, a shared library) as the loader placed it.
#[derive(Debug, Clone, Default, Deserialize)]
#[non_exhaustive]
pub struct Module {
    /// The file it was loaded from.
    pub path: String,
    /// Added to an address of the file to give the address in the process.
    pub bias: u64,
    /// The build id (ELF `NT_GNU_BUILD_ID`, Mach-O `LC_UUID`) in lowercase hex; `None` when
    /// the file has none.
    #[serde(default)]
    pub build_id: Option<String>,
    /// Its executable segments in the process.
    pub segments: Vec<Segment>,
}

/// An executable segment: `[start, end)` in the process, and its offset in the file.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(from = "[u64; 3]")]
#[non_exhaustive]
pub struct Segment {
    /// First address.
    pub start: u64,
    /// One past the last address.
    pub end: u64,
    /// Where the segment starts in the file.
    pub file_offset: u64,
}

impl From<[u64; 3]> for Segment {
    fn from([start, end, file_offset]: [u64; 3]) -> Self {
        Self {
            start,
            end,
            file_offset,
        }
    }
}

impl Module {
    /// Whether the code at `address` is this module's.
    #[must_use]
    pub fn contains(&self, address: u64) -> bool {
        self.segments
            .iter()
            .any(|segment| (segment.start..segment.end).contains(&address))
    }
}

/// Index into `modules` of the module whose code holds `address`.
pub(crate) fn module_of(modules: &[Module], address: u64) -> Option<usize> {
    modules.iter().position(|module| module.contains(address))
}

/// Lowercase hex, the profile's spelling of a build id.
pub(crate) fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    bytes.iter().fold(String::new(), |mut out, byte| {
        let _ = write!(out, "{byte:02x}");
        out
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_fall_in_the_module_whose_segment_holds_them() {
        let modules: Vec<Module> = serde_json::from_str(
            r#"[{"path": "/a", "bias": 0, "build_id": "ab", "segments": [[100, 200, 0]]},
                {"path": "/b", "bias": 5, "segments": [[300, 310, 16], [400, 410, 32]]}]"#,
        )
        .unwrap();
        assert_eq!(module_of(&modules, 100), Some(0));
        assert_eq!(module_of(&modules, 199), Some(0));
        assert_eq!(module_of(&modules, 200), None);
        assert_eq!(module_of(&modules, 405), Some(1));
        assert_eq!(modules[1].build_id, None);
        assert_eq!(modules[1].segments[1].file_offset, 32);
        assert_eq!(hex(&[0, 0xab, 0x10]), "00ab10");
    }
}
