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
use chainseal::sign::trust::TrustSource;
use chainseal::verify_attestation::VerifyAttestationOptions;
use chainseal::verify_blob::IdentitySpec;
use clap::Args;

use super::registry_opts::RegistryOpts;

/// Arguments of `verify-attestation`.
#[derive(Args, Debug)]
pub(crate) struct VerifyAttestationArgs {
    /// Managed key: PEM public key (or cosign key file) the attestations must be signed with.
    #[arg(short, long, value_name = "FILE", conflicts_with_all = ["certificate_identity", "certificate_identity_regexp"])]
    pub(crate) key: Option<PathBuf>,
    /// Keyless: the certificate's SAN must equal this.
    #[arg(long, value_name = "IDENTITY", conflicts_with = "certificate_identity_regexp")]
    pub(crate) certificate_identity: Option<String>,
    /// Keyless: the SAN must match this regular expression, anchored at both ends.
    #[arg(long, value_name = "REGEX")]
    pub(crate) certificate_identity_regexp: Option<String>,
    /// Keyless: the OIDC issuer must equal this.
    #[arg(long, value_name = "URL", conflicts_with = "certificate_oidc_issuer_regexp")]
    pub(crate) certificate_oidc_issuer: Option<String>,
    /// Keyless: the OIDC issuer must match this regular expression, anchored at both ends.
    #[arg(long, value_name = "REGEX")]
    pub(crate) certificate_oidc_issuer_regexp: Option<String>,
    /// Keyless: trust this `trusted_root.json` instead of the embedded production root.
    #[arg(long, value_name = "FILE")]
    pub(crate) trusted_root: Option<PathBuf>,
    /// Keep only Statements of this predicate type (name or URI; versioned spellings match).
    #[arg(long = "type", value_name = "TYPE")]
    pub(crate) predicate_type: Option<String>,
    /// Attestation policy (YAML or JSON; see docs/policy.md).
    #[arg(long, value_name = "FILE")]
    pub(crate) policy: Option<PathBuf>,
    /// Accepted for cosign compatibility: keys are checked offline, no log is consulted.
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
    let mut options = VerifyAttestationOptions::default();
    if let Some(k) = &args.key {
        options.keys.push(chainseal::sign::load_verification_key(k, None)?);
    }
    let keyless = args.certificate_identity.is_some()
        || args.certificate_identity_regexp.is_some()
        || args.certificate_oidc_issuer.is_some()
        || args.certificate_oidc_issuer_regexp.is_some();
    if keyless {
        let spec = IdentitySpec {
            identity: args.certificate_identity.clone(),
            identity_regexp: args.certificate_identity_regexp.clone(),
            issuer: args.certificate_oidc_issuer.clone(),
            issuer_regexp: args.certificate_oidc_issuer_regexp.clone(),
            claims: Vec::new(),
        };
        options.identity = Some(spec.to_policy()?);
    }
    options.trust = args.trusted_root.clone().map(TrustSource::File);
    options.predicate_type = args.predicate_type.as_deref().map(PredicateType::parse).transpose()?;
    options.policy = args.policy.as_deref().map(AttestationPolicy::from_file).transpose()?;
    options.registry = args.registry.to_config();
    let report = chainseal::verify_attestation::verify_attestation(&args.image, &options)?;
    for w in &report.warnings {
        eprintln!("warning: {w}");
    }
    for c in &report.checks {
        eprintln!("check: {c}");
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
    eprintln!("Verified {} attestation(s) of {}", report.verified.len(), report.digest);
    Ok(ExitCode::SUCCESS)
}
