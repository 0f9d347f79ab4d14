//! The graph of unreachable blocks (`live[].refs`) and what it says about each block:
//! definitely lost, indirectly lost, and the cycles that no other lost block points to.
//!
//! Tarjan's strongly-connected components, iteratively (an explicit call stack on the
//! heap: a million-block chain must not overflow the thread's stack; the `graph` module),
//! then one pass over the edges: O(blocks + edges) time and memory.
//!
//! - A block in a component that an unreachable block outside it points to is
//!   **indirect**. So is every member of a cycle (a component of two or more blocks, or
//!   one block that points to itself): each is pointed to by a lost block.
//! - A block alone in its component, pointing to nothing of it, and that no other
//!   unreachable block points to, is **definite**.
//! - A cycle that no unreachable block outside it points to is a **root cycle**: the
//!   report lists it. A cycle that is pointed to (by a definite block, or by another
//!   cycle) is part of what that block leaks: its members are indirect, like every block
//!   below a leak, and it is not listed on its own (LeakSanitizer does the same).

use crate::analysis::graph::{Components, Graph, UNVISITED, components};

/// What the graph says about one live block.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Lost {
    /// Reachable from a root: not in the graph.
    Reachable,
    /// Unreachable, and no unreachable block points to it.
    Definite,
    /// Unreachable, and pointed to by an unreachable block (a cycle's members included).
    Indirect,
}

/// The graph's verdict on every block, and the root cycles.
#[derive(Debug)]
pub(crate) struct Classes {
    /// One per live block.
    pub(crate) lost: Vec<Lost>,
    /// The members of every root cycle, cycle after cycle, each cycle's in block order.
    members: Vec<usize>,
    /// The end (exclusive) in `members` of each root cycle.
    ends: Vec<usize>,
}

impl Classes {
    /// The root cycles, each as its member blocks, in order of their first member.
    pub(crate) fn cycles(&self) -> impl Iterator<Item = &[usize]> {
        let starts = std::iter::once(0).chain(self.ends.iter().copied());
        starts
            .zip(&self.ends)
            .filter_map(|(start, &end)| self.members.get(start..end))
    }
}

