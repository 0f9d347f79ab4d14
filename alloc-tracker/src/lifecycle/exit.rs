//! Writing profiles: at process exit through an `atexit` hook (so `std::process::exit`
//! loses nothing, unlike a destructor), and on request through [`crate::write_profile`].
//! Files are written atomically: a temporary file beside the target, then a rename.

use std::fs;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering::Relaxed};

use parking_lot::Mutex;

use crate::error::Error;
use crate::hot::guard::{self, Entry};
use crate::hot::{sampling, shard, site, state, stats, thread};
use crate::lifecycle::timeline::{self, Sample, SampleKind};
use crate::lifecycle::{fork, reach, runtime_caches, sampler};
use crate::output::profile_json::{self, Snapshot};
use crate::{config, os};

static HOOK_INSTALLED: AtomicBool = AtomicBool::new(false);

/// The `reason` of the profile written at exit.
const EXIT: &str = "exit";
/// The `reason` of the profile written when a signal ends the process.
const SIGNAL: &str = "signal";
/// The `reason` of a snapshot taken on the snapshot signal.
const SNAPSHOT: &str = "snapshot";

/// Installs the exit hook, once; returns whether this call installed it. Does not
/// allocate through the tracker.
pub(crate) fn install_exit_hook() -> bool {
    if HOOK_INSTALLED.swap(true, Relaxed) {
        return false;
    }
    // Keep the marker that tells `cargo memleak` this binary carries the tracker.
    std::hint::black_box(&crate::MARKER);
    crate::os::register_exit_hook(at_exit);
    true
}

extern "C" fn at_exit() {
    write_final_profile(FinalReason::Exit);
}

/// Why the final profile is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum FinalReason {
    /// The exit hook: the process is exiting.
    Exit,
    /// A signal would end the process (`lifecycle::signals`, on the tracker's thread).
    Signal,
}

impl FinalReason {
    /// The profile's `reason`.
    fn name(self) -> &'static str {
        match self {
            Self::Exit => EXIT,
            Self::Signal => SIGNAL,
        }
    }
}

/// Whether the final profile was written (or given up), and the lock that makes the exit
/// hook and the signal writer take their turns: the second waits for the first and then
/// writes nothing.
static FINAL_WRITTEN: Mutex<bool> = Mutex::new(false);

/// Writes the profile of the whole run to `MEMLEAK_OUT`, with the exit scan, once per
/// process; a second call (the exit hook while the signal writer writes, say) waits for
/// the first to finish.
pub(crate) fn write_final_profile(reason: FinalReason) {
    // A forked child may find the tables locked by threads it does not have.
    if fork::in_child() {
        return;
    }
    // The exit sample is the timeline's last.
    sampler::stop();
    // Read first, before these frames hide them on the stack.
    let registers = os::frames::callee_saved_registers();
    let stack_marker = 0u8;
    let stack_pointer = std::hint::black_box(std::ptr::from_ref(&stack_marker) as usize);
    // Exit while this thread is inside the tracker cannot happen through Rust code;
    // if it did, writing now could deadlock on a table lock this thread holds.
    let Entry::Entered(_guard) = guard::enter() else {
        return;
    };
    let mut written = FINAL_WRITTEN.lock();
    if std::mem::replace(&mut *written, true) {
        return;
    }
    // A peak the sampler was woken for but had not sampled yet.
    sampler::take_pending_peak(sampler::interval_ms() != 0);
    // The signal writer is no thread of the program: every program thread is scanned as
    // a running one.
    let own_stack = (reason == FinalReason::Exit).then_some((stack_pointer, &registers[..]));
    let outcome = std::panic::catch_unwind(|| {
        let path = config::out_path()?;
        Some(scan_and_write(&path, reason, own_stack).err())
    });
    state::stop();
    let problems = [
        sampling::setting_was_invalid().then_some(
            "memleak: MEMLEAK_SAMPLE_BYTES is not a byte count (such as 524288 or 512k); \
             every allocation was recorded",
        ),
        snapshot_problem(),
    ];
    for problem in problems.into_iter().flatten() {
        let _ = writeln!(std::io::stderr(), "{problem}");
    }
    let message = match outcome {
        Ok(Some(Some(error))) => error.to_string(),
        Ok(_) => return,
        Err(_) => {
            "memleak: internal error while writing the profile; no profile written".to_owned()
        }
    };
    // Never panic at exit: a closed stderr just loses the message.
    let _ = writeln!(std::io::stderr(), "{message}");
}

fn snapshot_problem() -> Option<&'static str> {
    #[cfg(unix)]
    return crate::lifecycle::signals::snapshot_problem();
    #[cfg(not(unix))]
    None
}

