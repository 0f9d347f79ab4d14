//! The report's figures about memory beyond the blocks live at exit, gathered while a
//! report is built: the layers at the peak and at exit, every sample's layers, growth,
//! and the tracked heap by stack (for the layers flamegraph).

use std::collections::BTreeMap;

use crate::analysis::growth::{GrowingSite, GrowthWindow, find_growth};
use crate::memory::layers::{BlockOverhead, Layers, MemoryLayers};
use crate::profile::loaded::Profile;
use crate::profile::timeline::Sample;
use crate::report::model::Report;
use crate::symbols::stack::{SiteStack, StackEntry};

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

impl Report {
    /// The profile's footprint at exit, as written; `None` when it has none (an older
    /// profile).
    #[must_use]
    pub fn footprint(&self) -> Option<&crate::profile::footprint::Footprint> {
        self.footprint.as_ref()
    }

    /// Where the memory went at the heap's peak and at exit, by layer.
    #[must_use]
    pub fn layers(&self) -> &MemoryLayers {
        &self.memory.layers
    }

    /// The timeline's samples, oldest first (empty without a timeline).
    #[must_use]
    pub fn samples(&self) -> &[Sample] {
        &self.memory.samples
    }

    /// The layers of each of [`samples`](Self::samples), malloc's per-block overhead
    /// estimated from the average at exit.
    #[must_use]
    pub fn sample_layers(&self) -> &[Layers] {
        &self.memory.sample_layers
    }

    /// The stacks whose live bytes kept rising while the program ran, fastest first (see
    /// the `growth` thresholds in the crate docs). Informational: not leaks.
    #[must_use]
    pub fn growth(&self) -> &[GrowingSite] {
        &self.memory.growth
    }

    /// How many checkpoints, over how long, growth was looked for in; whether it was
    /// looked for at all.
    #[must_use]
    pub fn growth_window(&self) -> GrowthWindow {
        self.memory.growth_window
    }

    /// Bytes live at exit by trimmed stack, every tracked block counted, biggest first.
    #[must_use]
    pub fn heap_by_stack(&self) -> &[(Vec<StackEntry>, u64)] {
        &self.memory.heap_by_stack
    }

    /// Nanoseconds from tracking start to when the profile was written.
    #[must_use]
    pub fn elapsed_ns(&self) -> u64 {
        self.memory.elapsed_ns
    }
}
