//! `chainseal verify IMAGE`: find every cosign signature of an image (OCI referrers, the
//! `sha256-<hex>` fallback index, the legacy `sha256-<hex>.sig` tag) and check each one with
//! **one** verifier, [`chainseal_sign::verify::BundleVerifier`], against a managed key or a
//! keyless identity, then that the signed payload names this exact manifest digest and carries
//! the required annotations.
//!
//! - v3 bundle referrers are verified as the bundles they are: signature, and every
//!   transparency-log entry, timestamp and certificate they carry.
//! - legacy `.sig` layers are first turned into the bundle their annotations amount to
//!   ([`chainseal_sign::bundle::legacy`]: leaf + intermediates, SET from the Rekor bundle
//!   annotation, RFC 3161 timestamp, message signature over the payload), then verified the same
//!   way, then the simple-signing payload must name this digest.
//!
//! A registry error is an error (exit 2), never "no signatures": the referrers listing and the
//! `.sig` lookup only count as empty on a definite "not found". Every refusal names the failed
//! step in one line.

use std::collections::BTreeMap;

use chainseal_oci::manifest::{Descriptor, Manifest};
use chainseal_oci::registry::RegistryConfig;
use chainseal_oci::{Digest, SourceSpec, media_type};
use chainseal_sign::bundle::legacy::{LegacyAnnotations, bundle_from_legacy};
use chainseal_sign::bundle::{BundleLimits, SignatureContent, parse_bundle};
use chainseal_sign::dsse::INTOTO_PAYLOAD_TYPE;
use chainseal_sign::intoto::{COSIGN_SIGN_PREDICATE_TYPE, Statement};
use chainseal_sign::keys::PublicKey;
use chainseal_sign::policy::{KeyPolicy, Policy};
use chainseal_sign::simple_signing::{self, SIMPLE_SIGNING_MEDIA_TYPE, SimpleSigning};
use chainseal_sign::trust::{TrustRoot, TrustSource};
use chainseal_sign::verify::{ArtifactInput, BundleVerifier, Signer, Verified};

use crate::error::{Error, Result};
use crate::sign_image::{Target, resolve, sha256_hex};
use crate::verify_blob::{IdentitySpec, checks_performed};

/// Largest signature blob (bundle or payload) read.
const MAX_SIGNATURE_BLOB: u64 = 16 * 1024 * 1024;

/// Who must have signed the image.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum ImageSigner {
    /// A managed key (`--key`). Log entries that signatures carry are verified; signatures
    /// without any are accepted on the key and the report says so.
    Key(PublicKey),
    /// A keyless identity (`--certificate-identity[-regexp]`, `--certificate-oidc-issuer[-regexp]`,
    /// optional Fulcio extension claims): certificate chain, SCT, verified time and log entry.
    Identity(IdentitySpec),
}

/// Options of [`verify_image`].
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct VerifyImageOptions {
    /// `-a key=value` pairs every accepted signature must carry.
    pub annotations: BTreeMap<String, String>,
    /// Registry settings.
    pub registry: RegistryConfig,
    /// Trusted root for log entries, timestamps and certificates; `None` is the embedded
    /// production root (never the network).
    pub trust: Option<TrustSource>,
}

/// A signature that verified.
#[derive(Debug, Clone, serde::Serialize)]
#[non_exhaustive]
pub struct VerifiedSignature {
    /// `bundle` (cosign v3 referrer) or `simple-signing` (legacy `.sig` layer).
    pub kind: &'static str,
    /// Where it was found: referrer manifest digest, or `<tag>#<layer digest>`.
    pub found_at: String,
    /// The verified payload (in-toto Statement or simple-signing JSON), parsed.
    pub payload: serde_json::Value,
    /// `key`, or the certificate identity (SAN) that matched.
    pub signer: String,
    /// Transparency-log entries verified for this signature (0: key-signed, not logged).
    pub tlog_entries: usize,
}

/// A signature that was found and refused.
#[derive(Debug, Clone, serde::Serialize)]
#[non_exhaustive]
pub struct RejectedSignature {
    /// Where it was found.
    pub found_at: String,
    /// Why it was refused (one line, naming the failed step).
    pub reason: String,
}

/// The outcome of [`verify_image`].
#[derive(Debug, Clone, Default, serde::Serialize)]
#[non_exhaustive]
pub struct VerifyImageReport {
    /// The manifest digest verified.
    pub digest: String,
    /// Signatures that verified.
    pub verified: Vec<VerifiedSignature>,
    /// Signatures found and refused, with the reason.
    pub rejected: Vec<RejectedSignature>,
    /// What was looked at and checked, for stderr.
    pub checks: Vec<String>,
    /// Warnings for stderr.
    pub warnings: Vec<String>,
}

/// Verify an image's signatures with `key` (blocking).
pub fn verify_image(input: &str, key: &PublicKey, options: &VerifyImageOptions) -> Result<VerifyImageReport> {
    verify_image_as(input, &ImageSigner::Key(key.clone()), options)
}

