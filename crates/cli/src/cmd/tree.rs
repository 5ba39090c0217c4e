//! `chainseal tree IMAGE`: list what is attached to an image (signatures, attestations by
//! predicate type, SBOMs) from referrers and cosign tags. Unverified; text like `cosign tree`
//! or `-o json`.

use std::process::ExitCode;

use chainseal::tree::TreeOptions;
use clap::{Args, ValueEnum};

use super::note;
use super::registry_opts::RegistryOpts;

/// Output styles.
#[derive(ValueEnum, Debug, Clone, Copy)]
pub(crate) enum Output {
    /// Like `cosign tree`.
    Text,
    /// JSON object with every item.
    Json,
}

/// Arguments of `tree`.
#[derive(Args, Debug)]
pub(crate) struct TreeArgs {
    /// Output style.
    #[arg(short, long, value_enum, default_value = "text")]
    pub(crate) output: Output,
    #[command(flatten)]
    pub(crate) registry: RegistryOpts,
    /// The image: a registry reference (tag or digest) or `oci-dir:PATH[:TAG]`.
    #[arg(value_name = "IMAGE")]
    pub(crate) image: String,
}

/// Run `tree`.
pub(crate) fn run(args: &TreeArgs, verbose: bool) -> anyhow::Result<ExitCode> {
    let mut options = TreeOptions::default();
    options.registry = args.registry.to_config();
    let attached = chainseal::tree::tree(&args.image, &options)?;
    for w in &attached.warnings {
        eprintln!("warning: {w}");
    }
    if verbose {
        for c in &attached.checks {
            note!("check: {c}");
        }
    }
    match args.output {
        Output::Text => print!("{}", chainseal::tree::render_text(&attached, &args.image)),
        Output::Json => println!("{}", serde_json::to_string_pretty(&attached)?),
    }
    Ok(ExitCode::SUCCESS)
}
