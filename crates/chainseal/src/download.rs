//! `chainseal download signature|attestation|sbom IMAGE`: fetch what is attached, **without
//! verifying it** (like `cosign download`; use `verify`/`verify-attestation` to trust it).
//!
//! - `signature`: one JSON line per signature: bundle referrers as the bundle JSON; legacy
//!   `.sig` layers as cosign v2 prints them (`{"Base64Signature", "Payload", "Cert", "Chain",
//!   "Bundle", "RFC3161Timestamp"}`).
//! - `attestation`: one JSON line per attestation: the bundle JSON (referrers) or the DSSE
//!   envelope JSON (`.att` layers), optionally only those whose Statement claims a predicate type.
//! - `sbom`: the SBOM documents: predicates of CycloneDX/SPDX attestations, written exactly as
//!   `chainseal sbom` writes documents (pretty JSON and a newline, so an SBOM written and
//!   attested by chainseal comes back byte for byte), and raw `.sbom` tag / SBOM referrer layers.

use base64::Engine as _;
use chainseal_oci::SourceSpec;
use chainseal_oci::media_type;
use chainseal_oci::registry::RegistryConfig;
use chainseal_sign::bundle::{BundleLimits, parse_bundle};
use chainseal_sign::dsse::Envelope;
use chainseal_sign::predicate::{CYCLONEDX, PredicateType, SPDX};
use sigstore_types::SignatureContent;

use crate::error::{Error, Result};
use crate::sign_image::{Target, resolve};
use crate::tree::{AttachedItem, ItemKind, discover};
use crate::verify_attestation::MAX_ATTESTATION_BLOB;

/// What to download.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum DownloadKind {
    /// Image signatures.
    Signature,
    /// Attestations.
    Attestation,
    /// SBOM documents.
    Sbom,
}

/// Options of [`download`].
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct DownloadOptions {
    /// Attestations and SBOMs: only Statements claiming this predicate type.
    pub predicate_type: Option<PredicateType>,
    /// Registry settings.
    pub registry: RegistryConfig,
}

/// What [`download`] fetched.
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct Downloaded {
    /// The documents, each a complete output unit (JSON lines end with `\n`).
    pub documents: Vec<Vec<u8>>,
    /// Where each came from.
    pub sources: Vec<String>,
    /// Warnings for stderr.
    pub warnings: Vec<String>,
}

/// Download (blocking).
pub fn download(input: &str, kind: DownloadKind, options: &DownloadOptions) -> Result<Downloaded> {
    crate::sign::runtime()?.block_on(download_async(input, kind, options))
}

/// Statement predicateType and predicate of an envelope payload (unverified).
fn statement_parts(payload: &[u8]) -> Option<(String, serde_json::Value)> {
    let mut v: serde_json::Value = serde_json::from_slice(payload).ok()?;
    let t = v.get("predicateType")?.as_str()?.to_owned();
    let p = v.get_mut("predicate").map(serde_json::Value::take).unwrap_or_default();
    Some((t, p))
}

fn envelope_payload(item: &AttachedItem, bytes: &[u8]) -> Option<Vec<u8>> {
    if item.layer.media_type.starts_with("application/vnd.dev.sigstore.bundle") {
        let b = parse_bundle(bytes, &BundleLimits::default()).ok()?;
        match &b.content {
            SignatureContent::DsseEnvelope(env) => Some(env.payload.as_bytes().to_vec()),
            _ => None,
        }
    } else {
        Envelope::from_json(bytes).ok().map(|e| e.payload)
    }
}

fn line(mut bytes: Vec<u8>) -> Vec<u8> {
    while bytes.last().is_some_and(|b| b.is_ascii_whitespace()) {
        bytes.pop();
    }
    bytes.push(b'\n');
    bytes
}

/// Download what is attached to IMAGE (registry reference or `oci-dir:PATH[:TAG]`).
pub async fn download_async(input: &str, kind: DownloadKind, options: &DownloadOptions) -> Result<Downloaded> {
    let spec = SourceSpec::parse(input)?;
    let target = Target::open(&spec, &options.registry).await?;
    let resolved = resolve(&spec, &target, input).await?;
    let source = target.source();
    let attached = discover(source, &resolved.top.digest).await?;
    let mut out = Downloaded::default();
    out.warnings.extend(resolved.warning);
    out.warnings.extend(attached.warnings.clone());
    for item in &attached.items {
        let from = if item.via == "tag" { format!("{}#{}", item.location, item.digest) } else { item.location.clone() };
        match (kind, item.kind) {
            (DownloadKind::Signature, ItemKind::Signature) => {
                let bytes = source.blob_bytes(&item.layer, MAX_ATTESTATION_BLOB).await?;
                let doc = if item.via == "tag" {
                    let a = |k: &str| item.layer.annotation(k).map(str::to_owned);
                    let v = serde_json::json!({
                        "Base64Signature": a(media_type::ANNOTATION_COSIGN_SIGNATURE).unwrap_or_default(),
                        "Payload": base64::engine::general_purpose::STANDARD.encode(&bytes),
                        "Cert": a(media_type::ANNOTATION_COSIGN_CERTIFICATE),
                        "Chain": a(media_type::ANNOTATION_COSIGN_CHAIN),
                        "Bundle": a(media_type::ANNOTATION_COSIGN_BUNDLE)
                            .and_then(|b| serde_json::from_str::<serde_json::Value>(&b).ok()),
                        "RFC3161Timestamp": a(media_type::ANNOTATION_COSIGN_RFC3161)
                            .and_then(|b| serde_json::from_str::<serde_json::Value>(&b).ok()),
                    });
                    serde_json::to_vec(&v).map_err(|e| Error::InvalidInput(e.to_string()))?
                } else {
                    bytes
                };
                out.documents.push(line(doc));
                out.sources.push(from);
            }
            (DownloadKind::Attestation, ItemKind::Attestation) => {
                let bytes = source.blob_bytes(&item.layer, MAX_ATTESTATION_BLOB).await?;
                if let Some(want) = &options.predicate_type {
                    let claimed = envelope_payload(item, &bytes).and_then(|p| statement_parts(&p)).map(|(t, _)| t);
                    if !claimed.is_some_and(|t| want.matches(&t)) {
                        continue;
                    }
                }
                out.documents.push(line(bytes));
                out.sources.push(from);
            }
            (DownloadKind::Sbom, ItemKind::Sbom) if options.predicate_type.is_none() => {
                out.documents.push(source.blob_bytes(&item.layer, MAX_ATTESTATION_BLOB).await?);
                out.sources.push(from);
            }
            (DownloadKind::Sbom, ItemKind::Attestation) => {
                let bytes = source.blob_bytes(&item.layer, MAX_ATTESTATION_BLOB).await?;
                let Some((t, predicate)) = envelope_payload(item, &bytes).and_then(|p| statement_parts(&p)) else {
                    out.warnings.push(format!("{from}: not a readable in-toto Statement; skipped"));
                    continue;
                };
                let is_sbom =
                    [CYCLONEDX, SPDX].iter().any(|base| PredicateType::parse(base).is_ok_and(|p| p.matches(&t)));
                let wanted = options.predicate_type.as_ref().is_none_or(|w| w.matches(&t));
                if !is_sbom || !wanted {
                    continue;
                }
                let mut doc = serde_json::to_vec_pretty(&predicate).map_err(|e| Error::InvalidInput(e.to_string()))?;
                doc.push(b'\n');
                out.documents.push(doc);
                out.sources.push(format!("{from} ({t})"));
            }
            _ => {}
        }
    }
    Ok(out)
}
