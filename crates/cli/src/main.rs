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
    exit_quietly_on_broken_pipe();
    let cli = Cli::parse();
    cmd::init_logging(&cli.global);
    match cmd::run(cli.command, &cli.global) {
        Ok(code) => code,
        Err(err) => {
            eprintln!("error: {}", describe(&err));
            ExitCode::from(2)
        }
    }
}

/// The error and its causes joined by `: `, leaving out a cause whose text the message already
/// quotes (many library errors include their source in their own message).
fn describe(err: &anyhow::Error) -> String {
    let mut out = String::new();
    for cause in err.chain() {
        let text = cause.to_string();
        if out.contains(&text) {
            continue;
        }
        if !out.is_empty() {
            out.push_str(": ");
        }
        out.push_str(&text);
    }
    out
}

/// `chainseal … | head` closes stdout early; like other Unix tools, stop quietly with status 0
/// instead of panicking in `println!`. (Rust ignores SIGPIPE, so the write fails with EPIPE and
/// `println!` panics with this message; restoring SIGPIPE would need `unsafe`.)
fn exit_quietly_on_broken_pipe() {
    let default_hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let message = info
            .payload()
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| info.payload().downcast_ref::<&str>().copied())
            .unwrap_or("");
        if message.contains("failed printing to stdout") && message.contains("Broken pipe") {
            std::process::exit(0);
        }
        default_hook(info);
    }));
}