/// The final snapshot, its scan and the write. `own_stack` is the calling thread's stack
/// pointer and registers when it is a thread of the program.
fn scan_and_write(
    path: &Path,
    reason: FinalReason,
    own_stack: Option<(usize, &[usize])>,
) -> Result<(), Error> {
    // Roots are found before the freeze: a thread frozen in a free inside its own
    // dl_iterate_phdr callback (the unwinder's, say) would hold the loader's lock.
    // Under sampling a recorded block held only by unrecorded ones would look
    // lost: no scan, every block stays "live at exit".
    let scan = os::REACHABILITY_SUPPORTED && sampling::mean_bytes() == 0;
    // So is the symbolizer's code, for the same reason.
    let roots = scan.then(|| (exit_roots(own_stack), runtime_caches::symbolizer_code()));
    let frozen = state::freeze();
    let mut snapshot = take_snapshot(reason.name());
    if frozen && let Some((roots, code)) = roots {
        let opaque = runtime_caches::symbolizer_blocks(&code, &snapshot.live, &snapshot.sites);
        snapshot.reachability = Some(reach::scan(&snapshot.live, &roots, &opaque));
    }
    // Frees that waited for the scan go on; nothing is recorded any more.
    state::stop();
    write_snapshot(path, &snapshot)
}

/// The scan's roots at exit: this thread's stack from its stack pointer, with its
/// registers, when it is a thread of the program; every other thread's stack mapping and
/// registers.
fn exit_roots(own_stack: Option<(usize, &[usize])>) -> reach::Roots {
    let kernel_id = os::kernel_thread_id();
    // Registering the signal writer would make it a thread of the program.
    let current_id = own_stack.map(|_| thread::current().id);
    let threads: Vec<_> = thread::all_threads()
        .into_iter()
        .map(|t| {
            if Some(t.id) == current_id {
                thread::ThreadInfo { kernel_id, ..t }
            } else {
                t
            }
        })
        .collect();
    let (stack_pointer, own_registers) = own_stack.unwrap_or((usize::MAX, &[]));
    let others: Vec<u32> = threads
        .iter()
        .map(|t| t.kernel_id)
        .filter(|&id| id != kernel_id)
        .collect();
    reach::find_roots(
        stack_pointer,
        own_registers,
        kernel_id,
        &threads,
        &os::thread_registers(&others),
        state::mode() == memleak_format::MODE_PRELOAD,
    )
}

/// Writes a profile of the current state to `path` (from the API).
pub(crate) fn write_on_request(path: &Path) -> Result<(), Error> {
    if fork::in_child() {
        return Err(Error::forked_child());
    }
    let Entry::Entered(_guard) = guard::enter() else {
        return Err(Error::reentrant());
    };
    sampler::take_pending_peak(sampler::interval_ms() != 0);
    write_snapshot(path, &take_snapshot("request"))
}

/// Writes a snapshot to `path` (on the snapshot signal). Must run with the guard held.
pub(crate) fn write_snapshot_now(path: &Path) -> Result<(), Error> {
    sampler::take_pending_peak(sampler::interval_ms() != 0);
    write_snapshot(path, &take_snapshot(SNAPSHOT))
}

/// Writes atomically. Must run with the guard held.
fn write_snapshot(path: &Path, snapshot: &Snapshot) -> Result<(), Error> {
    let temporary = temporary_path(path);
    let result = write_file(&temporary, snapshot).and_then(|()| fs::rename(&temporary, path));
    if let Err(source) = result {
        let _ = fs::remove_file(&temporary);
        return Err(Error::io(path.to_owned(), source));
    }
    Ok(())
}

/// Live blocks first, then sites: every site a block names is then in the list. Blocks
/// are sorted by address (the scan's lookups need it). At exit, the snapshot's figures
/// are also the timeline's last sample.
pub(crate) fn take_snapshot(reason: &'static str) -> Snapshot {
    // First, before the snapshot's own buffers grow the process; the tracker's own
    // share is read with it, so that the two can be compared.
    let footprint = os::sample_footprint();
    let overhead_bytes = stats::overhead_live_bytes();
    let mut live = shard::snapshot();
    live.sort_unstable_by_key(|&(address, _)| address);
    let sites = site::all_sites();
    let stats = stats::collect(&sites);
    // The full-resolution clock, as the sampler's checkpoints: the hot path's coarse one
    // (4 ms steps) read 0 for a whole short run, and could put the exit sample before
    // the last checkpoint.
    let elapsed_ns = state::elapsed_precise_ns();
    let exit = (reason == EXIT || reason == SIGNAL).then(|| Sample {
        t_ns: elapsed_ns,
        kind: SampleKind::Exit,
        live_bytes: stats.live_bytes,
        live_blocks: stats.live_blocks,
        overhead_bytes,
        footprint: footprint.clone(),
    });
    Snapshot {
        reason,
        mode: state::mode(),
        elapsed_ns,
        stats,
        threads: thread::all_threads(),
        sites,
        live,
        reachability: None,
        footprint,
        overhead_bytes,
        timeline: timeline::snapshot(sampler::interval_ms(), exit),
        modules: os::loaded_modules(),
    }
}

fn write_file(path: &Path, snapshot: &Snapshot) -> std::io::Result<()> {
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        fs::create_dir_all(parent)?;
    }
    let mut out = BufWriter::new(fs::File::create(path)?);
    profile_json::write_profile(&mut out, snapshot)?;
    out.into_inner()
        .map_err(std::io::IntoInnerError::into_error)?
        .sync_all()
}

fn temporary_path(path: &Path) -> PathBuf {
    let mut name = path.file_name().unwrap_or_default().to_owned();
    name.push(format!(".tmp-{}", std::process::id()));
    path.with_file_name(name)
}
