//! The profile's optional `footprint` (docs/profile-format.md, "Footprint"): the
//! allocator's and the OS's view of the process when the profile was written. Every value
//! may be `null`; an older profile has no `footprint` at all. Serde checks the types (a
//! mistyped field is named by its path, e.g. `footprint.cgroup.limit`); [`validate`]
//! checks what types cannot say (a pressure share is a percentage).

use std::fmt;
use std::marker::PhantomData;
use std::path::Path;

use serde::de::{self, Deserializer, MapAccess, Unexpected, Visitor};
use serde::{Deserialize, Serialize, Serializer};

use crate::error::Error;

/// The allocator's and the OS's view of the process when the profile was written
/// (`footprint` in the profile). `None` where the platform could not answer.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[non_exhaustive]
pub struct Footprint {
    /// Where `rss`, `anonymous`, `file_backed` and `swap` came from: `"smaps_rollup"` or
    /// `"statm"`.
    #[serde(default)]
    pub source: Option<String>,
    /// Resident set size, bytes (OS layer).
    #[serde(default)]
    pub rss: Option<u64>,
    /// Resident anonymous memory: heap, stacks, private `mmap`.
    #[serde(default)]
    pub anonymous: Option<u64>,
    /// Resident memory that is not anonymous: file mappings and shared memory.
    #[serde(default)]
    pub file_backed: Option<u64>,
    /// The process's swapped-out memory.
    #[serde(default)]
    pub swap: Option<u64>,
    /// macOS: the memory the kernel charges the process for (`task_info`'s
    /// `phys_footprint`: resident and compressed dirty memory).
    #[serde(default)]
    pub phys_footprint: Option<u64>,
    /// macOS: the process's memory held compressed by the kernel.
    #[serde(default)]
    pub compressed: Option<u64>,
    /// `MemAvailable` of the whole system.
    #[serde(default)]
    pub mem_available: Option<u64>,
    /// `MemTotal` of the whole system.
    #[serde(default)]
    pub mem_total: Option<u64>,
    /// The allocator layer (glibc `mallinfo2`).
    #[serde(default, deserialize_with = "object")]
    pub malloc: Option<Malloc>,
    /// System-wide memory pressure (PSI).
    #[serde(default, deserialize_with = "object")]
    pub pressure: Option<Pressure>,
    /// The memory controller of the process's cgroup.
    #[serde(default, deserialize_with = "object")]
    pub cgroup: Option<Cgroup>,
}

/// malloc's own counters, over all arenas.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, Serialize)]
#[non_exhaustive]
pub struct Malloc {
    /// Bytes handed out from the arenas (`uordblks`): Rust's and native C/FFI
    /// allocations; blocks given their own `mmap` are in `mmapped`, not here.
    #[serde(default)]
    pub in_use: Option<u64>,
    /// Bytes kept by malloc but not in use (fragmentation, retained free space).
    #[serde(default)]
    pub free: Option<u64>,
    /// Bytes in blocks given their own `mmap` (`hblkhd`).
    #[serde(default)]
    pub mmapped: Option<u64>,
}

/// Memory pressure stall information.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[non_exhaustive]
pub struct Pressure {
    /// `"normal"`, `"warning"` or `"critical"` (see the profile format).
    #[serde(default)]
    pub level: Option<String>,
    /// Time in which at least one task waited for memory.
    #[serde(default, deserialize_with = "object")]
    pub some: Option<Stall>,
    /// Time in which all non-idle tasks waited for memory.
    #[serde(default, deserialize_with = "object")]
    pub full: Option<Stall>,
}

