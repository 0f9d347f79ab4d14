//! Threads started inside `memleak::leaks` and `limit_memory` count in the scope: a
//! joined thread's leak is the scope's, a thread still running at the end is not, and
//! threads other tests start (outside scopes) never are. The tests run in parallel,
//! and a driver runs them 10 times more in child processes.

use std::process::Command;
use std::sync::mpsc;
use std::thread;

#[global_allocator]
static ALLOC: memleak::TrackingAlloc = memleak::TrackingAlloc::system();

/// Set in the children of the driver, which run only the module `parallel`.
const CHILD: &str = "MEMLEAK_SCOPE_THREADS_CHILD";

#[inline(never)]
fn leak_in_thread(bytes: usize) {
    let scratch: Vec<String> = (0..100).map(|n| n.to_string()).collect();
    std::hint::black_box(scratch);
    std::mem::forget(std::hint::black_box(vec![3u8; bytes]));
}

fn assert_leaked(found: &memleak::Leaks, bytes: u64, blocks: u64, function: &str) {
    assert_eq!((found.bytes(), found.blocks()), (bytes, blocks), "{found}");
    for site in found.sites() {
        let frames = site.user_frames();
        assert!(
            frames
                .first()
                .is_some_and(|frame| frame.function.ends_with(function)),
            "{frames:#?}"
        );
    }
}

mod parallel {
    use super::*;

    #[test]
    fn a_spawned_and_joined_threads_leak_is_the_scopes() {
        let found = memleak::leaks(|| {
            thread::spawn(|| leak_in_thread(3333)).join().unwrap();
        });
        assert_leaked(&found, 3333, 1, "leak_in_thread");
    }

    #[test]
    fn scoped_threads_count_without_an_explicit_join() {
        let found = memleak::leaks(|| {
            thread::scope(|s| {
                s.spawn(|| leak_in_thread(1111));
                s.spawn(|| leak_in_thread(2222));
            });
        });
        assert_leaked(&found, 3333, 2, "leak_in_thread");
    }

    #[test]
    fn a_joined_threads_joined_thread_counts_too() {
        let found = memleak::leaks(|| {
            thread::spawn(|| {
                thread::spawn(|| leak_in_thread(4444)).join().unwrap();
            })
            .join()
            .unwrap();
        });
        assert_leaked(&found, 4444, 1, "leak_in_thread");
    }

    #[test]
    fn a_thread_still_running_at_the_end_is_not_counted() {
        let (release, wait) = mpsc::channel::<()>();
        let mut worker = None;
        let found = memleak::leaks(|| {
            worker = Some(thread::spawn(move || {
                leak_in_thread(5555);
                wait.recv().unwrap();
            }));
            // Wait until the worker has leaked, so it is not still starting.
            thread::sleep(std::time::Duration::from_millis(20));
            leak_in_thread(777);
        });
        release.send(()).unwrap();
        worker.unwrap().join().unwrap();
        // The join handle, made inside and kept, is the standard library's bookkeeping
        // of a running thread: not counted, as the report calls it `runtime`.
        assert_leaked(&found, 777, 1, "leak_in_thread");
        // The message says what the running thread held: its 5,555 bytes and the
        // standard library's few (the channel's waiting, say).
        let text = found.to_string();
        let not_counted: u64 = text
            .split_once("(not counted: ")
            .and_then(|(_, rest)| rest.split_once(' '))
            .and_then(|(bytes, _)| bytes.parse().ok())
            .unwrap_or_else(|| panic!("no \"not counted\" note in {text}"));
        assert!((5555..5555 + 1024).contains(&not_counted), "{text}");
        assert!(
            text.contains("of threads started inside and still running"),
            "{text}"
        );
    }

    #[test]
    fn threads_that_free_what_they_were_given_leak_nothing() {
        let found = memleak::leaks(|| {
            let (send, receive) = mpsc::channel::<Vec<u8>>();
            let consumer = thread::spawn(move || {
                let mut total = 0;
                for buffer in receive {
                    total += buffer.len();
                }
                total
            });
            for size in 1..200 {
                send.send(vec![1u8; size]).unwrap();
            }
            drop(send);
            assert_eq!(consumer.join().unwrap(), 199 * 200 / 2);
        });
        assert_leaked(&found, 0, 0, "");
    }

    #[test]
    fn threads_started_outside_scopes_are_never_counted() {
        for _ in 0..20 {
            let workers: Vec<_> = (0..4)
                .map(|n| thread::spawn(move || std::hint::black_box(vec![n; 4096]).len()))
                .collect();
            for worker in workers {
                assert_eq!(worker.join().unwrap(), 4096);
            }
        }
    }

    #[test]
    fn a_leak_beside_busy_threads_is_exact() {
        let found = memleak::leaks(|| {
            thread::scope(|s| {
                for _ in 0..4 {
                    s.spawn(|| {
                        for round in 0..200 {
                            std::hint::black_box(format!("round {round}"));
                        }
                    });
                }
            });
            leak_in_thread(6006);
        });
        assert_leaked(&found, 6006, 1, "leak_in_thread");
    }
}

#[test]
fn limit_memory_sees_the_peak_of_a_joined_thread() {
    const MIB: usize = 1024 * 1024;
    let over = std::panic::catch_unwind(|| {
        memleak::limit_memory(MIB as u64, || {
            thread::spawn(|| std::hint::black_box(vec![1u8; 2 * MIB]).len())
                .join()
                .unwrap()
        })
    });
    let message = over
        .expect_err("a 2 MiB peak in a joined thread is over a 1 MiB limit")
        .downcast::<String>()
        .map(|text| *text)
        .unwrap_or_default();
    assert!(message.contains("limit_memory"), "{message}");
    let under = memleak::limit_memory(3 * MIB as u64, || {
        thread::spawn(|| std::hint::black_box(vec![1u8; 2 * MIB]).len())
            .join()
            .unwrap()
    });
    assert_eq!(under, 2 * MIB);
}

#[test]
fn the_parallel_tests_are_exact_over_ten_more_runs() {
    if std::env::var_os(CHILD).is_some() {
        return;
    }
    let exe = std::env::current_exe().unwrap();
    for run in 0..10 {
        let output = Command::new(&exe)
            .args(["parallel::", "--test-threads", "16"])
            .env(CHILD, "1")
            .output()
            .unwrap();
        assert!(
            output.status.success(),
            "run {run}: {}\n{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
    }
}
