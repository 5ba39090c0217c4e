//! `chainseal verify (--key K | --certificate-identity … --certificate-oidc-issuer …) IMAGE`:
//! verify cosign-compatible image signatures (v3 bundle referrers and legacy `.sig` layers)
//! with a managed key or a keyless identity, offline against a trusted root.
//!
//! Verified payloads go to stdout as JSON; what was checked goes to stderr. Exit 0 when at
//! least one signature verified, 1 when none did (each refusal explained in one line naming the
//! failed step), 2 on errors (a registry failure is never reported as "no signatures").

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::ExitCode;

use chainseal::verify::{ImageSigner, VerifyImageOptions};
use clap::Args;

use super::identity_opts::IdentityOpts;
use super::registry_opts::RegistryOpts;
use super::sign::parse_annotation;

/// Arguments of `verify`.
#[derive(Args, Debug)]
pub(crate) struct VerifyArgs {
    /// Managed key: the public key (PEM), or a cosign key file (its public half is used).
    /// Transparency-log entries that signatures carry are always verified against the trusted
    /// root; signatures without any (cosign --tlog-upload=false, chainseal's offline sign) are
    /// accepted on the key and stderr says so.
    #[arg(short, long, value_name = "FILE", required_unless_present_any = ["certificate_identity", "certificate_identity_regexp"])]
    pub(crate) key: Option<PathBuf>,
    #[command(flatten)]
    pub(crate) identity: IdentityOpts,
    /// cosign compatibility, no effect with --key (see --key); refused for keyless
    /// verification, which always needs a verified log entry or timestamp.
    #[arg(long, hide = true)]
    pub(crate) insecure_ignore_tlog: bool,
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
    let signer = match &args.key {
        Some(_) if args.identity.any_identity() => {
            eprintln!("error: give either --key or the keyless --certificate-* flags, not both");
            return Ok(ExitCode::from(2));
        }
        Some(key) => ImageSigner::Key(chainseal::sign::load_verification_key(key, None)?),
        None if args.insecure_ignore_tlog => {
            eprintln!(
                "error: --insecure-ignore-tlog is refused for keyless verification: a certificate needs a \
                 verified signing time from the transparency log or a timestamp authority"
            );
            return Ok(ExitCode::from(2));
        }
        None => ImageSigner::Identity(args.identity.spec()),
    };
    let mut options = VerifyImageOptions::default();
    options.annotations = args.annotations.iter().cloned().collect::<BTreeMap<_, _>>();
    options.registry = args.registry.to_config();
    options.trust = Some(args.identity.trust());
    let report = chainseal::verify::verify_image_as(&args.image, &signer, &options)?;
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
        let whom = match &signer {
            ImageSigner::Key(_) => "with this key",
            _ => "for this identity",
        };
        eprintln!(
            "error: no signature of {} verified {whom} ({} found and refused)",
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
