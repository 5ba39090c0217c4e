//! `chainseal download signature|attestation|sbom IMAGE`: fetch what is attached, unverified
//! (like `cosign download`). Signatures and attestations are JSON lines; SBOMs are the
//! documents themselves.

use std::io::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;

use chainseal::download::{DownloadKind, DownloadOptions};
use chainseal::sign::predicate::PredicateType;
use clap::{Args, ValueEnum};

use super::registry_opts::RegistryOpts;

/// What to download.
#[derive(ValueEnum, Debug, Clone, Copy)]
pub(crate) enum What {
    /// Image signatures (bundle JSON, or cosign v2's signature JSON for `.sig` layers).
    Signature,
    /// Attestations (bundle JSON, or DSSE envelope JSON for `.att` layers).
    Attestation,
    /// SBOM documents (attested CycloneDX/SPDX predicates and `.sbom` attachments).
    Sbom,
}

/// Arguments of `download`.
#[derive(Args, Debug)]
pub(crate) struct DownloadArgs {
    /// What to download.
    #[arg(value_enum)]
    pub(crate) what: What,
    /// Only attestations/SBOMs whose Statement claims this predicate type (name or URI).
    #[arg(long, value_name = "TYPE")]
    pub(crate) predicate_type: Option<String>,
    /// Write to this file instead of stdout.
    #[arg(long = "output-file", value_name = "FILE")]
    pub(crate) output_file: Option<PathBuf>,
    #[command(flatten)]
    pub(crate) registry: RegistryOpts,
    /// The image: a registry reference (tag or digest) or `oci-dir:PATH[:TAG]`.
    #[arg(value_name = "IMAGE")]
    pub(crate) image: String,
}

/// Run `download`.
pub(crate) fn run(args: &DownloadArgs) -> anyhow::Result<ExitCode> {
    let kind = match args.what {
        What::Signature => DownloadKind::Signature,
        What::Attestation => DownloadKind::Attestation,
        What::Sbom => DownloadKind::Sbom,
    };
    let mut options = DownloadOptions::default();
    options.predicate_type = args.predicate_type.as_deref().map(PredicateType::parse).transpose()?;
    options.registry = args.registry.to_config();
    let got = chainseal::download::download(&args.image, kind, &options)?;
    for w in &got.warnings {
        eprintln!("warning: {w}");
    }
    for s in &got.sources {
        eprintln!("from {s}");
    }
    if got.documents.is_empty() {
        eprintln!("error: nothing of that kind is attached to {}", args.image);
        return Ok(ExitCode::from(1));
    }
    let bytes: Vec<u8> = got.documents.concat();
    match &args.output_file {
        Some(p) => std::fs::write(p, &bytes).map_err(|e| anyhow::anyhow!("cannot write {}: {e}", p.display()))?,
        None => {
            let mut out = std::io::stdout().lock();
            out.write_all(&bytes)?;
            out.flush()?;
        }
    }
    Ok(ExitCode::SUCCESS)
}
