//! The report's totals once its live blocks are grouped: the headline numbers
//! ([`Summary`]) from the sorted sites and what the suppressions hid, and the leaks by
//! allocating thread.

use std::cmp::Reverse;
use std::collections::BTreeMap;

use crate::analysis::findings::{ReportSite, Summary, ThreadLeak};
use crate::model::{Amount, SiteKind};
use crate::profile::loaded::Profile;

/// The per-thread sums named from the profile's thread list, biggest first.
pub(crate) fn leaks_by_thread(
    profile: &Profile,
    by_thread: BTreeMap<u64, Amount>,
) -> Vec<ThreadLeak> {
    let mut leaks: Vec<ThreadLeak> = by_thread
        .into_iter()
        .map(|(thread, leaked)| ThreadLeak {
            thread,
            name: profile
                .threads()
                .iter()
                .find(|known| known.id == thread)
                .and_then(|known| known.name.clone()),
            leaked,
        })
        .collect();
    leaks.sort_by_key(|leak| Reverse((leak.leaked.bytes, leak.leaked.blocks)));
    leaks
}

/// The headline numbers from the sorted sites and what the suppressions hid.
pub(crate) fn summary_of(profile: &Profile, sites: &[ReportSite], hidden: &[Amount]) -> Summary {
    let totals = profile.totals();
    let mut summary = Summary {
        total_allocated: Amount::new(totals.allocated_bytes, totals.allocated_blocks),
        peak_live: Amount::new(totals.peak_live_bytes, totals.peak_live_blocks),
        untracked_allocs: totals.untracked_allocs,
        ..Summary::default()
    };
    for site in sites {
        let amount = Amount::new(site.bytes, site.blocks);
        match site.kind {
            SiteKind::Runtime => summary.runtime.add(amount),
            SiteKind::LiveAtExit => summary.live_at_exit.add(amount),
            SiteKind::Definite => summary.definite.add(amount),
            SiteKind::Indirect => summary.indirect.add(amount),
            SiteKind::Reachable => summary.reachable.add(amount),
        }
    }
    for amount in [summary.definite, summary.indirect, summary.reachable] {
        summary.live_at_exit.add(amount);
    }
    for &amount in hidden {
        summary.suppressed.add(amount);
    }
    summary
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use crate::analysis::findings::ProgramInfo;
    use crate::model::Amount;
    use crate::report::model::Report;
    use crate::testing::on_main;

    #[test]
    fn leaks_are_summed_by_allocating_thread_with_whole_profile_kinds() {
        // Thread 1 loses a block that points at a block thread 2 allocated: the second
        // is indirect (not definite) and counts for thread 2; thread 0's block is
        // reachable and counts for nobody.
        let mut value = crate::testing::scanned_json(
            &[
                &on_main(&["app::a"]),
                &on_main(&["app::b"]),
                &on_main(&["app::c"]),
            ],
            &[
                (0, 100, false, &[1]),
                (1, 40, false, &[]),
                (2, 8, true, &[]),
            ],
        );
        for (block, thread) in [(0, 1), (1, 2), (2, 0)] {
            value["live"][block]["thread"] = thread.into();
        }
        value["threads"] = serde_json::json!([
            {"id": 0, "name": "main"}, {"id": 1, "name": "tests::one"}, {"id": 2, "name": null}
        ]);
        let profile =
            crate::parse_profile(Path::new("/t.json"), value.to_string().as_bytes()).unwrap();
        let report = Report::build(&profile, ProgramInfo::from_profile(&profile));
        assert_eq!(report.summary().definite, Amount::new(100, 1));
        assert_eq!(report.summary().indirect, Amount::new(40, 1));
        let by_thread: Vec<(u64, Option<&str>, Amount)> = report
            .leaks_by_thread()
            .iter()
            .map(|leak| (leak.thread, leak.name.as_deref(), leak.leaked))
            .collect();
        assert_eq!(
            by_thread,
            [
                (1, Some("tests::one"), Amount::new(100, 1)),
                (2, None, Amount::new(40, 1))
            ]
        );
    }
}
