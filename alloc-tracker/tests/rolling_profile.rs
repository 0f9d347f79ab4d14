//! The rolling profile: a child in the sampled mode (`MEMLEAK_SAMPLE_BYTES`, as a service
//! in production) with `MEMLEAK_SNAPSHOT_INTERVAL=100ms` grows a cache of 64 KiB blocks
//! for about 600 ms. It reads `profile.rolling.json` twice while it runs: the file is
//! there, is a whole snapshot profile, and is replaced as the cache grows. After exit it
//! stays beside the exit profile, and the exit profile is unchanged by it.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Mutex;
use std::time::{Duration, Instant};

#[global_allocator]
static ALLOC: memleak::TrackingAlloc = memleak::TrackingAlloc::system();

const CHILD: &str = "ALLOC_TRACKER_ROLLING_CHILD";
const BLOCK: usize = 64 * 1024;

static CACHE: Mutex<Vec<Vec<u8>>> = Mutex::new(Vec::new());

#[inline(never)]
fn grow_cache() {
    let block = std::hint::black_box(vec![7u8; BLOCK]);
    CACHE.lock().unwrap().push(block);
}

/// The live bytes of the sites whose stack holds `grow_cache`.
fn cache_bytes(profile: &leak_report::Profile) -> u64 {
    let frames = profile.frames();
    profile
        .sites()
        .iter()
        .filter(|site| {
            site.frames.iter().any(|&frame| {
                usize::try_from(frame)
                    .ok()
                    .and_then(|frame| frames.get(frame))
                    .is_some_and(|frame| {
                        frame.symbols.iter().any(|symbol| {
                            symbol
                                .function
                                .as_deref()
                                .is_some_and(|f| f.ends_with("grow_cache"))
                        })
                    })
            })
        })
        .map(|site| site.live_bytes)
        .sum()
}

/// The cache's live bytes in the rolling profile as it is now, waiting (up to 10 s)
/// until one with more than `after` has been written. Read once per look: the file is
/// replaced, never rewritten in place, so each read is one whole profile.
fn cache_bytes_after(path: &Path, after: u64) -> u64 {
    let start = Instant::now();
    loop {
        if path.exists() {
            let profile = leak_report::load_profile(path).expect("a whole profile");
            assert_eq!(profile.reason(), Some("snapshot"));
            let bytes = cache_bytes(&profile);
            if bytes > after {
                return bytes;
            }
        }
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "no rolling profile past {after} bytes at {}",
            path.display()
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn child_main(rolling: &Path) -> ! {
    let start = Instant::now();
    let mut first = None;
    let mut grown = 0;
    // At least 100 blocks, however slow the machine.
    while start.elapsed() < Duration::from_millis(600) || grown < 100 {
        grow_cache();
        grown += 1;
        std::thread::sleep(Duration::from_millis(5));
        if first.is_none() && start.elapsed() > Duration::from_millis(250) {
            first = Some(cache_bytes_after(rolling, 0));
        }
    }
    let first = first.expect("read at 250 ms");
    let second = cache_bytes_after(rolling, first);
    println!("rolling: {first} then {second}");
    std::process::exit(0);
}

#[test]
fn a_rolling_profile_is_replaced_while_the_program_runs() {
    if let Some(rolling) = std::env::var_os(CHILD) {
        child_main(&PathBuf::from(rolling));
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let profile = dir.path().join("profile.json");
    let rolling = dir.path().join("profile.rolling.json");
    let output = Command::new(std::env::current_exe().expect("test exe"))
        .args([
            "--exact",
            "a_rolling_profile_is_replaced_while_the_program_runs",
        ])
        .args(["--nocapture"])
        .env(CHILD, &rolling)
        .env("MEMLEAK_OUT", &profile)
        .env("MEMLEAK_SAMPLE_BYTES", "4096")
        .env("MEMLEAK_INTERVAL_MS", "20")
        .env("MEMLEAK_SNAPSHOT_INTERVAL", "100ms")
        .output()
        .expect("child runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(0), "{output:?}");
    let line = stdout
        .lines()
        .find(|line| line.starts_with("rolling: "))
        .unwrap_or_else(|| panic!("{output:?}"));
    let numbers: Vec<u64> = line
        .split(' ')
        .filter_map(|word| word.parse().ok())
        .collect();
    assert!(numbers[0] > 0 && numbers[1] > numbers[0], "{line}");
    // Both files remain, the exit profile whole and with the most.
    let exit = leak_report::load_profile(&profile).unwrap();
    assert_eq!(exit.reason(), Some("exit"));
    let last = leak_report::load_profile(&rolling).unwrap();
    let at_exit = cache_bytes(&exit);
    assert!(at_exit >= cache_bytes(&last), "{at_exit}");
    // Sampled, the figures are estimates; a 64 KiB block at a 4 KiB mean is recorded
    // all but always (the cache's own growing buffer, also allocated in `grow_cache`, is
    // estimated), and the child grew at least 100 of them.
    assert!(at_exit >= 100 * BLOCK as u64 / 2, "{at_exit}");
    assert!(
        !std::fs::read_dir(dir.path()).unwrap().any(|entry| entry
            .unwrap()
            .file_name()
            .to_string_lossy()
            .contains(".tmp")),
        "a temporary file left"
    );
}
