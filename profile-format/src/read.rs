//! Reading profiles with serde: the parts the derives cannot say.

use std::fmt;
use std::marker::PhantomData;

use serde::de::{self, Deserializer, MapAccess, SeqAccess, Unexpected, Visitor};
use serde::{Deserialize, Serialize, Serializer};

use crate::{Limit, SampleKind};

pub(crate) fn yes() -> bool {
    true
}

pub(crate) fn interval() -> SampleKind {
    SampleKind::Interval
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

/// `[[site, bytes], ...]`: each entry exactly two numbers (serde's tuples would take a
/// longer array for a syntax error).
pub(crate) fn pairs<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Vec<(u64, u64)>, D::Error> {
    struct Pair(u64, u64);
    impl<'de> Deserialize<'de> for Pair {
        fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
            struct PairVisitor;
            impl<'de> Visitor<'de> for PairVisitor {
                type Value = Pair;
                fn expecting(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
                    formatter.write_str("a [site id, live bytes] pair")
                }
                fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Pair, A::Error> {
                    let site = seq
                        .next_element()?
                        .ok_or_else(|| de::Error::invalid_length(0, &self))?;
                    let bytes = seq
                        .next_element()?
                        .ok_or_else(|| de::Error::invalid_length(1, &self))?;
                    if seq.next_element::<de::IgnoredAny>()?.is_some() {
                        return Err(de::Error::invalid_length(3, &self));
                    }
                    Ok(Pair(site, bytes))
                }
            }
            deserializer.deserialize_seq(PairVisitor)
        }
    }
    let pairs: Vec<Pair> = Vec::deserialize(deserializer)?;
    Ok(pairs
        .into_iter()
        .map(|Pair(site, bytes)| (site, bytes))
        .collect())
}
