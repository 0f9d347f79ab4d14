//! The words under the "Memory layers" table: why the two peaks differ, what malloc's
//! free space most likely is, native memory, the cgroup and the system, and the
//! warnings (the `alerts` module).

use crate::memory::alerts::Alerts;
use crate::memory::layers::Layers;
use crate::profile::footprint::{Footprint, Limit};
use crate::render::format::{Style, seconds};

/// malloc's free space is called fragmentation when it is at least this big...
const FRAGMENTED_BYTES: u64 = 1 << 20;
/// ...and at least the live heap (tracked and native) divided by this.
const FRAGMENTED_DIVISOR: u64 = 2;
/// The summary's peak and the peak column's are told apart from this gap on (and 1%).
const PEAK_NOTE_BYTES: u64 = 64 * 1024;
/// Native memory is named in words from this size on.
const NATIVE_NOTE_BYTES: u64 = 1 << 20;

/// What the figures at exit mean, in words: fragmentation, native memory.
pub(crate) fn notes(exit: &Layers, preload: bool, style: &Style) -> Vec<String> {
    let mut notes = Vec::new();
    let live = exit.tracked_heap.saturating_add(exit.native.unwrap_or(0));
    if let Some(free) = exit.allocator_free
        && free >= FRAGMENTED_BYTES
        && free.saturating_mul(FRAGMENTED_DIVISOR) >= live
    {
        notes.push(free_space_note(exit, free, live, style));
    }
    if let Some(beyond) = exit.not_resident
        && beyond >= FRAGMENTED_BYTES
    {
        notes.push(format!(
            "{} counted by malloc or the tracker is not resident: space mapped but never \
             touched (a thread arena's heap is mapped ahead of use; a block from `calloc` \
             stays unwritten zero pages), or given back to the OS. It is shown apart, taken \
             from malloc's free space first, then native memory, then the tracked heap.",
            style.size(beyond),
        ));
    }
    if let Some(native) = exit.native
        && native >= NATIVE_NOTE_BYTES
        && preload
    {
        notes.push(format!(
            "native: {} allocated with malloc outside Rust's allocator (C or FFI code, libc); \
             its sites are marked `native` (reachable ones are listed with --show-reachable).",
            style.size(native),
        ));
    } else if let Some(native) = exit.native
        && native >= NATIVE_NOTE_BYTES
    {
        notes.push(format!(
            "native: {} allocated with malloc outside Rust's allocator (C or FFI code, libc): \
             not in the tracked heap, so without stacks.",
            style.size(native),
        ));
    }
    notes
}

/// Why the summary's peak and the peak column differ, when they do by more than 1% and
/// 64 KiB: the summary's is exact, the column is the highest sample, which may come a
/// little before or after the peak itself.
pub(crate) fn peak_note(peak: &Layers, exact: u64, style: &Style) -> Option<String> {
    let sampled = peak.live_bytes;
    let gap = exact.saturating_sub(sampled);
    if gap.saturating_mul(100) <= exact || gap < PEAK_NOTE_BYTES {
        return None;
    }
    Some(format!(
        "The peak column is the highest sample the tracker took, {} bytes live at {}; the \
         heap's exact peak, {} bytes (the summary's), came between samples (one is taken \
         every MEMLEAK_INTERVAL_MS and each time the heap grows by a sixteenth).",
        style.number(sampled),
        seconds(peak.t_ns),
        style.number(exact),
    ))
}

/// What malloc's resident free space most likely is, from what the probes tell: the top
/// of the main heap (releasable by `malloc_trim`), per-thread arenas, or fragmentation.
fn free_space_note(exit: &Layers, free: u64, live: u64, style: &Style) -> String {
    // free / live: above 1.1, about 1, above 0.5.
    let (free10, live10) = (u128::from(free) * 10, u128::from(live));
    let comparison = if free10 > live10 * 11 {
        "more than the"
    } else if free10 >= live10 * 9 {
        "about as much as the"
    } else {
        "more than half the"
    };
    let (free_text, live_text) = (style.size(free), style.size(live));
    if let Some(top) = exit.releasable
        && top.saturating_mul(2) >= free
    {
        return format!(
            "malloc holds {free_text} free, {comparison} {live_text} live heap; {} of it is \
             the top of its main heap, above every live block (not fragmentation): malloc \
             keeps it until it exceeds M_TRIM_THRESHOLD, which large frees raise, and \
             gives it back on `malloc_trim(0)`.",
            style.size(top),
        );
    }
    if let Some(arenas) = exit.arenas
        && let Some(outside) = exit.free_outside_main_arena
        && arenas > 1
        && outside.saturating_mul(2) >= free
    {
        return format!(
            "malloc holds {free_text} free, {comparison} {live_text} live heap; {} of it in \
             the {} arenas of threads (glibc gives threads arenas of their own; each keeps \
             what its threads freed for their next blocks, and gives back only the top of \
             its heap). Space free in one arena serves no other: fewer arenas \
             (MALLOC_ARENA_MAX=2) or fewer threads allocating hold less.",
            style.size(outside.min(free)),
            arenas - 1,
        );
    }
    format!(
        "malloc holds {free_text} free (fragmentation): {comparison} {live_text} live heap. \
         Freed blocks sit between live ones, so malloc cannot give the pages back to the OS; \
         it reuses them only for blocks of similar sizes.",
    )
}

