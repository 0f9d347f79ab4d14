//! From a validated profile to a [`Report`]: live blocks summed by site, sites classified
//! and grouped by their trimmed stack, groups sorted biggest first.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use crate::profile::Profile;
use crate::stack::{StackEntry, analyse_site};

/// What ran: the program the report is about.
#[derive(Debug, Clone, Default)]
pub struct ProgramInfo {
    /// Executable path.
    pub exe: String,
    /// Arguments, argv\[0\] first.
    pub args: Vec<String>,
    /// Exit code; `None` when killed by a signal or unknown.
    pub exit_code: Option<i32>,
}

impl ProgramInfo {
    /// exe and args from the profile, exit code unknown.
    #[must_use]
    pub fn from_profile(profile: &Profile) -> Self {
        Self {
            exe: profile.exe().to_owned(),
            args: profile.args().to_vec(),
            exit_code: None,
        }
    }

    /// The executable's file name (`leaky` for `/abs/target/debug/examples/leaky`), or
    /// argv\[0\]'s, or `"program"` when neither is known.
    #[must_use]
    pub fn name(&self) -> &str {
        fn base(path: &str) -> Option<&str> {
            Path::new(path).file_name().and_then(|name| name.to_str())
        }
        base(&self.exe)
            .or_else(|| self.args.first().and_then(|arg0| base(arg0)))
            .unwrap_or("program")
    }
}

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
    pub fn new(bytes: u64, blocks: u64) -> Self {
        Self { bytes, blocks }
    }

    /// Adds, saturating (a hostile profile may hold sizes that overflow).
    fn add(&mut self, other: Self) {
        self.bytes = self.bytes.saturating_add(other.bytes);
        self.blocks = self.blocks.saturating_add(other.blocks);
    }
}

/// Whether live memory is a leak candidate or the runtime's own.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[non_exhaustive]
pub enum SiteKind {
    /// Live at exit and allocated by the program: a leak candidate.
    LiveAtExit,
    /// Held by the Rust runtime on purpose until exit (stdout's buffer, the main thread's
    /// handle): never a leak.
    Runtime,
}

impl SiteKind {
    /// The name used in `report.json`: `"live_at_exit"` or `"runtime"`.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::LiveAtExit => "live_at_exit",
            Self::Runtime => "runtime",
        }
    }
}

/// The blocks live at exit that share one trimmed stack.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ReportSite {
    /// Leak candidate or runtime.
    pub kind: SiteKind,
    /// Live bytes.
    pub bytes: u64,
    /// Live blocks.
    pub blocks: u64,
    /// The trimmed stack, innermost first; never empty.
    pub stack: Vec<StackEntry>,
}

/// The report's headline numbers.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Summary {
    /// Live at exit, runtime excluded: the leak candidates.
    pub live_at_exit: Amount,
    /// Live at exit and held by the runtime on purpose.
    pub runtime: Amount,
    /// Every allocation over the run.
    pub total_allocated: Amount,
    /// The most bytes live at once, and the block count then.
    pub peak_live: Amount,
    /// Allocations the tracker let through unrecorded: the counts may be low by these.
    pub untracked_allocs: u64,
}

/// An analysed profile: what was live at exit, by trimmed stack.
#[derive(Debug, Clone)]
pub struct Report {
    pub(crate) program: ProgramInfo,
    pub(crate) profile_path: PathBuf,
    pub(crate) reason: Option<String>,
    pub(crate) summary: Summary,
    pub(crate) sites: Vec<ReportSite>,
}

