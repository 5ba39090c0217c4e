//! Legacy cosign `.sig` layers (signing.md §2.4) as Sigstore bundles, so one verifier checks
//! both storage generations; `.att` layers (a DSSE envelope blob, same annotations) through
//! [`bundle_from_legacy_dsse`].
//!
//! A layer carries the payload (the layer blob) and, in annotations: the base64 signature, the
//! PEM leaf certificate, the PEM chain (intermediates … root), the Rekor v1 "bundle" (SET +
//! entry) and an RFC 3161 timestamp. They become:
//! - a message signature over the payload (`messageDigest` = SHA-256 of the payload);
//! - keyless: `x509CertificateChain` = leaf + intermediates (self-issued roots in the chain
//!   annotation are dropped: roots come from the trusted root only); key: a `publicKey`;
//! - the Rekor "bundle" annotation → one tlog entry with its inclusion promise (SET) and
//!   `canonicalizedBody`, kind/version read from the body (no inclusion proof: cosign never
//!   stored one there);
//! - the `rfc3161timestamp` annotation → `timestampVerificationData`.
//!
//! The media type is v0.1 when there is a log entry (SET without proof is exactly v0.1's rule)
//! and v0.3 otherwise (a managed-key layer without tlog; keyless layers without a SET have no
//! verified signing time and are refused by the verifier, as they must be).

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use serde::Deserialize;
use serde_json::{Value, json};
use x509_cert::Certificate;
use x509_cert::der::Decode;

use super::{Bundle, BundleLimits, parse_bundle};
use crate::Result;
use crate::verify::{VerifyStep, fail};

/// Largest annotation value read (certificates and Rekor bundles are a few KiB).
const MAX_ANNOTATION_BYTES: usize = 1024 * 1024;

/// The annotations of one legacy `.sig` layer (values as stored, unparsed).
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct LegacyAnnotations<'a> {
    /// `dev.cosignproject.cosign/signature`: base64 signature over the payload.
    pub signature: &'a str,
    /// `dev.sigstore.cosign/certificate`: PEM leaf certificate (keyless or certificate signing).
    pub certificate: Option<&'a str>,
    /// `dev.sigstore.cosign/chain`: PEM intermediates … root.
    pub chain: Option<&'a str>,
    /// `dev.sigstore.cosign/bundle`: Rekor v1 SET and entry, JSON.
    pub rekor_bundle: Option<&'a str>,
    /// `dev.sigstore.cosign/rfc3161timestamp`: `{"SignedRFC3161Timestamp":"<b64>"}`.
    pub rfc3161_timestamp: Option<&'a str>,
}

impl<'a> LegacyAnnotations<'a> {
    /// Annotations of a layer that only has a signature.
    pub fn new(signature: &'a str) -> Self {
        Self { signature, ..Default::default() }
    }
}

/// cosign `pkg/cosign/bundle/rekor.go` `RekorBundle`.
#[derive(Deserialize)]
struct RekorBundle {
    #[serde(rename = "SignedEntryTimestamp")]
    set: String,
    #[serde(rename = "Payload")]
    payload: RekorPayload,
}

#[derive(Deserialize)]
struct RekorPayload {
    body: String,
    #[serde(rename = "integratedTime")]
    integrated_time: i64,
    #[serde(rename = "logIndex")]
    log_index: i64,
    #[serde(rename = "logID")]
    log_id: String,
}

/// cosign `pkg/cosign/bundle/tsa.go`.
#[derive(Deserialize)]
struct Rfc3161 {
    #[serde(rename = "SignedRFC3161Timestamp")]
    signed: String,
}

