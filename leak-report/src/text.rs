//! The text report, for people: a header, the headline numbers, then the leak candidates
//! biggest first with their stacks.

use std::io;
use std::path::Path;

use crate::analysis::{Amount, Report, ReportSite};
use crate::stack::StackEntry;

/// Text rendering options.
#[derive(Debug, Clone)]
pub struct TextOptions {
    /// ANSI colour: the numbers in bold.
    pub color: bool,
    /// Sites shown; the rest are summed on one line.
    pub max_sites: usize,
    /// Frames shown per site; the rest are counted on one line.
    pub max_frames: usize,
}

impl Default for TextOptions {
    fn default() -> Self {
        Self {
            color: false,
            max_sites: 20,
            max_frames: 12,
        }
    }
}

impl Report {
    /// Text report.
    ///
    /// Source paths are shortened: relative to the current directory when under it,
    /// `/rustc/<hash>/library/...` to `library/...`, and a registry crate's
    /// `.../registry/src/<index>/name-1.2.3/...` to `name-1.2.3/...`. For the same report
    /// and current directory the output is always the same.
    ///
    /// # Errors
    /// Write errors.
    pub fn write_text(&self, out: &mut dyn io::Write, options: &TextOptions) -> io::Result<()> {
        let cwd = std::env::current_dir().ok();
        render(self, out, options, cwd.as_deref())
    }
}

/// [`Report::write_text`] with the directory paths are made relative to.
pub(crate) fn render(
    report: &Report,
    out: &mut dyn io::Write,
    options: &TextOptions,
    cwd: Option<&Path>,
) -> io::Result<()> {
    let style = Style {
        color: options.color,
    };
    let program = report.program();
    let exit = match program.exit_code {
        Some(code) => format!("exit code {code}"),
        None => "exit code not recorded".to_owned(),
    };
    writeln!(out, "memleak report for {} ({exit})", program.name())?;

    let summary = report.summary();
    let leak_sites = report.leak_sites().count();
    if report.has_leaks() {
        writeln!(
            out,
            "live at exit: {} from {}",
            style.amount(summary.live_at_exit),
            plural(leak_sites as u64, "site", &style),
        )?;
    } else {
        writeln!(
            out,
            "no leaks: nothing the program allocated was live at exit"
        )?;
    }
    if summary.runtime.blocks == 0 {
        writeln!(out, "runtime: nothing held by the Rust runtime")?;
    } else {
        writeln!(
            out,
            "runtime: {} held by the Rust runtime until exit, not leaks",
            style.amount(summary.runtime),
        )?;
    }
    writeln!(
        out,
        "allocated: {} over the run; peak live: {}",
        style.amount(summary.total_allocated),
        style.amount(summary.peak_live),
    )?;
    if report.written_on_request() {
        writeln!(
            out,
            "note: the profile was written on request, not at exit: \"live at exit\" means live \
             when it was written"
        )?;
    }
    if summary.untracked_allocs > 0 {
        writeln!(
            out,
            "note: {} went untracked; the counts may be low by that much",
            plural(summary.untracked_allocs, "allocation", &style),
        )?;
    }

    let mut hidden = Amount::default();
    let mut hidden_sites = 0_u64;
    for (rank, site) in report.leak_sites().enumerate() {
        if rank >= options.max_sites {
            hidden.bytes = hidden.bytes.saturating_add(site.bytes);
            hidden.blocks = hidden.blocks.saturating_add(site.blocks);
            hidden_sites += 1;
            continue;
        }
        writeln!(out)?;
        write_site(out, rank + 1, site, options, cwd, &style)?;
    }
    if hidden_sites > 0 {
        writeln!(out)?;
        writeln!(
            out,
            "... {}: {}",
            more(hidden_sites, "site"),
            style.amount(hidden),
        )?;
    }
    Ok(())
}

fn write_site(
    out: &mut dyn io::Write,
    rank: usize,
    site: &ReportSite,
    options: &TextOptions,
    cwd: Option<&Path>,
    style: &Style,
) -> io::Result<()> {
    writeln!(
        out,
        "#{rank}  {}",
        style.amount(Amount::new(site.bytes, site.blocks))
    )?;
    for entry in site.stack.iter().take(options.max_frames) {
        writeln!(out, "    {}", entry_line(entry, cwd))?;
    }
    let hidden = site.stack.len().saturating_sub(options.max_frames);
    if hidden > 0 {
        writeln!(out, "    ... {}", more(hidden as u64, "frame"))?;
    }
    Ok(())
}

/// `function  file:line`, `function  file`, `function`, or `??  0x55d4c3a2b1f0`.
fn entry_line(entry: &StackEntry, cwd: Option<&Path>) -> String {
    match (&entry.file, entry.line, entry.ip) {
        (Some(file), Some(line), _) => {
            format!("{}  {}:{line}", entry.function, shorten_path(file, cwd))
        }
        (Some(file), None, _) => format!("{}  {}", entry.function, shorten_path(file, cwd)),
        (None, _, Some(ip)) => format!("{}  {ip:#x}", entry.function),
        (None, _, None) => entry.function.clone(),
    }
}

/// Shortens a source path for display (see [`Report::write_text`]).
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
fn plural(count: u64, word: &str, style: &Style) -> String {
    let suffix = if count == 1 { "" } else { "s" };
    format!("{} {word}{suffix}", style.number(count))
}