/// Classifies every block of `live` (see the module docs). `graph` is `Graph::new(live)`.
pub(crate) fn classify(graph: &Graph) -> Classes {
    let Components {
        component,
        order,
        ends: component_ends,
    } = components(graph);
    let count = component_ends.len();
    let size = |c: usize| component_ends[c] - if c == 0 { 0 } else { component_ends[c - 1] };
    let mut pointed_to = vec![false; count];
    let mut self_loop = vec![false; count];
    for (block, &from) in component.iter().enumerate() {
        for &target in graph.successors(block) {
            let to = component[target];
            if to != from {
                pointed_to[to] = true;
            } else if target == block {
                self_loop[from] = true;
            }
        }
    }
    let mut lost = Vec::with_capacity(graph.len());
    for &c in &component {
        lost.push(if c == UNVISITED {
            Lost::Reachable
        } else if pointed_to[c] || self_loop[c] || size(c) > 1 {
            Lost::Indirect
        } else {
            Lost::Definite
        });
    }

    // The root cycles' members, each cycle's in block order, the cycles in order of their
    // first member (Tarjan numbers components as they finish).
    let mut roots: Vec<(usize, usize, usize)> = Vec::new();
    let mut members = Vec::new();
    let mut start = 0;
    for (c, &end) in component_ends.iter().enumerate() {
        if !pointed_to[c] && (self_loop[c] || end - start > 1) {
            let from = members.len();
            members.extend_from_slice(&order[start..end]);
            members[from..].sort_unstable();
            roots.push((members[from], from, members.len()));
        }
        start = end;
    }
    roots.sort_unstable();
    let mut sorted = Vec::with_capacity(members.len());
    let mut ends = Vec::with_capacity(roots.len());
    for &(_, from, to) in &roots {
        sorted.extend_from_slice(&members[from..to]);
        ends.push(sorted.len());
    }
    Classes {
        lost,
        members: sorted,
        ends,
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::profile::loaded::LiveBlock;

    /// A block: `None` reachable, `Some(refs)` unreachable with these refs.
    pub(crate) fn block(refs: Option<&[u64]>) -> LiveBlock {
        LiveBlock {
            size: 8,
            reachable: Some(refs.is_none()),
            refs: refs.unwrap_or_default().to_vec(),
            ..LiveBlock::default()
        }
    }

    fn run(blocks: &[Option<&[u64]>]) -> (Vec<Lost>, Vec<Vec<usize>>) {
        let live: Vec<LiveBlock> = blocks.iter().map(|refs| block(*refs)).collect();
        let classes = classify(&Graph::new(&live));
        let cycles = classes.cycles().map(<[usize]>::to_vec).collect();
        (classes.lost, cycles)
    }

    use Lost::{Definite as D, Indirect as I, Reachable as R};

    #[test]
    fn definite_chain_and_reachable() {
        // 0 reachable; 1 -> 2 -> 3; 4 alone.
        let (lost, cycles) = run(&[None, Some(&[2]), Some(&[3]), Some(&[]), Some(&[])]);
        assert_eq!(lost, [R, D, I, I, D]);
        assert!(cycles.is_empty());
    }

    #[test]
    fn a_two_block_cycle_is_indirect_and_listed() {
        let (lost, cycles) = run(&[Some(&[1]), Some(&[0])]);
        assert_eq!(lost, [I, I]);
        assert_eq!(cycles, [vec![0, 1]]);
    }

    #[test]
    fn a_self_loop_is_a_cycle_of_one() {
        let (lost, cycles) = run(&[Some(&[0, 0]), Some(&[])]);
        assert_eq!(lost, [I, D]);
        assert_eq!(cycles, [vec![0]]);
    }

    #[test]
    fn a_cycle_below_a_definite_block_is_not_listed() {
        // 0 -> 1 <-> 2, and the cycle points on to 3.
        let (lost, cycles) = run(&[Some(&[1]), Some(&[2]), Some(&[1, 3]), Some(&[])]);
        assert_eq!(lost, [D, I, I, I]);
        assert!(cycles.is_empty());
    }

    #[test]
    fn only_the_upstream_of_two_linked_cycles_is_listed() {
        // 3 <-> 1 -> 2 <-> 0, 4 -> 4 and 5 -> 4: only {1, 3} has no way in.
        let (lost, cycles) = run(&[
            Some(&[2]),
            Some(&[3, 2]),
            Some(&[0]),
            Some(&[1]),
            Some(&[4]),
            Some(&[4]),
        ]);
        assert_eq!(lost, [I, I, I, I, I, D]);
        assert_eq!(cycles, [vec![1, 3]]);
    }

    #[test]
    fn a_big_ring_and_many_pairs() {
        // Blocks 0..1000 in one ring, then 500 pairs, in interleaved order.
        let mut blocks: Vec<Vec<u64>> = (0..1000_u64).map(|i| vec![(i + 1) % 1000]).collect();
        for pair in 0..500_u64 {
            let a = 1000 + 2 * pair;
            blocks.push(vec![a + 1]);
            blocks.push(vec![a]);
        }
        let refs: Vec<Option<&[u64]>> = blocks.iter().map(|r| Some(r.as_slice())).collect();
        let (lost, cycles) = run(&refs);
        assert!(lost.iter().all(|&lost| lost == I));
        assert_eq!(cycles.len(), 501);
        assert_eq!(cycles[0], (0..1000).collect::<Vec<_>>());
        assert_eq!(cycles[500], [1998, 1999]);
    }

    #[test]
    fn out_of_range_or_reachable_targets_are_ignored() {
        let live = [block(Some(&[7, 1])), block(None)];
        let graph = Graph::new(&live);
        assert!(graph.successors(0).is_empty());
        assert!(graph.successors(5).is_empty());
        assert_eq!(classify(&graph).lost, [D, R]);
    }

    /// Random small graphs against a brute-force definition: indirect means some
    /// unreachable block points to it; a listed cycle is a set of mutually reachable
    /// blocks (or one with a self-edge) that no block outside it points into.
    #[test]
    fn random_graphs_match_the_definitions() {
        let mut state = 0x9e37_79b9_7f4a_7c15_u64;
        let mut next = move |bound: u64| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state % bound
        };
        for _ in 0..500 {
            let count = 1 + next(10) as usize;
            let edges = next(3 * count as u64 + 1);
            let reachable: Vec<bool> = (0..count).map(|_| next(4) == 0).collect();
            let mut refs: Vec<Vec<u64>> = vec![Vec::new(); count];
            for _ in 0..edges {
                let (from, to) = (next(count as u64) as usize, next(count as u64) as usize);
                if !reachable[from] && !reachable[to] {
                    refs[from].push(to as u64);
                }
            }
            let blocks: Vec<Option<&[u64]>> = (0..count)
                .map(|b| (!reachable[b]).then_some(refs[b].as_slice()))
                .collect();
            let (lost, cycles) = run(&blocks);

            // reach[a][b]: a path of one edge or more from a to b.
            let mut reach = vec![vec![false; count]; count];
            for (from, targets) in refs.iter().enumerate() {
                for &to in targets {
                    reach[from][to as usize] = true;
                }
            }
            for k in 0..count {
                for a in 0..count {
                    for b in 0..count {
                        if reach[a][k] && reach[k][b] {
                            reach[a][b] = true;
                        }
                    }
                }
            }
            let pointed = |b: usize| refs.iter().any(|targets| targets.contains(&(b as u64)));
            let mut expected_cycles: Vec<Vec<usize>> = Vec::new();
            for b in 0..count {
                let expected = if reachable[b] {
                    R
                } else if pointed(b) {
                    I
                } else {
                    D
                };
                assert_eq!(lost[b], expected, "block {b} of {refs:?}");
                if reachable[b] || !reach[b][b] {
                    continue;
                }
                let members: Vec<usize> = (0..count)
                    .filter(|&o| o == b || (reach[b][o] && reach[o][b]))
                    .collect();
                let entered = (0..count).any(|from| {
                    !members.contains(&from)
                        && refs[from]
                            .iter()
                            .any(|&to| members.contains(&(to as usize)))
                });
                if members[0] == b && !entered {
                    expected_cycles.push(members);
                }
            }
            assert_eq!(cycles, expected_cycles, "{refs:?}");
        }
    }
}
