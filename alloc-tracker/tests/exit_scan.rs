//! The exit scan reads every live block while other threads keep allocating and freeing
//! large blocks (which glibc returns to the OS with `munmap`): the freeze must keep each
//! scanned block allocated, so the program exits normally, and the scan still tells the
//! forgotten block from the ones held by statics and by a running thread.

mod common;

use std::process::Command;
use std::sync::Mutex;

#[global_allocator]
static ALLOC: memleak::TrackingAlloc = memleak::TrackingAlloc::system();

const CHILD: &str = "ALLOC_TRACKER_EXIT_SCAN_CHILD";
/// Above glibc's mmap threshold: freed blocks are unmapped at once.
const BIG: usize = 256 * 1024;

static HELD: Mutex<Vec<Vec<u8>>> = Mutex::new(Vec::new());

#[inline(never)]
fn forget_one() {
    std::mem::forget(std::hint::black_box(vec![1u8; 777]));
}

#[inline(never)]
fn hold_in_static() {
    HELD.lock().unwrap().push(vec![2u8; 555]);
}

#[inline(never)]
fn churn_big_blocks() -> ! {
    let mut ring: Vec<Vec<u8>> = Vec::new();
    loop {
        ring.push(std::hint::black_box(vec![3u8; BIG]));
        if ring.len() > 8 {
            ring.remove(0);
        }
    }
}

fn child_main() -> ! {
    forget_one();
    hold_in_static();
    for _ in 0..3 {
        std::thread::spawn(|| churn_big_blocks());
    }
    std::thread::sleep(std::time::Duration::from_millis(50));
    std::process::exit(0);
}

#[test]
fn exit_scan_survives_threads_freeing_big_blocks() {
    if std::env::var_os(CHILD).is_some() {
        child_main();
    }
    let dir = tempfile::tempdir().expect("tempdir");
    for round in 0..3 {
        let path = dir.path().join(format!("profile-{round}.json"));
        let output = Command::new(std::env::current_exe().expect("test exe"))
            .args([
                "--exact",
                "exit_scan_survives_threads_freeing_big_blocks",
                "--nocapture",
            ])
            .env(CHILD, "1")
            .env("MEMLEAK_OUT", &path)
            // A fixed threshold: glibc otherwise raises it after the first free, and
            // the big blocks would stop being unmapped.
            .env("GLIBC_TUNABLES", "glibc.malloc.mmap_threshold=131072")
            .output()
            .expect("child runs");
        assert_eq!(output.status.code(), Some(0), "round {round}: {output:?}");
        let profile = common::load(&path);
        assert_eq!(profile["reachability"]["scanned"], true);
        let live = profile["live"].as_array().expect("live");
        let sites = profile["sites"].as_array().expect("sites");
        let kind_of = |function: &str| -> Vec<bool> {
            live.iter()
                .filter(|block| {
                    let site = sites
                        .iter()
                        .find(|s| s["id"] == block["site"])
                        .expect("site");
                    common::site_functions(&profile, site)
                        .iter()
                        .any(|f| f.ends_with(function))
                })
                .map(|block| block["reachable"].as_bool().expect("reachable"))
                .collect()
        };
        assert_eq!(
            kind_of("exit_scan::forget_one"),
            vec![false],
            "round {round}"
        );
        // The 555-byte buffer and the static vector's own buffer.
        assert_eq!(
            kind_of("exit_scan::hold_in_static"),
            vec![true, true],
            "round {round}"
        );
        // The churning threads' own blocks are not checked: one held only in a register
        // of a thread that runs on at exit cannot be seen without stopping the thread.
    }
}
