//! Symbolizing a profile's frames: each binary opened once, only when a frame needs it,
//! and never trusted when it is not the file that ran.

use std::collections::HashMap;
use std::path::Path;

use crate::profile::loaded::Module;
use crate::profile::loaded::Raw;
use crate::profile::symbol_warning::{Problem, SymbolWarning};
use crate::symbols::binary::Binary;

/// Index into `modules` of the module whose code holds `address`.
fn module_of(modules: &[Module], address: u64) -> Option<usize> {
    modules.iter().position(|module| module.contains(address))
}

/// Fills in the symbols of every frame of a version 2 profile (earlier ones carry
/// them), from the binaries of its module map. `path` is the profile's file: a binary
/// without a build id must be older than it.
pub(crate) fn symbolize(path: &Path, raw: &mut Raw) -> Vec<SymbolWarning> {
    if raw.version < 2 {
        return Vec::new();
    }
    let Some(modules) = raw.modules.as_deref() else {
        return Vec::new();
    };
    let written = std::fs::metadata(path).and_then(|m| m.modified()).ok();
    let mut binaries: HashMap<usize, Result<Binary, Problem>> = HashMap::new();
    let mut unresolved: HashMap<usize, usize> = HashMap::new();
    for frame in raw
        .frames
        .iter_mut()
        .filter(|frame| frame.symbols.is_empty())
    {
        let Some(index) = module_of(modules, frame.ip) else {
            continue;
        };
        let module = &modules[index];
        // The vDSO (`linux-vdso.so.1`) and the like have no file: nothing to read, nothing
        // to warn about.
        if !Path::new(&module.path).is_absolute() {
            continue;
        }
        match binaries
            .entry(index)
            .or_insert_with(|| Binary::open(module, written))
        {
            Ok(binary) => {
                // The return address is the instruction after the call: look inside it.
                let probe = frame.ip.wrapping_sub(1).wrapping_sub(module.bias);
                frame.symbols = binary.symbols(probe);
            }
            Err(_) => *unresolved.entry(index).or_default() += 1,
        }
    }
    let mut warnings: Vec<SymbolWarning> = binaries
        .into_iter()
        .filter_map(|(index, binary)| {
            Some(SymbolWarning::new(
                modules[index].path.clone(),
                unresolved.get(&index).copied().unwrap_or(0),
                binary.err()?,
            ))
        })
        .collect();
    warnings.sort_by(|a, b| a.module.cmp(&b.module));
    warnings
}

#[cfg(test)]
mod tests {
    use object::{Object as _, ObjectSymbol as _};
    use serde_json::{Value, json};

