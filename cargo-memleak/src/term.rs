//! All that cargo-memleak itself writes to the terminal: status lines and errors on
//! stderr, rustc's diagnostics passed on, reports on stdout, and whether each stream gets
//! colour.

use std::fmt::Display;
use std::io::{self, IsTerminal as _, Write as _};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use crate::env;

/// The two streams cargo-memleak writes to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Stream {
    Stdout,
    Stderr,
}

/// `--color`, when given: it decides before the environment.
static CHOICE: OnceLock<&'static str> = OnceLock::new();

/// Makes `--color WHEN` (`auto`, `always`, `never`) this command's choice.
pub(crate) fn choose_colour(when: Option<&'static str>) {
    if let Some(when) = when {
        let _ = CHOICE.set(when);
    }
}

/// Whether `stream` gets colour: `--color always|never` decides, else
/// `CARGO_TERM_COLOR=always|never` as for cargo, else a terminal without `NO_COLOR`.
pub(crate) fn colour(stream: Stream) -> bool {
    let from_env = || env::var(env::CARGO_TERM_COLOR).ok().flatten();
    let choice = match CHOICE.get() {
        Some(when) => Some((*when).to_owned()),
        None => from_env(),
    };
    match choice.as_deref() {
        Some("always") => true,
        Some("never") => false,
        _ => {
            env::var_os(env::NO_COLOR).is_none()
                && match stream {
                    Stream::Stdout => io::stdout().is_terminal(),
                    Stream::Stderr => io::stderr().is_terminal(),
                }
        }
    }
}

/// How long work runs before its progress line shows: quick work prints nothing.
const PROGRESS_AFTER: Duration = Duration::from_millis(500);
/// How often the progress line is redrawn.
const PROGRESS_EVERY: Duration = Duration::from_millis(100);

/// Runs `work`; meanwhile, once it has taken [`PROGRESS_AFTER`], shows `label` on stderr
/// with a spinner and the seconds elapsed, redrawn in place and cleared at the end. Only
/// on a terminal: piped or redirected, stderr gets nothing.
pub(crate) fn with_progress<T>(label: &str, work: impl FnOnce() -> T) -> T {
    if !io::stderr().is_terminal() {
        return work();
    }
    let done = AtomicBool::new(false);
    std::thread::scope(|scope| {
        let spinner = scope.spawn(|| spin(label, &done));
        let result = work();
        done.store(true, Ordering::Relaxed);
        spinner.thread().unpark();
        let _ = spinner.join();
        result
    })
}

/// The progress line's loop, until `done`.
fn spin(label: &str, done: &AtomicBool) {
    const FRAMES: [char; 4] = ['|', '/', '-', '\\'];
    let start = Instant::now();
    let mut shown = false;
    let mut frame = 0;
    while !done.load(Ordering::Relaxed) {
        let elapsed = start.elapsed();
        if elapsed >= PROGRESS_AFTER {
            let line = progress_line(FRAMES[frame % FRAMES.len()], label, elapsed);
            let _ = write!(io::stderr().lock(), "\r{line}");
            shown = true;
            frame += 1;
            std::thread::park_timeout(PROGRESS_EVERY);
        } else {
            std::thread::park_timeout(PROGRESS_AFTER - elapsed);
        }
    }
    if shown {
        // Back to the line's start and erased: what comes next starts clean.
        let _ = write!(io::stderr().lock(), "\r\x1b[2K");
    }
}

/// `| reading profile.json (1.2 s)`.
fn progress_line(frame: char, label: &str, elapsed: Duration) -> String {
    format!("{frame} {label} ({:.1} s)", elapsed.as_secs_f64())
}

/// Writes to stdout through a buffer, flushed at the end.
pub(crate) fn print_stdout(
    write: impl FnOnce(&mut dyn io::Write) -> io::Result<()>,
) -> io::Result<()> {
    let mut stdout = io::BufWriter::new(io::stdout().lock());
    write(&mut stdout)?;
    stdout.flush()
}

/// A line on stderr; a closed stderr is ignored (unlike `eprintln!`, which panics).
pub(crate) fn say(line: impl Display) {
    let _ = writeln!(io::stderr().lock(), "{line}");
}

/// Text that rustc rendered with colours, on stderr, without them when stderr gets none.
pub(crate) fn say_rendered(rendered: &str) {
    let text = if colour(Stream::Stderr) {
        rendered.to_owned()
    } else {
        strip_ansi(rendered)
    };
    let _ = io::stderr().lock().write_all(text.as_bytes());
}

/// `rendered` without its escape sequences (`ESC [ ... m`).
fn strip_ansi(rendered: &str) -> String {
    let mut out = String::with_capacity(rendered.len());
    let mut chars = rendered.chars();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            for next in chars.by_ref() {
                if next.is_ascii_alphabetic() {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn colours_are_stripped_to_plain_text() {
        let rendered = "\u{1b}[1m\u{1b}[91merror\u{1b}[0m\u{1b}[1m: the thing\u{1b}[0m\n\n";
        assert_eq!(strip_ansi(rendered), "error: the thing\n\n");
        assert_eq!(strip_ansi("plain é"), "plain é");
    }

    #[test]
    fn progress_lines_say_what_and_how_long() {
        assert_eq!(
            progress_line('/', "reading profile.json", Duration::from_millis(1240)),
            "/ reading profile.json (1.2 s)"
        );
    }

    #[test]
    fn work_returns_its_value_with_or_without_a_terminal() {
        // Under `cargo test` stderr is captured (not a terminal) or is one: either way
        // the work runs once and its value comes back.
        let mut runs = 0;
        let value = with_progress("x", || {
            runs += 1;
            41 + 1
        });
        assert_eq!((value, runs), (42, 1));
    }
}
