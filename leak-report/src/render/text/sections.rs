//! The text report's sections for a profile with a reachability scan: definite leaks,
//! then cycles, then the other indirect leaks, then one line for what was still reachable
//! (and its sites, on request).

use std::io;

use crate::analysis::findings::{ReportCycle, ReportSite};
use crate::model::{Amount, SiteKind};
use crate::render::format::{entry_line, more, plural};
use crate::render::text::writer::{Writer, whole};
use crate::report::model::Report;
use crate::symbols::entry::StackEntry;

/// Definite sites, cycles, the rest of the indirect sites, then the reachable memory.
pub(crate) fn scanned_sections(report: &Report, writer: &mut Writer<'_>) -> io::Result<()> {
    let definite = report
        .sites_of(SiteKind::Definite)
        .map(|site| (site, whole(site)));
    writer.sites(
        Some("definitely lost (unreachable, and no other lost block points to them):"),
        definite,
    )?;
    writer.cycles(report)?;
    let mut indirect: Vec<(&ReportSite, Amount)> = report
        .sites_of(SiteKind::Indirect)
        .map(|site| {
            let outside = Amount::new(
                site.bytes.saturating_sub(site.in_cycles.bytes),
                site.blocks.saturating_sub(site.in_cycles.blocks),
            );
            (site, outside)
        })
        .filter(|(_, outside)| outside.blocks > 0)
        .collect();
    // Stable: equal amounts keep the sites' order.
    indirect.sort_by(|(_, a), (_, b)| b.bytes.cmp(&a.bytes).then(b.blocks.cmp(&a.blocks)));
    writer.sites(
        Some("indirectly lost (pointed to by other lost blocks):"),
        indirect.into_iter(),
    )?;

    let reachable = report.summary().reachable;
    if reachable.blocks > 0 {
        writeln!(writer.out)?;
        let amount = writer.style.amount(reachable);
        if writer.options.show_reachable {
            writeln!(writer.out, "{amount} still reachable at exit (not leaks):")?;
            let sites = report
                .sites_of(SiteKind::Reachable)
                .map(|site| (site, whole(site)));
            writer.sites(None, sites)?;
        } else {
            writeln!(
                writer.out,
                "{amount} still reachable at exit (not leaks; --show-reachable lists them)"
            )?;
        }
    }
    Ok(())
}

impl Writer<'_> {
    /// The cycles section: each entry's size, then one line per member site (its top
    /// frame, and how much of the entry it holds).
    pub(crate) fn cycles(&mut self, report: &Report) -> io::Result<()> {
        let mut hidden = Amount::default();
        let mut hidden_cycles = 0_u64;
        for (shown, cycle) in report.cycles().iter().enumerate() {
            if shown >= self.options.max_sites {
                hidden.add(Amount::new(cycle.bytes, cycle.blocks));
                hidden_cycles = hidden_cycles.saturating_add(cycle.count);
                continue;
            }
            if shown == 0 {
                writeln!(self.out)?;
                writeln!(
                    self.out,
                    "cycles (lost blocks pointing at each other; no other lost block points \
                     to them):"
                )?;
            }
            writeln!(self.out)?;
            self.rank += 1;
            writeln!(self.out, "#{}  {}", self.rank, self.cycle_title(cycle))?;
            let shown = &cycle.members[..cycle.members.len().min(self.options.max_sites)];
            let stacks: Vec<&[StackEntry]> = shown
                .iter()
                .map(|member| {
                    report
                        .sites()
                        .get(member.site)
                        .map_or(&[][..], |s| &s.stack)
                })
                .collect();
            for (index, (member, stack)) in shown.iter().zip(&stacks).enumerate() {
                let amount = self.style.amount(Amount::new(member.bytes, member.blocks));
                let depth = distinct_depth(&stacks, index, self.options.max_frames);
                for (at, entry) in stack.iter().take(depth).enumerate() {
                    let line = entry_line(entry, self.cwd);
                    if at == 0 {
                        writeln!(self.out, "    {line}  ({amount})")?;
                    } else {
                        writeln!(self.out, "        {line}")?;
                    }
                }
            }
            let more_members = cycle.members.len().saturating_sub(self.options.max_sites);
            if more_members > 0 {
                writeln!(self.out, "    ... {}", more(more_members as u64, "site"))?;
            }
        }
        if hidden_cycles > 0 {
            writeln!(self.out)?;
            writeln!(
                self.out,
                "... {}: {}",
                more(hidden_cycles, "cycle"),
                self.style.amount(hidden)
            )?;
        }
        Ok(())
    }

    /// `cycle of 2 blocks: 96 bytes in 2 blocks`, `50 cycles of 2 blocks: ...`.
    fn cycle_title(&self, cycle: &ReportCycle) -> String {
        let per_cycle = cycle.blocks / cycle.count.max(1);
        let what = if cycle.count == 1 {
            "cycle".to_owned()
        } else {
            format!("{} cycles", self.style.number(cycle.count))
        };
        format!(
            "{what} of {}: {}",
            plural(per_cycle, "block", &self.style),
            self.style.amount(Amount::new(cycle.bytes, cycle.blocks))
        )
    }
}

