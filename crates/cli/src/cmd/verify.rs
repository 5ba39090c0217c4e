//! `chainseal verify --key K IMAGE`: verify cosign-compatible key signatures of an image.
//!
//! Verified payloads go to stdout as JSON; what was checked goes to stderr. Exit 0 when at
//! least one signature verified, 1 when none did (each refusal explained), 2 on errors (a
//! registry failure is never reported as "no signatures").

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::ExitCode;

use chainseal::verify::VerifyImageOptions;
use clap::Args;

use super::registry_opts::RegistryOpts;
use super::sign::parse_annotation;

/// Arguments of `verify`.
#[derive(Args, Debug)]
pub(crate) struct VerifyArgs {
    /// The public key (PEM), or a cosign key file (its public half is used).
    #[arg(short, long, value_name = "FILE")]
    pub(crate) key: PathBuf,
    /// Annotation every accepted signature must carry (repeatable).
    #[arg(short = 'a', long = "annotations", value_name = "KEY=VALUE", value_parser = parse_annotation)]
    pub(crate) annotations: Vec<(String, String)>,
    #[command(flatten)]
    pub(crate) registry: RegistryOpts,
    /// The image: a registry reference (tag or digest) or `oci-dir:PATH[:TAG]`.
    #[arg(value_name = "IMAGE")]
    pub(crate) image: String,
}

/// Run `verify`.
pub(crate) fn run(args: &VerifyArgs) -> anyhow::Result<ExitCode> {
    let key = chainseal::sign::load_verification_key(&args.key, None)?;
    let mut options = VerifyImageOptions::default();
    options.annotations = args.annotations.iter().cloned().collect::<BTreeMap<_, _>>();
    options.registry = args.registry.to_config();
    let report = chainseal::verify::verify_image(&args.image, &key, &options)?;
    for w in &report.warnings {
        eprintln!("warning: {w}");
    }
    for c in &report.checks {
        eprintln!("check: {c}");
    }
    for r in &report.rejected {
        eprintln!("refused: {}: {}", r.found_at, r.reason);
    }
    if report.verified.is_empty() {
        eprintln!(
            "error: no signature of {} verified with this key ({} found and refused)",
            report.digest,
            report.rejected.len()
        );
        return Ok(ExitCode::from(1));
    }
    let payloads: Vec<_> = report.verified.iter().map(|v| &v.payload).collect();
    println!("{}", serde_json::to_string(&payloads)?);
    eprintln!("Verified {} signature(s) of {}", report.verified.len(), report.digest);
    Ok(ExitCode::SUCCESS)
}
