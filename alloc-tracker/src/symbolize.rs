//! Symbolization, done once at the end and only for the return addresses the profile
//! carries. Inlined frames are expanded: one address may give several functions.

/// One function at an address: the innermost inlined function comes first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Symbol {
    /// Demangled, without the hash.
    pub(crate) function: Option<String>,
    pub(crate) file: Option<String>,
    pub(crate) line: Option<u32>,
}

/// Resolves each return address (the lookup points at the call instruction).
pub(crate) fn resolve_all(addresses: &[usize]) -> Vec<Vec<Symbol>> {
    addresses.iter().map(|&address| resolve(address)).collect()
}

fn resolve(address: usize) -> Vec<Symbol> {
    let mut symbols = Vec::new();
    // `resolve` looks up `address - 1`, inside the call instruction, so the line is the
    // call's line rather than the next statement's.
    backtrace::resolve(address as *mut std::ffi::c_void, |symbol| {
        symbols.push(Symbol {
            function: symbol.name().map(|name| format!("{name:#}")),
            file: symbol.filename().map(|path| path.display().to_string()),
            line: symbol.lineno(),
        });
    });
    symbols
}

#[cfg(test)]
mod tests {
    use super::*;

    #[inline(never)]
    fn caller_address() -> usize {
        let mut address = 0;
        backtrace::trace(|frame| {
            address = frame.ip() as usize;
            false
        });
        address
    }

    #[test]
    fn resolves_a_function_of_this_crate() {
        let symbols = resolve_all(&[caller_address()]);
        let names: Vec<_> = symbols[0]
            .iter()
            .filter_map(|s| s.function.clone())
            .collect();
        assert!(
            names
                .iter()
                .any(|name| name.contains("backtrace") || name.contains("caller_address")),
            "{names:?}"
        );
    }
}
