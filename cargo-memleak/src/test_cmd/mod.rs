//! `cargo memleak test`: build the test binaries with the tracker, run each with a profile
//! of its own, report each, and find which test leaked.

mod args;
mod attribution;
mod binary;
mod junit_cases;
mod libtest;
mod reruns;
mod runner;
mod threads;

pub(crate) use runner::test;