/// Build the bundle that a legacy layer with `payload` and `ann` amounts to. Errors are at step
/// [`VerifyStep::Bundle`] and say which annotation is malformed.
pub fn bundle_from_legacy(payload: &[u8], ann: &LegacyAnnotations<'_>) -> Result<Bundle> {
    let bad = |what: &str, why: String| fail(VerifyStep::Bundle, format!("legacy layer: {what}: {why}"));
    for v in
        [Some(ann.signature), ann.certificate, ann.chain, ann.rekor_bundle, ann.rfc3161_timestamp].into_iter().flatten()
    {
        if v.len() > MAX_ANNOTATION_BYTES {
            return Err(bad("annotation", format!("larger than {MAX_ANNOTATION_BYTES} bytes")));
        }
    }
    let signature = B64
        .decode(ann.signature.trim())
        .map_err(|e| bad("dev.cosignproject.cosign/signature", format!("not base64 ({e})")))?;
    if signature.is_empty() {
        return Err(bad("dev.cosignproject.cosign/signature", "empty".into()));
    }

    let mut vm = serde_json::Map::new();
    match ann.certificate.filter(|c| !c.trim().is_empty()) {
        Some(cert_pem) => {
            let leaf = pem_certificates(cert_pem).map_err(|e| bad("dev.sigstore.cosign/certificate", e))?;
            let [leaf] = leaf.as_slice() else {
                return Err(bad("dev.sigstore.cosign/certificate", format!("{} certificates, expected 1", leaf.len())));
            };
            let mut chain = vec![json!({"rawBytes": B64.encode(leaf)})];
            if let Some(chain_pem) = ann.chain.filter(|c| !c.trim().is_empty()) {
                for der in pem_certificates(chain_pem).map_err(|e| bad("dev.sigstore.cosign/chain", e))? {
                    if der != *leaf && !self_issued(&der).map_err(|e| bad("dev.sigstore.cosign/chain", e))? {
                        chain.push(json!({"rawBytes": B64.encode(&der)}));
                    }
                }
            }
            vm.insert("x509CertificateChain".into(), json!({"certificates": chain}));
        }
        None => {
            vm.insert("publicKey".into(), json!({"hint": ""}));
        }
    }

    let mut entries = Vec::new();
    if let Some(text) = ann.rekor_bundle.filter(|t| !t.trim().is_empty()) {
        let rb: RekorBundle =
            serde_json::from_str(text).map_err(|e| bad("dev.sigstore.cosign/bundle", e.to_string()))?;
        let body = B64
            .decode(rb.payload.body.as_bytes())
            .map_err(|e| bad("dev.sigstore.cosign/bundle", format!("Payload.body is not base64 ({e})")))?;
        let kind: Value = serde_json::from_slice(&body)
            .map_err(|e| bad("dev.sigstore.cosign/bundle", format!("Payload.body is not JSON ({e})")))?;
        let (Some(k), Some(v)) = (kind["kind"].as_str(), kind["apiVersion"].as_str()) else {
            return Err(bad("dev.sigstore.cosign/bundle", "log entry body has no kind/apiVersion".into()));
        };
        let log_id = hex::decode(&rb.payload.log_id)
            .map_err(|e| bad("dev.sigstore.cosign/bundle", format!("Payload.logID is not hex ({e})")))?;
        entries.push(json!({
            "logIndex": rb.payload.log_index.to_string(),
            "logId": {"keyId": B64.encode(log_id)},
            "kindVersion": {"kind": k, "version": v},
            "integratedTime": rb.payload.integrated_time.to_string(),
            "inclusionPromise": {"signedEntryTimestamp": rb.set},
            "canonicalizedBody": B64.encode(&body),
        }));
    }
    let has_entries = !entries.is_empty();
    vm.insert("tlogEntries".into(), Value::Array(entries));

    if let Some(text) = ann.rfc3161_timestamp.filter(|t| !t.trim().is_empty()) {
        let ts: Rfc3161 =
            serde_json::from_str(text).map_err(|e| bad("dev.sigstore.cosign/rfc3161timestamp", e.to_string()))?;
        vm.insert("timestampVerificationData".into(), json!({"rfc3161Timestamps": [{"signedTimestamp": ts.signed}]}));
    }

    let keyless = vm.contains_key("x509CertificateChain");
    let media_type = if has_entries || keyless {
        "application/vnd.dev.sigstore.bundle+json;version=0.1"
    } else {
        "application/vnd.dev.sigstore.bundle.v0.3+json"
    };
    let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, payload);
    let bundle = json!({
        "mediaType": media_type,
        "verificationMaterial": vm,
        "messageSignature": {
            "messageDigest": {"algorithm": "SHA2_256", "digest": B64.encode(digest.as_ref())},
            "signature": B64.encode(&signature),
        }
    });
    let bytes = serde_json::to_vec(&bundle).map_err(|e| bad("bundle", e.to_string()))?;
    parse_bundle(&bytes, &BundleLimits::default())
}

