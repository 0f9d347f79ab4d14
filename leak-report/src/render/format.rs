//! Small pieces of the text report: numbers, amounts, stack lines and source paths.

use std::path::Path;

use crate::model::Amount;
use crate::symbols::entry::StackEntry;

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

/// Shortens a source path for display (see [`write_text`](crate::write_text)).
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

/// `0`, `512 B`, `10.8 KiB`, `3.5 MiB`, `1.2 GiB`: one decimal, rounded, the unit chosen
/// so that the number stays under 1024.
pub(crate) fn human(bytes: u64) -> String {
    match bytes {
        0 => return "0".to_owned(),
        1..1024 => return format!("{bytes} B"),
        _ => {}
    }
    let units = ["KiB", "MiB", "GiB", "TiB", "PiB", "EiB"];
    let mut divisor: u128 = 1024;
    let mut index = 0;
    loop {
        let tenths = (u128::from(bytes) * 10 + divisor / 2) / divisor;
        if tenths < 10_240 || index + 1 == units.len() {
            return format!("{}.{} {}", tenths / 10, tenths % 10, units[index]);
        }
        divisor *= 1024;
        index += 1;
    }
}

/// Seconds from nanoseconds, two decimals: `1.25 s`.
pub(crate) fn seconds(ns: u64) -> String {
    let hundredths = ns.saturating_add(5_000_000) / 10_000_000;
    format!("{}.{:02} s", hundredths / 100, hundredths % 100)
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

    /// [`human`], bold when colour is on.
    pub(crate) fn size(&self, bytes: u64) -> String {
        if self.color {
            format!("\x1b[1m{}\x1b[0m", human(bytes))
        } else {
            human(bytes)
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
    fn human_sizes_and_seconds() {
        let cases = [
            (0, "0"),
            (1, "1 B"),
            (1023, "1023 B"),
            (1024, "1.0 KiB"),
            (11_040, "10.8 KiB"),
            (1_048_524, "1023.9 KiB"),
            (1_048_575, "1.0 MiB"),
            (3_678_208, "3.5 MiB"),
            (406_138_880, "387.3 MiB"),
            (24_652_361_728, "23.0 GiB"),
            (u64::MAX, "16.0 EiB"),
        ];
        for (bytes, text) in cases {
            assert_eq!(human(bytes), text, "{bytes}");
        }
        assert_eq!(seconds(0), "0.00 s");
        assert_eq!(seconds(1_234_567_890), "1.23 s");
        assert_eq!(seconds(1_995_000_000), "2.00 s");
        assert_eq!(seconds(u64::MAX).len(), "18446744073.71 s".len());
        assert_eq!(Style { color: true }.size(2048), "\x1b[1m2.0 KiB\x1b[0m");
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
