//! Programs stopped by a signal, as servers and long tests are: the `server` example
//! loses 1,536 bytes in 3 blocks at `server::accept_connections`, says `ready pid=N`,
//! and waits. The tracker writes its profile when the signal comes, then the program
//! ends as it would untracked; `cargo memleak` outlives the terminal's Ctrl-C and
//! reports.

use std::io::{BufRead as _, BufReader, Read as _};
use std::os::unix::process::CommandExt as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Mutex;
use std::sync::mpsc::{self, Receiver};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crate::preload::preload_target_dir;
use crate::{Output, code, functions, json_file, out_dir, scrub};

/// The in-process runs of `server` write the same directory: one at a time.
static SERVER: Mutex<()> = Mutex::new(());

/// A `cargo memleak run --example server` under way, in its own process group.
struct Running {
    args: Vec<String>,
    child: Child,
    /// The program's pid, from its `ready` line.
    pid: i32,
    stdout: JoinHandle<String>,
    stderr: JoinHandle<String>,
}

/// Starts `cargo memleak run --example server ARGS`, waits for the program's `ready`
/// line (the build comes first: minutes on a cold cache).
fn start_server(args: &[&str], env: &[(&str, &str)]) -> Running {
    let mut all = vec!["run", "--example", "server"];
    all.extend_from_slice(args);
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| env!("CARGO").into());
    let mut command = Command::new(cargo);
    command
        .arg("memleak")
        .args(&all)
        .current_dir(crate::workspace_root());
    scrub(&mut command);
    command.envs(env.iter().copied());
    command
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0);
    let mut child = command.spawn().expect("failed to run cargo");
    let (lines_tx, lines) = mpsc::channel();
    let out = child.stdout.take().expect("piped stdout");
    let stdout = std::thread::spawn(move || {
        let mut text = String::new();
        for line in BufReader::new(out).lines().map_while(Result::ok) {
            let _ = lines_tx.send(line.clone());
            text.push_str(&line);
            text.push('\n');
        }
        text
    });
    let mut err = child.stderr.take().expect("piped stderr");
    let stderr = std::thread::spawn(move || {
        let mut text = String::new();
        let _ = err.read_to_string(&mut text);
        text
    });
    let mut running = Running {
        args: all.iter().map(|&a| a.to_owned()).collect(),
        child,
        pid: 0,
        stdout,
        stderr,
    };
    match wait_for_ready(&lines) {
        Some(pid) => running.pid = pid,
        None => {
            let _ = running.child.kill();
            panic!("the program never said `ready`\n{:?}", running.finish());
        }
    }
    running
}

/// The program's pid from its `ready` line; `None` when cargo memleak ended first.
fn wait_for_ready(lines: &Receiver<String>) -> Option<i32> {
    let deadline = Instant::now() + Duration::from_secs(900);
    while let Some(left) = deadline.checked_duration_since(Instant::now()) {
        let line = lines.recv_timeout(left).ok()?;
        if let Some(pid) = line.strip_prefix("ready pid=") {
            // Into its wait loop, where a server is when it is stopped. A signal that
            // lands in the instructions right after the leak can find a lost address
            // still in a scratch register, which the scan counts, as LeakSanitizer's
            // would (README, limitations).
            std::thread::sleep(Duration::from_millis(200));
            return pid.trim().parse().ok();
        }
    }
    None
}

impl Running {
    /// Sends `signal` to the program alone.
    fn signal_program(&self, signal: libc::c_int) {
        // SAFETY: kill only sends a signal, to a process this test started.
        assert_eq!(unsafe { libc::kill(self.pid, signal) }, 0);
    }

    /// Sends `signal` to the whole process group, as a terminal sends Ctrl-C.
    fn signal_group(&self, signal: libc::c_int) {
        let group = i32::try_from(self.child.id()).expect("a pid");
        // SAFETY: kill only sends a signal, to the group this test made.
        assert_eq!(unsafe { libc::kill(-group, signal) }, 0);
    }

    fn finish(mut self) -> Output {
        let status = self.child.wait().expect("cargo memleak ran");
        Output {
            args: self.args,
            code: status.code(),
            stdout: self.stdout.join().expect("stdout reader"),
            stderr: self.stderr.join().expect("stderr reader"),
        }
    }
}

/// Leaves files of an imaginary earlier run in `dir`, which the next run must remove.
fn leave_stale_files(dir: &Path) -> Vec<PathBuf> {
    std::fs::create_dir_all(dir).expect("the output directory");
    let stale: Vec<PathBuf> = ["indirect.svg", "profile.snapshot-9.json", "error.txt"]
        .iter()
        .map(|name| dir.join(name))
        .collect();
    for path in &stale {
        std::fs::write(path, "stale").expect("a stale file");
    }
    stale
}

