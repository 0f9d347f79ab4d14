//! `cargo memleak diff`'s text: the totals of two runs side by side, the stacks that
//! changed, and why the new run regressed, if it did.

use std::io;
use std::path::Path;

use crate::compare::diff::{Diff, Regression, SiteChange, Threshold};
use crate::model::Amount;
use crate::render::format::{entry_line, human, thousands};

/// How many changed stacks the text lists before "N more".
const LISTED: usize = 20;

/// Writes the comparison as text: totals, then the stacks whose figures changed (at most
/// 20, biggest change first, each with its innermost frames), then the verdict under
/// `threshold`. Paths are shown relative to `cwd` when inside it.
///
/// # Errors
/// Write errors.
pub fn write_diff_text(
    diff: &Diff,
    threshold: Threshold,
    cwd: Option<&Path>,
    out: &mut dyn io::Write,
) -> io::Result<()> {
    let rows = [
        ("leaked", diff.base.leaked, diff.new.leaked),
        ("live at exit", diff.base.live, diff.new.live),
        ("peak live", diff.base.peak, diff.new.peak),
    ];
    let mut table: Vec<[String; 4]> = vec![["", "base", "new", "change"].map(str::to_owned)];
    table.extend(rows.iter().map(|&(label, base, new)| {
        [
            label.to_owned(),
            amount(base),
            amount(new),
            signed(i128::from(new.bytes) - i128::from(base.bytes)),
        ]
    }));
    // Columns as wide as their widest cell, two spaces apart: amounts of any size stay
    // apart.
    let width = |column: usize| table.iter().map(|row| row[column].len()).max().unwrap_or(0);
    let widths = [width(0), width(1), width(2), width(3)];
    for [label, base, new, change] in &table {
        writeln!(
            out,
            "{label:<w0$}  {base:>w1$}  {new:>w2$}  {change:>w3$}",
            w0 = widths[0],
            w1 = widths[1],
            w2 = widths[2],
            w3 = widths[3]
        )?;
    }
    let changed: Vec<&SiteChange> = diff
        .sites
        .iter()
        .filter(|site| {
            site.leaked_change() != 0
                || site.live_change() != 0
                || site.peak_change().is_some_and(|change| change != 0)
        })
        .collect();
    writeln!(out)?;
    if changed.is_empty() {
        writeln!(out, "no stack changed")?;
    } else {
        writeln!(out, "stacks that changed, biggest change first:")?;
        for site in changed.iter().take(LISTED) {
            write_site(site, cwd, out)?;
        }
        if changed.len() > LISTED {
            writeln!(
                out,
                "  ... and {} more",
                thousands((changed.len() - LISTED) as u64)
            )?;
        }
    }
    writeln!(out)?;
    write_verdict(diff, threshold, cwd, out)
}

/// One changed stack: its state, the changes, and its first frames.
fn write_site(site: &SiteChange, cwd: Option<&Path>, out: &mut dyn io::Write) -> io::Result<()> {
    let state = match (site.in_base, site.in_new) {
        (false, _) => "new",
        (_, false) => "gone",
        _ if site.is_new_leak() => "now leaks",
        _ if site.new.leaked.bytes == 0 && site.base.leaked.bytes > 0 => "leak fixed",
        _ => "changed",
    };
    let mut changes = vec![
        format!("leaked {}", signed(site.leaked_change())),
        format!("live {}", signed(site.live_change())),
    ];
    if let Some(peak) = site.peak_change() {
        changes.push(format!("peak {}", signed(peak)));
    }
    writeln!(out, "  [{state}] {}", changes.join(", "))?;
    for entry in site.stack.iter().take(3) {
        writeln!(out, "      {}", entry_line(entry, cwd))?;
    }
    if site.stack.len() > 3 {
        writeln!(out, "      ...")?;
    }
    Ok(())
}

/// `regressed: ...` with each reason, or `not regressed`.
fn write_verdict(
    diff: &Diff,
    threshold: Threshold,
    cwd: Option<&Path>,
    out: &mut dyn io::Write,
) -> io::Result<()> {
    let regressions = diff.regressions(threshold);
    let limit = match threshold {
        Threshold::Bytes(bytes) => format!("{} bytes", thousands(bytes)),
        Threshold::Percent(percent) => format!("{percent}%"),
    };
    if regressions.is_empty() {
        return writeln!(out, "not regressed (threshold {limit}; no new leak)");
    }
    writeln!(out, "regressed:")?;
    for regression in regressions {
        match regression {
            Regression::NewLeak(at) => {
                let site = &diff.sites[at];
                let place = site
                    .stack
                    .first()
                    .map_or_else(String::new, |entry| entry_line(entry, cwd));
                writeln!(out, "  new leak: {place} leaks {}", amount(site.new.leaked))?;
            }
            Regression::Leaked { base, new } => writeln!(
                out,
                "  leaked bytes grew by more than {limit}: {} -> {}",
                thousands(base),
                thousands(new)
            )?,
            Regression::Peak { base, new } => writeln!(
                out,
                "  peak grew by more than {limit}: {} -> {}",
                thousands(base),
                thousands(new)
            )?,
        }
    }
    Ok(())
}

/// `10,496 B in 101 blocks`, or `0`.
fn amount(amount: Amount) -> String {
    if amount.bytes == 0 && amount.blocks == 0 {
        return "0".to_owned();
    }
    let blocks = if amount.blocks == 1 {
        "block"
    } else {
        "blocks"
    };
    format!(
        "{} B in {} {blocks}",
        thousands(amount.bytes),
        thousands(amount.blocks)
    )
}

/// `+6,400 B (6.2 KiB)`, `-16 B`, `0`.
fn signed(change: i128) -> String {
    let size = u64::try_from(change.unsigned_abs()).unwrap_or(u64::MAX);
    let sign = match change.signum() {
        1 => "+",
        -1 => "-",
        _ => return "0".to_owned(),
    };
    if size >= 1024 {
        format!("{sign}{} B ({sign}{})", thousands(size), human(size))
    } else {
        format!("{sign}{} B", thousands(size))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compare::diff::compare;
    use crate::compare::side::DiffSide;

    #[test]
    fn big_amounts_keep_their_columns_apart() {
        let side = |bytes: u64, blocks: u64| DiffSide {
            leaked: Amount::new(bytes, blocks),
            live: Amount::new(bytes, blocks),
            peak: Amount::new(bytes * 10, blocks),
            sites: Vec::new(),
        };
        let diff = compare(&side(35_766_625, 47_424), &side(298_580_855, 65_285));
        let mut out = Vec::new();
        write_diff_text(&diff, Threshold::Percent(5.0), None, &mut out).unwrap();
        let text = String::from_utf8(out).unwrap();
        let leaked = text.lines().nth(1).unwrap();
        let cells: Vec<&str> = leaked
            .split("  ")
            .map(str::trim)
            .filter(|cell| !cell.is_empty())
            .collect();
        assert_eq!(
            cells,
            [
                "leaked",
                "35,766,625 B in 47,424 blocks",
                "298,580,855 B in 65,285 blocks",
                "+262,814,230 B (+250.6 MiB)"
            ],
            "{text}"
        );
        assert!(text.contains("no stack changed"), "{text}");
        assert!(
            text.contains("leaked bytes grew by more than 5%: 35,766,625 -> 298,580,855"),
            "{text}"
        );
    }
}
