//! `chainseal verify --key K IMAGE`: find every cosign signature of an image (OCI referrers,
//! the `sha256-<hex>` fallback index, the legacy `sha256-<hex>.sig` tag) and check each one
//! against the key, the exact manifest digest and the required annotations.
//!
//! A registry error is an error (exit 2), never "no signatures": the referrers listing and the
//! `.sig` lookup only count as empty on a definite "not found".

use std::collections::BTreeMap;

use base64::Engine as _;
use chainseal_oci::manifest::{Descriptor, Manifest};
use chainseal_oci::registry::RegistryConfig;
use chainseal_oci::{Digest, SourceSpec, media_type};
use chainseal_sign::dsse::{self, Envelope, INTOTO_PAYLOAD_TYPE};
use chainseal_sign::intoto::{COSIGN_SIGN_PREDICATE_TYPE, Statement};
use chainseal_sign::keys::PublicKey;
use chainseal_sign::simple_signing::{self, SIMPLE_SIGNING_MEDIA_TYPE, SimpleSigning};

use crate::error::{Error, Result};
use crate::sign_image::{Target, resolve, sha256_hex};

/// Largest signature blob (bundle or payload) read.
const MAX_SIGNATURE_BLOB: u64 = 16 * 1024 * 1024;

/// Options of [`verify_image`].
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct VerifyImageOptions {
    /// `-a key=value` pairs every accepted signature must carry.
    pub annotations: BTreeMap<String, String>,
    /// Registry settings.
    pub registry: RegistryConfig,
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
}

/// A signature that was found and refused.
#[derive(Debug, Clone, serde::Serialize)]
#[non_exhaustive]
pub struct RejectedSignature {
    /// Where it was found.
    pub found_at: String,
    /// Why it was refused.
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
    crate::sign::runtime()?.block_on(verify_image_async(input, key, options))
}

/// Verify an image's signatures with `key`. `Ok` with an empty `verified` list means no
/// signature verified (exit 1); `Err` means the lookup itself failed (exit 2).
pub async fn verify_image_async(
    input: &str,
    key: &PublicKey,
    options: &VerifyImageOptions,
) -> Result<VerifyImageReport> {
    let spec = SourceSpec::parse(input)?;
    let target = Target::open(&spec, &options.registry).await?;
    let resolved = resolve(&spec, &target, input).await?;
    let digest = resolved.top.digest.clone();
    let hex = sha256_hex(&digest)?.to_owned();
    let mut report = VerifyImageReport { digest: digest.to_string(), ..Default::default() };
    report.warnings.extend(resolved.warning);
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
        match check_bundle(&bytes, key, &hex, &options.annotations) {
            Ok(payload) => {
                report.checks.push(format!(
                    "referrer {found_at}: DSSE signature verified with the key; Statement names \
                     sha256:{hex}; predicateType {COSIGN_SIGN_PREDICATE_TYPE}; {} required \
                     annotation(s) present; no transparency log checked (key-based)",
                    options.annotations.len()
                ));
                report.verified.push(VerifiedSignature { kind: "bundle", found_at, payload });
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
                match check_simple_signing(layer, &payload, key, &digest, &options.annotations) {
                    Ok(value) => {
                        report.checks.push(format!(
                            "{found_at}: signature verified with the key; payload names {digest}; \
                             {} required annotation(s) present",
                            options.annotations.len()
                        ));
                        report.verified.push(VerifiedSignature { kind: "simple-signing", found_at, payload: value });
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

/// Check one bundle referrer; the error is the reason shown to the user.
fn check_bundle(
    bytes: &[u8],
    key: &PublicKey,
    hex: &str,
    required: &BTreeMap<String, String>,
) -> std::result::Result<serde_json::Value, String> {
    let text = std::str::from_utf8(bytes).map_err(|_| "bundle is not UTF-8".to_string())?;
    let bundle = sigstore_bundle_parse(text)?;
    let sigstore_types::SignatureContent::DsseEnvelope(env) = &bundle.content else {
        return Err("bundle holds a message signature, not the DSSE envelope cosign writes for images".into());
    };
    if !matches!(bundle.verification_material.content, sigstore_types::VerificationMaterialContent::PublicKey(_)) {
        return Err("bundle is certificate-based (keyless); verify it with identity flags, not --key".into());
    }
    let envelope = Envelope {
        payload_type: env.payload_type.clone(),
        payload: env.payload.as_bytes().to_vec(),
        signatures: vec![dsse::Signature { keyid: String::new(), sig: env.signature.sig.as_bytes().to_vec() }],
    };
    let payload = envelope.verify(key).map_err(|e| e.to_string())?;
    if envelope.payload_type != INTOTO_PAYLOAD_TYPE {
        return Err(format!("DSSE payloadType is {}, not {INTOTO_PAYLOAD_TYPE}", envelope.payload_type));
    }
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
    serde_json::from_slice(payload).map_err(|e| e.to_string())
}

fn sigstore_bundle_parse(text: &str) -> std::result::Result<sigstore_types::Bundle, String> {
    sigstore_types::Bundle::from_json(text).map_err(|e| format!("bundle does not parse: {e}"))
}

/// Check one legacy `.sig` layer.
fn check_simple_signing(
    layer: &Descriptor,
    payload: &[u8],
    key: &PublicKey,
    digest: &Digest,
    required: &BTreeMap<String, String>,
) -> std::result::Result<serde_json::Value, String> {
    let sig_b64 = layer
        .annotation(media_type::ANNOTATION_COSIGN_SIGNATURE)
        .filter(|s| !s.is_empty())
        .ok_or_else(|| "layer has no dev.cosignproject.cosign/signature annotation".to_string())?;
    let sig = base64::engine::general_purpose::STANDARD
        .decode(sig_b64)
        .map_err(|_| "signature annotation is not base64".to_string())?;
    key.verify(payload, &sig).map_err(|_| "signature does not verify with the key".to_string())?;
    let parsed = SimpleSigning::parse(payload).map_err(|e| e.to_string())?;
    parsed.check(&digest.to_string(), required).map_err(|e| e.to_string())?;
    serde_json::from_slice(payload).map_err(|e| e.to_string())
}
