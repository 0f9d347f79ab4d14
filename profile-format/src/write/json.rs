//! JSON values: strings escaped by hand, optional numbers as `null`.

use std::fmt;
use std::io::{self, Write};

/// A JSON string: quotes, backslashes and control characters escaped (RFC 8259 §7),
/// everything else, multi-byte UTF-8 included, written as it is.
pub(crate) fn write_str(out: &mut dyn Write, text: &str) -> io::Result<()> {
    out.write_all(b"\"")?;
    let bytes = text.as_bytes();
    let mut plain_from = 0;
    for (i, &byte) in bytes.iter().enumerate() {
        let escape: &[u8] = match byte {
            b'"' => b"\\\"",
            b'\\' => b"\\\\",
            b'\n' => b"\\n",
            b'\r' => b"\\r",
            b'\t' => b"\\t",
            0..=0x1f => b"",
            _ => continue,
        };
        out.write_all(&bytes[plain_from..i])?;
        if escape.is_empty() {
            write!(out, "\\u{byte:04x}")?;
        } else {
            out.write_all(escape)?;
        }
        plain_from = i + 1;
    }
    out.write_all(&bytes[plain_from..])?;
    out.write_all(b"\"")
}

/// A string or `null`.
pub(crate) fn write_opt_str(out: &mut dyn Write, text: Option<&str>) -> io::Result<()> {
    match text {
        Some(text) => write_str(out, text),
        None => out.write_all(b"null"),
    }
}

/// An optional integer as JSON: the number or `null`.
pub(crate) struct Num(pub(crate) Option<u64>);

impl fmt::Display for Num {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Some(value) => write!(f, "{value}"),
            None => f.write_str("null"),
        }
    }
}

/// An optional fraction as JSON: the shortest decimal that reads back as the same
/// number, or `null` (also for a value JSON cannot hold: NaN, infinities).
pub(crate) struct Fraction(pub(crate) Option<f64>);

impl fmt::Display for Fraction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Some(value) if value.is_finite() => write!(f, "{value:?}"),
            _ => f.write_str("null"),
        }
    }
}

/// `true` or `false`.
pub(crate) fn bool_text(value: bool) -> &'static str {
    if value { "true" } else { "false" }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_are_escaped() {
        let mut out = Vec::new();
        write_str(&mut out, "a\"b\\c\n").unwrap();
        assert_eq!(out, br#""a\"b\\c\n""#);
        let mut out = Vec::new();
        write_opt_str(&mut out, None).unwrap();
        assert_eq!(out, b"null");
    }

    #[test]
    fn every_string_round_trips_through_a_json_parser() {
        let mut text: String = (0u8..0x80).map(char::from).collect();
        text.push_str("é→𝄞 end");
        let mut out = Vec::new();
        write_str(&mut out, &text).unwrap();
        let back: String = serde_json::from_slice(&out).unwrap();
        assert_eq!(back, text);
        assert!(out.starts_with(br#""\u0000\u0001"#));
    }

    #[test]
    fn numbers_and_fractions() {
        assert_eq!(Num(Some(7)).to_string(), "7");
        assert_eq!(Num(None).to_string(), "null");
        assert_eq!(Fraction(Some(1.5)).to_string(), "1.5");
        assert_eq!(Fraction(Some(0.0)).to_string(), "0.0");
        assert_eq!(Fraction(Some(f64::NAN)).to_string(), "null");
        let third = 1.0 / 3.0;
        let back: f64 = Fraction(Some(third)).to_string().parse().unwrap();
        assert_eq!(back.to_bits(), third.to_bits());
    }
}
