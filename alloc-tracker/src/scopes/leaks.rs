//! `Leaks`: what a scope allocated and did not free, by site, with readable stacks.

use std::fmt;

use crate::hot::scope::Counts;
use crate::scopes::runtime;
use crate::scopes::symbols::{self, Frame};

/// What [`leaks`](crate::leaks) found: the blocks the closure allocated (on its thread
/// and the threads it started) and had not freed when it returned, its return value
/// dropped.
#[derive(Debug, Clone, Default)]
pub struct Leaks {
    bytes: u64,
    blocks: u64,
    sites: Vec<LeakSite>,
    /// Live bytes and blocks of started threads still running at the end: not counted.
    of_running_threads: (u64, u64),
    /// Live bytes and blocks the standard library keeps on purpose: not counted.
    kept_by_runtime: (u64, u64),
    /// Live bytes and blocks at sites [`ignoring`](Self::ignoring) took out, and its
    /// globs.
    ignored: (u64, u64, Vec<String>),
}

/// The leaked blocks of one allocation stack.
#[derive(Debug, Clone)]
pub struct LeakSite {
    bytes: u64,
    blocks: u64,
    frames: Vec<Frame>,
}

impl LeakSite {
    /// Bytes leaked from this stack.
    #[must_use]
    pub fn bytes(&self) -> u64 {
        self.bytes
    }

    /// Blocks leaked from this stack.
    #[must_use]
    pub fn blocks(&self) -> u64 {
        self.blocks
    }

    /// The whole stack, innermost first: the allocator's frames, then the code that
    /// allocated, then its callers.
    #[must_use]
    pub fn frames(&self) -> &[Frame] {
        &self.frames
    }

    /// The frames that are neither the allocator nor the standard library: the code
    /// that allocated, then its callers.
    #[must_use]
    pub fn user_frames(&self) -> Vec<Frame> {
        symbols::user_frames(&self.frames, usize::MAX)
    }
}

impl Leaks {
    /// From a closed scope's counts: every site with blocks still live, biggest first,
    /// but those the standard library keeps on purpose.
    pub(crate) fn from_counts(counts: &Counts) -> Self {
        let (mut sites, kept): (Vec<LeakSite>, Vec<LeakSite>) = counts
            .by_site
            .values()
            .filter(|&&(_, _, blocks)| blocks > 0)
            .map(|&(site, bytes, blocks)| LeakSite {
                bytes,
                blocks,
                frames: site.map_or_else(Vec::new, |site| symbols::resolve(site.frames())),
            })
            .partition(|site| !runtime::is_kept_by_runtime(&site.frames));
        sites.sort_by(|a, b| b.bytes.cmp(&a.bytes).then(b.blocks.cmp(&a.blocks)));
        let kept_by_runtime = kept.iter().fold((0, 0), |(bytes, blocks), site| {
            (bytes + site.bytes, blocks + site.blocks)
        });
        Self {
            bytes: counts.live_bytes.saturating_sub(kept_by_runtime.0),
            blocks: counts.live_blocks.saturating_sub(kept_by_runtime.1),
            sites,
            of_running_threads: counts.running_threads_live,
            kept_by_runtime,
            ignored: (0, 0, Vec::new()),
        }
    }

