//! Loading never panics and building a report from what loads never panics either:
//! every truncation of the fixture, and random corruptions of it.

use std::io;
use std::path::Path;

use leak_report::{Error, ProgramInfo, Report, TextOptions, parse_profile};

const LEAKY: &str = include_str!("fixtures/leaky.json");

fn parse(bytes: &[u8]) -> Result<leak_report::Profile, Error> {
    parse_profile(Path::new("/x/prof.json"), bytes)
}

#[test]
fn every_truncation_of_the_fixture_is_reported_as_truncated() {
    let bytes = LEAKY.trim_end().as_bytes();
    for end in 0..bytes.len() {
        match parse(&bytes[..end]) {
            Err(Error::Truncated { .. } | Error::Empty { .. }) => {}
            other => panic!("cut at {end}: {other:?}"),
        }
    }
}

#[test]
fn corrupted_bytes_never_panic_load_or_build() {
    let pristine = LEAKY.as_bytes();
    let mut state = 0x2545_f491_4f6c_dd1d_u64;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        usize::try_from(state % 1_000_003).unwrap()
    };
    let replacements = b"0123456789{}[]\",:-e.x \xff";
    let mut loaded = 0;
    for _ in 0..2000 {
        let mut bytes = pristine.to_vec();
        for _ in 0..1 + next() % 4 {
            let at = next() % bytes.len();
            bytes[at] = replacements[next() % replacements.len()];
        }
        if let Ok(profile) = parse(&bytes) {
            loaded += 1;
            let report = Report::build(&profile, ProgramInfo::from_profile(&profile));
            report
                .write_text(&mut io::sink(), &TextOptions::default())
                .unwrap();
            report.write_json(&mut io::sink()).unwrap();
            report.write_live_flamegraph(&mut io::sink()).unwrap();
        }
    }
    // Most corruptions land in strings and numbers: the report code ran on many of them.
    assert!(loaded > 100, "only {loaded} corrupted profiles loaded");
}
