//! A stand-in for a server: loses three 512-byte connection buffers (1,536 bytes), keeps
//! a 2,048-byte session buffer in a thread-local of the main thread (reachable: the scan
//! must find the main thread's TLS when another thread writes the profile), says
//! `ready pid=N` on stdout, then waits to be stopped by a signal, as servers and long
//! tests are (Ctrl-C, `kill`, a closed terminal). After 60 s it gives up and returns.
//!
//! With the argument `graceful` it installs its own SIGTERM handler first: the handler
//! sets a flag, and the program says `stopping` and returns from `main` (exit code 0).
//!
//! `cargo memleak run --example server`, then Ctrl-C: the tracker writes the profile,
//! the program ends by SIGINT as it would untracked, and the report names
//! `server::accept_connections`.

use std::cell::RefCell;
use std::io::Write as _;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

#[cfg(memleak)]
#[global_allocator]
static ALLOC: memleak::TrackingAlloc = memleak::TrackingAlloc::system();

static STOP: AtomicBool = AtomicBool::new(false);

thread_local! {
    static SESSION: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
}

/// Fills the main thread's session buffer, which stays reachable through its TLS.
#[inline(never)]
fn open_session() {
    SESSION.with(|session| *session.borrow_mut() = vec![2u8; 2048]);
}

/// Forgets the buffer of each of three connections.
#[inline(never)]
fn accept_connections() {
    for _ in 0..3 {
        std::mem::forget(std::hint::black_box(vec![1u8; 512]));
    }
}

extern "C" fn on_sigterm(_signal: libc::c_int) {
    STOP.store(true, Ordering::Relaxed);
}

fn main() {
    if std::env::args().nth(1).as_deref() == Some("graceful") {
        // SAFETY: the handler only stores to an atomic, which is async-signal-safe.
        unsafe { libc::signal(libc::SIGTERM, on_sigterm as *const () as libc::sighandler_t) };
    }
    accept_connections();
    open_session();
    let mut stdout = std::io::stdout();
    let _ = writeln!(stdout, "ready pid={}", std::process::id());
    let _ = stdout.flush();
    let give_up = Instant::now() + Duration::from_secs(60);
    while !STOP.load(Ordering::Relaxed) && Instant::now() < give_up {
        std::thread::sleep(Duration::from_millis(5));
    }
    let _ = writeln!(stdout, "stopping");
}
