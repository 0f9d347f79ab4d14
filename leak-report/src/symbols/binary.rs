//! One binary of the module map, opened for symbolization after checking that it is the
//! file that ran: its build id, or (when it has none) its modification time.

use std::fs::File;
use std::path::Path;
use std::time::SystemTime;

use addr2line::Loader;
use memleak_format::hex;
use object::Object as _;
use object::read::ReadCache;

use crate::profile::loaded::{Module, Symbol};
use crate::profile::symbol_warning::Problem;

/// A binary that can be symbolized.
pub(crate) struct Binary {
    loader: Loader,
}

impl std::fmt::Debug for Binary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Binary").finish_non_exhaustive()
    }
}

impl Binary {
    /// Opens `module`'s file when it is the one that ran. `profile_written` is when the
    /// profile was written, for files without a build id.
    pub(crate) fn open(
        module: &Module,
        profile_written: Option<SystemTime>,
    ) -> Result<Self, Problem> {
        let path = Path::new(&module.path);
        let file = File::open(path).map_err(|error| match error.kind() {
            std::io::ErrorKind::NotFound => Problem::Missing,
            _ => Problem::Unreadable(error.to_string()),
        })?;
        let modified = file.metadata().and_then(|m| m.modified()).ok();
        let found = build_id(file).map_err(Problem::Unreadable)?;
        match (&module.build_id, found) {
            (Some(expected), found) if found.as_ref() != Some(expected) => {
                return Err(Problem::Rebuilt {
                    expected: expected.clone(),
                    found,
                });
            }
            (None, _) if modified.zip(profile_written).is_some_and(|(m, p)| m > p) => {
                return Err(Problem::ModifiedAfterRun);
            }
            _ => {}
        }
        let loader = Loader::new(path).map_err(|error| Problem::Unreadable(error.to_string()))?;
        Ok(Self { loader })
    }

    /// What the code at `probe` (an address of the file, inside the call instruction) is:
    /// the inlined functions innermost first, the real function last. The symbol table
    /// names the function when the debug info does not (no debug info, or none for it).
    pub(crate) fn symbols(&self, probe: u64) -> Vec<Symbol> {
        let mut symbols = Vec::new();
        if let Ok(mut frames) = self.loader.find_frames(probe) {
            while let Ok(Some(frame)) = frames.next() {
                let function = frame
                    .function
                    .as_ref()
                    .and_then(|function| function.raw_name().ok())
                    .map(|raw| demangle(&raw));
                let (file, line) = frame.location.map_or((None, None), |location| {
                    (
                        location.file.map(str::to_owned),
                        location.line.map(u64::from),
                    )
                });
                symbols.push(Symbol {
                    function,
                    file,
                    line,
                });
            }
        }
        if symbols
            .last()
            .is_none_or(|symbol| symbol.function.is_none())
            && let Some(name) = self.loader.find_symbol(probe)
        {
            let function = Some(demangle(name));
            match symbols.last_mut() {
                Some(last) => last.function = function,
                None => symbols.push(Symbol {
                    function,
                    file: None,
                    line: None,
                }),
            }
        }
        symbols
    }
}

/// The file's build id in hex, `None` when it has none. Reads only the headers and notes.
fn build_id(file: File) -> Result<Option<String>, String> {
    let cache = ReadCache::new(file);
    let object = object::File::parse(&cache).map_err(|error| error.to_string())?;
    let id = if object.format() == object::BinaryFormat::MachO {
        object
            .mach_uuid()
            .map_err(|e| e.to_string())?
            .map(|uuid| uuid.to_vec())
    } else {
        object
            .build_id()
            .map_err(|e| e.to_string())?
            .map(<[u8]>::to_vec)
    };
    Ok(id.map(|id| hex(&id)))
}

/// A Rust name demangled without its hash (`leaky::leak_some`); other names unchanged.
fn demangle(raw: &str) -> String {
    format!("{:#}", rustc_demangle::demangle(raw))
}
