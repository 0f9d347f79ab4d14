//! The in-test API under libtest's parallel runner: sixteen tests run at once, half of
//! them leaking a distinct number of bytes in one block; each reads exactly its own
//! figure from `memleak::leaks`, and 0 when it leaks nothing. A driver runs the sixteen
//! 20 times more, in child processes. Then the messages of `assert_no_leaks`,
//! `limit_memory` and `assert_no_alloc`.

use std::process::Command;

#[global_allocator]
static ALLOC: memleak::TrackingAlloc = memleak::TrackingAlloc::system();

/// Set in the children of the driver, which run only the sixteen.
const CHILD: &str = "MEMLEAK_SCOPES_CHILD";

/// Churns through allocations others might mistake for its own, then forgets one block of
/// `bytes` bytes.
#[inline(never)]
fn churn_then_leak(bytes: usize) {
    for round in 0..200 {
        let scratch: Vec<u64> = (0..round % 50).collect();
        std::hint::black_box(&scratch);
        let text = format!("round {round}");
        std::hint::black_box(text);
    }
    if bytes > 0 {
        std::mem::forget(std::hint::black_box(vec![7u8; bytes]));
    }
}

/// The figures of one test: `bytes` leaked in one block (none for 0), at
/// `churn_then_leak`.
fn check(bytes: usize) {
    let found = memleak::leaks(|| churn_then_leak(bytes));
    let expected = if bytes == 0 {
        (0, 0)
    } else {
        (bytes as u64, 1)
    };
    assert_eq!((found.bytes(), found.blocks()), expected, "{found}");
    if bytes > 0 {
        let frames = found.sites()[0].user_frames();
        assert!(
            frames[0].function.ends_with("churn_then_leak"),
            "{frames:#?}"
        );
    }
}

mod parallel {
    use super::check;

    #[test]
    fn leaks_1000() {
        check(1000);
    }
    #[test]
    fn leaks_1037() {
        check(1037);
    }
    #[test]
    fn leaks_2048() {
        check(2048);
    }
    #[test]
    fn leaks_3000() {
        check(3000);
    }
    #[test]
    fn leaks_4099() {
        check(4099);
    }
    #[test]
    fn leaks_5120() {
        check(5120);
    }
    #[test]
    fn leaks_65536() {
        check(65536);
    }
    #[test]
    fn leaks_777() {
        check(777);
    }
    #[test]
    fn clean_1() {
        check(0);
    }
    #[test]
    fn clean_2() {
        check(0);
    }
    #[test]
    fn clean_3() {
        check(0);
    }
    #[test]
    fn clean_4() {
        check(0);
    }
    #[test]
    fn clean_5() {
        check(0);
    }
    #[test]
    fn clean_6() {
        check(0);
    }
    #[test]
    fn clean_7() {
        check(0);
    }
    #[test]
    fn clean_8() {
        check(0);
    }
}

