//! The profile's `footprint` object (docs/profile-format.md): the OS and allocator
//! layers' view of the process when the profile was written.

use std::io::{self, Write};

use crate::os::{CgroupMemory, Footprint, Limit, MallocInfo, Pressure, Stall};
use crate::output::json_text::{write_opt_str, write_str};

/// The top-level `"footprint"` member.
pub(crate) fn write_footprint(out: &mut dyn Write, f: &Footprint) -> io::Result<()> {
    out.write_all(b",\n\"footprint\":")?;
    write_footprint_object(out, f)
}

/// The footprint object alone: the same at the top level and in timeline samples.
pub(crate) fn write_footprint_object(out: &mut dyn Write, f: &Footprint) -> io::Result<()> {
    out.write_all(b"{\"source\":")?;
    write_opt_str(out, f.resident_source)?;
    write!(
        out,
        ",\"rss\":{},\"anonymous\":{},\"file_backed\":{},\"swap\":{},\"phys_footprint\":{},\"compressed\":{},\
         \"mem_available\":{},\"mem_total\":{},\"malloc\":",
        Num(f.rss),
        Num(f.anonymous),
        Num(f.file_backed),
        Num(f.swap),
        Num(f.phys_footprint),
        Num(f.compressed),
        Num(f.mem_available),
        Num(f.mem_total),
    )?;
    match f.malloc {
        Some(MallocInfo {
            in_use,
            free,
            mmapped,
        }) => write!(
            out,
            "{{\"in_use\":{in_use},\"free\":{free},\"mmapped\":{mmapped}}}"
        )?,
        None => out.write_all(b"null")?,
    }
    out.write_all(b",\"pressure\":")?;
    match &f.pressure {
        Some(pressure) => write_pressure(out, pressure)?,
        None => out.write_all(b"null")?,
    }
    out.write_all(b",\"cgroup\":")?;
    match &f.cgroup {
        Some(cgroup) => write_cgroup(out, cgroup)?,
        None => out.write_all(b"null")?,
    }
    out.write_all(b"}")
}

fn write_pressure(out: &mut dyn Write, p: &Pressure) -> io::Result<()> {
    out.write_all(b"{\"level\":")?;
    write_str(out, p.level.as_str())?;
    for (name, stall) in [("some", p.some), ("full", p.full)] {
        write!(out, ",\"{name}\":")?;
        match stall {
            Some(Stall {
                avg10,
                avg60,
                avg300,
                total_us,
            }) => write!(
                out,
                "{{\"avg10\":{avg10:.2},\"avg60\":{avg60:.2},\"avg300\":{avg300:.2},\"total_us\":{total_us}}}"
            )?,
            None => out.write_all(b"null")?,
        }
    }
    out.write_all(b"}")
}

fn write_cgroup(out: &mut dyn Write, c: &CgroupMemory) -> io::Result<()> {
    let limit = |limit: Option<Limit>| match limit {
        Some(Limit::Bytes(bytes)) => bytes.to_string(),
        Some(Limit::Unlimited) => "\"max\"".to_owned(),
        None => "null".to_owned(),
    };
    write!(
        out,
        "{{\"version\":{},\"current\":{},\"limit\":{},\"high\":{},\"peak\":{},\"oom\":{},\"oom_kill\":{},\"failcnt\":{}}}",
        c.version.number(),
        Num(c.current),
        limit(c.limit),
        limit(c.high),
        Num(c.peak),
        Num(c.oom),
        Num(c.oom_kill),
        Num(c.failcnt),
    )
}

/// An optional number as JSON: the number or `null`.
struct Num(Option<u64>);

impl std::fmt::Display for Num {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.0 {
            Some(value) => write!(f, "{value}"),
            None => f.write_str("null"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_footprint_is_json_with_nulls_for_the_unknown() {
        use crate::os::footprint::{CgroupVersion, PressureLevel};
        let stall = Stall {
            avg10: 12.5,
            avg60: 0.0,
            avg300: 0.0,
            total_us: 7,
        };
        let footprint = Footprint {
            resident_source: Some("statm"),
            rss: Some(4096),
            malloc: Some(MallocInfo {
                in_use: 1,
                free: 2,
                mmapped: 3,
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
        };
        let mut out = b"{\"x\":0".to_vec();
        write_footprint(&mut out, &footprint).unwrap();
        out.push(b'}');
        let value: serde_json::Value = serde_json::from_slice(&out).unwrap();
        let f = &value["footprint"];
        assert_eq!(f["source"], "statm");
        assert_eq!(f["rss"], 4096);
        assert!(f["swap"].is_null() && f["mem_total"].is_null());
        assert!(f["phys_footprint"].is_null() && f["compressed"].is_null());
        assert_eq!(f["malloc"]["mmapped"], 3);
        assert_eq!(f["pressure"]["level"], "warning");
        assert_eq!(f["pressure"]["some"]["avg10"], 12.5);
        assert!(f["pressure"]["full"].is_null());
        assert_eq!(f["cgroup"]["version"], 2);
        assert_eq!(f["cgroup"]["limit"], "max");
        assert_eq!(f["cgroup"]["high"], 20);
        assert!(f["cgroup"]["peak"].is_null());
    }
}