/// How many top entries of `stacks[index]` tell it apart from the others (at least one,
/// at most `max` or the whole stack): member sites of a cycle often share their top frame
/// (`Rc::new` in one constructor) and differ in the caller.
fn distinct_depth(stacks: &[&[StackEntry]], index: usize, max: usize) -> usize {
    let stack = stacks[index];
    let limit = stack.len().min(max.max(1));
    let mut depth = 1;
    while depth < limit
        && stacks
            .iter()
            .enumerate()
            .any(|(other, s)| other != index && s.starts_with(&stack[..depth]))
    {
        depth += 1;
    }
    depth
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::analysis::findings::ProgramInfo;
    use crate::render::text::write::render;
    use crate::render::text::writer::TextOptions;
    use crate::testing::scanned;

    fn text(report: &Report, options: &TextOptions) -> String {
        let mut out = Vec::new();
        render(report, &mut out, options, Some(Path::new("/p"))).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn members_sharing_a_top_frame_show_their_callers() {
        let profile = scanned(
            &[
                &[
                    "app::Node::new @ /p/src/node.rs:5",
                    "app::main @ /p/src/main.rs:3",
                ],
                &[
                    "app::Node::new @ /p/src/node.rs:5",
                    "app::worker @ /p/src/main.rs:9",
                ],
                &[
                    "app::Edge::new @ /p/src/edge.rs:2",
                    "app::main @ /p/src/main.rs:4",
                ],
            ],
            &[
                (0, 64, false, &[1]),
                (1, 64, false, &[2]),
                (2, 16, false, &[0]),
            ],
        );
        let report = Report::build(&profile, ProgramInfo::from_profile(&profile));
        let out = text(&report, &TextOptions::default());
        let expected = "
#1  cycle of 3 blocks: 144 bytes in 3 blocks
    app::Node::new  src/node.rs:5  (64 bytes in 1 block)
        app::main  src/main.rs:3
    app::Node::new  src/node.rs:5  (64 bytes in 1 block)
        app::worker  src/main.rs:9
    app::Edge::new  src/edge.rs:2  (16 bytes in 1 block)
";
        assert!(out.ends_with(expected), "{out}");
    }

    #[test]
    fn distinct_depth_stops_at_the_limit() {
        let entry = |function: &str| StackEntry {
            function: function.to_owned(),
            file: None,
            line: None,
            ip: None,
        };
        let a = [entry("f"), entry("g"), entry("h")];
        let b = [entry("f"), entry("g"), entry("i")];
        let c = [entry("j")];
        let stacks: [&[StackEntry]; 3] = [&a, &b, &c];
        assert_eq!(distinct_depth(&stacks, 0, 12), 3);
        assert_eq!(distinct_depth(&stacks, 0, 2), 2);
        assert_eq!(distinct_depth(&stacks, 2, 12), 1);
        let same: [&[StackEntry]; 2] = [&a, &a];
        assert_eq!(distinct_depth(&same, 1, 12), 3);
    }

    #[test]
    fn many_cycle_entries_are_summed_past_the_limit() {
        // Three self-loops from three sites, and an unreachable block std allocated.
        let profile = scanned(
            &[
                &["app::a"],
                &["app::b"],
                &["app::c"],
                &["std::thread::current::init_current", "app::main"],
            ],
            &[
                (0, 30, false, &[0]),
                (1, 20, false, &[1]),
                (2, 10, false, &[2]),
                (3, 100, false, &[]),
            ],
        );
        let report = Report::build(&profile, ProgramInfo::from_profile(&profile));
        let options = TextOptions {
            max_sites: 1,
            ..TextOptions::default()
        };
        let out = text(&report, &options);
        assert!(
            out.contains("\nindirectly lost: 60 bytes in 3 blocks from 3 sites (3 cycles)\n"),
            "{out}"
        );
        assert!(
            out.contains(
                "\nruntime: 100 bytes in 1 block unreachable but allocated by std for itself, \
                 not leaks\n"
            ),
            "{out}"
        );
        assert!(
            out.ends_with(
                "\n#1  cycle of 1 block: 30 bytes in 1 block\n    app::a  (30 bytes in 1 block)\n\n\
                 ... 2 more cycles: 30 bytes in 2 blocks\n"
            ),
            "{out}"
        );
    }
}
