//! The parts of a [`Report`](crate::Report) (the `report` module): kinds of live memory,
//! sites, cycles, suppressions and the headline numbers (built by the `build` module).

use std::path::Path;

use crate::analysis::suppress::Suppression;
use crate::model::{Amount, Origin, SiteKind};
use crate::profile::loaded::Profile;
use crate::symbols::entry::StackEntry;

/// What ran: the program the report is about.
#[derive(Debug, Clone, Default)]
pub struct ProgramInfo {
    /// Executable path.
    pub exe: String,
    /// Arguments, argv\[0\] first.
    pub args: Vec<String>,
    /// Exit code; `None` when killed by a signal or unknown.
    pub exit_code: Option<i32>,
    /// The signal that ended the program, when one did.
    pub exit_signal: Option<i32>,
}

impl ProgramInfo {
    /// exe and args from the profile, exit code unknown.
    #[must_use]
    pub fn from_profile(profile: &Profile) -> Self {
        Self {
            exe: profile.exe().to_owned(),
            args: profile.args().to_vec(),
            exit_code: None,
            exit_signal: None,
        }
    }

    /// How the program ended: "exit code 0", "killed by signal 15 (SIGTERM)", or "exit
    /// code not recorded".
    #[must_use]
    pub fn ending(&self) -> String {
        match (self.exit_code, self.exit_signal) {
            (Some(code), _) => format!("exit code {code}"),
            (None, Some(signal)) => match signal_name(signal) {
                Some(name) => format!("killed by signal {signal} ({name})"),
                None => format!("killed by signal {signal}"),
            },
            (None, None) => "exit code not recorded".to_owned(),
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

    /// The build that made the program when cargo memleak built it: the profile's
    /// directory under `target/memleak/build` (`debug`, `release`, a custom profile's
    /// name), so that reports of a debug and a release run of one target are told apart.
    #[must_use]
    pub fn build(&self) -> Option<&str> {
        let path = Path::new(&self.exe);
        let mut dirs = path
            .parent()?
            .components()
            .rev()
            .filter_map(|c| c.as_os_str().to_str());
        let mut profile = dirs.next()?;
        if matches!(profile, "examples" | "deps") {
            profile = dirs.next()?;
        }
        // `.../memleak/build/<profile>`, or `.../memleak/build/<triple>/<profile>`.
        let rest: Vec<&str> = dirs.take(3).collect();
        let built_here = matches!(
            rest.as_slice(),
            ["build", "memleak", ..] | [_, "build", "memleak"]
        );
        built_here.then_some(profile)
    }
}

/// The name of a signal numbered alike on Linux and macOS.
#[must_use]
pub fn signal_name(signal: i32) -> Option<&'static str> {
    Some(match signal {
        1 => "SIGHUP",
        2 => "SIGINT",
        3 => "SIGQUIT",
        4 => "SIGILL",
        5 => "SIGTRAP",
        6 => "SIGABRT",
        8 => "SIGFPE",
        9 => "SIGKILL",
        11 => "SIGSEGV",
        13 => "SIGPIPE",
        14 => "SIGALRM",
        15 => "SIGTERM",
        _ => return None,
    })
}

/// The blocks live at exit that share one kind and trimmed stack.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ReportSite {
    /// What the memory is.
    pub kind: SiteKind,
    /// Which allocator it came through: always [`Origin::Rust`] in-process; under the
    /// interposer, [`Origin::Native`] for `malloc` called by other code.
    pub origin: Origin,
    /// Live bytes.
    pub bytes: u64,
    /// Live blocks.
    pub blocks: u64,
    /// The trimmed stack, innermost first; never empty.
    pub stack: Vec<StackEntry>,
    /// The part of `bytes` and `blocks` that belongs to the listed cycles
    /// ([`Report::cycles`](crate::Report::cycles)); only indirect sites have any.
    pub in_cycles: Amount,
}

