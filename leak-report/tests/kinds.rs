//! Reachability kinds through the public API: hand-built profiles with a scan, loaded from
//! JSON, classified into definite, indirect (cycles among them), reachable and runtime,
//! with and without suppressions. Figures are exact.

mod common;

use common::{A, Block, kinds, report, report_with, sites};
use leak_report::{Amount, SiteKind, flamegraph_kinds};

use SiteKind::{Definite, Indirect, Reachable, Runtime};

#[test]
fn a_definite_block() {
    let report = report(
        &[&["app::leak_box"], &["app::cache"]],
        &[(0, 4096, Some(&[])), (1, 100, None)],
    );
    assert_eq!(
        sites(&report),
        [
            (Definite, "app::leak_box", 4096, 1),
            (Reachable, "app::cache", 100, 1)
        ]
    );
    assert_eq!(
        kinds(&report),
        (Amount::new(4096, 1), A, Amount::new(100, 1), 0)
    );
    assert_eq!(report.summary().live_at_exit, Amount::new(4196, 2));
    assert!(report.has_leaks());
    assert_eq!((report.leaked_bytes(), report.leaked_blocks()), (4096, 1));
    assert_eq!(report.leak_sites().count(), 1);
    assert!(report.cycles().is_empty());
}

#[test]
fn a_chain_definite_then_indirect() {
    // 0 -> 1 -> 2, each from its own site.
    let report = report(
        &[&["app::head"], &["app::middle"], &["app::tail"]],
        &[(0, 64, Some(&[1])), (1, 32, Some(&[2])), (2, 16, Some(&[]))],
    );
    assert_eq!(
        sites(&report),
        [
            (Definite, "app::head", 64, 1),
            (Indirect, "app::middle", 32, 1),
            (Indirect, "app::tail", 16, 1)
        ]
    );
    assert_eq!(
        kinds(&report),
        (Amount::new(64, 1), Amount::new(48, 2), A, 0)
    );
    assert_eq!((report.leaked_bytes(), report.leaked_blocks()), (112, 3));
    assert!(report.cycles().is_empty());
}

#[test]
fn a_two_block_cycle() {
    let report = report(
        &[&["app::Node::new"], &["app::Edge::new"]],
        &[(0, 40, Some(&[1])), (1, 24, Some(&[0]))],
    );
    assert_eq!(
        sites(&report),
        [
            (Indirect, "app::Node::new", 40, 1),
            (Indirect, "app::Edge::new", 24, 1)
        ]
    );
    assert_eq!(kinds(&report), (A, Amount::new(64, 2), A, 1));
    assert!(report.has_leaks());
    let cycles = report.cycles();
    assert_eq!(cycles.len(), 1);
    assert_eq!(
        (cycles[0].count, cycles[0].bytes, cycles[0].blocks),
        (1, 64, 2)
    );
    let members: Vec<(usize, u64, u64)> = cycles[0]
        .members
        .iter()
        .map(|m| (m.site, m.bytes, m.blocks))
        .collect();
    assert_eq!(members, [(0, 40, 1), (1, 24, 1)]);
    assert_eq!(report.sites()[0].in_cycles, Amount::new(40, 1));
}

