//! Folded stacks, the text every flamegraph tool reads (inferno, `flamegraph.pl`,
//! speedscope): one line a stack, `outer;...;inner bytes`, `main` first.

use std::io;

use crate::render::svg::flamegraph::live_stacks;
use crate::report::model::Report;

/// Writes the folded stacks of the bytes live at exit, the runtime's left out: the
/// live-at-exit flamegraph's input, with exact byte counts (never scaled). Under the
/// interposer each stack starts with its allocator, as in the flamegraph. Frames are
/// function names; a `;` inside a name becomes `,`. Nothing live writes nothing.
///
/// # Errors
/// Write errors.
pub fn write_folded(report: &Report, out: &mut dyn io::Write) -> io::Result<()> {
    for (stack, bytes) in live_stacks(report) {
        writeln!(out, "{stack} {bytes}")?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::findings::ProgramInfo;
    use crate::testing::{leaky, on_main, profile};

    fn folded(report: &Report) -> String {
        let mut out = Vec::new();
        write_folded(report, &mut out).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn leaky_folds_to_its_two_leak_sites_with_exact_bytes() {
        let profile = leaky();
        let report = Report::build(&profile, ProgramInfo::from_profile(&profile));
        assert_eq!(
            folded(&report),
            "leaky::main;leaky::leak_box 4096\nleaky::main;leaky::leak_some 6400\n"
        );
    }

    #[test]
    fn counts_beyond_the_flamegraphs_scale_stay_exact() {
        // 2^53 + 1 bytes: the SVG would divide by a scale, the text keeps every byte.
        let huge = (1u64 << 53) + 1;
        let profile = profile(&[(&on_main(&["alloc::alloc::alloc", "app::hog"]), &[huge])]);
        let report = Report::build(&profile, ProgramInfo::from_profile(&profile));
        assert_eq!(folded(&report), format!("app::hog {huge}\n"));
    }
}
