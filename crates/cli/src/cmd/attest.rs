//! `chainseal attest --key K --type T --predicate FILE IMAGE`: sign an in-toto Statement about
//! an image and store it as cosign v3 (bundle referrer, default) or v2 (`--format legacy`,
//! `.att` tag) does. `--provenance-from-env` builds a SLSA provenance v1 predicate from the CI
//! environment instead of reading a file.

use std::path::PathBuf;
use std::process::ExitCode;

use chainseal::attest::{AttestFormat, AttestOptions};
use chainseal::sign::predicate::PredicateType;
use clap::{Args, ValueEnum};

use super::note;
use super::provenance::ProvenanceFlags;
use super::registry_opts::RegistryOpts;

/// Attestation storage formats.
#[derive(ValueEnum, Debug, Clone, Copy)]
pub(crate) enum Format {
    /// cosign v3: Sigstore bundle (DSSE + in-toto) as an OCI referrer.
    Bundle,
    /// cosign v2: DSSE envelope in the `sha256-<hex>.att` tag.
    Legacy,
}

impl Format {
    pub(crate) fn to_facade(self) -> AttestFormat {
        match self {
            Format::Bundle => AttestFormat::Bundle,
            Format::Legacy => AttestFormat::Legacy,
        }
    }
}

/// Arguments of `attest`.
#[derive(Args, Debug)]
#[command(after_long_help = "\
TYPES (--type): custom (default; the file is wrapped as {\"Data\", \"Timestamp\"} like cosign),
  cyclonedx, spdx, spdxjson, slsaprovenance (v1), slsaprovenance1, slsaprovenance02, link, vuln,
  openvex, or any absolute URI (the file must be JSON and is used as the predicate unchanged).

Examples:
  chainseal attest --key cosign.key --type cyclonedx --predicate bom.json registry.example/app@sha256:…
  chainseal attest --key cosign.key --type slsaprovenance --provenance-from-env oci-dir:./img
  chainseal attest --key cosign.key --type spdx --predicate sbom.spdx.json --format legacy --replace IMAGE")]
pub(crate) struct AttestArgs {
    /// The signing key: a cosign key file (password from CHAINSEAL_PASSWORD, COSIGN_PASSWORD, a
    /// prompt or stdin) or an unencrypted PEM private key.
    #[arg(short, long, value_name = "FILE")]
    pub(crate) key: PathBuf,
    /// Predicate type: a name (see below) or a URI.
    #[arg(long = "type", value_name = "TYPE", default_value = "custom")]
    pub(crate) predicate_type: String,
    /// The predicate file.
    #[arg(
        long,
        value_name = "FILE",
        required_unless_present = "provenance_from_env",
        conflicts_with = "provenance_from_env"
    )]
    pub(crate) predicate: Option<PathBuf>,
    /// Build a SLSA provenance v1 predicate from the CI environment (GitHub Actions, GitLab CI)
    /// and the --builder-id/--build-type/--source-* flags; needs --type slsaprovenance.
    #[arg(long)]
    pub(crate) provenance_from_env: bool,
    #[command(flatten)]
    pub(crate) provenance: ProvenanceFlags,
    /// Where and how to store the attestation.
    #[arg(long, value_enum, default_value = "bundle")]
    pub(crate) format: Format,
    /// Legacy format: replace earlier attestations of the same predicate type.
    #[arg(long)]
    pub(crate) replace: bool,
    /// Accepted for cosign compatibility: there is never a prompt to skip.
    #[arg(short = 'y', long = "yes")]
    pub(crate) yes: bool,
    #[command(flatten)]
    pub(crate) registry: RegistryOpts,
    /// The image: a registry reference (tag or digest) or `oci-dir:PATH[:TAG]`.
    #[arg(value_name = "IMAGE")]
    pub(crate) image: String,
}

/// Run `attest`.
pub(crate) fn run(args: &AttestArgs) -> anyhow::Result<ExitCode> {
    let predicate_type = PredicateType::parse(&args.predicate_type)?;
    let predicate = if args.provenance_from_env {
        if predicate_type.uri() != chainseal::sign::predicate::SLSA_PROVENANCE_V1 {
            anyhow::bail!("--provenance-from-env makes SLSA provenance v1: use --type slsaprovenance");
        }
        chainseal::provenance::from_env(&args.provenance.to_inputs()?)?
    } else {
        let path = args.predicate.as_ref().ok_or_else(|| anyhow::anyhow!("--predicate FILE is required"))?;
        chainseal::attest::read_predicate(&predicate_type, path)?
    };
    let key = chainseal::sign::load_signing_key(&args.key, None)?;
    let mut options = AttestOptions::default();
    options.format = args.format.to_facade();
    options.replace = args.replace;
    options.registry = args.registry.to_config();
    let report = chainseal::attest::attest(&args.image, &key, &predicate_type, predicate, &options)?;
    for w in &report.warnings {
        eprintln!("warning: {w}");
    }
    if report.written {
        note!("Attested {} ({}) -> {}", report.digest, report.predicate_type, report.stored_at);
    } else {
        note!("{} already carries this attestation in {}", report.digest, report.stored_at);
    }
    Ok(ExitCode::SUCCESS)
}
