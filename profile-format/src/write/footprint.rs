//! The `footprint` object: the same at the top level and in timeline samples.

use std::io::{self, Write};

use crate::write::json::{Fraction, Num, write_opt_str};
use crate::{Cgroup, Footprint, Limit, Malloc, Pressure, Stall};

pub(crate) fn write_footprint(out: &mut dyn Write, f: &Footprint) -> io::Result<()> {
    out.write_all(b"{\"source\":")?;
    write_opt_str(out, f.source.as_deref())?;
    write!(
        out,
        ",\"rss\":{},\"anonymous\":{},\"file_backed\":{},\"swap\":{},\"phys_footprint\":{},\
         \"compressed\":{},\"mem_available\":{},\"mem_total\":{},\"malloc\":",
        Num(f.rss),
        Num(f.anonymous),
        Num(f.file_backed),
        Num(f.swap),
        Num(f.phys_footprint),
        Num(f.compressed),
        Num(f.mem_available),
        Num(f.mem_total),
    )?;
    match &f.malloc {
        Some(Malloc {
            in_use,
            free,
            mmapped,
            releasable,
            arenas,
            free_outside_main_arena,
        }) => write!(
            out,
            "{{\"in_use\":{},\"free\":{},\"mmapped\":{},\"releasable\":{},\"arenas\":{},\
             \"free_outside_main_arena\":{}}}",
            Num(*in_use),
            Num(*free),
            Num(*mmapped),
            Num(*releasable),
            Num(*arenas),
            Num(*free_outside_main_arena)
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
    write_opt_str(out, p.level.as_deref())?;
    for (name, stall) in [("some", &p.some), ("full", &p.full)] {
        write!(out, ",\"{name}\":")?;
        match stall {
            Some(Stall {
                avg10,
                avg60,
                avg300,
                total_us,
            }) => write!(
                out,
                "{{\"avg10\":{},\"avg60\":{},\"avg300\":{},\"total_us\":{}}}",
                Fraction(*avg10),
                Fraction(*avg60),
                Fraction(*avg300),
                Num(*total_us)
            )?,
            None => out.write_all(b"null")?,
        }
    }
    out.write_all(b"}")
}

fn write_cgroup(out: &mut dyn Write, c: &Cgroup) -> io::Result<()> {
    write!(
        out,
        "{{\"version\":{},\"current\":{},\"limit\":{},\"high\":{},\"peak\":{},\"oom\":{},\
         \"oom_kill\":{},\"failcnt\":{}}}",
        Num(c.version),
        Num(c.current),
        LimitText(c.limit),
        LimitText(c.high),
        Num(c.peak),
        Num(c.oom),
        Num(c.oom_kill),
        Num(c.failcnt),
    )
}

/// A limit as JSON: bytes, `"max"` or `null`.
struct LimitText(Option<Limit>);

impl std::fmt::Display for LimitText {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.0 {
            Some(Limit::Bytes(bytes)) => write!(f, "{bytes}"),
            Some(Limit::Max) => f.write_str("\"max\""),
            None => f.write_str("null"),
        }
    }
}