impl Report {
    /// Classifies and aggregates.
    ///
    /// Every live block is summed into its site; each site's stack is expanded, trimmed
    /// and classified (see the `stack` rules in the crate docs); sites with equal kind and
    /// trimmed stack are merged. Sites are sorted by bytes, then blocks, biggest first,
    /// then by stack. Never panics.
    #[must_use]
    pub fn build(profile: &Profile, program: ProgramInfo) -> Self {
        let sites = profile.sites();
        let mut live_by_site = vec![Amount::default(); sites.len()];
        for block in profile.live() {
            let slot = profile
                .site_position(block.site)
                .and_then(|index| live_by_site.get_mut(index));
            if let Some(amount) = slot {
                amount.add(Amount::new(block.size, 1));
            }
        }

        let mut groups: HashMap<(SiteKind, Vec<StackEntry>), Amount> = HashMap::new();
        for (site, amount) in sites.iter().zip(&live_by_site) {
            if amount.blocks == 0 {
                continue;
            }
            let analysed = analyse_site(profile, site);
            let kind = if analysed.runtime {
                SiteKind::Runtime
            } else {
                SiteKind::LiveAtExit
            };
            groups
                .entry((kind, analysed.stack))
                .or_default()
                .add(*amount);
        }

        let mut summary = Summary {
            total_allocated: Amount::new(
                profile.totals().allocated_bytes,
                profile.totals().allocated_blocks,
            ),
            peak_live: Amount::new(
                profile.totals().peak_live_bytes,
                profile.totals().peak_live_blocks,
            ),
            untracked_allocs: profile.totals().untracked_allocs,
            ..Summary::default()
        };
        let mut report_sites: Vec<ReportSite> = groups
            .into_iter()
            .map(|((kind, stack), amount)| {
                match kind {
                    SiteKind::LiveAtExit => summary.live_at_exit.add(amount),
                    SiteKind::Runtime => summary.runtime.add(amount),
                }
                ReportSite {
                    kind,
                    bytes: amount.bytes,
                    blocks: amount.blocks,
                    stack,
                }
            })
            .collect();
        report_sites.sort_by(|a, b| {
            b.bytes
                .cmp(&a.bytes)
                .then(b.blocks.cmp(&a.blocks))
                .then_with(|| a.stack.cmp(&b.stack))
                .then(a.kind.cmp(&b.kind))
        });

        Self {
            program,
            profile_path: profile.path().to_owned(),
            reason: profile.reason().map(str::to_owned),
            summary,
            sites: report_sites,
        }
    }

    /// Whether any non-runtime block was live at exit.
    #[must_use]
    pub fn has_leaks(&self) -> bool {
        self.summary.live_at_exit.bytes > 0
    }

    /// Leaked bytes: live at exit, runtime excluded.
    #[must_use]
    pub fn leaked_bytes(&self) -> u64 {
        self.summary.live_at_exit.bytes
    }

    /// Leaked blocks: live at exit, runtime excluded.
    #[must_use]
    pub fn leaked_blocks(&self) -> u64 {
        self.summary.live_at_exit.blocks
    }

    /// The program the report is about.
    #[must_use]
    pub fn program(&self) -> &ProgramInfo {
        &self.program
    }

    /// The profile file the report was built from.
    #[must_use]
    pub fn profile_path(&self) -> &Path {
        &self.profile_path
    }

    /// The headline numbers.
    #[must_use]
    pub fn summary(&self) -> &Summary {
        &self.summary
    }

    /// Every site live at exit, runtime ones included, biggest first.
    #[must_use]
    pub fn sites(&self) -> &[ReportSite] {
        &self.sites
    }

    /// The leak candidates only, biggest first.
    pub fn leak_sites(&self) -> impl Iterator<Item = &ReportSite> {
        self.sites
            .iter()
            .filter(|site| site.kind == SiteKind::LiveAtExit)
    }