/// `1 more frame`, `2 more frames`.
fn more(count: u64, word: &str) -> String {
    let suffix = if count == 1 { "" } else { "s" };
    format!("{} more {word}{suffix}", thousands(count))
}

/// Bold numbers when colour is on.
struct Style {
    color: bool,
}

impl Style {
    fn number(&self, value: u64) -> String {
        if self.color {
            format!("\x1b[1m{}\x1b[0m", thousands(value))
        } else {
            thousands(value)
        }
    }

    /// `6,400 bytes in 100 blocks`.
    fn amount(&self, amount: Amount) -> String {
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
    use crate::analysis::ProgramInfo;
    use crate::testing::{leaky, on_main, profile};

    fn text(report: &Report, options: &TextOptions) -> String {
        let mut out = Vec::new();
        render(report, &mut out, options, Some(Path::new("/work/proj"))).unwrap();
        String::from_utf8(out).unwrap()
    }

    fn leaky_report(exit_code: Option<i32>) -> Report {
        let profile = leaky();
        Report::build(
            &profile,
            ProgramInfo {
                exit_code,
                ..ProgramInfo::from_profile(&profile)
            },
        )
    }

    #[test]
    fn fixture_report() {
        let expected = "\
memleak report for leaky (exit code 0)
live at exit: 10,496 bytes in 101 blocks from 2 sites
runtime: 1,072 bytes in 2 blocks held by the Rust runtime until exit, not leaks
allocated: 20,000 bytes in 300 blocks over the run; peak live: 12,000 bytes in 120 blocks

#1  6,400 bytes in 100 blocks
    leaky::leak_some  examples/leaky.rs:14
    leaky::main  examples/leaky.rs:37

#2  4,096 bytes in 1 block
    leaky::leak_box  examples/leaky.rs:22
    leaky::main  examples/leaky.rs:38
";
        assert_eq!(
            text(&leaky_report(Some(0)), &TextOptions::default()),
            expected
        );
    }

    #[test]
    fn limits_color_and_unknown_exit() {
        let options = TextOptions {
            color: true,
            max_sites: 1,
            max_frames: 1,
        };
        let out = text(&leaky_report(None), &options);
        let bold = |n: &str| format!("\x1b[1m{n}\x1b[0m");
        let expected = format!(
            "\
memleak report for leaky (exit code not recorded)
live at exit: {} bytes in {} blocks from {} sites
runtime: {} bytes in {} blocks held by the Rust runtime until exit, not leaks
allocated: {} bytes in {} blocks over the run; peak live: {} bytes in {} blocks

#1  {} bytes in {} blocks
    leaky::leak_some  examples/leaky.rs:14
    ... 1 more frame

... 1 more site: {} bytes in {} block
",
            bold("10,496"),
            bold("101"),
            bold("2"),
            bold("1,072"),
            bold("2"),
            bold("20,000"),
            bold("300"),
            bold("12,000"),
            bold("120"),
            bold("6,400"),
            bold("100"),
            bold("4,096"),
            bold("1"),
        );
        assert_eq!(out, expected);
    }

    #[test]
    fn nothing_leaked_is_said_plainly() {
        let profile = profile(&[(
            &on_main(&[
                "alloc::alloc::alloc",
                "std::io::stdio::stdout::{{closure}}",
                "app::main",
            ]),
            &[1024],
        )]);
        let report = Report::build(
            &profile,
            ProgramInfo {
                exit_code: Some(3),
                ..ProgramInfo::from_profile(&profile)
            },
        );
        let expected = "\
memleak report for prog (exit code 3)
no leaks: nothing the program allocated was live at exit
runtime: 1,024 bytes in 1 block held by the Rust runtime until exit, not leaks
allocated: 1,024 bytes in 1 block over the run; peak live: 1,024 bytes in 1 block
";
        assert_eq!(text(&report, &TextOptions::default()), expected);
    }

    #[test]
    fn notes_and_unresolved_frames() {
        let mut value: serde_json::Value = serde_json::from_str(crate::testing::LEAKY).unwrap();
        value["reason"] = "request".into();
        value["totals"]["untracked_allocs"] = 3.into();
        value["frames"][5]["symbols"] = serde_json::json!([]);
        let profile =
            crate::load::parse_profile(Path::new("/p.json"), value.to_string().as_bytes()).unwrap();
        let report = Report::build(&profile, ProgramInfo::from_profile(&profile));
        let out = text(
            &report,
            &TextOptions {
                max_sites: 0,
                ..TextOptions::default()
            },
        );
        assert!(
            out.contains("\nnote: the profile was written on request, not at exit"),
            "{out}"
        );
        assert!(
            out.contains(
                "\nnote: 3 allocations went untracked; the counts may be low by that much\n"
            ),
            "{out}"
        );
        assert!(
            out.ends_with("\n... 3 more sites: 10,496 bytes in 101 blocks\n"),
            "{out}"
        );
        let all = text(&report, &TextOptions::default());
        assert!(all.contains("\n#2  3,840 bytes in 60 blocks\n    ??  0x2000\n    leaky::main  examples/leaky.rs:37\n"), "{all}");
        assert!(
            all.contains(
                "\n#3  2,560 bytes in 40 blocks\n    leaky::leak_some  examples/leaky.rs:14\n"
            ),
            "{all}"
        );
    }

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