/// 50 pairs of `Rc<RefCell<_>>` pointing at each other, interleaved with a reachable
/// block each.
#[test]
fn fifty_two_block_cycles() {
    let mut refs = Vec::new();
    for pair in 0..50_u64 {
        let a = 3 * pair;
        refs.push(vec![a + 1]);
        refs.push(vec![a]);
    }
    let mut blocks: Vec<Block<'_>> = Vec::new();
    for (pair, chunk) in refs.chunks(2).enumerate() {
        blocks.push((0, 48, Some(&chunk[0])));
        blocks.push((1, 16, Some(&chunk[1])));
        blocks.push((2, 8, None));
        assert_eq!(blocks.len(), 3 * pair + 3);
    }
    let report = report(
        &[&["app::Node::new"], &["app::Peer::new"], &["app::root"]],
        &blocks,
    );
    assert_eq!(
        kinds(&report),
        (A, Amount::new(3200, 100), Amount::new(400, 50), 50)
    );
    assert_eq!(
        sites(&report),
        [
            (Indirect, "app::Node::new", 2400, 50),
            (Indirect, "app::Peer::new", 800, 50),
            (Reachable, "app::root", 400, 50)
        ]
    );
    let cycles = report.cycles();
    assert_eq!(cycles.len(), 1, "50 identical cycles make one entry");
    assert_eq!(
        (cycles[0].count, cycles[0].bytes, cycles[0].blocks),
        (50, 3200, 100)
    );
    let members: Vec<(usize, u64, u64)> = cycles[0]
        .members
        .iter()
        .map(|m| (m.site, m.bytes, m.blocks))
        .collect();
    assert_eq!(members, [(0, 2400, 50), (1, 800, 50)]);
    assert_eq!((report.leaked_bytes(), report.leaked_blocks()), (3200, 100));
}

/// A definite block pointing into a cycle: the cycle is part of its leak, as
/// LeakSanitizer counts it (indirect), and not listed as a cycle of its own.
#[test]
fn a_cycle_pointed_to_by_a_definite_block() {
    let report = report(
        &[&["app::Graph::new"], &["app::Node::new"]],
        &[
            (0, 100, Some(&[1])),
            (1, 30, Some(&[2])),
            (1, 30, Some(&[1])),
        ],
    );
    assert_eq!(
        sites(&report),
        [
            (Definite, "app::Graph::new", 100, 1),
            (Indirect, "app::Node::new", 60, 2)
        ]
    );
    assert_eq!(
        kinds(&report),
        (Amount::new(100, 1), Amount::new(60, 2), A, 0)
    );
    assert!(report.cycles().is_empty());
    assert_eq!(report.sites()[1].in_cycles, A);
}

#[test]
fn a_self_loop_is_a_cycle_of_one() {
    let report = report(&[&["app::Node::new"]], &[(0, 32, Some(&[0]))]);
    assert_eq!(sites(&report), [(Indirect, "app::Node::new", 32, 1)]);
    assert_eq!(kinds(&report), (A, Amount::new(32, 1), A, 1));
    assert_eq!(
        (report.cycles()[0].count, report.cycles()[0].blocks),
        (1, 1)
    );
}

#[test]
fn reachable_memory_is_no_leak() {
    // stdout's buffer is reachable: with a scan it is just reachable, not runtime.
    let report = report(
        &[
            &["app::CACHE::init"],
            &["std::io::stdio::_print", "app::main"],
        ],
        &[(0, 512, None), (0, 512, None), (1, 1024, None)],
    );
    assert!(!report.has_leaks());
    assert_eq!((report.leaked_bytes(), report.leaked_blocks()), (0, 0));
    assert_eq!(kinds(&report), (A, A, Amount::new(2048, 3), 0));
    assert_eq!(report.summary().runtime, A);
    assert_eq!(report.summary().live_at_exit, Amount::new(2048, 3));
    assert_eq!(report.leak_sites().count(), 0);
    assert_eq!(flamegraph_kinds(&report), [Reachable]);
}

/// The runtime rule survives as a fallback: an unreachable block std allocated for
/// itself is runtime, and so is what only it points to.
#[test]
fn unreachable_runtime_blocks_are_runtime_not_leaks() {
    let report = report(
        &[
            &["std::thread::lifecycle::spawn_unchecked", "app::main"],
            &["app::worker"],
        ],
        &[(0, 200, Some(&[1])), (1, 77, Some(&[]))],
    );
    assert_eq!(
        sites(&report),
        [
            (Runtime, "app::main", 200, 1),
            (Runtime, "app::worker", 77, 1)
        ]
    );
    assert_eq!(report.summary().runtime, Amount::new(277, 2));
    assert_eq!(kinds(&report), (A, A, A, 0));
    assert!(!report.has_leaks());
    assert_eq!(report.summary().live_at_exit, A);
}

