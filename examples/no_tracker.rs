//! Does not use the tracker (no `#[global_allocator]`): `cargo memleak run --example
//! no_tracker` must exit 14 and say which lines to add, not report an empty run.

fn main() {
    let words: Vec<String> = ["no", "tracker", "here"]
        .iter()
        .map(|w| (*w).to_owned())
        .collect();
    println!("no_tracker: {}", words.join(" "));
}
