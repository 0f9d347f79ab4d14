//! Why some of a profile's frames stay addresses: the binary they belong to is gone,
//! unreadable, or another build than the one that ran. Found by symbolization, kept with
//! the loaded profile.

use std::fmt;

/// Why a binary's frames could not be symbolized.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Problem {
    Missing,
    Rebuilt {
        expected: String,
        found: Option<String>,
    },
    ModifiedAfterRun,
    Unreadable(String),
}

/// A binary whose frames stay raw addresses in the report, and why: symbolizing them
/// from another file would give wrong names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SymbolWarning {
    /// The binary's path, as the tracked process loaded it.
    pub module: String,
    /// How many of the profile's frames are in it.
    pub frames: usize,
    problem: Problem,
}

impl SymbolWarning {
    pub(crate) fn new(module: String, frames: usize, problem: Problem) -> Self {
        Self {
            module,
            frames,
            problem,
        }
    }

    /// Whether the file at the path is another build than the one that ran (its build id
    /// differs, or it has none and was modified after the profile was written).
    #[must_use]
    pub fn is_rebuilt(&self) -> bool {
        matches!(
            self.problem,
            Problem::Rebuilt { .. } | Problem::ModifiedAfterRun
        )
    }
}

impl fmt::Display for SymbolWarning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let module = &self.module;
        match &self.problem {
            Problem::Missing => write!(f, "{module} no longer exists"),
            Problem::Rebuilt {
                expected,
                found: Some(found),
            } => write!(
                f,
                "{module} was rebuilt after the run (build id {found}, the run's was {expected})"
            ),
            Problem::Rebuilt {
                expected,
                found: None,
            } => write!(
                f,
                "{module} is another build than the run's (it has no build id, the run's was {expected})"
            ),
            Problem::ModifiedAfterRun => write!(
                f,
                "{module} was modified after the profile was written (it has no build id to check)"
            ),
            Problem::Unreadable(error) => write!(f, "cannot read {module}: {error}"),
        }?;
        let frames = self.frames;
        let (s, are) = if frames == 1 {
            ("", "is")
        } else {
            ("s", "are")
        };
        write!(f, "; its {frames} frame{s} {are} shown as addresses")
    }
}
