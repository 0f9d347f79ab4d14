//! Does not use the tracker (no `#[global_allocator]`): `cargo memleak run --example
//! no_tracker` runs it under the interposer; with `--mode inprocess` it exits 14 and says
//! which lines to add.

fn main() {
    let words: Vec<String> = ["no", "tracker", "here"]
        .iter()
        .map(|w| (*w).to_owned())
        .collect();
    println!("no_tracker: {}", words.join(" "));
}