/// Build the bundle that a legacy `.att` layer amounts to: the layer blob is a DSSE envelope
/// (cosign writes one signature and leaves the `signature` annotation empty); the certificate,
/// chain, Rekor bundle (SET over a `dsse` or `intoto` entry) and timestamp annotations become the
/// verification material exactly as for [`bundle_from_legacy`]. `ann.signature` is ignored: the
/// signature is the envelope's. Errors are at step [`VerifyStep::Bundle`].
pub fn bundle_from_legacy_dsse(envelope_json: &[u8], ann: &LegacyAnnotations<'_>) -> Result<Bundle> {
    let bad = |why: String| fail(VerifyStep::Bundle, format!("legacy .att layer: {why}"));
    let envelope = crate::dsse::Envelope::from_json(envelope_json).map_err(|e| bad(e.to_string()))?;
    let dsse = envelope.to_bundle_envelope().map_err(|e| bad(e.to_string()))?;
    let sig = B64.encode(dsse.signature.sig.as_bytes());
    let mut bundle = bundle_from_legacy(&envelope.payload, &LegacyAnnotations { signature: &sig, ..ann.clone() })?;
    bundle.content = super::SignatureContent::DsseEnvelope(dsse);
    Ok(bundle)
}

/// Every `CERTIFICATE` block of a PEM text, as DER.
fn pem_certificates(text: &str) -> std::result::Result<Vec<Vec<u8>>, String> {
    let blocks = pem::parse_many(text.as_bytes()).map_err(|e| format!("not PEM ({e})"))?;
    let certs: Vec<Vec<u8>> =
        blocks.into_iter().filter(|b| b.tag() == "CERTIFICATE").map(|b| b.into_contents()).collect();
    if certs.is_empty() {
        return Err("no CERTIFICATE block".into());
    }
    Ok(certs)
}

fn self_issued(der: &[u8]) -> std::result::Result<bool, String> {
    let cert = Certificate::from_der(der).map_err(|e| format!("not X.509 ({e})"))?;
    Ok(cert.tbs_certificate.subject == cert.tbs_certificate.issuer)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bundle::VerificationMaterialContent;

    #[test]
    fn key_layer_without_tlog_is_a_v03_public_key_bundle() {
        let sig = B64.encode(b"not a real signature");
        let b = bundle_from_legacy(b"payload", &LegacyAnnotations::new(&sig)).expect("bundle");
        assert!(matches!(b.verification_material.content, VerificationMaterialContent::PublicKey(_)));
        assert!(b.verification_material.tlog_entries.is_empty());
    }

    #[test]
    fn att_layer_is_a_dsse_bundle_with_one_signature() {
        let env = |sigs: &str| {
            format!(r#"{{"payload":"e30=","payloadType":"application/vnd.in-toto+json","signatures":[{sigs}]}}"#)
        };
        let b =
            bundle_from_legacy_dsse(env(r#"{"sig":"c2ln"}"#).as_bytes(), &LegacyAnnotations::new("")).expect("bundle");
        assert!(
            matches!(&b.content, crate::bundle::SignatureContent::DsseEnvelope(e) if e.payload.as_bytes() == b"{}")
        );
        for bad in [env(""), env(r#"{"sig":"c2ln"},{"sig":"c2ln"}"#), "not json".into()] {
            match bundle_from_legacy_dsse(bad.as_bytes(), &LegacyAnnotations::new("")) {
                Err(crate::Error::Verification { step: VerifyStep::Bundle, .. }) => {}
                other => panic!("expected a bundle error for {bad}, got {other:?}"),
            }
        }
    }

    #[test]
    fn malformed_annotations_are_bundle_errors() {
        let sig = B64.encode(b"sig");
        let cases = [
            LegacyAnnotations { signature: "%%%", ..Default::default() },
            LegacyAnnotations { signature: "", ..Default::default() },
            LegacyAnnotations { certificate: Some("not pem"), ..LegacyAnnotations::new(&sig) },
            LegacyAnnotations { rekor_bundle: Some("{}"), ..LegacyAnnotations::new(&sig) },
            LegacyAnnotations {
                rekor_bundle: Some(
                    r#"{"SignedEntryTimestamp":"AA==","Payload":{"body":"e30=","integratedTime":1,"logIndex":1,"logID":"zz"}}"#,
                ),
                ..LegacyAnnotations::new(&sig)
            },
            LegacyAnnotations { rfc3161_timestamp: Some("[]"), ..LegacyAnnotations::new(&sig) },
        ];
        for c in cases {
            match bundle_from_legacy(b"p", &c) {
                Err(crate::Error::Verification { step: VerifyStep::Bundle, .. }) => {}
                other => panic!("expected a bundle error for {c:?}, got {other:?}"),
            }
        }
    }
}
