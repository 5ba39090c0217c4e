//! `chainseal`: SBOMs, signatures and attestations for container images, from a shell.
//!
//! Exit codes: 0 success; 1 verification or policy failure; 2 usage or runtime error.

use std::process::ExitCode;

use clap::Parser;

mod cmd;

/// Supply-chain signing and SBOM toolkit, compatible with cosign and syft.
#[derive(Parser, Debug)]
#[command(name = "chainseal", version, about)]
struct Cli {
    #[command(flatten)]
    global: cmd::GlobalOptions,
    #[command(subcommand)]
    command: cmd::Command,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    cmd::init_logging(&cli.global);
    match cmd::run(cli.command, &cli.global) {
        Ok(code) => code,
        Err(err) => {
            eprintln!("error: {err:#}");
            ExitCode::from(2)
        }
    }
}
