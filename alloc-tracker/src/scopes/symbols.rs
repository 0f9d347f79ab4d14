//! Names for the stacks the in-test API prints: resolved in the test process, where the
//! panic message needs them (profiles are symbolized by leak-report instead).

use crate::hot::site::Site;

/// One frame of a stack, resolved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Frame {
    /// The function, demangled without its hash (`my_crate::cache::insert`).
    pub function: String,
    /// The source file, when debug info says.
    pub file: Option<String>,
    /// The line, when debug info says.
    pub line: Option<u32>,
}

impl std::fmt::Display for Frame {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.function)?;
        match (&self.file, self.line) {
            (Some(file), Some(line)) => write!(f, "  {file}:{line}"),
            (Some(file), None) => write!(f, "  {file}"),
            _ => Ok(()),
        }
    }
}

/// The frames of return addresses `stack` (innermost first), inlined functions
/// expanded.
pub(crate) fn resolve(stack: &[usize]) -> Vec<Frame> {
    // Files under the current directory (the package's, under cargo test) are shown
    // relative to it.
    let cwd = std::env::current_dir().ok();
    let shown = |path: &std::path::Path| {
        cwd.as_deref()
            .and_then(|cwd| path.strip_prefix(cwd).ok())
            .unwrap_or(path)
            .display()
            .to_string()
    };
    let mut frames = Vec::new();
    for (index, &address) in stack.iter().enumerate() {
        // A return address points after its call: look up the call itself.
        let lookup = if index == 0 {
            address
        } else {
            address.saturating_sub(1)
        };
        let before = frames.len();
        backtrace::resolve(lookup as *mut std::ffi::c_void, |symbol| {
            let function = symbol
                .name()
                .map_or_else(|| format!("{address:#x}"), |name| format!("{name:#}"));
            frames.push(Frame {
                function,
                file: symbol.filename().map(shown),
                line: symbol.lineno(),
            });
        });
        if frames.len() == before {
            frames.push(Frame {
                function: format!("{address:#x}"),
                file: None,
                line: None,
            });
        }
    }
    frames
}

/// Functions of the tracker and the allocator shims that lead to an allocation.
const PLUMBING: [&str; 6] = [
    "memleak::",
    "<memleak::",
    "__rust",
    "__rdl",
    "backtrace::",
    "<backtrace::",
];

/// Whether the frame is allocator or standard-library plumbing: the tracker's own, or
/// std's, whose debug info names sources under `/rustc/<commit>/library`.
fn is_plumbing(frame: &Frame) -> bool {
    PLUMBING.iter().any(|p| frame.function.starts_with(p))
        || frame.file.as_deref().is_some_and(|file| {
            file.starts_with("/rustc/") || file.contains("/lib/rustlib/src/rust/library/")
        })
}

/// The frames that are not allocator or std plumbing, at most `most`: the code that
/// allocated, then its callers.
pub(crate) fn user_frames(frames: &[Frame], most: usize) -> Vec<Frame> {
    frames
        .iter()
        .filter(|frame| !is_plumbing(frame))
        .take(most)
        .cloned()
        .collect()
}

/// Frames of a message's stack.
pub(crate) const SHOWN_FRAMES: usize = 5;

/// A site's first user frames, each on a line of its own, indented; `(no stack)` when
/// there are none.
pub(crate) fn stack_lines(site: Option<&Site>) -> String {
    let frames = site.map_or_else(Vec::new, |site| resolve(site.frames()));
    let shown = user_frames(&frames, SHOWN_FRAMES);
    if shown.is_empty() {
        return "\n    (no stack)".to_owned();
    }
    shown.iter().map(|frame| format!("\n    {frame}")).collect()
}
