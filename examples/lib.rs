//! Example programs for `cargo memleak`; each is an `[[example]]` of this crate.