const SUPPRESS_HEAD: &str = "\
[[suppress]]
function = \"app::head\"
reason = \"intentional\"
";

#[test]
fn a_suppression_hides_a_definite_site_and_what_only_it_holds() {
    // 0 (head) -> 1 -> 2; 3 (other) -> 2 as well; 4 is another head block, reachable.
    let blocks: &[Block<'_>] = &[
        (0, 64, Some(&[1])),
        (1, 32, Some(&[2])),
        (2, 16, Some(&[])),
        (3, 8, Some(&[2])),
        (0, 4, None),
    ];
    let sites_of = [
        &["app::head"][..],
        &["app::middle"],
        &["app::tail"],
        &["app::other"],
    ];
    let report = report_with(&sites_of, blocks, SUPPRESS_HEAD);
    // The head block, its reachable sibling and the middle block are hidden; the tail
    // block stays, pointed to by the unsuppressed `other` leak.
    assert_eq!(
        sites(&report),
        [
            (Indirect, "app::tail", 16, 1),
            (Definite, "app::other", 8, 1)
        ]
    );
    assert_eq!(
        kinds(&report),
        (Amount::new(8, 1), Amount::new(16, 1), A, 0)
    );
    let hidden = &report.suppressed()[0];
    assert_eq!(hidden.suppression.function, "app::head");
    assert_eq!(hidden.hidden, Amount::new(100, 3));
    assert_eq!(report.summary().suppressed, Amount::new(100, 3));

    // Without the other leak, nothing is left.
    let report = report_with(&sites_of, &blocks[..3], SUPPRESS_HEAD);
    assert!(!report.has_leaks());
    assert!(report.sites().is_empty());
    assert_eq!(report.suppressed()[0].hidden, Amount::new(112, 3));
    assert_eq!(report.summary().live_at_exit, A);
}

#[test]
fn a_kind_restricted_suppression_hides_only_that_kind() {
    // Site 0 has a definite block (0), an indirect one below another leak (2 -> 1) and a
    // reachable one (3).
    let blocks: &[Block<'_>] = &[
        (0, 64, Some(&[])),
        (0, 32, Some(&[])),
        (1, 8, Some(&[1])),
        (0, 4, None),
    ];
    let sites_of = [
        &["app::cache::Cache::insert", "app::main"][..],
        &["app::other"],
    ];
    let toml = "[[suppress]]\nfunction = \"app::cache::*\"\nkind = \"definite\"\n\
                [[suppress]]\nfunction = \"app::cache::*\"\nkind = \"reachable\"\n";
    let report = report_with(&sites_of, blocks, toml);
    assert_eq!(
        sites(&report),
        [
            (Indirect, "app::cache::Cache::insert", 32, 1),
            (Definite, "app::other", 8, 1)
        ]
    );
    let hidden: Vec<(Option<SiteKind>, Amount)> = report
        .suppressed()
        .iter()
        .map(|entry| (entry.suppression.kind, entry.hidden))
        .collect();
    assert_eq!(
        hidden,
        [
            (Some(Definite), Amount::new(64, 1)),
            (Some(Reachable), Amount::new(4, 1))
        ]
    );
    assert!(report.has_leaks());
}

#[test]
fn a_partly_suppressed_cycle_lists_its_shown_members() {
    let toml = "[[suppress]]\nfunction = \"app::a\"\nkind = \"indirect\"\n";
    let sites_of = [&["app::a"][..], &["app::b"]];
    let report = report_with(&sites_of, &[(0, 40, Some(&[1])), (1, 24, Some(&[0]))], toml);
    assert_eq!(sites(&report), [(Indirect, "app::b", 24, 1)]);
    assert_eq!(kinds(&report), (A, Amount::new(24, 1), A, 1));
    assert_eq!(
        (report.cycles()[0].bytes, report.cycles()[0].blocks),
        (24, 1)
    );
    assert_eq!(report.suppressed()[0].hidden, Amount::new(40, 1));
}
