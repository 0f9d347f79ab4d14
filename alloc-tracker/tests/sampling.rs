//! Sampling by bytes: with `MEMLEAK_SAMPLE_BYTES` set, only about one allocation per
//! that many bytes is recorded, and the site counters are unbiased estimates of the
//! real totals (checked here against the exact figures, within their statistical error).

mod common;

#[global_allocator]
static ALLOC: memleak::TrackingAlloc = memleak::TrackingAlloc::system();

const MEAN_BYTES: u64 = 4096;
const KEPT: usize = 100_000;
const KEPT_SIZE: usize = 100;
const CHURNED: usize = 300_000;
const BIG: usize = 40;
const BIG_SIZE: usize = 64 << 10;

#[inline(never)]
fn keep_block(i: usize) -> Box<[u8]> {
    std::hint::black_box(vec![i as u8; KEPT_SIZE].into_boxed_slice())
}

#[inline(never)]
fn churn_block(i: usize) -> Vec<u8> {
    std::hint::black_box(vec![i as u8; 16 + i % 200])
}

#[inline(never)]
fn big_block(i: usize) -> Vec<u8> {
    std::hint::black_box(vec![i as u8; BIG_SIZE])
}

/// How far an estimate may be from the truth: 5 standard errors of a Poisson count of
/// `bytes / MEAN_BYTES` samples, at least 2%.
fn tolerance(bytes: u64) -> f64 {
    let samples = bytes as f64 / MEAN_BYTES as f64;
    (5.0 / samples.sqrt()).max(0.02)
}

fn assert_close(what: &str, estimate: u64, truth: u64) {
    let error = (estimate as f64 - truth as f64).abs() / truth as f64;
    assert!(
        error <= tolerance(truth),
        "{what}: estimated {estimate}, really {truth} (error {:.1}%, allowed {:.1}%)",
        error * 100.0,
        tolerance(truth) * 100.0
    );
}

#[test]
fn sampled_counters_estimate_the_real_figures() {
    // SAFETY: no other thread exists yet that could read the environment meanwhile
    // (the test harness's main thread only waits for this test).
    unsafe { std::env::set_var("MEMLEAK_SAMPLE_BYTES", MEAN_BYTES.to_string()) };
    memleak::start();

    // A scope sees every event while it is open, sampled or not.
    let leaks = memleak::leaks(|| {
        for i in 0..1000 {
            drop(std::hint::black_box(churn_block(i)));
        }
        // Each would be sampled with a probability of 2.4%: all 50 only if seen anyway.
        for _ in 0..50 {
            std::mem::forget(std::hint::black_box(vec![7u8; 100]));
        }
    });
    assert_eq!((leaks.bytes(), leaks.blocks()), (5000, 50), "{leaks}");

    let kept: Vec<Box<[u8]>> = (0..KEPT).map(keep_block).collect();
    let mut churned_bytes = 0u64;
    for i in 0..CHURNED {
        let block = churn_block(i);
        churned_bytes += block.len() as u64;
        drop(block);
    }
    // Blocks far bigger than the mean are always recorded, at their own weight.
    let big: Vec<Vec<u8>> = (0..BIG).map(big_block).collect();

    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("profile.json");
    memleak::write_profile(&path).expect("profile written");
    let profile = common::load(&path);
    let counter = |function: &str, name: &str| common::sum_for(&profile, function, name);

    let kept_bytes = (KEPT * KEPT_SIZE) as u64;
    assert_close(
        "keep_block live bytes",
        counter("keep_block", "live_bytes"),
        kept_bytes,
    );
    assert_close(
        "keep_block live blocks",
        counter("keep_block", "live_blocks"),
        KEPT as u64,
    );
    assert_close(
        "churn_block allocated bytes",
        counter("churn_block", "allocated_bytes"),
        churned_bytes,
    );
    assert_close(
        "churn_block allocated blocks",
        counter("churn_block", "allocated_blocks"),
        CHURNED as u64,
    );
    assert_eq!(counter("churn_block", "live_bytes"), 0);
    assert_eq!(counter("churn_block", "live_blocks"), 0);
    // p(64 KiB) = 1 - e^-16: every big block is recorded, each standing for itself.
    assert_eq!(counter("big_block", "live_blocks"), BIG as u64);
    assert_eq!(counter("big_block", "live_bytes"), (BIG * BIG_SIZE) as u64);

    // Only a sample of the blocks is recorded: about kept_bytes / MEAN_BYTES of the
    // 100,000 kept ones.
    let live = profile["live"].as_array().expect("live");
    let recorded_kept = live
        .iter()
        .filter(|block| block["size"].as_u64() == Some(KEPT_SIZE as u64))
        .count() as f64;
    let expected = KEPT as f64 * -(-(KEPT_SIZE as f64) / MEAN_BYTES as f64).exp_m1();
    assert!(
        (recorded_kept - expected).abs() < 5.0 * expected.sqrt(),
        "{recorded_kept} kept blocks recorded, expected about {expected:.0}"
    );
    let totals = &profile["totals"];
    assert_eq!(totals["unknown_frees"], 0);
    assert_eq!(totals["untracked_allocs"], 0);
    assert_eq!(profile["sampling"]["mean_bytes"], MEAN_BYTES);
    drop((kept, big));
}
