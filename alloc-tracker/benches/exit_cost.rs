//! What tracking adds to a whole short run, as a user feels it: wall time and peak RSS of
//! a program run with `MEMLEAK_OUT` set (tracked, profile written at exit) against the
//! same binary without it (the tracker stays idle), alternating, median of each.
//!
//! `cargo bench -p memleak --bench exit_cost [-- [--rounds N] PROGRAM [ARGS...]]`.
//! PROGRAM defaults to the `leaky` example as `cargo memleak run --example leaky` builds
//! it (`target/memleak/build/debug/examples/leaky`): run that first.

use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::Instant;

/// Runs `command` to its end; its wall time in seconds and peak RSS in KiB.
fn measure(command: &mut Command) -> (f64, i64) {
    let started = Instant::now();
    let child = command
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("the program starts");
    let pid = libc::pid_t::try_from(child.id()).expect("pid fits");
    let mut status = 0;
    // SAFETY: an all-zero `rusage` is a valid value of this plain C struct.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: `pid` is our unreaped child; `status` and `usage` are valid for writes.
    let reaped = unsafe { libc::wait4(pid, &raw mut status, 0, &raw mut usage) };
    let wall = started.elapsed().as_secs_f64();
    assert_eq!(reaped, pid, "wait4 failed");
    assert!(
        libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0,
        "the program failed: status {status:#x}"
    );
    // Reaped by wait4 above; `Child` has no destructor that would wait again.
    drop(child);
    (wall, usage.ru_maxrss)
}

fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

fn main() {
    let mut args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| a != "--bench")
        .collect();
    if args.iter().any(|a| a == "--list" || a == "--test") {
        return;
    }
    let mut rounds = 21;
    if let Some(at) = args.iter().position(|a| a == "--rounds") {
        rounds = args
            .get(at + 1)
            .and_then(|n| n.parse().ok())
            .expect("--rounds N");
        args.drain(at..at + 2);
    }
    let program = args.first().map_or_else(
        || {
            PathBuf::from(env!("CARGO_MANIFEST_DIR"))
                .join("../target/memleak/build/debug/examples/leaky")
        },
        PathBuf::from,
    );
    if !program.exists() {
        println!(
            "{} does not exist: run `cargo memleak run --example leaky` first, or name a program",
            program.display()
        );
        return;
    }
    let program_args = args.get(1..).unwrap_or_default();
    let dir = std::env::temp_dir().join(format!("memleak-exit-cost-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let (mut tracked_wall, mut untracked_wall) = (Vec::new(), Vec::new());
    let (mut tracked_rss, mut untracked_rss) = (Vec::new(), Vec::new());
    // One warm-up of each, not counted: the page cache, the loader's first run.
    for round in 0..=rounds {
        let (wall, rss) = measure(
            Command::new(&program)
                .args(program_args)
                .env("MEMLEAK_OUT", dir.join("profile-%p.json")),
        );
        let (plain_wall, plain_rss) = measure(
            Command::new(&program)
                .args(program_args)
                .env_remove("MEMLEAK_OUT"),
        );
        if round > 0 {
            tracked_wall.push(wall);
            tracked_rss.push(rss as f64);
            untracked_wall.push(plain_wall);
            untracked_rss.push(plain_rss as f64);
        }
    }
    let written = std::fs::read_dir(&dir).map_or(0, Iterator::count);
    let _ = std::fs::remove_dir_all(&dir);
    assert_eq!(written, rounds + 1, "every tracked run wrote a profile");
    let (tw, uw) = (median(&mut tracked_wall), median(&mut untracked_wall));
    let (tr, ur) = (median(&mut tracked_rss), median(&mut untracked_rss));
    println!(
        "{} ({rounds} rounds, medians, whole process)",
        program.display()
    );
    println!(
        "wall:     tracked {:.1} ms, untracked {:.1} ms: +{:.1} ms ({:.2}x)",
        tw * 1e3,
        uw * 1e3,
        (tw - uw) * 1e3,
        tw / uw
    );
    println!(
        "peak RSS: tracked {:.1} MiB, untracked {:.1} MiB: +{:.1} MiB",
        tr / 1024.0,
        ur / 1024.0,
        (tr - ur) / 1024.0
    );
}
