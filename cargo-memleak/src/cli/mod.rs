//! The command line: clap's definitions of the subcommands and their options.

pub(crate) mod diff_args;
pub(crate) mod parse;
pub(crate) mod report_args;
pub(crate) mod run_args;

pub(crate) use diff_args::DiffArgs;
pub(crate) use parse::{Command, parse, print_test_help};
pub(crate) use report_args::{ReportArgs, ReportFormat};
pub(crate) use run_args::{RunArgs, TestArgs};