    /// Whether the profile was written on request rather than at exit, so "live at exit"
    /// means "live when written".
    #[must_use]
    pub fn written_on_request(&self) -> bool {
        self.reason.as_deref() == Some("request")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{leaky, on_main, profile};

    fn build(profile: &Profile) -> Report {
        Report::build(profile, ProgramInfo::from_profile(profile))
    }

    fn first_functions(report: &Report) -> Vec<(&str, u64, u64, SiteKind)> {
        report
            .sites()
            .iter()
            .map(|site| {
                (
                    site.stack[0].function.as_str(),
                    site.bytes,
                    site.blocks,
                    site.kind,
                )
            })
            .collect()
    }

    #[test]
    fn fixture_is_classified_aggregated_and_sorted() {
        let report = build(&leaky());
        assert_eq!(
            first_functions(&report),
            [
                ("leaky::leak_some", 6400, 100, SiteKind::LiveAtExit),
                ("leaky::leak_box", 4096, 1, SiteKind::LiveAtExit),
                ("leaky::main", 1024, 1, SiteKind::Runtime),
                ("std::rt::init", 48, 1, SiteKind::Runtime),
            ]
        );
        let summary = report.summary();
        assert_eq!(summary.live_at_exit, Amount::new(10_496, 101));
        assert_eq!(summary.runtime, Amount::new(1072, 2));
        assert_eq!(summary.total_allocated, Amount::new(20_000, 300));
        assert_eq!(summary.peak_live, Amount::new(12_000, 120));
        assert!(report.has_leaks());
        assert_eq!(
            (report.leaked_bytes(), report.leaked_blocks()),
            (10_496, 101)
        );
        assert_eq!(report.leak_sites().count(), 2);
        assert!(!report.written_on_request());
        assert_eq!(report.profile_path(), Path::new("/fixtures/leaky.json"));
    }

    #[test]
    fn sites_with_the_same_trimmed_stack_merge() {
        let report = build(&profile(&[
            (
                &on_main(&[
                    "alloc::alloc::alloc",
                    "app::f @ /p/a.rs:3",
                    "app::main @ /p/m.rs:1",
                ]),
                &[10, 20],
            ),
            (
                &on_main(&[
                    "__rustc::__rust_alloc",
                    "alloc::raw_vec::finish_grow",
                    "app::f @ /p/a.rs:3",
                    "app::main @ /p/m.rs:1",
                ]),
                &[30],
            ),
            (
                &on_main(&[
                    "alloc::alloc::alloc",
                    "app::f @ /p/a.rs:4",
                    "app::main @ /p/m.rs:1",
                ]),
                &[5],
            ),
        ]));
        assert_eq!(
            first_functions(&report),
            [
                ("app::f", 60, 3, SiteKind::LiveAtExit),
                ("app::f", 5, 1, SiteKind::LiveAtExit)
            ]
        );
        assert_eq!(report.sites()[1].stack[0].line, Some(4));
    }

    #[test]
    fn order_is_bytes_then_blocks_then_stack() {
        let report = build(&profile(&[
            (&["app::b"], &[50, 50]),
            (&["app::c"], &[100]),
            (&["app::a"], &[100]),
            (&["app::z"], &[200]),
            (&["app::nothing_live"], &[]),
        ]));
        let order: Vec<&str> = report
            .sites()
            .iter()
            .map(|site| site.stack[0].function.as_str())
            .collect();
        assert_eq!(order, ["app::z", "app::b", "app::a", "app::c"]);
    }

    #[test]
    fn same_stack_different_kind_stays_apart() {
        let report = build(&profile(&[
            (
                &on_main(&["alloc::alloc::alloc", "std::io::stdio::_print", "app::main"]),
                &[1024],
            ),
            (&on_main(&["alloc::alloc::alloc", "app::main"]), &[8]),
        ]));
        assert_eq!(
            first_functions(&report),
            [
                ("app::main", 1024, 1, SiteKind::Runtime),
                ("app::main", 8, 1, SiteKind::LiveAtExit)
            ]
        );
        assert_eq!(report.sites()[0].stack, report.sites()[1].stack);
    }

    #[test]
    fn only_runtime_memory_is_no_leak() {
        let report = build(&profile(&[
            (
                &on_main(&[
                    "alloc::alloc::alloc",
                    "std::io::stdio::stdout::{{closure}}",
                    "app::main",
                ]),
                &[1024],
            ),
            (&on_main(&["alloc::alloc::alloc", "app::main"]), &[]),
        ]));
        assert!(!report.has_leaks());
        assert_eq!((report.leaked_bytes(), report.leaked_blocks()), (0, 0));
        assert_eq!(report.summary().runtime, Amount::new(1024, 1));
        assert_eq!(report.leak_sites().count(), 0);
    }

    #[test]
    fn program_name() {
        let info = |exe: &str, args: &[&str]| ProgramInfo {
            exe: exe.to_owned(),
            args: args.iter().map(|arg| (*arg).to_owned()).collect(),
            exit_code: None,
        };
        assert_eq!(info("/a/b/leaky", &[]).name(), "leaky");
        assert_eq!(info("", &["/x/y/tool", "-v"]).name(), "tool");
        assert_eq!(info("", &[]).name(), "program");
        assert_eq!(info("/", &[]).name(), "program");
        assert_eq!(ProgramInfo::from_profile(&leaky()).name(), "leaky");
        assert_eq!(ProgramInfo::from_profile(&leaky()).args[1], "--fast");
    }
}
