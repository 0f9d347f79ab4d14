//! The profile format has one definition (`memleak_format`): what the tracker's writer
//! writes, leak-report reads back field for field. Random documents, every section and
//! every optional value, strings with quotes, control characters and any Unicode.

use std::path::Path;

use leak_report::parse_profile;
use memleak_format::{
    Cgroup, Checkpoint, Document, Footprint, Frame, Limit, LiveBlock, MODE_IN_PROCESS,
    MODE_PRELOAD, Malloc, Module, Pressure, Reachability, Sample, SampleKind, Sampling, Segment,
    Site, Stall, Thread, Timeline, Totals, write::write_document,
};
use proptest::collection::vec;
use proptest::option::of;
use proptest::prelude::*;

/// A share of time in percent with two decimals, as the kernel gives them.
fn percent() -> impl Strategy<Value = Option<f64>> {
    of((0u32..=10_000).prop_map(|hundredths| f64::from(hundredths) / 100.0))
}

fn stall() -> impl Strategy<Value = Stall> {
    (percent(), percent(), percent(), of(any::<u64>())).prop_map(
        |(avg10, avg60, avg300, total_us)| Stall {
            avg10,
            avg60,
            avg300,
            total_us,
        },
    )
}

fn limit() -> impl Strategy<Value = Option<Limit>> {
    of(prop_oneof![
        Just(Limit::Max),
        any::<u64>().prop_map(Limit::Bytes)
    ])
}

fn footprint() -> impl Strategy<Value = Footprint> {
    let counts = (
        of(any::<u64>()),
        of(any::<u64>()),
        of(any::<u64>()),
        of(any::<u64>()),
        of(any::<u64>()),
        of(any::<u64>()),
        of(any::<u64>()),
        of(any::<u64>()),
    );
    let malloc = of(vec(of(any::<u64>()), 6).prop_map(|v| Malloc {
        in_use: v[0],
        free: v[1],
        mmapped: v[2],
        releasable: v[3],
        arenas: v[4],
        free_outside_main_arena: v[5],
    }));
    let pressure = of((of(any::<String>()), of(stall()), of(stall()))
        .prop_map(|(level, some, full)| Pressure { level, some, full }));
    let cgroup = of((
        of(1u64..=2),
        of(any::<u64>()),
        limit(),
        limit(),
        of(any::<u64>()),
        (of(any::<u64>()), of(any::<u64>()), of(any::<u64>())),
    )
        .prop_map(
            |(version, current, limit, high, peak, (oom, oom_kill, failcnt))| Cgroup {
                version,
                current,
                limit,
                high,
                peak,
                oom,
                oom_kill,
                failcnt,
            },
        ));
    (of(any::<String>()), counts, malloc, pressure, cgroup).prop_map(
        |(
            source,
            (rss, anonymous, file_backed, swap, phys, compressed, available, total),
            malloc,
            pressure,
            cgroup,
        )| {
            Footprint {
                source,
                rss,
                anonymous,
                file_backed,
                swap,
                phys_footprint: phys,
                compressed,
                mem_available: available,
                mem_total: total,
                malloc,
                pressure,
                cgroup,
            }
        },
    )
}

fn totals() -> impl Strategy<Value = Totals> {
    (vec(any::<u64>(), 12), of(any::<u64>()), of(any::<u64>())).prop_map(
        |(c, overhead_bytes, unwinder_fallbacks)| Totals {
            allocated_bytes: c[0],
            allocated_blocks: c[1],
            freed_bytes: c[2],
            freed_blocks: c[3],
            reallocs: c[4],
            live_bytes: c[5],
            live_blocks: c[6],
            peak_live_bytes: c[7],
            peak_live_blocks: c[8],
            unknown_frees: c[9],
            untracked_allocs: c[10],
            overhead_allocs: c[11],
            overhead_bytes,
            unwinder_fallbacks,
        },
    )
}

/// Modules whose segments lie above every frame address, so the reader does not try to
/// symbolize from files that are not there.
fn module() -> impl Strategy<Value = Module> {
    (
        any::<String>(),
        any::<u64>(),
        of("[0-9a-f]{2,40}"),
        vec((1u64 << 60..1u64 << 61, 0u64..4096, any::<u64>()), 0..3),
    )
        .prop_map(|(path, bias, build_id, segments)| Module {
            path,
            bias,
            build_id,
            segments: segments
                .into_iter()
                .map(|(start, length, file_offset)| Segment {
                    start,
                    end: start + length,
                    file_offset,
                })
                .collect(),
        })
}

