//! Parsing a profile: reading the file and deserializing the format's document. Never
//! panics, whatever the bytes. (Loading as a whole, with validation and symbolization,
//! is `symbols::load`.)
//!
//! Parsing takes two passes over the bytes. The first reads only `format` and `version`
//! (and checks the JSON syntax of the whole file), so that a file of another format or a
//! newer version is rejected as such rather than for a field it lacks. The second
//! deserializes the typed profile while tracking the path of the value being read, so
//! that a missing or mistyped field is named (`sites[3].frames[1]`) (the errors of both
//! passes are mapped in the `parse_error` module). Then every cross-reference is checked
//! (the `validate` module): frame indices, site ids, the reachability fields (the `reach`
//! module) and the timeline's site ids (the `timeline` module).

use std::fs;
use std::path::Path;

use serde::Deserialize;
use serde_json::Value;

use crate::error::Error;
use crate::profile::loaded::{PROFILE_FORMAT, PROFILE_VERSION, Raw};
use crate::profile::parse_error::{syntax_error, typed_error};

/// Reads the file, or says which one could not be read.
pub(crate) fn read(path: &Path) -> Result<Vec<u8>, Error> {
    fs::read(path).map_err(|source| Error::Io {
        path: path.to_owned(),
        source,
    })
}

/// Parses a profile's bytes into the format's document, after checking that it is a
/// profile of a version this crate reads; `path` names it in errors. Validation is
/// [`validate`](crate::profile::validate::validate)'s.
pub(crate) fn parse_document(path: &Path, bytes: &[u8]) -> Result<Raw, Error> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(Error::Empty {
            path: path.to_owned(),
        });
    }
    check_header(path, bytes)?;
    let mut deserializer = serde_json::Deserializer::from_slice(bytes);
    serde_path_to_error::deserialize(&mut deserializer).map_err(|error| typed_error(path, &error))
}

/// Just the fields that say what the file is.
#[derive(Deserialize)]
struct Header {
    #[serde(default)]
    format: Option<Value>,
    #[serde(default)]
    version: Option<Value>,
}

fn check_header(path: &Path, bytes: &[u8]) -> Result<(), Error> {
    // serde would read a struct from an array too: insist on an object first.
    if bytes.iter().find(|byte| !byte.is_ascii_whitespace()) != Some(&b'{') {
        return Err(match serde_json::from_slice::<Value>(bytes) {
            Ok(value) => Error::WrongFormat {
                path: path.to_owned(),
                found: format!("{}, not an object", describe(&value)),
            },
            Err(error) => syntax_error(path, &error),
        });
    }
    let header: Header =
        serde_json::from_slice(bytes).map_err(|error| syntax_error(path, &error))?;
    match &header.format {
        Some(Value::String(format)) if format == PROFILE_FORMAT => {}
        Some(other) => {
            return Err(Error::WrongFormat {
                path: path.to_owned(),
                found: format!("format {}", describe(other)),
            });
        }
        None => {
            return Err(Error::WrongFormat {
                path: path.to_owned(),
                found: "no `format` field".to_owned(),
            });
        }
    }
    let version = match &header.version {
        None => {
            return Err(Error::MissingField {
                path: path.to_owned(),
                field: "version".to_owned(),
            });
        }
        Some(value) => value.as_u64().ok_or_else(|| Error::InvalidField {
            path: path.to_owned(),
            field: "version".to_owned(),
            message: format!("expected an unsigned integer, found {}", describe(value)),
        })?,
    };
    if version > PROFILE_VERSION {
        return Err(Error::UnsupportedVersion {
            path: path.to_owned(),
            found: version,
            supported: PROFILE_VERSION,
        });
    }
    if version == 0 {
        return Err(Error::InvalidField {
            path: path.to_owned(),
            field: "version".to_owned(),
            message: "version 0 does not exist: versions start at 1".to_owned(),
        });
    }
    Ok(())
}

