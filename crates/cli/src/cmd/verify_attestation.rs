//! `chainseal verify-attestation --key K | --certificate-identity … --certificate-oidc-issuer …
//! [--type T] [--policy FILE] IMAGE`: verify an image's attestations.
//!
//! Verified Statements go to stdout as a JSON array; checks and refusals to stderr. Exit 0 when
//! at least one Statement verified and the policy (if any) passed; 1 when none verified or a
//! policy rule failed (each named); 2 on errors (a registry failure is never "none found").

use std::path::PathBuf;
use std::process::ExitCode;

use chainseal::sign::attest_policy::AttestationPolicy;
use chainseal::sign::predicate::PredicateType;
use chainseal::verify_attestation::VerifyAttestationOptions;
use clap::Args;

use super::identity_opts::IdentityOpts;
use super::note;
use super::registry_opts::RegistryOpts;

/// Arguments of `verify-attestation`.
#[derive(Args, Debug)]
pub(crate) struct VerifyAttestationArgs {
    /// Managed key: PEM public key (or cosign key file) the attestations must be signed with.
    /// Transparency-log entries the attestations carry (bundle entries, the Rekor bundle
    /// annotation of legacy `.att` layers) are always verified against the trusted root; ones
    /// without any are accepted on the key and stderr says so.
    #[arg(short, long, value_name = "FILE", conflicts_with_all = ["certificate_identity", "certificate_identity_regexp"])]
    pub(crate) key: Option<PathBuf>,
    /// Keyless identity (SAN, OIDC issuer, Fulcio extensions) and the trusted root.
    #[command(flatten)]
    pub(crate) identity: IdentityOpts,
    /// Keep only Statements of this predicate type (name or URI; versioned spellings match).
    #[arg(long = "type", value_name = "TYPE")]
    pub(crate) predicate_type: Option<String>,
    /// Attestation policy (YAML or JSON; see docs/policy.md).
    #[arg(long, value_name = "FILE")]
    pub(crate) policy: Option<PathBuf>,
    /// cosign compatibility, no effect with --key (see --key); refused for keyless
    /// verification, which always needs a verified log entry or timestamp.
    #[arg(long)]
    pub(crate) insecure_ignore_tlog: bool,
    #[command(flatten)]
    pub(crate) registry: RegistryOpts,
    /// The image: a registry reference (tag or digest) or `oci-dir:PATH[:TAG]`.
    #[arg(value_name = "IMAGE")]
    pub(crate) image: String,
}

/// Run `verify-attestation`.
pub(crate) fn run(args: &VerifyAttestationArgs) -> anyhow::Result<ExitCode> {
    let keyless = args.identity.any_identity();
    if keyless && args.key.is_some() {
        eprintln!("error: give either --key or the keyless --certificate-* flags, not both");
        return Ok(ExitCode::from(2));
    }
    if keyless && args.insecure_ignore_tlog {
        eprintln!(
            "error: --insecure-ignore-tlog is refused for keyless verification: a certificate needs a verified \
             signing time from the transparency log or a timestamp authority"
        );
        return Ok(ExitCode::from(2));
    }
    let mut options = VerifyAttestationOptions::default();
    if let Some(k) = &args.key {
        options.keys.push(chainseal::sign::load_verification_key(k, None)?);
    }
    if keyless {
        options.identity = Some(args.identity.spec().to_policy()?);
    }
    options.trust = Some(args.identity.trust());
    options.predicate_type = args.predicate_type.as_deref().map(PredicateType::parse).transpose()?;
    options.policy = args.policy.as_deref().map(AttestationPolicy::from_file).transpose()?;
    options.registry = args.registry.to_config();
    let report = chainseal::verify_attestation::verify_attestation(&args.image, &options)?;
    for w in &report.warnings {
        eprintln!("warning: {w}");
    }
    for c in &report.checks {
        note!("check: {c}");
    }
    for s in &report.skipped {
        eprintln!("skipped: {}: {}", s.found_at, s.reason);
    }
    for r in &report.rejected {
        eprintln!("refused: {}: {}", r.found_at, r.reason);
    }
    for f in &report.policy_failures {
        eprintln!("error: {f}");
    }
    if report.verified.is_empty() {
        let what = options.predicate_type.as_ref().map(|t| format!(" of type {t}")).unwrap_or_default();
        eprintln!(
            "error: no attestation{what} of {} verified ({} refused, {} of other types)",
            report.digest,
            report.rejected.len(),
            report.skipped.len()
        );
        return Ok(ExitCode::from(1));
    }
    if !report.policy_failures.is_empty() {
        eprintln!("error: {} policy rule(s) failed for {}", report.policy_failures.len(), report.digest);
        return Ok(ExitCode::from(1));
    }
    let statements: Vec<_> = report.verified.iter().map(|v| &v.statement).collect();
    println!("{}", serde_json::to_string(&statements)?);
    note!("Verified {} attestation(s) of {}", report.verified.len(), report.digest);
    Ok(ExitCode::SUCCESS)
}