/// Verify an image's signatures with `key`. `Ok` with an empty `verified` list means no
/// signature verified (exit 1); `Err` means the lookup itself failed (exit 2).
pub async fn verify_image_async(
    input: &str,
    key: &PublicKey,
    options: &VerifyImageOptions,
) -> Result<VerifyImageReport> {
    verify_image_as_async(input, &ImageSigner::Key(key.clone()), options).await
}

/// Verify an image's signatures against `signer` (a key or a keyless identity), blocking.
pub fn verify_image_as(input: &str, signer: &ImageSigner, options: &VerifyImageOptions) -> Result<VerifyImageReport> {
    crate::sign::runtime()?.block_on(verify_image_as_async(input, signer, options))
}

/// Build the one verifier used for every signature of an image.
pub fn image_verifier(signer: &ImageSigner, trust: Option<&TrustSource>) -> Result<BundleVerifier> {
    let policy = match signer {
        ImageSigner::Key(key) => Policy::Key(KeyPolicy::from_der(key.spki_der())?),
        ImageSigner::Identity(spec) => Policy::Identity(spec.to_policy()?),
    };
    let root = TrustRoot::load(trust.unwrap_or(&TrustSource::Production))?;
    Ok(BundleVerifier::builder().trust_root(root).policy(policy).build()?)
}

/// Verify an image's signatures against `signer`. `Ok` with an empty `verified` list means no
/// signature verified (exit 1); `Err` means the lookup itself (or the trust setup) failed
/// (exit 2).
pub async fn verify_image_as_async(
    input: &str,
    signer: &ImageSigner,
    options: &VerifyImageOptions,
) -> Result<VerifyImageReport> {
    let verifier = image_verifier(signer, options.trust.as_ref())?;
    let spec = SourceSpec::parse(input)?;
    let target = Target::open(&spec, &options.registry).await?;
    let resolved = resolve(&spec, &target, input).await?;
    let digest = resolved.top.digest.clone();
    let hex = sha256_hex(&digest)?.to_owned();
    let mut raw_digest = [0u8; 32];
    hex::decode_to_slice(&hex, &mut raw_digest)
        .map_err(|_| Error::InvalidInput(format!("{digest} is not a SHA-256 digest")))?;
    let mut report = VerifyImageReport { digest: digest.to_string(), ..Default::default() };
    report.warnings.extend(resolved.warning);
    report.checks.push(format!("trusted root: {}", verifier.trust_root().origin()));
    let source = target.source();

    // 1. OCI referrers (native API or fallback index; the registry layer decides).
    let referrers = source.referrers(&digest, None).await?;
    report.checks.push(format!("referrers of {digest}: {} found ({})", referrers.manifests.len(), source.describe()));
    for entry in &referrers.manifests {
        // Decide from the manifest itself, never from the listing's artifactType/annotations.
        let raw = source.manifest(&entry.digest.to_string()).await?;
        let Manifest::Image(m) = raw.parse()? else { continue };
        if m.subject.as_ref().is_none_or(|s| s.digest != digest) {
            report.rejected.push(RejectedSignature {
                found_at: entry.digest.to_string(),
                reason: "listed as a referrer but its subject is another manifest".into(),
            });
            continue;
        }
        let Some(layer) = m.layers.first() else { continue };
        if !layer.media_type.starts_with("application/vnd.dev.sigstore.bundle") {
            report
                .checks
                .push(format!("referrer {}: not a Sigstore bundle ({}), skipped", entry.digest, layer.media_type));
            continue;
        }
        let found_at = entry.digest.to_string();
        let bytes = source.blob_bytes(layer, MAX_SIGNATURE_BLOB).await?;
        match check_bundle(&verifier, &bytes, raw_digest, &hex, &options.annotations) {
            Ok((verified, payload)) => {
                let mut lines = checks_performed(&verified);
                lines.push(format!(
                    "Statement names sha256:{hex}; predicateType {COSIGN_SIGN_PREDICATE_TYPE}; {} required \
                     annotation(s) present",
                    options.annotations.len()
                ));
                report.checks.push(format!("referrer {found_at}: {}", lines.join("; ")));
                report.verified.push(signature("bundle", found_at, payload, &verified));
            }
            Err(reason) => report.rejected.push(RejectedSignature { found_at, reason }),
        }
    }

    // 2. The legacy `.sig` tag.
    let tag = digest.cosign_tag("sig");
    match source.manifest(&tag).await {
        Ok(raw) => {
            let Manifest::Image(m) = raw.parse()? else {
                return Err(Error::InvalidInput(format!("{tag} is an index, not a signature image")));
            };
            report.checks.push(format!("tag {tag}: {} layer(s)", m.layers.len()));
            for layer in &m.layers {
                let found_at = format!("{tag}#{}", layer.digest);
                if layer.media_type != SIMPLE_SIGNING_MEDIA_TYPE {
                    report.rejected.push(RejectedSignature {
                        found_at,
                        reason: format!("layer media type {} is not simple signing", layer.media_type),
                    });
                    continue;
                }
                let payload = source.blob_bytes(layer, MAX_SIGNATURE_BLOB).await?;
                match check_simple_signing(&verifier, layer, &payload, &digest, &options.annotations) {
                    Ok((verified, value)) => {
                        let mut lines = checks_performed(&verified);
                        lines.push(format!(
                            "payload names {digest}; {} required annotation(s) present",
                            options.annotations.len()
                        ));
                        report.checks.push(format!("{found_at}: {}", lines.join("; ")));
                        report.verified.push(signature("simple-signing", found_at, value, &verified));
                    }
                    Err(reason) => report.rejected.push(RejectedSignature { found_at, reason }),
                }
            }
        }
        Err(chainseal_oci::Error::NotFound(_)) => report.checks.push(format!("tag {tag}: none")),
        Err(e) => return Err(e.into()),
    }
    Ok(report)
}

