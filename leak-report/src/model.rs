//! The leaf types every layer shares: amounts of memory and the kinds of live memory.

/// A byte and block count.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Amount {
    /// Bytes.
    pub bytes: u64,
    /// Blocks.
    pub blocks: u64,
}

impl Amount {
    /// An amount of `bytes` in `blocks`.
    #[must_use]
    pub const fn new(bytes: u64, blocks: u64) -> Self {
        Self { bytes, blocks }
    }

    /// Adds, saturating (a hostile profile may hold sizes that overflow).
    pub(crate) fn add(&mut self, other: Self) {
        self.bytes = self.bytes.saturating_add(other.bytes);
        self.blocks = self.blocks.saturating_add(other.blocks);
    }
}

/// What live memory is.
///
/// Without a reachability scan in the profile, a block is [`LiveAtExit`](Self::LiveAtExit)
/// or [`Runtime`](Self::Runtime). With one, it is [`Definite`](Self::Definite),
/// [`Indirect`](Self::Indirect) or [`Reachable`](Self::Reachable), and
/// [`Runtime`](Self::Runtime) only as a fallback for an unreachable block that std
/// allocated for itself (see the crate docs).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[non_exhaustive]
pub enum SiteKind {
    /// Live at exit and allocated by the program, in a profile without a reachability
    /// scan: a leak candidate.
    LiveAtExit,
    /// Held by the Rust runtime on purpose until exit (stdout's buffer, the main thread's
    /// handle): never a leak.
    Runtime,
    /// Unreachable at exit, and no other unreachable block points to it: definitely lost.
    Definite,
    /// Unreachable at exit, and pointed to by another unreachable block (every member of
    /// a cycle is): indirectly lost.
    Indirect,
    /// Still reachable from a root at exit (a static, a thread's stack, TLS): not a leak.
    Reachable,
}

impl SiteKind {
    /// Every kind, in the order the report shows them.
    pub(crate) const ALL: [Self; 5] = [
        Self::Definite,
        Self::Indirect,
        Self::Reachable,
        Self::LiveAtExit,
        Self::Runtime,
    ];

    /// The name used in `report.json` and in `memleak.toml`: `"live_at_exit"`,
    /// `"runtime"`, `"definite"`, `"indirect"` or `"reachable"`.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::LiveAtExit => "live_at_exit",
            Self::Runtime => "runtime",
            Self::Definite => "definite",
            Self::Indirect => "indirect",
            Self::Reachable => "reachable",
        }
    }

    /// The kind whose [`as_str`](Self::as_str) is `name`, if any.
    #[must_use]
    pub fn from_json_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|kind| kind.as_str() == name)
    }

    /// Whether memory of this kind counts as leaked: definite, indirect, or (without a
    /// scan) live at exit.
    #[must_use]
    pub fn is_leak(self) -> bool {
        matches!(self, Self::LiveAtExit | Self::Definite | Self::Indirect)
    }

    /// Position in [`ALL`](Self::ALL), for per-kind tables.
    pub(crate) fn slot(self) -> usize {
        match self {
            Self::Definite => 0,
            Self::Indirect => 1,
            Self::Reachable => 2,
            Self::LiveAtExit => 3,
            Self::Runtime => 4,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_have_their_json_names() {
        let names: Vec<&str> = SiteKind::ALL.iter().map(|kind| kind.as_str()).collect();
        assert_eq!(
            names,
            [
                "definite",
                "indirect",
                "reachable",
                "live_at_exit",
                "runtime"
            ]
        );
        for (slot, kind) in SiteKind::ALL.iter().enumerate() {
            assert_eq!(kind.slot(), slot);
        }
        let leaks: Vec<bool> = SiteKind::ALL.iter().map(|kind| kind.is_leak()).collect();
        assert_eq!(leaks, [true, true, false, true, false]);
    }
}

/// How the tracker saw the program's allocations.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum Mode {
    /// `TrackingAlloc` was the program's global allocator: Rust's heap only; C code's
    /// `malloc` shows only as the native layer.
    #[default]
    InProcess,
    /// The tracker was preloaded as `malloc`: every block, Rust's and native code's, with
    /// its stack.
    Preload,
}

impl Mode {
    /// Its name in profiles, report.json and the command line.
    #[must_use]
    pub const fn name(self) -> &'static str {
        match self {
            Self::InProcess => memleak_format::MODE_IN_PROCESS,
            Self::Preload => memleak_format::MODE_PRELOAD,
        }
    }

    /// The mode named `name`, if any.
    #[must_use]
    pub fn from_name(name: &str) -> Option<Self> {
        [Self::InProcess, Self::Preload]
            .into_iter()
            .find(|mode| mode.name() == name)
    }
}

/// Which allocator a site's blocks came through.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[non_exhaustive]
pub enum Origin {
    /// Rust's global allocator (`Box`, `Vec`, `String`...).
    #[default]
    Rust,
    /// `malloc` called by other code: C libraries behind FFI, libc itself. Seen only in
    /// [`Mode::Preload`].
    Native,
}

impl Origin {
    /// Its name in report.json.
    #[must_use]
    pub const fn name(self) -> &'static str {
        match self {
            Self::Rust => "rust",
            Self::Native => "native",
        }
    }
}
