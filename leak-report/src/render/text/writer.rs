//! What every section of the text report writes through: the output, the options
//! ([`TextOptions`]), the style, and the running number of the entries.

use std::io;
use std::path::Path;

use crate::analysis::findings::ReportSite;
use crate::model::{Amount, Origin};
use crate::render::format::{Style, entry_line, more};

/// Text rendering options.
#[derive(Debug, Clone)]
pub struct TextOptions {
    /// ANSI colour: the numbers in bold.
    pub color: bool,
    /// Sites shown per section (and cycle entries, and member sites per cycle entry);
    /// the rest are summed on one line.
    pub max_sites: usize,
    /// Frames shown per site; the rest are counted on one line.
    pub max_frames: usize,
    /// List the still-reachable sites too, not just their total (with a scan).
    pub show_reachable: bool,
}

impl Default for TextOptions {
    fn default() -> Self {
        Self {
            color: false,
            max_sites: 20,
            max_frames: 12,
            show_reachable: false,
        }
    }
}

/// A site's whole amount.
pub(crate) fn whole(site: &ReportSite) -> Amount {
    Amount::new(site.bytes, site.blocks)
}

/// The output and what every section needs.
pub(crate) struct Writer<'a> {
    pub(crate) out: &'a mut dyn io::Write,
    pub(crate) options: &'a TextOptions,
    pub(crate) cwd: Option<&'a Path>,
    pub(crate) style: Style,
    /// The number of the last entry written: entries are numbered across sections.
    pub(crate) rank: usize,
}

impl Writer<'_> {
    /// A section of sites, each with the amount to show, under `heading` if there are any.
    pub(crate) fn sites<'s>(
        &mut self,
        heading: Option<&str>,
        sites: impl Iterator<Item = (&'s ReportSite, Amount)>,
    ) -> io::Result<()> {
        let mut hidden = Amount::default();
        let mut hidden_sites = 0_u64;
        for (shown, (site, amount)) in sites.enumerate() {
            if shown >= self.options.max_sites {
                hidden.add(amount);
                hidden_sites += 1;
                continue;
            }
            if let (0, Some(heading)) = (shown, heading) {
                writeln!(self.out)?;
                writeln!(self.out, "{heading}")?;
            }
            writeln!(self.out)?;
            self.rank += 1;
            let origin = match site.origin {
                Origin::Native => "  native: malloc outside Rust's allocator",
                Origin::Rust => "",
            };
            writeln!(
                self.out,
                "#{}  {}{origin}",
                self.rank,
                self.style.amount(amount)
            )?;
            for entry in site.stack.iter().take(self.options.max_frames) {
                writeln!(self.out, "    {}", entry_line(entry, self.cwd))?;
            }
            let more_frames = site.stack.len().saturating_sub(self.options.max_frames);
            if more_frames > 0 {
                writeln!(self.out, "    ... {}", more(more_frames as u64, "frame"))?;
            }
        }
        if hidden_sites > 0 {
            writeln!(self.out)?;
            writeln!(
                self.out,
                "... {}: {}",
                more(hidden_sites, "site"),
                self.style.amount(hidden)
            )?;
        }
        Ok(())
    }
}
