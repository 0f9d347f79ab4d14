//! The overhead bench's workloads: deterministic, each returning a checksum that must be
//! the same whichever allocator ran it.
//!
//! Iteration counts are the full-size ones; `--scale F` multiplies them (the parent
//! prints the counts it used).

use std::collections::BTreeMap;
use std::hint::black_box;

use serde_json::{Map, Value};

pub(crate) struct Workload {
    pub(crate) name: &'static str,
    /// What one run does at `scale`, for the table.
    pub(crate) describe: fn(f64) -> String,
    /// Runs the workload at `scale`; returns its checksum.
    pub(crate) run: fn(f64) -> u64,
}

pub(crate) const WORKLOADS: &[Workload] = &[
    Workload {
        name: "churn",
        describe: |s| {
            format!(
                "{} boxes of 8-127 B; 1 in 64 lives for 65k steps, the rest for 64",
                scaled(CHURN, s)
            )
        },
        run: |s| churn_kernel(0, scaled(CHURN, s)),
    },
    Workload {
        name: "btree",
        describe: |s| {
            format!(
                "BTreeMap<String, Vec<u64>> of {} keys, built, updated, freed",
                scaled(BTREE_KEYS, s)
            )
        },
        run: |s| btree(scaled(BTREE_KEYS, s)),
    },
    Workload {
        name: "json",
        describe: |s| {
            format!(
                "{} batches of {} records: build Value, to_string, from_str",
                JSON_BATCHES,
                scaled(JSON_RECORDS, s)
            )
        },
        run: |s| json(scaled(JSON_RECORDS, s)),
    },
    Workload {
        name: "threads2",
        describe: |s| {
            format!(
                "churn kernel on 2 threads, {} boxes each",
                scaled(THREAD_CHURN * 2 / 2, s)
            )
        },
        run: |s| threads(2, scaled(THREAD_CHURN * 2 / 2, s)),
    },
    Workload {
        name: "threads4",
        describe: |s| {
            format!(
                "churn kernel on 4 threads, {} boxes each",
                scaled(THREAD_CHURN * 2 / 4, s)
            )
        },
        run: |s| threads(4, scaled(THREAD_CHURN * 2 / 4, s)),
    },
    Workload {
        name: "threads8",
        describe: |s| {
            format!(
                "churn kernel on 8 threads, {} boxes each",
                scaled(THREAD_CHURN * 2 / 8, s)
            )
        },
        run: |s| threads(8, scaled(THREAD_CHURN * 2 / 8, s)),
    },
    Workload {
        name: "deep",
        describe: |s| {
            format!(
                "{} descents 30-50 calls deep (40-60 frames), 1 box at the bottom",
                scaled(DEEP, s)
            )
        },
        run: |s| deep(scaled(DEEP, s)),
    },
];

const CHURN: u64 = 20_000_000;
/// Per thread; smaller than `CHURN / 2` because dhat-rs takes about 200x on it, and the
/// whole run must stay under 10 minutes.
/// Boxes per thread of threads2; threads4 and threads8 share the same total.
const THREAD_CHURN: u64 = 2_500_000;
const BTREE_KEYS: u64 = 1_000_000;
const JSON_BATCHES: u64 = 4;
const JSON_RECORDS: u64 = 50_000;
const DEEP: u64 = 2_000_000;

fn scaled(n: u64, scale: f64) -> u64 {
    ((n as f64 * scale).round() as u64).max(1)
}

/// Small-object churn: `n` boxes of 8-127 bytes. Each goes into a ring of 64 (freed 64
/// steps later), except every 64th, which goes into a ring of 1024 (freed about 65k
/// steps later).
pub(crate) fn churn_kernel(seed: u64, n: u64) -> u64 {
    let mut young: Vec<Option<Box<[u8]>>> = (0..64).map(|_| None).collect();
    let mut old: Vec<Option<Box<[u8]>>> = (0..1024).map(|_| None).collect();
    let mut sum = 0u64;
    for i in 0..n {
        let x = i.wrapping_add(seed);
        let size = 8 + (x as usize).wrapping_mul(7) % 120;
        let block = black_box(vec![x as u8; size].into_boxed_slice());
        sum = sum
            .wrapping_add(u64::from(block[size / 2]))
            .wrapping_add(size as u64);
        if i.is_multiple_of(64) {
            old[((i / 64) % 1024) as usize] = Some(block);
        } else {
            young[(i % 64) as usize] = Some(block);
        }
    }
    sum
}

