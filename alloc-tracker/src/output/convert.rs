//! The tracker's own records as the profile format's types (`memleak_format`): the
//! footprint, the timeline, threads and the module map. Built only when a profile is
//! written, with the reentrancy guard held.

use memleak_format as format;

use crate::hot::thread::ThreadInfo;
use crate::lifecycle::timeline::Timeline;
use crate::os::module::Module;
use crate::os::{CgroupMemory, Footprint, Limit, MallocInfo, Pressure, Stall};

pub(crate) fn footprint(f: &Footprint) -> format::Footprint {
    format::Footprint {
        source: f.resident_source.map(str::to_owned),
        rss: f.rss,
        anonymous: f.anonymous,
        file_backed: f.file_backed,
        swap: f.swap,
        phys_footprint: f.phys_footprint,
        compressed: f.compressed,
        mem_available: f.mem_available,
        mem_total: f.mem_total,
        malloc: f.malloc.map(malloc),
        pressure: f.pressure.as_ref().map(pressure),
        cgroup: f.cgroup.as_ref().map(cgroup),
    }
}

fn malloc(m: MallocInfo) -> format::Malloc {
    format::Malloc {
        in_use: Some(m.in_use),
        free: Some(m.free),
        mmapped: Some(m.mmapped),
        releasable: m.releasable,
        arenas: m.arenas.map(|arenas| arenas.count),
        free_outside_main_arena: m.arenas.map(|arenas| arenas.free_outside_main),
    }
}

fn pressure(p: &Pressure) -> format::Pressure {
    let stall = |s: Stall| format::Stall {
        avg10: Some(s.avg10),
        avg60: Some(s.avg60),
        avg300: Some(s.avg300),
        total_us: Some(s.total_us),
    };
    format::Pressure {
        level: Some(p.level.as_str().to_owned()),
        some: p.some.map(stall),
        full: p.full.map(stall),
    }
}

fn cgroup(c: &CgroupMemory) -> format::Cgroup {
    let limit = |limit: Option<Limit>| {
        limit.map(|limit| match limit {
            Limit::Bytes(bytes) => format::Limit::Bytes(bytes),
            Limit::Unlimited => format::Limit::Max,
        })
    };
    format::Cgroup {
        version: Some(u64::from(c.version.number())),
        current: c.current,
        limit: limit(c.limit),
        high: limit(c.high),
        peak: c.peak,
        oom: c.oom,
        oom_kill: c.oom_kill,
        failcnt: c.failcnt,
    }
}

pub(crate) fn timeline(t: &Timeline) -> format::Timeline {
    format::Timeline {
        interval_ms: Some(t.interval_ms),
        samples: t
            .samples
            .iter()
            .map(|s| format::Sample {
                t_ns: s.t_ns,
                kind: s.kind,
                live_bytes: s.live_bytes,
                live_blocks: s.live_blocks,
                overhead_bytes: Some(s.overhead_bytes),
                footprint: Some(footprint(&s.footprint)),
            })
            .collect(),
        checkpoints: t
            .checkpoints
            .iter()
            .map(|c| format::Checkpoint {
                t_ns: c.t_ns,
                sites: c
                    .sites
                    .iter()
                    .map(|&(site, bytes)| (u64::from(site), bytes))
                    .collect(),
            })
            .collect(),
    }
}

pub(crate) fn thread(t: &ThreadInfo) -> format::Thread {
    format::Thread {
        id: u64::from(t.id),
        name: t.name.clone(),
    }
}

pub(crate) fn module(m: &Module) -> format::Module {
    format::Module {
        path: m.path.clone(),
        bias: m.bias as u64,
        build_id: (!m.build_id.is_empty()).then(|| format::hex(&m.build_id)),
        segments: m
            .segments
            .iter()
            .map(|s| format::Segment {
                start: s.start as u64,
                end: s.end as u64,
                file_offset: s.file_offset,
            })
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::os::footprint::{CgroupVersion, PressureLevel};

    #[test]
    fn a_footprint_keeps_every_value_and_unknowns_stay_unknown() {
        let stall = Stall {
            avg10: 12.5,
            avg60: 0.0,
            avg300: 0.0,
            total_us: 7,
        };
        let converted = footprint(&Footprint {
            resident_source: Some("statm"),
            rss: Some(4096),
            malloc: Some(MallocInfo {
                in_use: 1,
                free: 2,
                mmapped: 3,
                releasable: Some(4),
                arenas: None,
            }),
            pressure: Some(Pressure {
                level: PressureLevel::Warning,
                some: Some(stall),
                full: None,
            }),
            cgroup: Some(CgroupMemory {
                version: CgroupVersion::V2,
                current: Some(10),
                limit: Some(Limit::Unlimited),
                high: Some(Limit::Bytes(20)),
                peak: None,
                oom: Some(0),
                oom_kill: None,
                failcnt: None,
            }),
            ..Footprint::default()
        });
        assert_eq!(converted.source.as_deref(), Some("statm"));
        assert_eq!((converted.rss, converted.swap), (Some(4096), None));
        let malloc = converted.malloc.unwrap();
        assert_eq!(
            (malloc.mmapped, malloc.releasable, malloc.arenas),
            (Some(3), Some(4), None)
        );
        let pressure = converted.pressure.unwrap();
        assert_eq!(pressure.level.as_deref(), Some("warning"));
        assert_eq!(pressure.some.unwrap().avg10, Some(12.5));
        assert!(pressure.full.is_none());
        let cgroup = converted.cgroup.unwrap();
        assert_eq!(cgroup.version, Some(2));
        assert_eq!(cgroup.limit, Some(format::Limit::Max));
        assert_eq!(cgroup.high, Some(format::Limit::Bytes(20)));
        assert_eq!(cgroup.peak, None);
    }

    #[test]
    fn a_module_gets_its_build_id_in_hex() {
        let converted = module(&crate::os::module::test_module("/bin/a"));
        assert_eq!(converted.build_id.as_deref(), Some("ab01"));
        assert_eq!(converted.segments[0].end, 9000);
        let none = module(&Module::default());
        assert_eq!(none.build_id, None);
    }
}