/// One line of `/proc/pressure/memory`: shares (percent) of the last 10, 60 and 300
/// seconds, and the cumulative stall time.
#[derive(Debug, Clone, Copy, Default, PartialEq, Deserialize, Serialize)]
#[non_exhaustive]
pub struct Stall {
    /// Percent of the last 10 s.
    #[serde(default)]
    pub avg10: Option<f64>,
    /// Percent of the last 60 s.
    #[serde(default)]
    pub avg60: Option<f64>,
    /// Percent of the last 300 s.
    #[serde(default)]
    pub avg300: Option<f64>,
    /// Cumulative stall time, microseconds.
    #[serde(default)]
    pub total_us: Option<u64>,
}

/// The cgroup memory controller's counters.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, Serialize)]
#[non_exhaustive]
pub struct Cgroup {
    /// `1` or `2`.
    #[serde(default)]
    pub version: Option<u64>,
    /// Charged bytes, page cache included.
    #[serde(default)]
    pub current: Option<u64>,
    /// The hard limit.
    #[serde(default)]
    pub limit: Option<Limit>,
    /// The throttling limit (v2 `memory.high`).
    #[serde(default)]
    pub high: Option<Limit>,
    /// The highest charge.
    #[serde(default)]
    pub peak: Option<u64>,
    /// Times the limit was hit and the OOM killer considered (v2).
    #[serde(default)]
    pub oom: Option<u64>,
    /// Processes of the cgroup killed by the OOM killer.
    #[serde(default)]
    pub oom_kill: Option<u64>,
    /// Times a charge hit the limit (v1).
    #[serde(default)]
    pub failcnt: Option<u64>,
}

/// A cgroup limit: a byte count, or `"max"` (none set).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Limit {
    /// No limit (`"max"`).
    Max,
    /// A limit in bytes.
    Bytes(u64),
}

impl<'de> Deserialize<'de> for Limit {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct LimitVisitor;
        impl Visitor<'_> for LimitVisitor {
            type Value = Limit;
            fn expecting(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
                formatter.write_str("a byte count or \"max\"")
            }
            fn visit_u64<E: de::Error>(self, value: u64) -> Result<Limit, E> {
                Ok(Limit::Bytes(value))
            }
            fn visit_str<E: de::Error>(self, value: &str) -> Result<Limit, E> {
                if value == "max" {
                    Ok(Limit::Max)
                } else {
                    Err(E::invalid_value(Unexpected::Str(value), &self))
                }
            }
        }
        deserializer.deserialize_any(LimitVisitor)
    }
}

impl Serialize for Limit {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match *self {
            Self::Max => serializer.serialize_str("max"),
            Self::Bytes(bytes) => serializer.serialize_u64(bytes),
        }
    }
}

/// An optional struct that must be a JSON object or `null`: serde's derive alone would
/// also read a struct from an array (`[1, 2]` as `in_use` and `free`). Field paths stay
/// tracked.
pub(crate) fn object<'de, D, T>(deserializer: D) -> Result<Option<T>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    struct OrNull<T>(PhantomData<T>);
    impl<'de, T: Deserialize<'de>> Visitor<'de> for OrNull<T> {
        type Value = Option<T>;
        fn expecting(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
            formatter.write_str("an object or null")
        }
        fn visit_none<E: de::Error>(self) -> Result<Option<T>, E> {
            Ok(None)
        }
        fn visit_unit<E: de::Error>(self) -> Result<Option<T>, E> {
            Ok(None)
        }
        fn visit_some<S: Deserializer<'de>>(self, inner: S) -> Result<Option<T>, S::Error> {
            inner.deserialize_map(Object(PhantomData)).map(Some)
        }
    }
    struct Object<T>(PhantomData<T>);
    impl<'de, T: Deserialize<'de>> Visitor<'de> for Object<T> {
        type Value = T;
        fn expecting(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
            formatter.write_str("an object")
        }
        fn visit_map<M: MapAccess<'de>>(self, map: M) -> Result<T, M::Error> {
            T::deserialize(de::value::MapAccessDeserializer::new(map))
        }
    }
    deserializer.deserialize_option(OrNull(PhantomData))
}

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
    use crate::load::parse_profile;
    use crate::profile::Profile;
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