fn signature(kind: &'static str, found_at: String, payload: serde_json::Value, v: &Verified) -> VerifiedSignature {
    let signer = match &v.signer {
        Signer::Certificate(id) => id.san.clone(),
        _ => "key".to_owned(),
    };
    VerifiedSignature { kind, found_at, payload, signer, tlog_entries: v.tlog_entries }
}

/// Check one bundle referrer; the error is the one-line reason shown to the user.
fn check_bundle(
    verifier: &BundleVerifier,
    bytes: &[u8],
    raw_digest: [u8; 32],
    hex: &str,
    required: &BTreeMap<String, String>,
) -> std::result::Result<(Verified, serde_json::Value), String> {
    let bundle = parse_bundle(bytes, &BundleLimits::default()).map_err(|e| e.to_string())?;
    // Signature, certificate, SCT, times, log entries, and (DSSE) the in-toto subject binding.
    let verified = verifier.verify(ArtifactInput::Sha256(raw_digest), &bundle).map_err(|e| e.to_string())?;
    let SignatureContent::DsseEnvelope(env) = &bundle.content else {
        // A message signature over the manifest digest: verified, but it carries no payload and
        // so no annotations.
        if !required.is_empty() {
            return Err("a message-signature bundle carries no annotations; the required ones are missing".into());
        }
        return Ok((verified, serde_json::json!({"messageSignature": format!("sha256:{hex}")})));
    };
    if env.payload_type != INTOTO_PAYLOAD_TYPE {
        return Err(format!("DSSE payloadType is {}, not {INTOTO_PAYLOAD_TYPE}", env.payload_type));
    }
    let payload = env.payload.as_bytes();
    let statement = Statement::parse(payload).map_err(|e| e.to_string())?;
    if statement.predicate_type != COSIGN_SIGN_PREDICATE_TYPE {
        return Err(format!("predicateType is {} (an attestation, not a signature)", statement.predicate_type));
    }
    let subjects: Vec<_> = statement.subjects_matching("sha256", hex).collect();
    if subjects.is_empty() {
        return Err(format!("the signed Statement does not name sha256:{hex} (signature for another image)"));
    }
    if !subjects.iter().any(|s| simple_signing::check_annotations(s.annotations.as_ref(), required).is_ok()) {
        let first = subjects[0];
        return Err(simple_signing::check_annotations(first.annotations.as_ref(), required)
            .err()
            .map(|e| e.to_string())
            .unwrap_or_else(|| "required annotations missing".into()));
    }
    let value = serde_json::from_slice(payload).map_err(|e| e.to_string())?;
    Ok((verified, value))
}

/// Check one legacy `.sig` layer: its annotations as a bundle through the verifier, then the
/// simple-signing payload against this digest and the required annotations.
fn check_simple_signing(
    verifier: &BundleVerifier,
    layer: &Descriptor,
    payload: &[u8],
    digest: &Digest,
    required: &BTreeMap<String, String>,
) -> std::result::Result<(Verified, serde_json::Value), String> {
    let sig = layer
        .annotation(media_type::ANNOTATION_COSIGN_SIGNATURE)
        .filter(|s| !s.is_empty())
        .ok_or_else(|| "layer has no dev.cosignproject.cosign/signature annotation".to_string())?;
    let mut ann = LegacyAnnotations::new(sig);
    ann.certificate = layer.annotation(media_type::ANNOTATION_COSIGN_CERTIFICATE);
    ann.chain = layer.annotation(media_type::ANNOTATION_COSIGN_CHAIN);
    ann.rekor_bundle = layer.annotation(media_type::ANNOTATION_COSIGN_BUNDLE);
    ann.rfc3161_timestamp = layer.annotation(media_type::ANNOTATION_COSIGN_RFC3161);
    let bundle = bundle_from_legacy(payload, &ann).map_err(|e| e.to_string())?;
    let verified = verifier.verify(ArtifactInput::Bytes(payload), &bundle).map_err(|e| e.to_string())?;
    let parsed = SimpleSigning::parse(payload).map_err(|e| e.to_string())?;
    parsed.check(&digest.to_string(), required).map_err(|e| e.to_string())?;
    let value = serde_json::from_slice(payload).map_err(|e| e.to_string())?;
    Ok((verified, value))
}
