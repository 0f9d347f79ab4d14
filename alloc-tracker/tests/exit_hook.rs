//! The profile is written at exit even through `std::process::exit`, the program's exit
//! code is kept, and an unwritable output path costs a message, not the program.

mod common;

use std::process::Command;

#[global_allocator]
static ALLOC: memleak::TrackingAlloc = memleak::TrackingAlloc::system();

const CHILD: &str = "ALLOC_TRACKER_EXIT_HOOK_CHILD";

#[inline(never)]
fn forget_block() {
    std::mem::forget(std::hint::black_box(vec![9u8; 333]));
}

fn child_main() -> ! {
    forget_block();
    println!("child done");
    std::process::exit(3);
}

fn run_child(out: &std::path::Path) -> std::process::Output {
    let exe = std::env::current_exe().expect("test exe");
    Command::new(exe)
        .args([
            "--exact",
            "exit_through_process_exit_writes_the_profile",
            "--nocapture",
        ])
        .env(CHILD, "1")
        .env("MEMLEAK_OUT", out)
        .output()
        .expect("child runs")
}

#[test]
fn exit_through_process_exit_writes_the_profile() {
    if std::env::var_os(CHILD).is_some() {
        child_main();
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let pattern = dir.path().join("profile-%p.json");
    let output = run_child(&pattern);
    assert_eq!(output.status.code(), Some(3), "{output:?}");
    assert!(String::from_utf8_lossy(&output.stdout).contains("child done"));
    let written: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(
        written.len(),
        1,
        "exactly the profile, no temporary left: {written:?}"
    );
    let name = written[0]
        .file_name()
        .unwrap()
        .to_string_lossy()
        .into_owned();
    assert!(
        name.starts_with("profile-") && !name.contains("%p"),
        "{name}"
    );
    let profile = common::load(&written[0]);
    assert_eq!(profile["reason"], "exit");
    assert_eq!(
        common::sum_for(&profile, "exit_hook::forget_block", "live_bytes"),
        333
    );
    assert_eq!(
        common::sum_for(&profile, "exit_hook::forget_block", "live_blocks"),
        1
    );

    // An output path under a regular file cannot be created: the child still exits 3.
    let blocker = dir.path().join("not-a-dir");
    std::fs::write(&blocker, b"x").unwrap();
    let output = run_child(&blocker.join("profile.json"));
    assert_eq!(output.status.code(), Some(3), "{output:?}");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("memleak: failed to write profile"),
        "{stderr}"
    );
    assert!(!stderr.contains("panicked"), "{stderr}");
}
