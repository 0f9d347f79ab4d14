//! The report's figures about memory beyond the blocks live at exit, gathered while a
//! report is built: the layers at the peak and at exit, every sample's layers, growth,
//! and the tracked heap by stack (for the layers flamegraph).

use std::collections::BTreeMap;

use crate::analysis::growth::{GrowingSite, GrowthWindow, find_growth};
use crate::memory::chunks::BlockOverhead;
use crate::memory::layers::{Layers, MemoryLayers};
use crate::model::Origin;
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
    /// Bytes live at exit by origin and trimmed stack, every block counted (runtime,
    /// suppressed and reachable ones too: this is the tracked heap), biggest first.
    pub(crate) heap_by_stack: Vec<(Vec<StackEntry>, Origin, u64)>,
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
        let mut sample_layers: Vec<Layers> = samples
            .iter()
            .map(|sample| Layers::of_sample(sample, at_exit))
            .collect();
        let (growth, growth_window) = find_growth(profile, stacks, &exit_bytes);
        let mut layers = MemoryLayers::derive(profile, at_exit);
        split_native(
            profile,
            stacks,
            &exit_bytes,
            &mut layers,
            &mut sample_layers,
        );
        Self {
            layers,
            samples,
            sample_layers,
            growth,
            growth_window,
            heap_by_stack: heap_by_stack(stacks, &exit_bytes),
            elapsed_ns: profile.elapsed_ns(),
        }
    }
}

/// Under the interposer, moves the native sites' bytes from the tracked heap to the
/// native layer: exactly at exit, by the exit's native share at the peak and in the
/// samples (only totals are known there).
fn split_native(
    profile: &Profile,
    stacks: &[Option<SiteStack>],
    exit_bytes: &[u64],
    layers: &mut MemoryLayers,
    sample_layers: &mut [Layers],
) {
    let native_at_exit: u64 = stacks
        .iter()
        .zip(exit_bytes)
        .filter(|(stack, _)| stack.as_ref().is_some_and(|s| s.origin == Origin::Native))
        .map(|(_, &bytes)| bytes)
        .sum();
    if native_at_exit == 0 {
        return;
    }
    let live_at_exit = profile.totals().live_bytes;
    if let Some(exit) = &mut layers.at_exit {
        exit.move_native(native_at_exit, false);
    }
    let share = |heap: u64| {
        u64::try_from(
            u128::from(heap) * u128::from(native_at_exit)
                / u128::from(live_at_exit.max(native_at_exit).max(1)),
        )
        .unwrap_or(heap)
    };
    for sample in layers.at_peak.iter_mut().chain(sample_layers) {
        sample.move_native(share(sample.tracked_heap), true);
    }
}

/// Live bytes summed by origin and trimmed stack, biggest first, then by stack.
fn heap_by_stack(
    stacks: &[Option<SiteStack>],
    exit_bytes: &[u64],
) -> Vec<(Vec<StackEntry>, Origin, u64)> {
    let mut sums: BTreeMap<(bool, &[StackEntry]), u64> = BTreeMap::new();
    for (stack, &bytes) in stacks.iter().zip(exit_bytes) {
        if let Some(stack) = stack
            && bytes > 0
        {
            let native = stack.origin == Origin::Native;
            let sum = sums.entry((native, &stack.stack[..])).or_default();
            *sum = sum.saturating_add(bytes);
        }
    }
    let mut list: Vec<(Vec<StackEntry>, Origin, u64)> = sums
        .into_iter()
        .map(|((native, stack), bytes)| {
            let origin = if native { Origin::Native } else { Origin::Rust };
            (stack.to_vec(), origin, bytes)
        })
        .collect();
    list.sort_by(|a, b| b.2.cmp(&a.2).then_with(|| a.0.cmp(&b.0)));
    list
}
