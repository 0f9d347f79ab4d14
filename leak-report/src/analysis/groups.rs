//! Summing while a report is built: blocks into sites (one per kind and trimmed stack),
//! root cycles into entries (one per multiset of member sites), then both sorted.

use std::collections::HashMap;

use crate::analysis::findings::{CycleMember, ReportCycle, ReportSite};
use crate::model::{Amount, Origin, SiteKind};
use crate::symbols::entry::StackEntry;
use crate::symbols::stack::SiteStack;

/// The report's sites while they are summed: one per (kind, origin, trimmed stack).
pub(crate) struct Groups<'a> {
    /// Each profile site's trimmed stack (for the sites with live blocks).
    analysed: &'a [Option<SiteStack>],
    /// Per profile site and kind (by [`SiteKind::slot`]): its group, once it has one.
    slots: Vec<[Option<usize>; SiteKind::ALL.len()]>,
    pub(crate) list: Vec<Group>,
    index: HashMap<(SiteKind, Origin, &'a [StackEntry]), usize>,
}

pub(crate) struct Group {
    kind: SiteKind,
    origin: Origin,
    stack: Vec<StackEntry>,
    pub(crate) amount: Amount,
    pub(crate) in_cycles: Amount,
}

impl<'a> Groups<'a> {
    /// No groups yet; `analysed` holds each profile site's trimmed stack.
    pub(crate) fn new(analysed: &'a [Option<SiteStack>]) -> Self {
        Self {
            analysed,
            slots: vec![[None; SiteKind::ALL.len()]; analysed.len()],
            list: Vec::new(),
            index: HashMap::new(),
        }
    }

    /// The group of the blocks of profile site `site` shown as `kind`.
    pub(crate) fn group(&mut self, site: usize, kind: SiteKind) -> usize {
        if let Some(group) = self.slots[site][kind.slot()] {
            return group;
        }
        let analysed = self.analysed;
        let (stack, origin) = analysed[site]
            .as_ref()
            .map_or((&[][..], Origin::Rust), |analysed| {
                (&analysed.stack[..], analysed.origin)
            });
        let list = &mut self.list;
        let group = *self.index.entry((kind, origin, stack)).or_insert_with(|| {
            list.push(Group {
                kind,
                origin,
                stack: stack.to_vec(),
                amount: Amount::default(),
                in_cycles: Amount::default(),
            });
            list.len() - 1
        });
        self.slots[site][kind.slot()] = Some(group);
        group
    }

    /// The sites, sorted, and where each group went.
    pub(crate) fn into_sorted(self) -> (Vec<ReportSite>, Vec<usize>) {
        let mut order: Vec<usize> = (0..self.list.len()).collect();
        let list = &self.list;
        order.sort_by(|&a, &b| {
            let (a, b) = (&list[a], &list[b]);
            b.amount
                .bytes
                .cmp(&a.amount.bytes)
                .then(b.amount.blocks.cmp(&a.amount.blocks))
                .then_with(|| a.stack.cmp(&b.stack))
                .then(a.kind.cmp(&b.kind))
                .then((a.origin as u8).cmp(&(b.origin as u8)))
        });
        let mut position = vec![0; order.len()];
        for (at, &group) in order.iter().enumerate() {
            position[group] = at;
        }
        let mut list: Vec<Option<Group>> = self.list.into_iter().map(Some).collect();
        let sites = order
            .iter()
            .filter_map(|&group| list[group].take())
            .map(|group| ReportSite {
                kind: group.kind,
                origin: group.origin,
                bytes: group.amount.bytes,
                blocks: group.amount.blocks,
                stack: group.stack,
                in_cycles: group.in_cycles,
            })
            .collect();
        (sites, position)
    }
}

/// The entries of [`Report::cycles`](crate::Report::cycles) while they are summed, by
/// the sorted groups of their members (one per member block).
#[derive(Default)]
pub(crate) struct CycleGroups {
    entries: HashMap<Vec<usize>, CycleAcc>,
    key: Vec<usize>,
}

impl CycleGroups {
    /// Adds one cycle: its shown members as (group, amount); sorts `parts`.
    pub(crate) fn add(&mut self, parts: &mut [(usize, Amount)]) {
        if parts.is_empty() {
            return;
        }
        parts.sort_unstable_by_key(|&(group, _)| group);
        self.key.clear();
        self.key.extend(parts.iter().map(|&(group, _)| group));
        if !self.entries.contains_key(self.key.as_slice()) {
            let mut members: Vec<(usize, Amount)> = parts
                .iter()
                .map(|&(group, _)| (group, Amount::default()))
                .collect();
            members.dedup_by_key(|(group, _)| *group);
            let acc = CycleAcc {
                count: 0,
                amount: Amount::default(),
                members,
            };
            self.entries.insert(self.key.clone(), acc);
        }
        let Some(acc) = self.entries.get_mut(self.key.as_slice()) else {
            return;
        };
        acc.count += 1;
        // `members` holds the distinct groups of `parts`, in the same order.
        let mut slot = 0;
        for &(group, amount) in parts.iter() {
            while acc.members.get(slot).is_some_and(|&(g, _)| g != group) {
                slot += 1;
            }
            if let Some((_, total)) = acc.members.get_mut(slot) {
                total.add(amount);
            }
            acc.amount.add(amount);
        }
    }

    /// The entries, members by site (`position` maps a group to its site's index), sorted
    /// by bytes, then blocks, then count, biggest first, then by member sites.
    pub(crate) fn into_sorted(self, position: &[usize]) -> Vec<ReportCycle> {
        let mut cycles: Vec<ReportCycle> = self
            .entries
            .into_values()
            .map(|acc| {
                let mut members: Vec<CycleMember> = acc
                    .members
                    .into_iter()
                    .map(|(group, amount)| CycleMember {
                        site: position.get(group).copied().unwrap_or(usize::MAX),
                        bytes: amount.bytes,
                        blocks: amount.blocks,
                    })
                    .collect();
                members.sort_by_key(|member| member.site);
                ReportCycle {
                    count: acc.count,
                    bytes: acc.amount.bytes,
                    blocks: acc.amount.blocks,
                    members,
                }
            })
            .collect();
        let member_sites = |cycle: &ReportCycle| -> Vec<usize> {
            cycle.members.iter().map(|member| member.site).collect()
        };
        cycles.sort_by(|a, b| {
            b.bytes
                .cmp(&a.bytes)
                .then(b.blocks.cmp(&a.blocks))
                .then(b.count.cmp(&a.count))
                .then_with(|| member_sites(a).cmp(&member_sites(b)))
        });
        cycles
    }
}

/// One entry of [`CycleGroups`].
struct CycleAcc {
    count: u64,
    amount: Amount,
    /// Per distinct group of the entry's members, in group order: their amount.
    members: Vec<(usize, Amount)>,
}
