//! From a validated profile to a [`Report`]: every live block decided (the `kinds`
//! module), summed by kind and trimmed stack, groups sorted biggest first; cycles grouped
//! by their members' sites; what each suppression hid; the headline numbers and the leaks
//! by thread (the `summary` module); the memory figures (the `memory` module).

use std::collections::BTreeMap;
use std::path::Path;

use crate::analysis::findings::{ProgramInfo, ReportSuppression};
use crate::analysis::groups::{CycleGroups, Groups};
use crate::analysis::kinds::{Fate, decide};
use crate::analysis::summary::{leaks_by_thread, summary_of};
use crate::analysis::suppress::Suppressions;
use crate::memory::overview::Memory;
use crate::model::{Amount, Mode, Origin, SiteKind};
use crate::profile::loaded::{LiveBlock, Profile};
use crate::profile::sampling::estimate;
use crate::report::model::Report;
use crate::symbols::own_allocator::global_allocator_of;
use crate::symbols::stack::{SiteStack, analyse_site};

impl Report {
    /// Classifies and aggregates, with no suppressions: [`build_with`](Self::build_with).
    #[must_use]
    pub fn build(profile: &Profile, program: ProgramInfo) -> Self {
        Self::build_with(profile, program, &Suppressions::default())
    }

    /// Classifies and aggregates, hiding what `suppressions` match.
    ///
    /// Each site's stack is expanded, trimmed and checked for the runtime (see the crate
    /// docs); each live block gets its kind (from the reachability scan when the profile
    /// has one) or is hidden by a suppression; blocks of equal kind and trimmed stack are
    /// merged into one [`ReportSite`](crate::ReportSite), sorted by bytes, then blocks,
    /// biggest first, then by stack. Cycles are grouped by their members' sites. Never
    /// panics.
    #[must_use]
    pub fn build_with(
        profile: &Profile,
        program: ProgramInfo,
        suppressions: &Suppressions,
    ) -> Self {
        let sites = profile.sites();
        let live = profile.live();
        // Under sampling each recorded block stands for several.
        let sampling = profile.sampling();
        let weigh = |block: &LiveBlock| match sampling {
            Some(sampling) => estimate(block.size, block.addr, sampling.mean_bytes),
            None => Amount::new(block.size, 1),
        };
        // Neighbouring blocks often share a site: remember the last lookup.
        let mut last: Option<(u64, Option<usize>)> = None;
        let block_sites: Vec<Option<usize>> = live
            .iter()
            .map(|block| match last {
                Some((id, position)) if id == block.site => position,
                _ => {
                    let position = profile.site_position(block.site);
                    last = Some((block.site, position));
                    position
                }
            })
            .collect();
        let mut has_live = vec![false; sites.len()];
        for &site in block_sites.iter().flatten() {
            has_live[site] = true;
        }
        // Growth needs the stacks of the sites in the timeline's checkpoints too.
        let mut needs_stack = has_live.clone();
        let checkpoints = profile.timeline().map_or(&[][..], |t| &t.checkpoints[..]);
        for &(id, _) in checkpoints.iter().flat_map(|checkpoint| &checkpoint.sites) {
            if let Some(site) = profile.site_position(id) {
                needs_stack[site] = true;
            }
        }
        let analysed: Vec<Option<SiteStack>> = sites
            .iter()
            .zip(&needs_stack)
            .map(|(site, &needed)| needed.then(|| analyse_site(profile, site)))
            .collect();
        let matching: Vec<Vec<usize>> = sites
            .iter()
            .zip(&has_live)
            .map(|(site, &has_live)| {
                if has_live {
                    suppressions.matching(profile, site)
                } else {
                    Vec::new()
                }
            })
            .collect();
        let site_of = |block: usize| block_sites.get(block).copied().flatten();
        let verdicts = decide(
            profile,
            |block| {
                site_of(block)
                    .and_then(|site| analysed[site].as_ref())
                    .is_some_and(|analysed| analysed.runtime)
            },
            |block, kind| {
                let site = site_of(block)?;
                suppressions.first(&matching[site], kind)
            },
        );

        // Sum the shown blocks by (kind, trimmed stack), the hidden ones by suppression.
        let mut groups = Groups::new(&analysed);
        let mut hidden = vec![Amount::default(); suppressions.entries().len()];
        let mut by_thread: BTreeMap<u64, Amount> = BTreeMap::new();
        for (block, (live_block, fate)) in live.iter().zip(&verdicts.fates).enumerate() {
            let Some(site) = site_of(block) else { continue };
            let amount = weigh(live_block);
            match *fate {
                Fate::Shown(kind) => {
                    let group = groups.group(site, kind);
                    groups.list[group].amount.add(amount);
                    if kind.is_leak() {
                        by_thread.entry(live_block.thread).or_default().add(amount);
                    }
                }
                Fate::Hidden(index) => hidden[index].add(amount),
            }
        }

        // Root cycles, by the multiset of their shown members' groups.
        let mut cycles = CycleGroups::default();
        let mut parts: Vec<(usize, Amount)> = Vec::new();
        for members in verdicts.classes.iter().flat_map(|classes| classes.cycles()) {
            parts.clear();
            for &member in members {
                let (Some(site), Some(Fate::Shown(SiteKind::Indirect))) =
                    (site_of(member), verdicts.fates.get(member))
                else {
                    continue;
                };
                let group = groups.group(site, SiteKind::Indirect);
                let amount = live.get(member).map_or_else(Amount::default, weigh);
                groups.list[group].in_cycles.add(amount);
                parts.push((group, amount));
            }
            cycles.add(&mut parts);
        }

        let (sites, position) = groups.into_sorted();
        let mut summary = summary_of(profile, &sites, &hidden);
        let cycles = cycles.into_sorted(&position);
        summary.cycles = cycles
            .iter()
            .fold(0_u64, |sum, cycle| sum.saturating_add(cycle.count));
        let suppressed = suppressions
            .entries()
            .iter()
            .zip(hidden)
            .map(|(suppression, hidden)| ReportSuppression {
                suppression: suppression.clone(),
                hidden,
            })
            .collect();

        Self {
            program,
            profile_path: profile.path().to_owned(),
            reason: profile.reason().map(str::to_owned),
            mode: profile.mode(),
            reachability: profile.reachability().cloned(),
            sampling: profile.sampling(),
            summary,
            sites,
            cycles,
            suppressed,
            footprint: profile.footprint().cloned(),
            memory: Memory::of(profile, &analysed, &block_sites),
            own_allocator: own_allocator(profile, &analysed),
            leaks_by_thread: leaks_by_thread(profile, by_thread),
            symbol_warnings: profile.symbol_warnings().to_vec(),
        }
    }
}

/// Under the interposer, the program's own allocator when its Rust heap bypassed malloc:
/// it has a `#[global_allocator]` and not one block came through Rust's allocation path.
fn own_allocator(profile: &Profile, analysed: &[Option<SiteStack>]) -> Option<String> {
    if profile.mode() != Mode::Preload {
        return None;
    }
    let allocator = global_allocator_of(Path::new(profile.exe()))?;
    let rust_heap_seen = profile
        .sites()
        .iter()
        .zip(analysed)
        .any(|(site, analysed)| {
            let origin = match analysed {
                Some(analysed) => analysed.origin,
                None => analyse_site(profile, site).origin,
            };
            origin == Origin::Rust
        });
    (!rust_heap_seen).then_some(allocator)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Amount;
    use crate::testing::{leaky, on_main, profile};
    use std::path::Path;

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
}
