//! The profile's optional `footprint` (docs/profile-format.md, "Footprint"): the
//! allocator's and the OS's view of the process when the profile was written. Every value
//! may be `null`; an older profile has no `footprint` at all. Serde checks the types (a
//! mistyped field is named by its path, e.g. `footprint.cgroup.limit`); [`validate`]
//! checks what types cannot say (a pressure share is a percentage).

use std::path::Path;

pub use memleak_format::{Cgroup, Footprint, Limit, Malloc, Pressure, Stall};

use crate::error::Error;

/// Checks what serde's types cannot: every pressure average is a percentage. `at` is where
/// the footprint is in the profile (`footprint`, `timeline.samples[3].footprint`), for the
/// error's field path.
pub(crate) fn validate(path: &Path, at: &str, footprint: Option<&Footprint>) -> Result<(), Error> {
    let Some(pressure) = footprint.and_then(|footprint| footprint.pressure.as_ref()) else {
        return Ok(());
    };
    for (name, stall) in [("some", &pressure.some), ("full", &pressure.full)] {
        let Some(stall) = stall else { continue };
        for (field, value) in [
            ("avg10", stall.avg10),
            ("avg60", stall.avg60),
            ("avg300", stall.avg300),
        ] {
            if let Some(value) = value
                && !(0.0..=100.0).contains(&value)
            {
                return Err(Error::InvalidField {
                    path: path.to_owned(),
                    field: format!("{at}.pressure.{name}.{field}"),
                    message: format!("a share of time in percent must be 0 to 100, found {value}"),
                });
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::profile::loaded::Profile;
    use crate::symbols::load::parse_profile;
    use crate::testing::{full, leaky_with};
    use serde_json::{Value, json};

    fn with(footprint: Option<Value>) -> Result<Profile, Error> {
        parse_profile(Path::new("/p.json"), leaky_with(footprint).as_bytes())
    }

    #[test]
    fn absent_null_and_full_footprints_load() {
        assert_eq!(with(None).unwrap().footprint(), None);
        assert_eq!(with(Some(Value::Null)).unwrap().footprint(), None);
        let empty = with(Some(json!({}))).unwrap();
        assert_eq!(empty.footprint(), Some(&Footprint::default()));
        let profile = with(Some(full())).unwrap();
        let footprint = profile.footprint().unwrap();
        assert_eq!(footprint.rss, Some(3_678_208));
        assert_eq!(footprint.malloc.as_ref().unwrap().free, Some(92880));
        let pressure = footprint.pressure.as_ref().unwrap();
        assert_eq!(pressure.some.unwrap().avg60, Some(1.5));
        assert_eq!(pressure.full, None);
        let cgroup = footprint.cgroup.as_ref().unwrap();
        assert_eq!(cgroup.limit, Some(Limit::Max));
        assert_eq!(cgroup.high, Some(Limit::Bytes(1 << 30)));
        assert_eq!(cgroup.failcnt, None);
        // Round trip through the report's serialization: the same values, and the
        // macOS-only fields as null.
        let mut expected = full();
        expected["phys_footprint"] = Value::Null;
        expected["compressed"] = Value::Null;
        expected["malloc"]["releasable"] = Value::Null;
        expected["malloc"]["arenas"] = Value::Null;
        expected["malloc"]["free_outside_main_arena"] = Value::Null;
        assert_eq!(serde_json::to_value(footprint).unwrap(), expected);
    }

    #[test]
    fn malformed_fields_are_named() {
        let cases: [(&str, Value, &str); 11] = [
            ("", json!(7), "footprint"),
            ("", json!([1, 2]), "footprint"),
            (
                "pressure.some",
                json!([0.5, 1.0]),
                "footprint.pressure.some",
            ),
            ("rss", json!("big"), "footprint.rss"),
            ("swap", json!(-1), "footprint.swap"),
            ("malloc", json!([1, 2]), "footprint.malloc"),
            ("malloc.in_use", json!(1.5), "footprint.malloc.in_use"),
            ("cgroup.limit", json!("unlimited"), "footprint.cgroup.limit"),
            ("cgroup.high", json!(-5), "footprint.cgroup.high"),
            ("pressure.level", json!(3), "footprint.pressure.level"),
            (
                "pressure.some.avg10",
                json!("0.5"),
                "footprint.pressure.some.avg10",
            ),
        ];
        for (at, bad, field) in cases {
            let mut footprint = full();
            let mut slot = &mut footprint;
            for key in at.split('.').filter(|key| !key.is_empty()) {
                slot = &mut slot[key];
            }
            *slot = bad;
            match with(Some(footprint)) {
                Err(Error::InvalidField {
                    field: found,
                    message,
                    ..
                }) => assert_eq!(found, field, "{message}"),
                other => panic!("{at}: {other:?}"),
            }
        }
        let mut footprint = full();
        footprint["cgroup"]["limit"] = json!("unlimited");
        let message = with(Some(footprint)).unwrap_err().to_string();
        assert!(
            message.contains("expected a byte count or \"max\""),
            "{message}"
        );
    }

    #[test]
    fn pressure_shares_are_percentages() {
        for bad in [-0.5, 100.5] {
            let mut footprint = full();
            footprint["pressure"]["full"] = json!({"avg10": 0.0, "avg60": bad});
            let error = with(Some(footprint)).unwrap_err();
            assert!(
                matches!(&error, Error::InvalidField { field, .. }
                    if field == "footprint.pressure.full.avg60"),
                "{error}"
            );
        }
        let mut footprint = full();
        footprint["pressure"]["some"]["avg300"] = json!(100);
        assert!(
            with(Some(footprint)).is_ok(),
            "an integer is a fine average"
        );
    }
}