/// `warning: ...` lines for pressure and cgroup headroom.
pub(crate) fn warnings(alerts: &Alerts, style: &Style) -> Vec<String> {
    let mut lines = Vec::new();
    if let Some(pressure) = &alerts.pressure {
        let shares: Vec<String> = [("some", pressure.some), ("full", pressure.full)]
            .iter()
            .filter_map(|(name, share)| share.map(|share| format!("{name} {share:.2}%")))
            .collect();
        let stalled = if shares.is_empty() {
            String::new()
        } else {
            format!(
                " (tasks stalled waiting for memory: {} of the last 10 s)",
                shares.join(", ")
            )
        };
        lines.push(format!(
            "warning: memory pressure reached {} at {}{stalled}: the system was short of memory",
            pressure.level,
            seconds(pressure.t_ns),
        ));
    }
    if let Some(headroom) = &alerts.headroom {
        lines.push(format!(
            "warning: the cgroup came within {:.1}% of its {} memory limit ({} charged at {}): \
             at the limit, the kernel reclaims and then OOM-kills",
            Alerts::headroom_percent(headroom),
            style.size(headroom.limit),
            style.size(headroom.current),
            seconds(headroom.t_ns),
        ));
    }
    lines
}

/// `cgroup: 387.3 MiB of no limit, peak 462.3 MiB`, `23.0 GiB available of 23.5 GiB`:
/// those that are known. Pressure is in the table.
pub(crate) fn context_parts(footprint: &Footprint, style: &Style) -> Vec<String> {
    let mut parts = Vec::new();
    if let Some(cgroup) = &footprint.cgroup {
        let limit = |limit: Limit| match limit {
            Limit::Max => "no limit".to_owned(),
            Limit::Bytes(bytes) => format!("a {} limit", style.size(bytes)),
        };
        let mut pieces = Vec::new();
        match (cgroup.current, cgroup.limit) {
            (Some(current), Some(max)) => {
                pieces.push(format!("{} of {}", style.size(current), limit(max)));
            }
            (Some(current), None) => pieces.push(style.size(current)),
            (None, Some(max)) => pieces.push(limit(max)),
            (None, None) => {}
        }
        if let Some(peak) = cgroup.peak {
            pieces.push(format!("peak {}", style.size(peak)));
        }
        if let Some(Limit::Bytes(high)) = cgroup.high {
            pieces.push(format!("throttled above {}", style.size(high)));
        }
        let kills = cgroup.oom_kill.unwrap_or(0);
        if kills > 0 {
            let suffix = if kills == 1 { "" } else { "s" };
            pieces.push(format!("{} OOM kill{suffix}", style.number(kills)));
        }
        if !pieces.is_empty() {
            parts.push(format!("cgroup: {}", pieces.join(", ")));
        }
    }
    match (footprint.mem_available, footprint.mem_total) {
        (Some(available), Some(total)) => parts.push(format!(
            "{} available of {}",
            style.size(available),
            style.size(total)
        )),
        (Some(available), None) => parts.push(format!("{} available", style.size(available))),
        _ => {}
    }
    parts
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIB: u64 = 1 << 20;

    fn plain() -> Style {
        Style { color: false }
    }

    /// At exit: 10 MiB free, 4 MiB tracked heap, 1 MiB native.
    fn exit(releasable: Option<u64>, arenas: Option<(u64, u64)>) -> Layers {
        Layers {
            tracked_heap: 4 * MIB,
            native: Some(MIB),
            allocator_free: Some(10 * MIB),
            releasable,
            arenas: arenas.map(|(count, _)| count),
            free_outside_main_arena: arenas.map(|(_, free)| free),
            ..Layers::default()
        }
    }

    fn free_note(layers: &Layers) -> String {
        notes(layers, false, &plain())
            .into_iter()
            .find(|note| note.starts_with("malloc holds "))
            .expect("a note on malloc's free space")
    }

    #[test]
    fn free_space_is_named_by_its_likely_cause() {
        let top = free_note(&exit(Some(6 * MIB), Some((3, 3 * MIB))));
        assert!(
            top.contains("6.0 MiB of it is the top of its main heap")
                && top.contains("malloc_trim"),
            "{top}"
        );
        let arenas = free_note(&exit(Some(MIB), Some((3, 5 * MIB))));
        assert!(
            arenas.contains("5.0 MiB of it in the 2 arenas of threads"),
            "{arenas}"
        );
        let fragmented = free_note(&exit(Some(MIB), Some((3, 4 * MIB))));
        assert!(
            fragmented.starts_with(
                "malloc holds 10.0 MiB free (fragmentation): more than the 5.0 MiB live heap."
            ),
            "{fragmented}"
        );
        // Without the exit probes (macOS, an older profile): fragmentation, as before.
        assert!(free_note(&exit(None, None)).contains("(fragmentation)"));
    }

    #[test]
    fn space_counted_but_not_resident_is_said() {
        let layers = Layers {
            not_resident: Some(3 * MIB),
            ..exit(None, None)
        };
        let said = notes(&layers, false, &plain());
        assert!(
            said.iter()
                .any(|note| note
                    .starts_with("3.0 MiB counted by malloc or the tracker is not resident")),
            "{said:?}"
        );
    }

    #[test]
    fn the_two_peaks_are_explained_only_when_they_differ() {
        let peak = Layers {
            t_ns: 1_500_000_000,
            live_bytes: 190 * MIB,
            ..Layers::default()
        };
        let note = peak_note(&peak, 200 * MIB, &plain()).expect("10 MiB apart");
        assert!(
            note.contains("199,229,440 bytes live at 1.50 s")
                && note.contains("exact peak, 209,715,200 bytes"),
            "{note}"
        );
        // Within 1%, or within 64 KiB: the same peak.
        assert_eq!(peak_note(&peak, 191 * MIB, &plain()), None);
        let small = Layers {
            live_bytes: 900 * 1024,
            ..peak
        };
        assert_eq!(peak_note(&small, 960 * 1024, &plain()), None);
    }
}
