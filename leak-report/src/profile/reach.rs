//! Validation of the reachability fields (`reachability`, `live[].reachable`,
//! `live[].refs`; see "Reachability" in `docs/profile-format.md`), so that the
//! classification can trust them.
//!
//! - Without a scan (`reachability` absent, `null`, or `"scanned": false`) no block may
//!   carry `reachable` or a non-empty `refs`: a reader could not tell what they mean.
//! - With a scan every block has `reachable`; `refs` is allowed (non-empty) only on
//!   unreachable blocks, and each index must name an existing, unreachable block. An index
//!   may repeat and may be the block's own (a self-reference).

use std::path::Path;

use crate::error::Error;
use crate::profile::loaded::Raw;

/// Checks the reachability fields of a body whose other fields are already valid.
pub(crate) fn validate_reachability(path: &Path, raw: &Raw) -> Result<(), Error> {
    let scanned = raw.reachability.as_ref().is_some_and(|scan| scan.scanned);
    let invalid = |field: String, message: String| Error::InvalidField {
        path: path.to_owned(),
        field,
        message,
    };
    if !scanned {
        const NO_SCAN: &str = "present, but the profile has no reachability scan \
                               (`reachability` is absent, null or not scanned)";
        for (block, live) in raw.live.iter().enumerate() {
            if live.reachable.is_some() {
                return Err(invalid(
                    format!("live[{block}].reachable"),
                    NO_SCAN.to_owned(),
                ));
            }
            if !live.refs.is_empty() {
                return Err(invalid(format!("live[{block}].refs"), NO_SCAN.to_owned()));
            }
        }
        return Ok(());
    }
    let blocks = raw.live.len();
    for (block, live) in raw.live.iter().enumerate() {
        let Some(reachable) = live.reachable else {
            return Err(Error::MissingField {
                path: path.to_owned(),
                field: format!("live[{block}].reachable"),
            });
        };
        if reachable && !live.refs.is_empty() {
            return Err(invalid(
                format!("live[{block}].refs"),
                "the block is reachable: only unreachable blocks have refs".to_owned(),
            ));
        }
        for (position, &target) in live.refs.iter().enumerate() {
            let Some(pointee) = usize::try_from(target)
                .ok()
                .and_then(|index| raw.live.get(index))
            else {
                return Err(Error::DanglingRef {
                    path: path.to_owned(),
                    block,
                    position,
                    target,
                    blocks,
                });
            };
            if pointee.reachable == Some(true) {
                return Err(invalid(
                    format!("live[{block}].refs[{position}]"),
                    format!(
                        "points to live[{target}], which is reachable: refs name only \
                         unreachable blocks"
                    ),
                ));
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use serde_json::{Value, json};

    use crate::error::Error;
    use crate::profile::loaded::Profile;
    use crate::symbols::load::parse_profile;
    use crate::testing::scanned_json;

    /// A scanned profile of four blocks: 0 reachable, 1 -> 2 -> 3 -> 2, with `edit` applied.
    fn edited(edit: impl FnOnce(&mut Value)) -> Result<Profile, Error> {
        let mut value = scanned_json(
            &[&["app::f"]],
            &[
                (0, 8, true, &[]),
                (0, 16, false, &[2]),
                (0, 32, false, &[3]),
                (0, 64, false, &[2, 3]),
            ],
        );
        edit(&mut value);
        parse_profile(Path::new("/p/prof.json"), value.to_string().as_bytes())
    }

    fn invalid(result: Result<Profile, Error>) -> (String, String) {
        let error = result.unwrap_err();
        assert!(error.to_string().contains("/p/prof.json"), "{error}");
        match error {
            Error::InvalidField { field, message, .. } => (field, message),
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn a_valid_scan_loads() {
        let profile = edited(|_| {}).unwrap();
        let scan = profile.reachability().unwrap();
        assert!(scan.scanned && scan.complete);
        assert_eq!(profile.live()[3].refs, [2, 3]);
        assert_eq!(profile.live()[0].reachable, Some(true));
    }

    #[test]
    fn null_or_unscanned_reachability_is_no_scan() {
        let strip = |value: &mut Value| {
            for block in value["live"].as_array_mut().unwrap() {
                let block = block.as_object_mut().unwrap();
                block.remove("reachable");
                block.remove("refs");
            }
        };
        let profile = edited(|value| {
            value["reachability"] = Value::Null;
            strip(value);
        })
        .unwrap();
        assert!(profile.reachability().is_none());
        let profile = edited(|value| {
            value["reachability"] = json!({"scanned": false, "scan_ns": 0, "root_bytes": 0,
                                           "bytes_scanned": 0, "threads": 0});
            strip(value);
        })
        .unwrap();
        assert!(profile.reachability().is_none());
        let profile = edited(|value| {
            value["reachability"] =
                json!({"scan_ns": 0, "root_bytes": 0, "bytes_scanned": 0, "threads": 0});
        })
        .unwrap();
        let scan = profile.reachability().unwrap();
        assert!(scan.scanned && scan.complete, "both default to true");
    }

    #[test]
    fn fields_without_a_scan_are_rejected() {
        let (field, message) = invalid(edited(|value| {
            drop(value.as_object_mut().unwrap().remove("reachability"))
        }));
        assert_eq!(field, "live[0].reachable");
        assert!(message.contains("no reachability scan"), "{message}");
        let (field, _) = invalid(edited(|value| {
            value["reachability"] = Value::Null;
            for block in value["live"].as_array_mut().unwrap() {
                block.as_object_mut().unwrap().remove("reachable");
            }
        }));
        assert_eq!(field, "live[1].refs");
    }

    #[test]
    fn a_scan_needs_reachable_on_every_block() {
        let error = edited(|value| {
            drop(
                value["live"][2]
                    .as_object_mut()
                    .unwrap()
                    .remove("reachable"),
            )
        })
        .unwrap_err();
        assert!(
            matches!(&error, Error::MissingField { field, .. } if field == "live[2].reachable"),
            "{error}"
        );
        let (field, message) = invalid(edited(|value| value["live"][2]["reachable"] = json!(1)));
        assert_eq!(field, "live[2].reachable");
        assert!(message.contains("expected a boolean"), "{message}");
        let (field, _) = invalid(edited(|value| {
            value["reachability"]["complete"] = json!("no")
        }));
        assert_eq!(field, "reachability.complete");
    }

    #[test]
    fn refs_are_checked() {
        let (field, message) = invalid(edited(|value| value["live"][0]["refs"] = json!([1])));
        assert_eq!(field, "live[0].refs");
        assert!(message.contains("the block is reachable"), "{message}");

        let (field, message) = invalid(edited(|value| value["live"][3]["refs"] = json!([2, 0])));
        assert_eq!(field, "live[3].refs[1]");
        assert!(
            message.contains("points to live[0], which is reachable"),
            "{message}"
        );

        let (field, _) = invalid(edited(|value| value["live"][1]["refs"] = json!([-1])));
        assert_eq!(field, "live[1].refs[0]");

        let error = edited(|value| value["live"][3]["refs"] = json!([2, 4])).unwrap_err();
        assert!(
            matches!(
                error,
                Error::DanglingRef {
                    block: 3,
                    position: 1,
                    target: 4,
                    blocks: 4,
                    ..
                }
            ),
            "{error}"
        );
        let message = error.to_string();
        assert!(
            message.contains("live[3].refs[1] is block index 4"),
            "{message}"
        );

        let error = edited(|value| value["live"][1]["refs"] = json!([u64::MAX])).unwrap_err();
        assert!(matches!(error, Error::DanglingRef { .. }), "{error}");

        // An empty list on a reachable block says nothing: accepted.
        edited(|value| value["live"][0]["refs"] = json!([])).unwrap();
    }
}
