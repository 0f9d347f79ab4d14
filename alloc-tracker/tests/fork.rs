//! `fork` while other threads allocate: the child must be able to allocate (no tracker
//! lock left held by a thread that does not exist in the child), exactly as it can
//! untracked.

use std::sync::atomic::{AtomicBool, Ordering::Relaxed};
use std::time::{Duration, Instant};

#[global_allocator]
static ALLOC: memleak::TrackingAlloc = memleak::TrackingAlloc::system();

static STOP: AtomicBool = AtomicBool::new(false);

#[inline(never)]
fn churn() {
    let mut kept = Vec::new();
    while !STOP.load(Relaxed) {
        // New sites and new blocks all the time: every tracker lock is busy.
        for depth in 0..16 {
            kept.push(std::hint::black_box(vec![depth as u8; 8 + depth * 8]));
        }
        kept.clear();
    }
}

/// Waits for `pid`; `None` if it has not exited within `limit` (it is then killed).
fn wait_with_limit(pid: libc::pid_t, limit: Duration) -> Option<i32> {
    let start = Instant::now();
    loop {
        let mut status = 0;
        // SAFETY: `pid` is our child; `status` is a valid out-pointer.
        let done = unsafe { libc::waitpid(pid, &raw mut status, libc::WNOHANG) };
        if done == pid {
            return Some(status);
        }
        if start.elapsed() > limit {
            // SAFETY: killing and reaping our own child.
            unsafe {
                libc::kill(pid, libc::SIGKILL);
                libc::waitpid(pid, &raw mut status, 0);
            }
            return None;
        }
        std::thread::sleep(Duration::from_millis(1));
    }
}

#[test]
fn children_forked_while_threads_allocate_can_allocate() {
    memleak::start();
    let workers: Vec<_> = (0..3).map(|_| std::thread::spawn(churn)).collect();
    std::thread::sleep(Duration::from_millis(20));
    for round in 0..300 {
        // SAFETY: the child only allocates, frees and calls `_exit`.
        let pid = unsafe { libc::fork() };
        assert!(pid >= 0, "fork failed");
        if pid == 0 {
            let text = std::hint::black_box(format!("child {round}"));
            let blocks: Vec<Vec<u8>> = (0..64).map(|n| vec![n as u8; n * 4]).collect();
            let code = i32::from(text.is_empty() || blocks.len() != 64);
            // SAFETY: ends the child without running the parent's exit handlers.
            unsafe { libc::_exit(code) };
        }
        let status = wait_with_limit(pid, Duration::from_secs(10));
        assert!(status.is_some(), "child of round {round} deadlocked");
        let status = status.unwrap();
        assert!(
            libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0,
            "child of round {round}: status {status}"
        );
    }
    STOP.store(true, Relaxed);
    for worker in workers {
        worker.join().expect("worker");
    }
}
