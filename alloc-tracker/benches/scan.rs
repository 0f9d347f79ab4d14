//! How long exit takes on a big heap: 1 million live blocks holding 1 GiB, scanned and
//! written to the profile.
//!
//! `cargo bench -p memleak --bench scan`. The parent runs this binary as a child
//! with `MEMLEAK_OUT` set; the child allocates the heap (half of it still reachable from
//! a vector, half lost in chains of 500 where each block points to the previous one),
//! then exits, and the tracker scans and writes the profile. The parent prints the
//! scan's own time from the profile, the whole exit (from the child's last word to its
//! end: snapshot, scan, writing), and the profile's size.

use std::hint::black_box;
use std::process::Command;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

#[global_allocator]
static ALLOC: memleak::TrackingAlloc = memleak::TrackingAlloc::system();

const CHILD_VAR: &str = "ALLOC_TRACKER_SCAN_BENCH_CHILD";
const BLOCKS: usize = 1 << 20;
const BLOCK_BYTES: usize = 1024;

/// A block whose first word points at the previous block of its chain.
#[inline(never)]
fn block(previous: usize) -> Box<[usize]> {
    let mut words = vec![0usize; BLOCK_BYTES / 8].into_boxed_slice();
    words[0] = previous;
    words[BLOCK_BYTES / 16] = previous.wrapping_add(24);
    words
}

fn child() {
    let mut kept: Vec<Box<[usize]>> = Vec::with_capacity(BLOCKS / 2);
    let (mut previous_kept, mut previous_lost) = (0usize, 0usize);
    for i in 0..BLOCKS {
        if i % 2 == 0 {
            let words = block(previous_kept);
            previous_kept = words.as_ptr() as usize;
            kept.push(words);
        } else {
            let words = block(previous_lost);
            // Every 500th lost block ends a chain: the next one starts afresh.
            previous_lost = if i % 1000 == 999 {
                0
            } else {
                words.as_ptr() as usize
            };
            std::mem::forget(words);
        }
    }
    black_box(&kept);
    eprintln!("child: {BLOCKS} blocks of {BLOCK_BYTES} bytes live; exiting");
    println!("{}", since_epoch_ns());
    std::process::exit(0);
}

fn since_epoch_ns() -> u128 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos())
}

fn main() {
    if std::env::var_os(CHILD_VAR).is_some() {
        child();
    }
    if std::env::args().any(|a| a == "--list" || a == "--test") {
        return;
    }
    let dir = std::env::temp_dir().join(format!("memleak-scan-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let profile = dir.join("profile.json");
    let started = Instant::now();
    let output = Command::new(std::env::current_exe().expect("exe"))
        .env(CHILD_VAR, "1")
        .env("MEMLEAK_OUT", &profile)
        .stderr(std::process::Stdio::inherit())
        .output()
        .expect("child runs");
    let ended = since_epoch_ns();
    let whole = started.elapsed();
    assert!(output.status.success(), "child failed: {}", output.status);
    let exiting: u128 = String::from_utf8_lossy(&output.stdout)
        .trim()
        .parse()
        .expect("the child's exit time");
    let exit_ms = ended.saturating_sub(exiting) as f64 / 1e6;
    let text = std::fs::read_to_string(&profile).expect("profile written");
    let value: serde_json::Value = serde_json::from_str(&text).expect("profile parses");
    let reach = &value["reachability"];
    let live = value["live"].as_array().map_or(0, Vec::len);
    let lost = value["live"]
        .as_array()
        .map_or(0, |l| l.iter().filter(|b| b["reachable"] == false).count());
    let scanned_mib = reach["bytes_scanned"].as_u64().unwrap_or(0) as f64 / (1024.0 * 1024.0);
    let scan_ms = reach["scan_ns"].as_u64().unwrap_or(0) as f64 / 1e6;
    println!(
        "exit scan: {live} live blocks ({lost} unreachable), {scanned_mib:.0} MiB scanned in {scan_ms:.0} ms"
    );
    println!(
        "exit: {exit_ms:.0} ms from the child's last line to its end (snapshot, scan, a {:.0} MiB \
         profile written and synced); {scan_ms:.0} ms of it the scan, {:.0} ms the rest",
        text.len() as f64 / (1024.0 * 1024.0),
        exit_ms - scan_ms,
    );
    println!("whole child run: {:.1} s", whole.as_secs_f64());
    let _ = std::fs::remove_dir_all(&dir);
}
