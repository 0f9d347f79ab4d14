//! `cargo memleak` (skeleton; the cargo-memleak helper writes it).
fn main() {}
