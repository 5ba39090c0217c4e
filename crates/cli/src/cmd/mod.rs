//! Subcommands. Each module parses its own arguments and calls the `chainseal` facade;
//! none holds logic of its own.

use std::process::ExitCode;

use clap::{Args, Subcommand};

/// Options every subcommand accepts.
#[derive(Args, Debug, Clone)]
pub(crate) struct GlobalOptions {
    /// Print nothing but data and errors (no progress bars).
    #[arg(short, long, global = true)]
    pub(crate) quiet: bool,
    /// More logging on stderr (-v, -vv); RUST_LOG also works.
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub(crate) verbose: u8,
}

/// The subcommands.
#[derive(Subcommand, Debug)]
pub(crate) enum Command {}

/// Send `tracing` output to stderr at the verbosity asked for.
pub(crate) fn init_logging(global: &GlobalOptions) {
    let default = match global.verbose {
        0 => "warn",
        1 => "info",
        _ => "debug",
    };
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr).init();
}

/// Run one subcommand and return the process exit code.
pub(crate) fn run(command: Command, _global: &GlobalOptions) -> anyhow::Result<ExitCode> {
    match command {}
}