/// Cycles of unreachable blocks that no other unreachable block points to (an `Rc` or
/// `Arc` cycle is the common case), grouped: every cycle of one entry has the same
/// members' sites, block for block.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ReportCycle {
    /// How many such cycles.
    pub count: u64,
    /// Bytes of all of them (suppressed members excluded).
    pub bytes: u64,
    /// Blocks of all of them (suppressed members excluded): `blocks / count` per cycle.
    pub blocks: u64,
    /// The members by site, in the order of [`Report::sites`](crate::Report::sites).
    pub members: Vec<CycleMember>,
}

/// The members of the cycles of a [`ReportCycle`] that come from one site.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct CycleMember {
    /// Index into [`Report::sites`](crate::Report::sites) (an indirect site).
    pub site: usize,
    /// Bytes of these members, over all the entry's cycles.
    pub bytes: u64,
    /// Blocks of these members, over all the entry's cycles.
    pub blocks: u64,
}

/// What one suppression hid.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ReportSuppression {
    /// The suppression, as in the file.
    pub suppression: Suppression,
    /// The live memory it hid: the blocks it matched, and the unreachable blocks only
    /// they lead to.
    pub hidden: Amount,
}

/// The report's headline numbers. Everything is after suppressions.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Summary {
    /// Live at exit, runtime excluded: without a scan, the leak candidates; with one,
    /// `definite + indirect + reachable`.
    pub live_at_exit: Amount,
    /// Live at exit and held by the runtime on purpose (with a scan: only unreachable
    /// blocks std allocated for itself, and what only they point to).
    pub runtime: Amount,
    /// Every allocation over the run.
    pub total_allocated: Amount,
    /// The most bytes live at once, and the block count then.
    pub peak_live: Amount,
    /// Allocations the tracker let through unrecorded: the counts may be low by these.
    pub untracked_allocs: u64,
    /// Definitely lost (zero without a scan).
    pub definite: Amount,
    /// Indirectly lost, cycles included (zero without a scan).
    pub indirect: Amount,
    /// Still reachable at exit: not leaks (zero without a scan).
    pub reachable: Amount,
    /// Cycles that no other lost block points to (zero without a scan).
    pub cycles: u64,
    /// Hidden by suppressions, all of them together.
    pub suppressed: Amount,
}

/// The leaked memory (as [`Report::leaked_bytes`](crate::Report::leaked_bytes) counts it)
/// one thread allocated.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ThreadLeak {
    /// The tracker's id of the allocating thread.
    pub thread: u64,
    /// Its OS name when the tracker knew it (libtest names a test's thread after it).
    pub name: Option<String>,
    /// What it leaked.
    pub leaked: Amount,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::leaky;

    #[test]
    fn program_name() {
        let info = |exe: &str, args: &[&str]| ProgramInfo {
            exe: exe.to_owned(),
            args: args.iter().map(|arg| (*arg).to_owned()).collect(),
            exit_code: None,
            exit_signal: None,
        };
        assert_eq!(info("/a/b/leaky", &[]).name(), "leaky");
        assert_eq!(info("", &["/x/y/tool", "-v"]).name(), "tool");
        assert_eq!(info("", &[]).name(), "program");
        assert_eq!(info("/", &[]).name(), "program");
        assert_eq!(ProgramInfo::from_profile(&leaky()).name(), "leaky");
        assert_eq!(ProgramInfo::from_profile(&leaky()).args[1], "--fast");
    }

    #[test]
    fn the_build_is_the_profile_directory_under_target_memleak_build() {
        let build = |exe: &str| {
            ProgramInfo {
                exe: exe.to_owned(),
                ..ProgramInfo::default()
            }
            .build()
            .map(str::to_owned)
        };
        let t = "/w/target/memleak/build";
        assert_eq!(
            build(&format!("{t}/debug/examples/leaky")).as_deref(),
            Some("debug")
        );
        assert_eq!(
            build(&format!("{t}/release/rg")).as_deref(),
            Some("release")
        );
        assert_eq!(
            build(&format!("{t}/debug/deps/semver-0a1b")).as_deref(),
            Some("debug")
        );
        assert_eq!(
            build(&format!("{t}/x86_64-unknown-linux-gnu/profiling/app")).as_deref(),
            Some("profiling")
        );
        assert_eq!(build("/usr/bin/ls"), None);
        assert_eq!(build("/w/target/debug/app"), None);
        assert_eq!(build(""), None);
    }
}