/// A short description of a JSON value for messages: strings and numbers verbatim (cut
/// to 40 characters), other values by their kind.
fn describe(value: &Value) -> String {
    let text = match value {
        Value::Null => return "null".to_owned(),
        Value::Bool(_) | Value::Number(_) | Value::String(_) => value.to_string(),
        Value::Array(_) => return "an array".to_owned(),
        Value::Object(_) => return "an object".to_owned(),
    };
    if text.chars().count() > 40 {
        let cut: String = text.chars().take(40).collect();
        format!("{cut}...")
    } else {
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::findings::ProgramInfo;
    use crate::profile::loaded::Profile;
    use crate::report::model::Report;
    use crate::symbols::load::parse_profile;
    use crate::testing::LEAKY;

    const PATH: &str = "/x/prof.json";

    fn parse(bytes: &[u8]) -> Result<Profile, Error> {
        parse_profile(Path::new(PATH), bytes)
    }

    /// The fixture with `edit` applied.
    fn edited(edit: impl FnOnce(&mut Value)) -> Result<Profile, Error> {
        let mut value: Value = serde_json::from_str(LEAKY).unwrap();
        edit(&mut value);
        parse(value.to_string().as_bytes())
    }

    fn field_of(result: Result<Profile, Error>) -> (String, String) {
        let error = result.unwrap_err();
        let message = error.to_string();
        assert!(message.contains(PATH), "{message}");
        match error {
            Error::MissingField { field, .. } => ("missing".to_owned(), field),
            Error::InvalidField { field, .. } => ("invalid".to_owned(), field),
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn fixture_loads_with_its_fields() {
        let profile = parse(LEAKY.as_bytes()).unwrap();
        assert_eq!(profile.path(), Path::new(PATH));
        assert_eq!(profile.version(), 1);
        assert_eq!(profile.pid(), 4242);
        assert_eq!(profile.reason(), Some("exit"));
        assert_eq!(profile.args().len(), 2);
        assert_eq!(profile.totals().overhead_allocs, 12);
        assert_eq!(profile.threads()[0].name.as_deref(), Some("main"));
        assert_eq!(profile.frames().len(), 29);
        assert_eq!(profile.sites().len(), 6);
        assert_eq!(profile.live().len(), 103);
        assert_eq!(profile.site(2).map(|site| site.live_bytes), Some(4096));
        assert!(profile.site(99).is_none());
    }

    #[test]
    fn optional_fields_default() {
        let profile = edited(|value| {
            let object = value.as_object_mut().unwrap();
            for key in ["reason", "threads"] {
                object.remove(key);
            }
            value["frames"][0]
                .as_object_mut()
                .unwrap()
                .remove("symbols");
            value["frames"][1]["symbols"][0]["function"] = Value::Null;
        })
        .unwrap();
        assert_eq!(profile.reason(), None);
        assert!(profile.threads().is_empty());
        assert!(profile.frames()[0].symbols.is_empty());
    }

    /// A counter the tracker always writes is required: read as 0 when missing, a
    /// misspelled key would pass unnoticed.
    #[test]
    fn counters_are_required_and_a_missing_one_is_named() {
        type Edit = fn(&mut Value);
        let cases: [(Edit, &str); 5] = [
            (|v| drop(v.as_object_mut().unwrap().remove("pid")), "pid"),
            (
                |v| drop(v.as_object_mut().unwrap().remove("elapsed_ns")),
                "elapsed_ns",
            ),
            (
                |v| drop(v["totals"].as_object_mut().unwrap().remove("reallocs")),
                "totals.reallocs",
            ),
            (
                |v| {
                    drop(
                        v["sites"][2]
                            .as_object_mut()
                            .unwrap()
                            .remove("freed_blocks"),
                    )
                },
                "sites[2].freed_blocks",
            ),
            (
                |v| drop(v["live"][1].as_object_mut().unwrap().remove("birth_ns")),
                "live[1].birth_ns",
            ),
        ];
        for (edit, field) in cases {
            match edited(edit) {
                Err(Error::MissingField { field: named, .. }) => assert_eq!(named, field),
                other => panic!("{field}: {other:?}"),
            }
        }
    }

    #[test]
    fn missing_and_mistyped_fields_are_named_by_path() {
        type Edit = fn(&mut Value);
        let cases: [(&str, Edit, &str); 7] = [
            (
                "missing",
                |v| drop(v.as_object_mut().unwrap().remove("exe")),
                "exe",
            ),
            (
                "missing",
                |v| {
                    drop(
                        v["totals"]
                            .as_object_mut()
                            .unwrap()
                            .remove("peak_live_bytes"),
                    )
                },
                "totals.peak_live_bytes",
            ),
            (
                "missing",
                |v| drop(v["sites"][3].as_object_mut().unwrap().remove("frames")),
                "sites[3].frames",
            ),
            (
                "invalid",
                |v| v["sites"][1]["frames"][0] = Value::from("x"),
                "sites[1].frames[0]",
            ),
            (
                "invalid",
                |v| v["live"][5]["size"] = Value::from(-1),
                "live[5].size",
            ),
            (
                "invalid",
                |v| v["frames"][2]["symbols"][1]["line"] = Value::from("95"),
                "frames[2].symbols[1].line",
            ),
            ("invalid", |v| v["args"] = Value::from("one string"), "args"),
        ];
        for (kind, edit, field) in cases {
            assert_eq!(field_of(edited(edit)), (kind.to_owned(), field.to_owned()));
        }
    }

    #[test]
    fn huge_numbers_are_rejected_or_saturate_never_panic() {
        let text = LEAKY.replacen("\"size\": 64", "\"size\":18446744073709551616", 1);
        assert_ne!(text, LEAKY, "the fixture has a 64-byte block");
        let error = parse(text.as_bytes()).unwrap_err();
        assert!(
            matches!(&error, Error::InvalidField { field, .. } if field == "live[0].size"),
            "{error}"
        );
        let error = parse(
            LEAKY
                .replacen("\"size\": 64", "\"size\":1e400", 1)
                .as_bytes(),
        )
        .unwrap_err();
        assert!(matches!(error, Error::Corrupt { .. }), "{error}");
        let error = parse(
            LEAKY
                .replacen("\"version\": 1", "\"version\": 99999999999999999999999", 1)
                .as_bytes(),
        )
        .unwrap_err();
        assert!(
            matches!(&error, Error::InvalidField { field, .. } if field == "version"),
            "{error}"
        );

        let max = edited(|value| {
            for block in value["live"].as_array_mut().unwrap() {
                block["size"] = Value::from(u64::MAX);
            }
            value["frames"][5]["ip"] = Value::from(u64::MAX);
        })
        .unwrap();
        let report = Report::build(&max, ProgramInfo::from_profile(&max));
        assert_eq!(report.leaked_bytes(), u64::MAX);
        assert_eq!(report.leaked_blocks(), 101);
    }

    #[test]
    fn garbage_is_rejected_without_panicking() {
        let corrupt: [&[u8]; 6] = [
            b"\xff\xfe\x00{",
            b"{\"format\": \"memleak-\xff\"}",
            b"{\"format\": \"memleak-profile\"} trailing",
            b"not json at all",
            b"{\"format\": \"memleak-profile\", \"version\": 1,}",
            b"\xef\xbb\xbf{}",
        ];
        for bytes in corrupt {
            let error = parse(bytes).unwrap_err();
            assert!(matches!(error, Error::Corrupt { .. }), "{error}");
        }
        let deep = "[".repeat(100_000);
        assert!(matches!(parse(deep.as_bytes()), Err(Error::Corrupt { .. })));
        let deep = format!(
            "{{\"format\":\"memleak-profile\",\"version\":1,\"exe\":{}",
            "[".repeat(100_000)
        );
        assert!(matches!(
            parse(deep.as_bytes()),
            Err(Error::Corrupt { .. } | Error::Truncated { .. })
        ));
        assert!(matches!(parse(b" \n\t "), Err(Error::Empty { .. })));
    }

    #[test]
    fn what_is_not_a_profile_says_what_it_found() {
        let cases: [(&[u8], &str); 5] = [
            (b"[1, 2]", "an array, not an object"),
            (b"42", "42, not an object"),
            (b"{}", "no `format` field"),
            (b"{\"format\": 7}", "format 7"),
            (b"{\"format\": \"dhat\", \"version\": 1}", "format \"dhat\""),
        ];
        for (bytes, expected) in cases {
            match parse(bytes) {
                Err(Error::WrongFormat { found, .. }) => assert_eq!(found, expected),
                other => panic!("{other:?}"),
            }
        }
    }

    #[test]
    fn version_checks() {
        let base = r#"{"format": "memleak-profile", "version": VERSION}"#;
        let with = |version: &str| parse(base.replace("VERSION", version).as_bytes());
        assert!(matches!(with("0"), Err(Error::InvalidField { field, .. }) if field == "version"));
        assert!(
            matches!(with("\"1\""), Err(Error::InvalidField { field, .. }) if field == "version")
        );
        assert!(
            matches!(with("1.5"), Err(Error::InvalidField { field, .. }) if field == "version")
        );
        let error = with("3").unwrap_err();
        assert!(matches!(
            error,
            Error::UnsupportedVersion {
                found: 3,
                supported: 2,
                ..
            }
        ));
        assert!(error.to_string().contains("upgrade cargo-memleak"));
        // Version 1 without the body: the first missing field is named.
        assert!(matches!(with("1"), Err(Error::MissingField { field, .. }) if field == "pid"));
        let no_version = parse(br#"{"format": "memleak-profile"}"#);
        assert!(matches!(no_version, Err(Error::MissingField { field, .. }) if field == "version"));
    }
}
