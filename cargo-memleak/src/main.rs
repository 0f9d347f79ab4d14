//! `cargo memleak`: builds a Rust program with the `memleak` tracker, runs it, and reports its leaks.
#![forbid(unsafe_code)]

mod annotations;
mod build_messages;
mod cargo;
mod cli;
mod diff;
mod env;
mod exit_code;
mod fail_on;
mod interposer;
mod interrupt;
mod junit;
mod process;
mod report;
mod run;
mod settings;
mod setup;
mod term;
mod test_cmd;
mod tracker_profile;
mod tracking;
mod workspace;

fn main() -> std::process::ExitCode {
    // A panic is a bug in cargo-memleak: the hook has printed it; exit 1 rather than 101.
    let code = std::panic::catch_unwind(dispatch).unwrap_or(exit_code::INTERNAL_ERROR);
    std::process::ExitCode::from(code)
}

/// Parses the command line, runs the subcommand, prints any error and returns the exit code.
fn dispatch() -> u8 {
    interrupt::install();
    let result = match cli::parse(std::env::args_os().collect()) {
        Ok(cli::Command::Run(args)) => run::run(&args),
        Ok(cli::Command::Test(args)) => test_cmd::test(&args),
        Ok(cli::Command::Report(args)) => report::report(&args),
        Ok(cli::Command::Diff(args)) => diff::diff(&args),
        Err(code) => return code,
    };
    result.unwrap_or_else(exit_code::Failure::print)
}
