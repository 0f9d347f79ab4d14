//! The module map on Linux: every loaded object, its load bias, build id and executable
//! segments.

use crate::os::loaded_objects::{LoadedObject, for_each_loaded_object};
use crate::os::module::{Module, Segment};

/// Every loaded object with executable code; the main program (whose loader name is
/// empty) under the executable's path.
pub(crate) fn loaded_modules() -> Vec<Module> {
    let mut modules: Vec<Module> = Vec::new();
    for_each_loaded_object(|object| modules.push(module(object)));
    let exe = std::env::current_exe()
        .map(|path| path.display().to_string())
        .unwrap_or_default();
    for module in &mut modules {
        if module.path.is_empty() {
            module.path.clone_from(&exe);
        }
    }
    modules.retain(|module| !module.segments.is_empty());
    modules
}

fn module(object: &LoadedObject<'_>) -> Module {
    let bias = object.bias;
    let mut module = Module {
        path: object.name.to_string_lossy().into_owned(),
        bias,
        ..Module::default()
    };
    let loaded = |start: usize, end: usize| {
        object.headers.iter().any(|header| {
            let segment = bias.wrapping_add(header.p_vaddr as usize);
            header.p_type == libc::PT_LOAD
                && segment <= start
                && end <= segment.saturating_add(header.p_memsz as usize)
        })
    };
    for header in object.headers {
        let start = bias.wrapping_add(header.p_vaddr as usize);
        let size = header.p_memsz as usize;
        if header.p_type == libc::PT_LOAD && header.p_flags & libc::PF_X != 0 {
            module.segments.push(Segment {
                start,
                end: start.saturating_add(size),
                file_offset: header.p_offset,
            });
        } else if header.p_type == libc::PT_NOTE
            && module.build_id.is_empty()
            && size > 0
            && loaded(start, start.saturating_add(size))
        {
            // SAFETY: the note segment lies inside a PT_LOAD segment of this object,
            // which stays mapped while the object is loaded, as it is during this visit.
            let notes = unsafe { std::slice::from_raw_parts(start as *const u8, size) };
            if let Some(id) = gnu_build_id(notes) {
                module.build_id = id.to_vec();
            }
        }
    }
    module
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

    #[test]
    fn this_test_binary_is_mapped_with_its_build_id() {
        let modules = loaded_modules();
        let here = this_test_binary_is_mapped_with_its_build_id as *const () as usize;
        let own = modules
            .iter()
            .find(|m| m.segments.iter().any(|s| (s.start..s.end).contains(&here)))
            .expect("a module holds this function");
        let exe = std::env::current_exe().unwrap();
        assert_eq!(own.path, exe.display().to_string());
        // Debian's toolchain and rustc's own link with --build-id (20 bytes of SHA-1).
        assert_eq!(own.build_id.len(), 20, "{own:?}");
        assert!(
            modules.iter().any(|m| m.path.contains("libc.so")),
            "{modules:?}"
        );
    }
}