/// A `BTreeMap<String, Vec<u64>>` of `keys` keys inserted in a scattered order (each key
/// a `String`, each value a `Vec` of 1-4 words grown by `push`), every value then grown
/// by one more word, summed, and the whole map freed: a few million live blocks at peak.
fn btree(keys: u64) -> u64 {
    const PRIME: u64 = 2_147_483_647;
    let mut map: BTreeMap<String, Vec<u64>> = BTreeMap::new();
    for i in 0..keys {
        let k = (i.wrapping_mul(2_654_435_761)) % PRIME;
        let mut value = Vec::new();
        for j in 0..=(k % 4) {
            value.push(k ^ j);
        }
        map.insert(format!("key-{k:010}"), value);
    }
    for (n, value) in map.values_mut().enumerate() {
        value.push(n as u64);
    }
    let sum = map
        .iter()
        .map(|(key, value)| (key.len() as u64).wrapping_add(value.iter().fold(0, |a, &b| a ^ b)))
        .fold(map.len() as u64, u64::wrapping_add);
    drop(black_box(map));
    sum
}

/// `JSON_BATCHES` times: builds a `serde_json::Value` of `records` records (strings,
/// numbers, arrays, a nested object each), serializes it to a string, parses it back
/// and walks the result.
fn json(records: u64) -> u64 {
    let mut sum = 0u64;
    for batch in 0..JSON_BATCHES {
        let value = Value::Array(
            (0..records)
                .map(|i| {
                    let id = batch * records + i;
                    let mut record = Map::new();
                    record.insert("id".to_owned(), Value::from(id));
                    record.insert("name".to_owned(), Value::from(format!("user-{id}")));
                    record.insert(
                        "tags".to_owned(),
                        Value::Array(
                            (0..(id % 4))
                                .map(|t| Value::from(format!("tag{}", (id + t) % 97)))
                                .collect(),
                        ),
                    );
                    record.insert(
                        "scores".to_owned(),
                        Value::Array((0..4).map(|t| Value::from(id * 3 + t)).collect()),
                    );
                    let mut nested = Map::new();
                    nested.insert("active".to_owned(), Value::from(id.is_multiple_of(3)));
                    nested.insert("ratio".to_owned(), Value::from((id % 1000) as f64 / 8.0));
                    record.insert("meta".to_owned(), Value::Object(nested));
                    Value::Object(record)
                })
                .collect(),
        );
        let text = serde_json::to_string(&value).expect("serializes");
        drop(value);
        let parsed: Value = serde_json::from_str(&text).expect("parses");
        sum = sum.wrapping_add(text.len() as u64);
        sum = sum.wrapping_add(walk(&parsed));
    }
    sum
}

fn walk(value: &Value) -> u64 {
    match value {
        Value::Null => 1,
        Value::Bool(b) => u64::from(*b) + 2,
        Value::Number(n) => n
            .as_u64()
            .unwrap_or_else(|| n.as_f64().map_or(0, |f| (f * 8.0) as u64)),
        Value::String(s) => s.len() as u64,
        Value::Array(items) => items.iter().map(walk).fold(3, u64::wrapping_add),
        Value::Object(map) => map
            .iter()
            .map(|(k, v)| (k.len() as u64).wrapping_mul(31).wrapping_add(walk(v)))
            .fold(5, u64::wrapping_add),
    }
}

/// The churn kernel on `count` threads at once, `each` boxes per thread.
fn threads(count: u64, each: u64) -> u64 {
    let workers: Vec<_> = (0..count)
        .map(|t| std::thread::spawn(move || churn_kernel(t * 1_000_003, each)))
        .collect();
    workers
        .into_iter()
        .map(|w| w.join().expect("worker"))
        .fold(0, u64::wrapping_add)
}

/// `n` descents 30-50 calls deep; at the bottom one box of 1-15 words, kept in a ring of
/// 256. With the program's own frames below, the stacks are 40-60 frames deep.
fn deep(n: u64) -> u64 {
    let mut keep: Vec<Option<Box<[u64]>>> = (0..256).map(|_| None).collect();
    let mut sum = 0u64;
    for i in 0..n {
        sum = sum.wrapping_add(descend(30 + (i % 21) as u32, i, &mut keep));
    }
    sum
}

#[inline(never)]
fn descend(depth: u32, x: u64, keep: &mut [Option<Box<[u64]>>]) -> u64 {
    if depth == 0 {
        let len = 1 + (x % 15) as usize;
        let block = black_box(vec![x; len].into_boxed_slice());
        let value = block[len - 1].wrapping_add(len as u64);
        keep[(x % keep.len() as u64) as usize] = Some(block);
        return value;
    }
    // A real frame per level: a local whose address escapes, and work after the call.
    let local = [x, u64::from(depth)];
    black_box(&local);
    let below = descend(
        depth - 1,
        x.wrapping_mul(31).wrapping_add(u64::from(depth)),
        keep,
    );
    black_box(below).wrapping_add(local[1])
}