    use super::*;
    use crate::error::Error;
    use crate::symbols::load::parse_profile;

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
        assert_eq!(memleak_format::hex(&[0, 0xab, 0x10]), "00ab10");
    }

    /// A function of this test binary for the profile's frame to point into.
    #[inline(never)]
    fn marker_function() -> usize {
        std::hint::black_box(7)
    }

    /// This test binary, its build id, and the file address of [`marker_function`].
    fn this_binary() -> (String, String, u64) {
        let exe = std::env::current_exe().unwrap();
        let data = std::fs::read(&exe).unwrap();
        let object = object::File::parse(&*data).unwrap();
        let address = object
            .symbols()
            .find(|symbol| {
                symbol.name().is_ok_and(|name| {
                    format!("{:#}", rustc_demangle::demangle(name))
                        .ends_with("tests::marker_function")
                })
            })
            .expect("the marker function is in the symbol table")
            .address();
        let id = memleak_format::hex(object.build_id().unwrap().unwrap());
        assert!(marker_function() > 0);
        (exe.display().to_string(), id, address)
    }

    /// A version 2 profile with one site whose one frame is `ip`, in `module`.
    fn profile(module: &Value, ip: u64) -> Result<crate::Profile, Error> {
        let mut document = json!({
            "format": "memleak-profile", "version": 2, "exe": "/x", "args": [],
            "totals": {"allocated_bytes": 8, "allocated_blocks": 1,
                       "peak_live_bytes": 8, "peak_live_blocks": 1},
            "modules": [module],
            "frames": [{"ip": ip}],
            "sites": [{"id": 0, "frames": [0]}],
            "live": [{"size": 8, "site": 0}],
        });
        crate::testing::complete(&mut document);
        parse_profile(
            Path::new("/nonexistent/profile.json"),
            document.to_string().as_bytes(),
        )
    }

    #[test]
    fn frames_are_named_from_the_binary_that_ran() {
        let (path, id, address) = this_binary();
        let module = json!({"path": path, "bias": 4096, "build_id": id,
                            "segments": [[0, u64::MAX, 0]]});
        // A return address inside the function, as the process saw it (bias added).
        let loaded = profile(&module, address + 4096 + 1).unwrap();
        assert!(loaded.symbol_warnings().is_empty());
        let symbols = &loaded.frames()[0].symbols;
        let function = symbols
            .last()
            .and_then(|s| s.function.as_deref())
            .unwrap_or("");
        assert!(
            function.ends_with("symbols::resolve::tests::marker_function"),
            "{symbols:?}"
        );
        assert!(
            symbols
                .last()
                .unwrap()
                .file
                .as_deref()
                .unwrap()
                .ends_with("resolve.rs")
        );
    }

    #[test]
    fn a_rebuilt_binary_gives_a_warning_and_no_names() {
        let (path, _, address) = this_binary();
        let module = json!({"path": path, "bias": 0, "build_id": "00ff",
                            "segments": [[0, u64::MAX, 0]]});
        let loaded = profile(&module, address + 1).unwrap();
        assert!(loaded.frames()[0].symbols.is_empty());
        let [warning] = loaded.symbol_warnings() else {
            panic!("{:?}", loaded.symbol_warnings());
        };
        assert!(warning.is_rebuilt());
        assert_eq!(warning.frames, 1);
        let message = warning.to_string();
        assert!(message.contains("was rebuilt after the run"), "{message}");
        assert!(message.contains("the run's was 00ff"), "{message}");
    }

    #[test]
    fn a_missing_binary_gives_a_warning() {
        let module = json!({"path": "/nonexistent/app", "bias": 0, "build_id": null,
                            "segments": [[100, 200, 0]]});
        let loaded = profile(&module, 150).unwrap();
        let [warning] = loaded.symbol_warnings() else {
            panic!("{:?}", loaded.symbol_warnings());
        };
        assert!(!warning.is_rebuilt());
        assert_eq!(
            warning.to_string(),
            "/nonexistent/app no longer exists; its 1 frame is shown as addresses"
        );
        // An address outside every module is left alone, without a warning, and so is one
        // in a module that is no file (the vDSO).
        assert!(profile(&module, 5).unwrap().symbol_warnings().is_empty());
        let vdso = json!({"path": "linux-vdso.so.1", "bias": 0, "build_id": "ab",
                          "segments": [[100, 200, 0]]});
        assert!(profile(&vdso, 150).unwrap().symbol_warnings().is_empty());
    }

    #[test]
    fn version_2_needs_the_module_map() {
        let mut document: Value = serde_json::from_str(
            &json!({"format": "memleak-profile", "version": 2, "exe": "/x", "args": [],
                    "totals": {"allocated_bytes": 0, "allocated_blocks": 0,
                               "peak_live_bytes": 0, "peak_live_blocks": 0},
                    "frames": [], "sites": [], "live": []})
            .to_string(),
        )
        .unwrap();
        crate::testing::complete(&mut document);
        let error =
            parse_profile(Path::new("p.json"), document.to_string().as_bytes()).unwrap_err();
        assert!(
            matches!(error, Error::MissingField { ref field, .. } if field == "modules"),
            "{error}"
        );
        document["modules"] = json!([]);
        assert!(parse_profile(Path::new("p.json"), document.to_string().as_bytes()).is_ok());
    }
}
