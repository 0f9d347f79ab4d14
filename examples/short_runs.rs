//! What the four short programs of the growth tests share: a request handler that builds
//! a response of about 300 bytes with some scratch work (1 KiB, freed), 5,000 times,
//! in tens of milliseconds. Each program keeps the responses its own way.

/// The response to request `id`, built with scratch memory that is freed again.
#[inline(never)]
pub(crate) fn respond(id: u64) -> String {
    let scratch: Vec<u64> = (0..128).map(|i| i * id).collect();
    let checksum: u64 = std::hint::black_box(&scratch).iter().sum();
    format!("response {id}: checksum {checksum:020} {}", "x".repeat(240))
}

/// How many requests each program serves.
pub(crate) const REQUESTS: u64 = 5_000;
