//! One line of a displayed stack: the leaf type of the stack rules (`plumbing`,
//! `runtime`) and of the stacks built from them (`stack`).

/// One line of a displayed stack: an inlined function or a frame.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[non_exhaustive]
pub struct StackEntry {
    /// Demangled function name, or `"??"` when unknown.
    pub function: String,
    /// Source file, when known.
    pub file: Option<String>,
    /// Source line, when known.
    pub line: Option<u64>,
    /// The return address, kept only for unresolved entries (no function and no file),
    /// where it is the only thing that tells two of them apart.
    pub ip: Option<u64>,
}

/// The name shown for a frame that could not be symbolized.
pub const UNKNOWN_FUNCTION: &str = "??";

impl StackEntry {
    /// Whether the entry could not be symbolized at all.
    #[must_use]
    pub fn is_unresolved(&self) -> bool {
        self.ip.is_some()
    }
}