/// A consistent document: sites use existing frames, blocks existing sites, `refs`
/// only unreachable blocks, checkpoints existing sites; samples and checkpoints in time
/// order (the reader sorts them).
fn document() -> impl Strategy<Value = Document> {
    let head = (
        any::<u64>(),
        any::<String>(),
        vec(any::<String>(), 0..4),
        of(any::<String>()),
        any::<u64>(),
        of((1u64..).prop_map(|mean_bytes| Sampling { mean_bytes })),
        of(prop_oneof![Just(MODE_IN_PROCESS), Just(MODE_PRELOAD)].prop_map(str::to_owned)),
    );
    let body = (
        totals(),
        of(footprint()),
        vec((any::<u64>(), of(any::<String>())), 0..4),
        of(vec(module(), 0..3)),
        vec(0u64..1 << 48, 1..12),
        1usize..6,
        vec((any::<u64>(), any::<u64>(), any::<bool>()), 0..20),
        any::<bool>(),
    );
    let timeline = of((
        of(any::<u64>()),
        vec(
            (
                any::<u64>(),
                0u8..4,
                any::<u64>(),
                any::<u64>(),
                of(any::<u64>()),
                of(footprint()),
            ),
            0..4,
        ),
        vec(
            (any::<u64>(), vec((any::<usize>(), any::<u64>()), 0..5)),
            0..4,
        ),
    ));
    (head, body, timeline, vec(any::<u64>(), 9)).prop_map(
        |(
            (pid, exe, args, reason, elapsed_ns, sampling, mode),
            (totals, footprint, threads, modules, ips, site_count, blocks, scanned),
            timeline,
            counters,
        )| {
            let frames: Vec<Frame> = ips
                .iter()
                .map(|&ip| Frame {
                    ip,
                    symbols: Vec::new(),
                })
                .collect();
            let sites: Vec<Site> = (0..site_count as u64)
                .map(|id| Site {
                    id: id * 3 + 1,
                    frames: (0..=id % frames.len() as u64).collect(),
                    allocated_bytes: counters[0].wrapping_add(id),
                    allocated_blocks: counters[1],
                    freed_blocks: counters[2],
                    live_bytes: counters[3],
                    live_blocks: counters[4],
                    peak_live_bytes: counters[5],
                    reallocs: counters[6],
                })
                .collect();
            let unreachable: Vec<u64> = blocks
                .iter()
                .enumerate()
                .filter(|(_, block)| !block.2)
                .map(|(i, _)| i as u64)
                .collect();
            let live: Vec<LiveBlock> = blocks
                .iter()
                .enumerate()
                .map(|(i, &(addr, size, reachable))| LiveBlock {
                    addr,
                    size,
                    align: 1 << (i % 5),
                    site: sites[i % sites.len()].id,
                    birth_ns: counters[7].wrapping_add(i as u64),
                    thread: counters[8] % 7,
                    reachable: scanned.then_some(reachable),
                    refs: if scanned && !reachable {
                        unreachable
                            .iter()
                            .copied()
                            .filter(|&r| r % 2 == i as u64 % 2)
                            .collect()
                    } else {
                        Vec::new()
                    },
                })
                .collect();
            let timeline = timeline.map(|(interval_ms, samples, checkpoints)| {
                let mut samples: Vec<Sample> = samples
                    .into_iter()
                    .map(
                        |(t_ns, kind, live_bytes, live_blocks, overhead_bytes, footprint)| Sample {
                            t_ns,
                            kind: [
                                SampleKind::Interval,
                                SampleKind::Peak,
                                SampleKind::Exit,
                                SampleKind::Interval,
                            ][usize::from(kind)],
                            live_bytes,
                            live_blocks,
                            overhead_bytes,
                            footprint,
                        },
                    )
                    .collect();
                samples.sort_by_key(|sample| sample.t_ns);
                let mut checkpoints: Vec<Checkpoint> = checkpoints
                    .into_iter()
                    .map(|(t_ns, pairs)| Checkpoint {
                        t_ns,
                        sites: pairs
                            .into_iter()
                            .map(|(site, bytes)| (sites[site % sites.len()].id, bytes))
                            .collect(),
                    })
                    .collect();
                checkpoints.sort_by_key(|checkpoint| checkpoint.t_ns);
                Timeline {
                    interval_ms,
                    samples,
                    checkpoints,
                }
            });
            Document {
                version: memleak_format::VERSION,
                pid,
                exe,
                args,
                reason,
                elapsed_ns,
                mode,
                sampling,
                totals,
                footprint: Some(footprint.unwrap_or_default()),
                timeline,
                threads: threads
                    .into_iter()
                    .map(|(id, name)| Thread { id, name })
                    .collect(),
                modules: Some(modules.unwrap_or_default()),
                frames,
                sites,
                reachability: scanned.then(|| Reachability {
                    scanned: true,
                    scan_ns: counters[0],
                    root_bytes: counters[1],
                    bytes_scanned: counters[2],
                    threads: counters[3],
                    complete: counters[4] % 2 == 0,
                }),
                live,
            }
        },
    )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

    #[test]
    fn what_the_writer_writes_the_reader_reads(document in document()) {
        let mut bytes = Vec::new();
        write_document(&mut bytes, &document).unwrap();
        let profile = parse_profile(Path::new("/generated/profile.json"), &bytes)
            .unwrap_or_else(|e| panic!("{e}\n{}", String::from_utf8_lossy(&bytes)));
        prop_assert_eq!(profile.version(), document.version);
        prop_assert_eq!(profile.pid(), document.pid);
        prop_assert_eq!(profile.exe(), &document.exe);
        prop_assert_eq!(profile.args(), &document.args[..]);
        prop_assert_eq!(profile.reason(), Some(document.reason.as_deref().unwrap_or("")));
        prop_assert_eq!(profile.elapsed_ns(), document.elapsed_ns);
        prop_assert_eq!(profile.mode().name(), document.mode.as_deref().unwrap_or(MODE_IN_PROCESS));
        prop_assert_eq!(profile.sampling(), document.sampling);
        prop_assert_eq!(profile.totals(), &document.totals);
        prop_assert_eq!(profile.footprint(), document.footprint.as_ref());
        prop_assert_eq!(profile.timeline(), document.timeline.as_ref());
        prop_assert_eq!(profile.threads(), &document.threads[..]);
        prop_assert_eq!(profile.modules(), document.modules.as_deref().unwrap_or_default());
        prop_assert_eq!(profile.frames(), &document.frames[..]);
        prop_assert_eq!(profile.sites(), &document.sites[..]);
        prop_assert_eq!(profile.reachability(), document.reachability.as_ref());
        prop_assert_eq!(profile.live(), &document.live[..]);
        prop_assert!(profile.symbol_warnings().is_empty());
    }
}
