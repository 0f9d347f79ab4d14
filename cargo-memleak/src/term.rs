//! All that cargo-memleak itself writes to the terminal: status lines and errors on
//! stderr, rustc's diagnostics passed on, reports on stdout, and whether each stream gets
//! colour.

use std::fmt::Display;
use std::io::{self, IsTerminal as _, Write as _};

use crate::env;

/// The two streams cargo-memleak writes to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Stream {
    Stdout,
    Stderr,
}

/// Whether `stream` gets colour: `CARGO_TERM_COLOR=always|never` decides, as for cargo,
/// else a terminal without `NO_COLOR`.
pub(crate) fn colour(stream: Stream) -> bool {
    match env::var(env::CARGO_TERM_COLOR).ok().flatten().as_deref() {
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
}
