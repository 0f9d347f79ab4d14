//! The graph of unreachable blocks (`live[].refs`) and what it says about each block:
//! definitely lost, indirectly lost, and the cycles that no other lost block points to.
//!
//! Tarjan's strongly-connected components, iteratively (an explicit call stack on the
//! heap: a million-block chain must not overflow the thread's stack), then one pass over
//! the edges: O(blocks + edges) time and memory.
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

use crate::profile::LiveBlock;

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

/// The edges among unreachable blocks, as adjacency ranges over one array.
#[derive(Debug)]
pub(crate) struct Graph {
    /// Per block: whether it is unreachable (a node of the graph).
    unreachable: Vec<bool>,
    /// `targets[offsets[b]..offsets[b + 1]]` are the blocks `b` points to.
    offsets: Vec<usize>,
    targets: Vec<usize>,
}

impl Graph {
    /// The graph of a validated profile's blocks: the `refs` of unreachable blocks.
    /// Indices out of range or naming a reachable block (impossible after validation) are
    /// dropped, so this never panics.
    pub(crate) fn new(live: &[LiveBlock]) -> Self {
        let unreachable: Vec<bool> = live
            .iter()
            .map(|block| block.reachable == Some(false))
            .collect();
        let mut offsets = Vec::with_capacity(live.len() + 1);
        let mut targets = Vec::with_capacity(live.len());
        offsets.push(0);
        for (block, &node) in live.iter().zip(&unreachable) {
            if node {
                for &target in &block.refs {
                    if let Ok(target) = usize::try_from(target)
                        && unreachable.get(target) == Some(&true)
                    {
                        targets.push(target);
                    }
                }
            }
            offsets.push(targets.len());
        }
        Self {
            unreachable,
            offsets,
            targets,
        }
    }

    /// How many blocks (nodes or not).
    fn len(&self) -> usize {
        self.unreachable.len()
    }

    /// The blocks `block` points to; empty for a reachable block or one out of range.
    pub(crate) fn successors(&self, block: usize) -> &[usize] {
        let (start, end) = self.range(block);
        &self.targets[start..end]
    }

    /// `block`'s edges as a range of `targets`; empty when out of range.
    fn range(&self, block: usize) -> (usize, usize) {
        match (self.offsets.get(block), self.offsets.get(block + 1)) {
            (Some(&start), Some(&end)) => (start, end),
            _ => (0, 0),
        }
    }
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

/// "Not yet visited" in Tarjan's `index`.
const UNVISITED: usize = usize::MAX;

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
        let (start, end) = graph.range(block);
        for &target in &graph.targets[start..end] {
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

/// The strongly-connected components of the graph.
struct Components {
    /// Each block's component; [`UNVISITED`] for reachable blocks.
    component: Vec<usize>,
    /// The unreachable blocks, component after component.
    order: Vec<usize>,
    /// The end (exclusive) in `order` of each component.
    ends: Vec<usize>,
}

/// Tarjan's algorithm without recursion.
fn components(graph: &Graph) -> Components {
    let count = graph.len();
    let mut tarjan = Tarjan {
        index: vec![UNVISITED; count],
        low: vec![0; count],
        component: vec![UNVISITED; count],
        stack: Vec::new(),
        calls: Vec::new(),
        next_index: 0,
    };
    let mut order = Vec::new();
    let mut ends = Vec::new();
    for start in 0..count {
        if tarjan.index[start] != UNVISITED || !graph.unreachable[start] {
            continue;
        }
        tarjan.visit(start, graph);
        while let Some(top) = tarjan.calls.last_mut() {
            let block = top.0;
            if top.1 < top.2 {
                let target = graph.targets[top.1];
                top.1 += 1;
                if tarjan.index[target] == UNVISITED {
                    tarjan.visit(target, graph);
                } else if tarjan.component[target] == UNVISITED {
                    // Visited and not yet in a component: still on the stack.
                    tarjan.low[block] = tarjan.low[block].min(tarjan.index[target]);
                }
                continue;
            }
            tarjan.calls.pop();
            if let Some(&(caller, ..)) = tarjan.calls.last() {
                tarjan.low[caller] = tarjan.low[caller].min(tarjan.low[block]);
            }
            if tarjan.low[block] == tarjan.index[block] {
                let id = ends.len();
                while let Some(member) = tarjan.stack.pop() {
                    tarjan.component[member] = id;
                    order.push(member);
                    if member == block {
                        break;
                    }
                }
                ends.push(order.len());
            }
        }
    }
    Components {
        component: tarjan.component,
        order,
        ends,
    }
}

/// The state of [`components`].
struct Tarjan {
    /// DFS discovery order, [`UNVISITED`] until then.
    index: Vec<usize>,
    /// The lowest `index` reachable from the block through its DFS subtree.
    low: Vec<usize>,
    /// The block's component, [`UNVISITED`] until it has one.
    component: Vec<usize>,
    /// Blocks visited and not yet assigned a component.
    stack: Vec<usize>,
    /// The DFS path: (block, position of its next edge in `targets`, end of its edges).
    calls: Vec<(usize, usize, usize)>,
    next_index: usize,
}

impl Tarjan {
    fn visit(&mut self, block: usize, graph: &Graph) {
        self.index[block] = self.next_index;
        self.low[block] = self.next_index;
        self.next_index += 1;
        self.stack.push(block);
        let (start, end) = graph.range(block);
        self.calls.push((block, start, end));
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

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
