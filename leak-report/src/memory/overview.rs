//! The report's figures about memory beyond the blocks live at exit, gathered while a
//! report is built: the layers at the peak and at exit, every sample's layers, growth,
//! and the tracked heap by stack (for the layers flamegraph).

use std::collections::BTreeMap;

use crate::analysis::growth::{GrowingSite, GrowthWindow, find_growth};
use crate::memory::layers::{BlockOverhead, Layers, MemoryLayers};
use crate::profile::loaded::Profile;
use crate::profile::timeline::Sample;
use crate::symbols::entry::StackEntry;
use crate::symbols::stack::SiteStack;

/// What [`Report`] knows of memory over the run and by layer.
#[derive(Debug, Clone, Default)]
pub(crate) struct Memory {
    pub(crate) layers: MemoryLayers,
    /// The timeline's samples, oldest first, and the layers of each (same index).
    pub(crate) samples: Vec<Sample>,
    pub(crate) sample_layers: Vec<Layers>,
    pub(crate) growth: Vec<GrowingSite>,
    pub(crate) growth_window: GrowthWindow,
    /// Bytes live at exit by trimmed stack, every block counted (runtime, suppressed and
    /// reachable ones too: this is the tracked heap), biggest first.
    pub(crate) heap_by_stack: Vec<(Vec<StackEntry>, u64)>,
    /// When the profile was written, nanoseconds since tracking started.
    pub(crate) elapsed_ns: u64,
}

impl Memory {
    /// The figures of `profile`. `stacks[i]` is profile site `i`'s trimmed stack, for
    /// every site with live blocks or in a checkpoint; `block_sites[b]` is live block
    /// `b`'s site.
    pub(crate) fn of(
        profile: &Profile,
        stacks: &[Option<SiteStack>],
        block_sites: &[Option<usize>],
    ) -> Self {
        let mut exit_bytes = vec![0_u64; profile.sites().len()];
        for (block, site) in profile.live().iter().zip(block_sites) {
            if let Some(bytes) = site.and_then(|site| exit_bytes.get_mut(site)) {
                *bytes = bytes.saturating_add(block.size);
            }
        }
        let at_exit = BlockOverhead::of_live(profile);
        let samples: Vec<Sample> = profile
            .timeline()
            .map(|timeline| timeline.samples.clone())
            .unwrap_or_default();
        let sample_layers = samples
            .iter()
            .map(|sample| Layers::of_sample(sample, at_exit))
            .collect();
        let (growth, growth_window) = find_growth(profile, stacks, &exit_bytes);
        Self {
            layers: MemoryLayers::derive(profile, at_exit),
            samples,
            sample_layers,
            growth,
            growth_window,
            heap_by_stack: heap_by_stack(stacks, &exit_bytes),
            elapsed_ns: profile.elapsed_ns(),
        }
    }
}

/// Live bytes summed by trimmed stack, biggest first, then by stack.
fn heap_by_stack(stacks: &[Option<SiteStack>], exit_bytes: &[u64]) -> Vec<(Vec<StackEntry>, u64)> {
    let mut sums: BTreeMap<&[StackEntry], u64> = BTreeMap::new();
    for (stack, &bytes) in stacks.iter().zip(exit_bytes) {
        if let Some(stack) = stack
            && bytes > 0
        {
            let sum = sums.entry(&stack.stack[..]).or_default();
            *sum = sum.saturating_add(bytes);
        }
    }
    let mut list: Vec<(Vec<StackEntry>, u64)> = sums
        .into_iter()
        .map(|(stack, bytes)| (stack.to_vec(), bytes))
        .collect();
    list.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    list
}
