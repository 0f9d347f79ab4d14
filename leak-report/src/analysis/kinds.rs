//! What the report does with each live block: show it as one [`SiteKind`], or hide it
//! under a suppression.
//!
//! **Without a reachability scan** a block is [`Runtime`](SiteKind::Runtime) when its
//! site is the runtime's (see the `runtime` module), else
//! [`LiveAtExit`](SiteKind::LiveAtExit); a suppression without a `kind` hides the latter.
//!
//! **With a scan**, the graph of unreachable blocks (the `cycles` module) says definite or
//! indirect; then:
//!
//! 1. A reachable block is [`Reachable`](SiteKind::Reachable), whatever its site (std's
//!    stdout buffer is reachable, not "runtime"), unless a suppression hides it.
//! 2. An unreachable block whose site is the runtime's is labelled
//!    [`Runtime`](SiteKind::Runtime): the runtime rule survives only as this fallback,
//!    for blocks the scan could not see std holding. Otherwise the first suppression that
//!    matches its site and kind hides it. Both **cut** the graph there.
//! 3. The **leak roots** are the unreachable blocks that are definite or members of a
//!    listed cycle, and not cut. Every block a root leads to without passing through a
//!    cut block is shown as the graph says (definite or indirect): it is someone's leak.
//! 4. An unreachable block that no root reaches that way is only held by cut blocks: it
//!    goes with the nearest cut block upstream (breadth-first from all of them, in block
//!    order): hidden by the same suppression, or labelled runtime. So a suppressed block
//!    takes what hangs off it along, but never memory that an unsuppressed leak also
//!    holds.

use std::collections::VecDeque;

use crate::analysis::cycles::{Classes, Lost, classify};
use crate::analysis::graph::Graph;
use crate::model::SiteKind;
use crate::profile::loaded::Profile;

/// What the report does with a block.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Fate {
    /// Shown, as this kind.
    Shown(SiteKind),
    /// Hidden by this suppression (an index into the suppressions).
    Hidden(usize),
}

/// The fate of every block, and the graph's root cycles (with a scan).
#[derive(Debug)]
pub(crate) struct Verdicts {
    pub(crate) fates: Vec<Fate>,
    pub(crate) classes: Option<Classes>,
}

/// Decides every block of `profile`. `runtime(block)` says whether the block's site is
/// the runtime's; `suppress(block, kind)` gives the first suppression that hides a block
/// of that kind.
pub(crate) fn decide(
    profile: &Profile,
    runtime: impl Fn(usize) -> bool,
    suppress: impl Fn(usize, SiteKind) -> Option<usize>,
) -> Verdicts {
    let live = profile.live();
    if profile.reachability().is_none() {
        let fates = (0..live.len())
            .map(|block| {
                if runtime(block) {
                    Fate::Shown(SiteKind::Runtime)
                } else {
                    suppress(block, SiteKind::LiveAtExit)
                        .map_or(Fate::Shown(SiteKind::LiveAtExit), Fate::Hidden)
                }
            })
            .collect();
        return Verdicts {
            fates,
            classes: None,
        };
    }

    let graph = Graph::new(live);
    let classes = classify(&graph);
    let kind_of = |lost: Lost| match lost {
        Lost::Reachable => SiteKind::Reachable,
        Lost::Definite => SiteKind::Definite,
        Lost::Indirect => SiteKind::Indirect,
    };
    // Rules 1 and 2: reachable blocks are decided; unreachable ones are cut, or open.
    let mut fates: Vec<Option<Fate>> = Vec::with_capacity(live.len());
    let mut cut = Vec::new();
    for (block, &lost) in classes.lost.iter().enumerate() {
        let kind = kind_of(lost);
        let fate = if lost == Lost::Reachable {
            Some(suppress(block, kind).map_or(Fate::Shown(kind), Fate::Hidden))
        } else if runtime(block) {
            Some(Fate::Shown(SiteKind::Runtime))
        } else {
            suppress(block, kind).map(Fate::Hidden)
        };
        if lost != Lost::Reachable && fate.is_some() {
            cut.push(block);
        }
        fates.push(fate);
    }

    // Rule 3: the open roots, then what they lead to around cut blocks. A block pointed
    // to by an unreachable block is indirect.
    let mut pending = Vec::new();
    for (block, &lost) in classes.lost.iter().enumerate() {
        if lost == Lost::Definite && fates[block].is_none() {
            fates[block] = Some(Fate::Shown(SiteKind::Definite));
            pending.push(block);
        }
    }
    for &block in classes.cycles().flatten() {
        if fates[block].is_none() {
            fates[block] = Some(Fate::Shown(SiteKind::Indirect));
            pending.push(block);
        }
    }
    while let Some(block) = pending.pop() {
        for &target in graph.successors(block) {
            if fates[target].is_none() {
                fates[target] = Some(Fate::Shown(SiteKind::Indirect));
                pending.push(target);
            }
        }
    }

    // Rule 4: the rest goes with the nearest cut block upstream.
    let mut queue: VecDeque<usize> = cut.into();
    while let Some(block) = queue.pop_front() {
        let fate = fates[block];
        for &target in graph.successors(block) {
            if fates[target].is_none() {
                fates[target] = fate;
                queue.push_back(target);
            }
        }
    }

    let fates = fates
        .into_iter()
        .zip(&classes.lost)
        // Every unreachable block is reached from a root or a cut block: this is moot.
        .map(|(fate, &lost)| fate.unwrap_or(Fate::Shown(kind_of(lost))))
        .collect();
    Verdicts {
        fates,
        classes: Some(classes),
    }
}