    /// These leaks without the sites whose stack passes through a function that `glob`
    /// matches (`*` any run of characters, `?` any one), as `[[suppress]] function` does
    /// in the report: for memory a library keeps on purpose, such as a registry filled
    /// on first use or garbage it frees later (`crossbeam_epoch::*`). The glob is
    /// matched against every frame, so inside an async runtime's tasks, whose stacks all
    /// pass through the runtime, name its function rather than its whole crate.
    ///
    /// ```
    /// # #[global_allocator]
    /// # static ALLOC: memleak::TrackingAlloc = memleak::TrackingAlloc::system();
    /// # fn main() {
    /// fn fill_registry() {
    ///     std::mem::forget(std::hint::black_box(vec![0u8; 64]));
    /// }
    /// memleak::leaks(fill_registry)
    ///     .ignoring("*::fill_registry")
    ///     .assert_none();
    /// # }
    /// ```
    #[must_use]
    pub fn ignoring(mut self, glob: &str) -> Self {
        let pattern: Vec<char> = glob.chars().collect();
        let (mut bytes, mut blocks) = (0, 0);
        self.sites.retain(|site| {
            let matched = site.frames.iter().any(|frame| {
                let function: Vec<char> = frame.function.chars().collect();
                memleak_format::glob_matches(&pattern, &function)
            });
            if matched {
                bytes += site.bytes;
                blocks += site.blocks;
            }
            !matched
        });
        self.bytes = self.bytes.saturating_sub(bytes);
        self.blocks = self.blocks.saturating_sub(blocks);
        self.ignored.0 += bytes;
        self.ignored.1 += blocks;
        self.ignored.2.push(glob.to_owned());
        self
    }

    /// Bytes leaked.
    #[must_use]
    pub fn bytes(&self) -> u64 {
        self.bytes
    }

    /// Blocks leaked.
    #[must_use]
    pub fn blocks(&self) -> u64 {
        self.blocks
    }

    /// The leaked blocks by allocation stack, most bytes first.
    #[must_use]
    pub fn sites(&self) -> &[LeakSite] {
        &self.sites
    }

    /// Whether nothing leaked.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.blocks == 0
    }

    /// Panics when something leaked, listing bytes, blocks and each site's first user
    /// frames with their file and line.
    #[track_caller]
    pub fn assert_none(&self) {
        assert!(self.is_empty(), "{self}\n\n{KEPT_ON_PURPOSE_HINT}");
    }
}

/// `leaked 1000 bytes in 1 block:` then each site, its user frames indented.
impl fmt::Display for Leaks {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_empty() {
            write!(f, "memleak: no leaks")?;
            return self.fmt_not_counted(f);
        }
        write!(
            f,
            "memleak: leaked {} in {}",
            plural(self.bytes, "byte"),
            plural(self.blocks, "block")
        )?;
        for site in &self.sites {
            write!(
                f,
                "\n\n{} in {}, allocated at:",
                plural(site.bytes, "byte"),
                plural(site.blocks, "block")
            )?;
            let frames = symbols::user_frames(&site.frames, symbols::SHOWN_FRAMES);
            if frames.is_empty() {
                write!(f, "\n    (no stack)")?;
            }
            for frame in frames {
                write!(f, "\n    {frame}")?;
            }
        }
        self.fmt_not_counted(f)
    }
}

impl Leaks {
    /// What was live at the end and is not counted: what threads still running held,
    /// what the standard library keeps.
    fn fmt_not_counted(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let notes = [
            (
                self.of_running_threads,
                "of threads started inside and still running at the end",
            ),
            (
                self.kept_by_runtime,
                "that the standard library keeps (captured output, stdout's buffer, its \
                 thread table)",
            ),
        ];
        for ((bytes, blocks), whose) in notes {
            if blocks > 0 {
                write!(
                    f,
                    "\n\n(not counted: {} in {} {whose})",
                    plural(bytes, "byte"),
                    plural(blocks, "block")
                )?;
            }
        }
        let (bytes, blocks, globs) = &self.ignored;
        if *blocks > 0 {
            write!(
                f,
                "\n\n(not counted: {} in {} ignored, at {})",
                plural(*bytes, "byte"),
                plural(*blocks, "block"),
                globs.join(", ")
            )?;
        }
        Ok(())
    }
}

/// The end of `assert_none`'s message: what to do when the "leak" is memory a library
/// keeps on purpose.
const KEPT_ON_PURPOSE_HINT: &str = "\
(if a library keeps this on purpose, a static filled on first use or garbage it frees \
later, run the code once before the check, or leave its sites out with \
`memleak::leaks(..).ignoring(\"crate_name::*\").assert_none()`)";

fn plural(count: u64, word: &str) -> String {
    if count == 1 {
        format!("{count} {word}")
    } else {
        format!("{count} {word}s")
    }
}
