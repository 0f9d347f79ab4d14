//! The graph of unreachable blocks (`live[].refs`), as adjacency ranges over one array,
//! and its strongly-connected components: Tarjan's algorithm, iteratively (an explicit
//! call stack on the heap: a million-block chain must not overflow the thread's stack),
//! in O(blocks + edges) time and memory. The `cycles` module says what they mean.

use crate::profile::loaded::LiveBlock;

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
    pub(crate) fn len(&self) -> usize {
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

/// "Not yet visited" in Tarjan's `index`.
pub(crate) const UNVISITED: usize = usize::MAX;

/// The strongly-connected components of the graph.
pub(crate) struct Components {
    /// Each block's component; [`UNVISITED`] for reachable blocks.
    pub(crate) component: Vec<usize>,
    /// The unreachable blocks, component after component.
    pub(crate) order: Vec<usize>,
    /// The end (exclusive) in `order` of each component.
    pub(crate) ends: Vec<usize>,
}

/// Tarjan's algorithm without recursion.
pub(crate) fn components(graph: &Graph) -> Components {
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