#[cfg(test)]
mod tests {
    use std::time::Instant;

    use super::*;
    use crate::analysis::findings::ProgramInfo;
    use crate::model::Amount;
    use crate::report::model::Report;
    use crate::testing::{big_scanned, profile, scanned};

    #[test]
    fn cut_blocks_take_what_only_they_hold_nearest_first() {
        // 0 -> 1 -> 2 <- 3 -> 4 <- 5; 0 is the runtime's, 3 suppressed, 5 a plain leak.
        let profile = scanned(
            &[&["app::f"]],
            &[
                (0, 1, false, &[1]),
                (0, 1, false, &[2]),
                (0, 1, false, &[]),
                (0, 1, false, &[2, 4]),
                (0, 1, false, &[]),
                (0, 1, false, &[4]),
                (0, 1, true, &[]),
            ],
        );
        let verdicts = decide(
            &profile,
            |block| block == 0,
            |block, kind| (block == 3 || kind == SiteKind::Reachable).then_some(7),
        );
        use Fate::{Hidden, Shown};
        assert_eq!(
            verdicts.fates,
            [
                Shown(SiteKind::Runtime),
                Shown(SiteKind::Runtime),
                Hidden(7),
                Hidden(7),
                Shown(SiteKind::Indirect),
                Shown(SiteKind::Definite),
                Hidden(7),
            ]
        );
    }

    #[test]
    fn without_a_scan_only_the_runtime_rule_and_unrestricted_suppressions() {
        let profile = profile(&[(&["app::f"], &[1, 2, 3])]);
        let verdicts = decide(
            &profile,
            |block| block == 0,
            |block, kind| (block == 1 && kind == SiteKind::LiveAtExit).then_some(0),
        );
        assert!(verdicts.classes.is_none());
        assert_eq!(
            verdicts.fates,
            [
                Fate::Shown(SiteKind::Runtime),
                Fate::Hidden(0),
                Fate::Shown(SiteKind::LiveAtExit)
            ]
        );
    }

    /// A million-block chain (a linked list leaked from its head: DFS depth one million)
    /// and 200,000 two-block cycles. Recursion would overflow the test thread's stack.
    #[test]
    fn a_million_block_chain_and_200k_cycles() {
        const CHAIN: usize = 1_000_000;
        const PAIRS: usize = 200_000;
        let profile = big_scanned(CHAIN, PAIRS);

        let start = Instant::now();
        let verdicts = decide(&profile, |_| false, |_, _| None);
        let classified = start.elapsed();
        let cycles = verdicts.classes.as_ref().map_or(0, |c| c.cycles().count());
        assert_eq!(cycles, PAIRS);
        let count = |kind| {
            let fate = Fate::Shown(kind);
            verdicts.fates.iter().filter(|&&f| f == fate).count()
        };
        assert_eq!(count(SiteKind::Definite), 1);
        assert_eq!(count(SiteKind::Indirect), CHAIN - 1 + 2 * PAIRS);
        assert_eq!(count(SiteKind::Reachable), 1);

        let start = Instant::now();
        let report = Report::build(&profile, ProgramInfo::from_profile(&profile));
        let built = start.elapsed();
        let summary = report.summary();
        assert_eq!(summary.definite, Amount::new(16, 1));
        assert_eq!(
            summary.indirect,
            Amount::new(16 * 999_999 + 8 * 400_000, 1_399_999)
        );
        assert_eq!(summary.reachable, Amount::new(1, 1));
        assert_eq!(summary.cycles, 200_000);
        assert_eq!(report.cycles().len(), 1);
        assert_eq!(report.cycles()[0].count, 200_000);
        let build = if cfg!(debug_assertions) {
            "debug"
        } else {
            "release"
        };
        println!(
            "{} blocks ({build} build): classified in {classified:?}, whole report built in \
             {built:?}",
            profile.live().len()
        );
    }
}
