//! The profile's `modules`: the loaded objects of the tracked process, and which one an
//! address falls in.

pub use memleak_format::{Module, Segment};

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