#[test]
fn the_sixteen_are_exact_over_twenty_more_parallel_runs() {
    if std::env::var_os(CHILD).is_some() {
        return;
    }
    let exe = std::env::current_exe().expect("the test binary");
    for run in 1..=20 {
        let output = Command::new(&exe)
            .args(["parallel::", "--test-threads", "16"])
            .env(CHILD, "1")
            .output()
            .expect("the test binary runs");
        let stdout = String::from_utf8_lossy(&output.stdout);
        assert!(
            output.status.success() && stdout.contains("test result: ok. 16 passed"),
            "run {run}:\n{stdout}\n{}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
}

/// The leaking function of `assert_no_leaks`'s example.
#[inline(never)]
fn forget_a_buffer() {
    std::mem::forget(std::hint::black_box(vec![0u8; 1500]));
}

fn panic_message(work: impl FnOnce() + std::panic::UnwindSafe) -> String {
    let payload = std::panic::catch_unwind(work).expect_err("a panic");
    payload
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| payload.downcast_ref::<&str>().map(|s| (*s).to_owned()))
        .unwrap_or_default()
}

#[test]
fn assert_no_leaks_names_the_leaking_function_its_file_and_line() {
    let message = panic_message(|| memleak::assert_no_leaks(forget_a_buffer));
    assert!(
        message.starts_with("memleak: leaked 1500 bytes in 1 block"),
        "{message}"
    );
    let line = message
        .lines()
        .find(|line| line.contains("forget_a_buffer"))
        .unwrap_or_else(|| panic!("no frame names the function:\n{message}"));
    let leaking_line = include_str!("scopes.rs")
        .lines()
        .position(|line| line.contains("vec![0u8; 1500]"))
        .expect("the leaking line")
        + 1;
    let expected = format!("tests/scopes.rs:{leaking_line}");
    assert!(line.ends_with(&expected), "{line} (expected {expected})");
    assert!(
        message.contains(".ignoring(\"crate_name::*\")"),
        "{message}"
    );
    memleak::assert_no_leaks(|| churn_then_leak(0));
}

/// `ignoring` takes out exactly the sites whose stack passes through a matching function.
#[test]
fn ignoring_takes_out_the_matching_sites_only() {
    let found = memleak::leaks(|| {
        forget_a_buffer();
        churn_then_leak(777);
    });
    assert_eq!((found.bytes(), found.blocks()), (2277, 2), "{found}");
    let rest = found.ignoring("*::forget_a_buffer");
    assert_eq!((rest.bytes(), rest.blocks()), (777, 1), "{rest}");
    assert!(
        rest.to_string()
            .contains("(not counted: 1500 bytes in 1 block ignored, at *::forget_a_buffer)"),
        "{rest}"
    );
    assert!(rest.ignoring("scopes::churn_then_*").is_empty());
}

#[test]
fn limit_memory_fails_a_mebibyte_over_and_passes_a_mebibyte_under() {
    const MIB: usize = 1 << 20;
    let limit = 4 * MIB as u64;
    let under = memleak::limit_memory(limit, || vec![1u8; 3 * MIB].len());
    assert_eq!(under, 3 * MIB);
    let message = panic_message(|| {
        memleak::limit_memory(limit, || vec![1u8; 5 * MIB].len());
    });
    assert!(
        message.contains("peaked at 5242880 bytes, 1048576 over the limit of 4194304 bytes"),
        "{message}"
    );
    assert!(
        message.contains("5242880 bytes, was allocated at:"),
        "{message}"
    );
    assert!(message.contains("tests/scopes.rs:"), "{message}");
}

#[test]
fn assert_no_alloc_catches_a_single_hidden_format() {
    let n = std::hint::black_box(42);
    let quiet = memleak::assert_no_alloc(|| n * 2);
    assert_eq!(quiet, 84);
    let message = panic_message(|| {
        memleak::assert_no_alloc(|| format!("{n}").len());
    });
    assert!(
        message.starts_with("memleak::assert_no_alloc: 1 allocation ("),
        "{message}"
    );
    assert!(message.contains("tests/scopes.rs:"), "{message}");
}

/// Returns `Pending` once, so the executor polls something else in between.
struct YieldOnce(bool);

impl std::future::Future for YieldOnce {
    type Output = ();
    fn poll(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<()> {
        if std::mem::replace(&mut self.0, true) {
            return std::task::Poll::Ready(());
        }
        cx.waker().wake_by_ref();
        std::task::Poll::Pending
    }
}

/// The future form on a one-thread executor that polls another task between the scoped
/// future's polls, as a current-thread runtime does: only the scoped future's own
/// allocations count, across its two polls.
#[test]
fn a_future_counts_its_own_polls_not_the_tasks_between_them() {
    use std::future::Future as _;
    use std::task::{Context, Poll, Waker};

    let mut scoped = std::pin::pin!(memleak::leaks_future(async {
        std::mem::forget(std::hint::black_box(vec![0u8; 300]));
        YieldOnce(false).await;
        std::mem::forget(std::hint::black_box(vec![0u8; 500]));
        String::from("dropped with the output")
    }));
    let mut other = std::pin::pin!(async {
        std::mem::forget(std::hint::black_box(vec![0u8; 7000]));
        YieldOnce(false).await;
    });
    let mut cx = Context::from_waker(Waker::noop());
    let mut other_polls = 0;
    let found = loop {
        if let Poll::Ready(found) = scoped.as_mut().poll(&mut cx) {
            break found;
        }
        other_polls += 1;
        let _ = other.as_mut().poll(&mut cx);
    };
    assert_eq!(other_polls, 1, "the other task ran between the two polls");
    assert_eq!((found.bytes(), found.blocks()), (800, 2), "{found}");
    assert_eq!(found.sites().len(), 2, "{found}");
}

/// `HeapStats`: the thread's own figures move by exactly what it allocates, however many
/// other tests allocate meanwhile; the process's by at least as much.
#[test]
fn heap_stats_count_this_thread_exactly_and_the_process_too() {
    let before = memleak::HeapStats::get();
    let kept = std::hint::black_box(vec![1u8; 10_000]);
    let dropped = std::hint::black_box(vec![2u8; 50_000]);
    drop(dropped);
    let after = memleak::HeapStats::get();
    let thread = (
        after.thread.live_bytes - before.thread.live_bytes,
        after.thread.total_bytes - before.thread.total_bytes,
        after.thread.total_blocks - before.thread.total_blocks,
    );
    assert_eq!(thread, (10_000, 60_000, 2), "{before:?}\n{after:?}");
    assert!(after.thread.peak_bytes >= before.thread.live_bytes + 60_000);
    assert!(after.process.total_bytes >= before.process.total_bytes + 60_000);
    drop(kept);
}

/// libtest captures a test's output in a buffer that a `println!` grows: the standard
/// library's, not the test's leak. A leak beside it is still exact.
#[test]
fn printing_inside_a_scope_is_not_a_leak() {
    let found = memleak::leaks(|| {
        for line in 0..200 {
            println!("line {line}: {}", "x".repeat(60));
            eprintln!("line {line}");
        }
        forget_a_buffer();
    });
    assert_eq!((found.bytes(), found.blocks()), (1500, 1), "{found}");
}
