//! Small pieces of the text report: numbers, amounts, stack lines and source paths.

use std::path::Path;

use crate::analysis::Amount;
use crate::stack::StackEntry;

/// `function  file:line`, `function  file`, `function`, or `??  0x55d4c3a2b1f0`.
pub(crate) fn entry_line(entry: &StackEntry, cwd: Option<&Path>) -> String {
    match (&entry.file, entry.line, entry.ip) {
        (Some(file), Some(line), _) => {
            format!("{}  {}:{line}", entry.function, shorten_path(file, cwd))
        }
        (Some(file), None, _) => format!("{}  {}", entry.function, shorten_path(file, cwd)),
        (None, _, Some(ip)) => format!("{}  {ip:#x}", entry.function),
        (None, _, None) => entry.function.clone(),
    }
}

/// Shortens a source path for display (see [`Report::write_text`](crate::Report::write_text)).
pub(crate) fn shorten_path(file: &str, cwd: Option<&Path>) -> String {
    if let Some(rest) = file.strip_prefix("/rustc/")
        && let Some((_hash, tail)) = rest.split_once('/')
    {
        return tail.to_owned();
    }
    const REGISTRY: &str = "/registry/src/";
    if let Some(at) = file.find(REGISTRY)
        && let Some((_index, in_crate)) = file[at + REGISTRY.len()..].split_once('/')
    {
        return in_crate.to_owned();
    }
    if let Some(relative) = cwd.and_then(|cwd| Path::new(file).strip_prefix(cwd).ok())
        && !relative.as_os_str().is_empty()
    {
        return relative.display().to_string();
    }
    file.to_owned()
}

/// `1,234,567`.
pub(crate) fn thousands(value: u64) -> String {
    let digits = value.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (index, digit) in digits.chars().enumerate() {
        if index > 0 && (digits.len() - index).is_multiple_of(3) {
            out.push(',');
        }
        out.push(digit);
    }
    out
}

/// `1 block`, `2 blocks`, with the number styled.
pub(crate) fn plural(count: u64, word: &str, style: &Style) -> String {
    let suffix = if count == 1 { "" } else { "s" };
    format!("{} {word}{suffix}", style.number(count))
}

/// `1 more frame`, `2 more frames`.
pub(crate) fn more(count: u64, word: &str) -> String {
    let suffix = if count == 1 { "" } else { "s" };
    format!("{} more {word}{suffix}", thousands(count))
}

/// Bold numbers when colour is on.
pub(crate) struct Style {
    pub(crate) color: bool,
}

impl Style {
    pub(crate) fn number(&self, value: u64) -> String {
        if self.color {
            format!("\x1b[1m{}\x1b[0m", thousands(value))
        } else {
            thousands(value)
        }
    }

    /// `6,400 bytes in 100 blocks`.
    pub(crate) fn amount(&self, amount: Amount) -> String {
        format!(
            "{} in {}",
            plural(amount.bytes, "byte", self),
            plural(amount.blocks, "block", self)
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thousands_groups_digits() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1000), "1,000");
        assert_eq!(thousands(10_496), "10,496");
        assert_eq!(thousands(1_234_567), "1,234,567");
        assert_eq!(thousands(u64::MAX), "18,446,744,073,709,551,615");
    }

    #[test]
    fn plural_and_color() {
        assert_eq!(plural(1, "block", &Style { color: false }), "1 block");
        assert_eq!(plural(2, "block", &Style { color: false }), "2 blocks");
        assert_eq!(
            Style { color: true }.amount(Amount::new(6400, 100)),
            "\x1b[1m6,400\x1b[0m bytes in \x1b[1m100\x1b[0m blocks"
        );
    }

    #[test]
    fn paths_are_shortened() {
        let cwd = Path::new("/home/me/proj");
        assert_eq!(
            shorten_path(
                "/rustc/17067e9ac6d7e98f18d4b2e4d7c4a0b9ba2b3c9a/library/alloc/src/vec/mod.rs",
                None
            ),
            "library/alloc/src/vec/mod.rs"
        );
        assert_eq!(
            shorten_path(
                "/root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/serde_json-1.0.154/src/de.rs",
                Some(cwd)
            ),
            "serde_json-1.0.154/src/de.rs"
        );
        assert_eq!(
            shorten_path("/home/me/proj/examples/leaky.rs", Some(cwd)),
            "examples/leaky.rs"
        );
        assert_eq!(
            shorten_path("/home/me/project2/a.rs", Some(cwd)),
            "/home/me/project2/a.rs"
        );
        assert_eq!(
            shorten_path("/elsewhere/a.rs", Some(cwd)),
            "/elsewhere/a.rs"
        );
        assert_eq!(shorten_path("src/main.rs", None), "src/main.rs");
    }

    #[test]
    fn entry_lines() {
        let entry = |function: &str, file: Option<&str>, line, ip| StackEntry {
            function: function.to_owned(),
            file: file.map(str::to_owned),
            line,
            ip,
        };
        let cwd = Some(Path::new("/p"));
        assert_eq!(
            entry_line(&entry("a::b", Some("/p/src/x.rs"), Some(3), None), cwd),
            "a::b  src/x.rs:3"
        );
        assert_eq!(
            entry_line(&entry("a::b", Some("/p/src/x.rs"), None, None), cwd),
            "a::b  src/x.rs"
        );
        assert_eq!(entry_line(&entry("a::b", None, None, None), cwd), "a::b");
        assert_eq!(
            entry_line(&entry("??", None, None, Some(0x55d4_c3a2)), cwd),
            "??  0x55d4c3a2"
        );
    }
}