/// The server's leak, as the report has it: one definite site at
/// `accept_connections`, 1,536 bytes in 3 blocks.
fn assert_the_leak(report: &serde_json::Value, output: &Output) {
    assert_eq!(report["summary"]["definite"]["bytes"], 1536, "{output:?}");
    assert_eq!(report["summary"]["definite"]["blocks"], 3, "{output:?}");
    let sites: Vec<_> = report["sites"]
        .as_array()
        .expect("sites")
        .iter()
        .filter(|s| s["kind"] == "definite")
        .collect();
    assert_eq!(sites.len(), 1, "{sites:#?}");
    assert!(
        functions(sites[0])
            .iter()
            .any(|f| f.ends_with("server::accept_connections")),
        "{:#?}",
        sites[0]
    );
}

/// What a run stopped by `signal` must leave: exit code TARGET_FAILED, the report's
/// first line with `header`, the leak, the signal in report.json, a profile written for
/// the signal, and none of the `stale` files.
fn assert_stopped_by(output: &Output, dir: &Path, stale: &[PathBuf], header: &str, signal: i32) {
    output.assert_code(code::TARGET_FAILED);
    assert!(
        output
            .stdout
            .contains(&format!("memleak report for server ({header})\n")),
        "{output:?}"
    );
    let report = json_file(&dir.join("report.json"), output);
    assert_eq!(report["program"]["exit_signal"], signal, "{output:?}");
    assert_eq!(report["program"]["exit_code"], serde_json::Value::Null);
    assert_the_leak(&report, output);
    let profile = json_file(&dir.join("profile.json"), output);
    assert_eq!(profile["reason"], "signal");
    for path in stale {
        assert!(!path.exists(), "{} stayed\n{output:?}", path.display());
    }
}

#[test]
fn ctrl_c_to_the_process_group_reports_the_leak_and_the_programs_own_status() {
    let _one_at_a_time = SERVER
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let dir = out_dir("server");
    let stale = leave_stale_files(&dir);
    let running = start_server(&[], &[]);
    running.signal_group(libc::SIGINT);
    let output = running.finish();
    let header = "killed by signal 2 (SIGINT), in-process, debug build";
    assert_stopped_by(&output, &dir, &stale, header, 2);
    assert!(
        output
            .stderr
            .contains("error: the program was killed by signal 2 (SIGINT)"),
        "{output:?}"
    );
}

/// Under the interposer too, where the handlers come from the library's constructor.
#[test]
fn sigterm_to_the_program_alone_reports_the_leak_under_the_interposer() {
    let target_dir = preload_target_dir();
    let dir = target_dir.join("memleak").join("server");
    let stale = leave_stale_files(&dir);
    let target_dir = target_dir.to_str().expect("a UTF-8 path");
    let running = start_server(&["--mode", "preload", "--target-dir", target_dir], &[]);
    running.signal_program(libc::SIGTERM);
    let output = running.finish();
    let header = "killed by signal 15 (SIGTERM), preload, debug build";
    assert_stopped_by(&output, &dir, &stale, header, 15);
}

/// A program's own SIGTERM handler still runs (the program returns from `main`, exit
/// code 0), and `MEMLEAK_SNAPSHOT_SIGNAL` writes a snapshot without stopping it.
#[test]
fn the_programs_own_handler_runs_and_the_snapshot_signal_leaves_it_running() {
    let _one_at_a_time = SERVER
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let dir = out_dir("server");
    let running = start_server(
        &["--", "graceful"],
        &[("MEMLEAK_SNAPSHOT_SIGNAL", "SIGUSR2")],
    );
    running.signal_program(libc::SIGUSR2);
    let snapshot = dir.join("profile.snapshot-1.json");
    let deadline = Instant::now() + Duration::from_secs(30);
    while !snapshot.exists() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    running.signal_program(libc::SIGTERM);
    let output = running.finish();
    output.assert_code(code::LEAKS_FOUND);
    assert!(output.stdout.contains("\nstopping\n"), "{output:?}");
    assert!(
        output
            .stdout
            .contains("memleak report for server (exit code 0, in-process, debug build)\n"),
        "{output:?}"
    );
    let snapshot = json_file(&snapshot, &output);
    assert_eq!(snapshot["reason"], "snapshot", "{output:?}");
    let live = snapshot["totals"]["live_bytes"]
        .as_u64()
        .expect("live bytes");
    assert!(live >= 1536, "{live}\n{output:?}");
    assert_eq!(
        json_file(&dir.join("profile.json"), &output)["reason"],
        "exit"
    );
    assert_the_leak(&json_file(&dir.join("report.json"), &output), &output);
}
