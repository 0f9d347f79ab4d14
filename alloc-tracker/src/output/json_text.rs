//! JSON text for the profile writer: strings escaped by hand, so the tracker needs no
//! JSON library in the crate graph of the program it is linked into.

use std::io::{self, Write};

/// A JSON string: quotes, backslashes and control characters escaped (RFC 8259 §7),
/// everything else, multi-byte UTF-8 included, written as it is. Hand-written rather than
/// serde_json's so the tracker adds no crate with trait impls on std types to the
/// crate graph of the program it is linked into.
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

pub(crate) fn write_opt_str(out: &mut dyn Write, text: Option<&str>) -> io::Result<()> {
    match text {
        Some(text) => write_str(out, text),
        None => out.write_all(b"null"),
    }
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
        assert!(
            out.starts_with(br#""\u0000\u0001"#),
            "{}",
            String::from_utf8_lossy(&out)
        );
    }
}
