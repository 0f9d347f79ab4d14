//! The address ranges of some of the program's own functions, from the executable's ELF
//! symbol table: read once at exit, for the scan (never debug info, never on the hot
//! path). Only the file's section headers and its symbol and string tables are read.

use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::ops::Range;

use crate::os::loaded_objects::for_each_loaded_object;

const SHT_SYMTAB: u32 = 2;
const STT_FUNC: u8 = 2;
const SECTION_HEADER_BYTES: usize = 64;
const SYMBOL_BYTES: usize = 24;

/// The ranges, in this process, of the main program's functions whose (mangled) names
/// contain `pattern`, sorted. Empty when the executable has no symbol table or cannot be
/// read.
pub(crate) fn program_function_ranges(pattern: &[u8]) -> Vec<Range<usize>> {
    let mut bias = None;
    for_each_loaded_object(|object| {
        if object.name.to_bytes().is_empty() && bias.is_none() {
            bias = Some(object.bias);
        }
    });
    let (Some(bias), Ok(mut file)) = (bias, File::open("/proc/self/exe")) else {
        return Vec::new();
    };
    let mut ranges = function_ranges(&mut file, pattern).unwrap_or_default();
    for range in &mut ranges {
        *range = range.start.wrapping_add(bias)..range.end.wrapping_add(bias);
    }
    ranges.sort_by_key(|range| range.start);
    ranges
}

/// The file addresses of the functions whose names contain `pattern`, in a 64-bit ELF
/// file of this machine's byte order.
fn function_ranges(file: &mut (impl Read + Seek), pattern: &[u8]) -> Option<Vec<Range<usize>>> {
    let header = read_at(file, 0, 64)?;
    if header.get(..4)? != b"\x7fELF" || *header.get(4)? != 2 {
        return None;
    }
    let section_headers = u64_at(&header, 0x28)?;
    let count = usize::from(u16_at(&header, 0x3c)?);
    let table = read_at(
        file,
        section_headers,
        count.checked_mul(SECTION_HEADER_BYTES)?,
    )?;
    let section = |index: usize| {
        table
            .get(index * SECTION_HEADER_BYTES..)?
            .get(..SECTION_HEADER_BYTES)
    };
    let symtab = (0..count).find_map(|index| {
        let header = section(index)?;
        (u32_at(header, 4)? == SHT_SYMTAB).then_some(header)
    })?;
    let strtab = section(usize::try_from(u32_at(symtab, 40)?).ok()?)?;
    let symbols = read_at(
        file,
        u64_at(symtab, 24)?,
        usize::try_from(u64_at(symtab, 32)?).ok()?,
    )?;
    let names = read_at(
        file,
        u64_at(strtab, 24)?,
        usize::try_from(u64_at(strtab, 32)?).ok()?,
    )?;
    let mut ranges = Vec::new();
    for symbol in symbols.chunks_exact(SYMBOL_BYTES) {
        let (Some(&info), Some(name_at), Some(value), Some(size)) = (
            symbol.get(4),
            u32_at(symbol, 0),
            u64_at(symbol, 8),
            u64_at(symbol, 16),
        ) else {
            continue;
        };
        if info & 0xf != STT_FUNC || size == 0 {
            continue;
        }
        let name = names
            .get(usize::try_from(name_at).ok()?..)
            .unwrap_or_default();
        let name = name.split(|&b| b == 0).next().unwrap_or_default();
        if contains(name, pattern) {
            let start = usize::try_from(value).ok()?;
            ranges.push(start..start.saturating_add(usize::try_from(size).ok()?));
        }
    }
    Some(ranges)
}

/// Whether `pattern` (not empty) occurs in `name`.
fn contains(name: &[u8], pattern: &[u8]) -> bool {
    !pattern.is_empty() && name.windows(pattern.len()).any(|window| window == pattern)
}

fn read_at(file: &mut (impl Read + Seek), offset: u64, len: usize) -> Option<Vec<u8>> {
    file.seek(SeekFrom::Start(offset)).ok()?;
    let mut bytes = Vec::new();
    bytes.try_reserve_exact(len).ok()?;
    bytes.resize(len, 0);
    file.read_exact(&mut bytes).ok()?;
    Some(bytes)
}

fn u16_at(bytes: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_ne_bytes(bytes.get(at..at + 2)?.try_into().ok()?))
}

fn u32_at(bytes: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_ne_bytes(bytes.get(at..at + 4)?.try_into().ok()?))
}

fn u64_at(bytes: &[u8], at: usize) -> Option<u64> {
    Some(u64::from_ne_bytes(bytes.get(at..at + 8)?.try_into().ok()?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[inline(never)]
    fn a_function_to_find_by_name() -> usize {
        std::hint::black_box(7)
    }

    #[test]
    fn this_test_binarys_functions_are_found_by_name_where_they_run() {
        let here = a_function_to_find_by_name as *const () as usize;
        let ranges = program_function_ranges(b"26a_function_to_find_by_name");
        assert_eq!(ranges.len(), 1, "{ranges:x?}");
        assert!(ranges[0].contains(&here), "{ranges:x?} {here:x}");
        assert!(program_function_ranges(b"no_function_is_named_like_this_at_all").is_empty());
        assert_eq!(a_function_to_find_by_name(), 7);
    }
}
