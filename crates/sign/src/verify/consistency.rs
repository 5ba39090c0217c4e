//! Consistency of a keyless message-signature bundle's Rekor v1 `hashedrekord` entries with the
//! bundle (sigstore-verify's step 8, CVE-2022-36056 class), done here for the common shape.
//!
//! Why it is here: sigstore-verify 0.15.1 decodes the entry body into its full model, turns the
//! logged certificate's base64 PEM into a `String` and parses it with the `pem` crate, and
//! decodes the whole leaf certificate again with x509-cert only to read its validity; together
//! about 40 µs of a ~510 µs keyless verification (`benches/verify_bundle.rs`), more than any
//! other step that is not a signature. chainseal's vendored sigstore-verify
//! (`vendor/sigstore-verify`, one added policy switch) lets the caller take the step over.
//!
//! The checks are sigstore-verify's, on the same bytes, for every entry, and fail closed:
//! - the body is UTF-8 JSON with `kind` `hashedrekord` and `apiVersion` `0.0.1` (stricter than
//!   sigstore-verify, which takes both from the bundle's `kindVersion` only);
//! - `spec.data.hash` is `sha256` (sigstore-verify reads the value as a SHA-256 without looking
//!   at the algorithm) and its hex value equals the artifact's SHA-256. The artifact's digest is
//!   the bundle's `messageDigest`, which sigstore-verify has already proved equal to the
//!   artifact's SHA-256 (this module applies only when it is a SHA-256);
//! - `spec.signature.content` decodes (base64 as sigstore-types accepts it) to exactly the
//!   bundle's signature bytes;
//! - `spec.signature.publicKey.content` decodes to a PEM `CERTIFICATE` block whose DER is
//!   exactly the bundle's leaf certificate (canonical PEM is read here; any other PEM is read by
//!   sigstore-types' own `DerCertificate::from_pem`, so the same texts are accepted);
//! - an entry's integrated time lies within the leaf's validity (`not_before`/`not_after` from
//!   sigstore-verify's own parse of the same leaf).
//!
//! [`applies`] says when the caller may switch sigstore-verify's step off; for every other shape
//! (DSSE, intoto, Rekor v2, managed keys, no or another message digest) it runs as before.

use std::borrow::Cow;

use base64::Engine;
use base64::alphabet;
use base64::engine::DecodePaddingMode;
use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig};
use serde::Deserialize;
use sigstore_types::bundle::VerificationMaterialContent;
use sigstore_types::{Bundle, DerCertificate, HashAlgorithm, KindVersion, SignatureBytes, SignatureContent};

use super::{VerifyStep, fail};
use crate::Result;

/// Standard alphabet, padding optional: what sigstore-types' protojson decoder uses for strings
/// without `-` or `_` (strings it would read with the URL-safe alphabet fail here and are
/// handed to it).
const B64_INDIFFERENT: GeneralPurpose = GeneralPurpose::new(
    &alphabet::STANDARD,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// Whether [`verify`] may stand in for sigstore-verify's log-entry consistency step: a message
/// signature with a SHA-256 message digest, a signing certificate, and only Rekor v1
/// `hashedrekord` 0.0.1 entries (at least one).
pub(crate) fn applies(bundle: &Bundle) -> bool {
    let SignatureContent::MessageSignature(sig) = &bundle.content else { return false };
    let sha256_digest = sig.message_digest.as_ref().is_some_and(|d| d.algorithm == HashAlgorithm::Sha2256);
    let certificate = matches!(
        bundle.verification_material.content,
        VerificationMaterialContent::Certificate(_) | VerificationMaterialContent::X509CertificateChain { .. }
    );
    let entries = &bundle.verification_material.tlog_entries;
    sha256_digest
        && certificate
        && !entries.is_empty()
        && entries.iter().all(|e| e.kind_version == KindVersion::HashedRekordV001)
}

/// The part of a `hashedrekord` 0.0.1 body the checks read. Unknown fields are ignored, as by
/// sigstore-rekor's model; duplicate fields are refused by serde; strings are borrowed unless
/// they hold JSON escapes (which sigstore-rekor's `String`s accept too).
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Body<'a> {
    #[serde(borrow)]
    api_version: Cow<'a, str>,
    #[serde(borrow)]
    kind: Cow<'a, str>,
    spec: Spec<'a>,
}

#[derive(Deserialize)]
struct Spec<'a> {
    #[serde(borrow)]
    data: Data<'a>,
    signature: Signature<'a>,
}

#[derive(Deserialize)]
struct Data<'a> {
    #[serde(borrow)]
    hash: Hash<'a>,
}

#[derive(Deserialize)]
struct Hash<'a> {
    #[serde(borrow)]
    algorithm: Cow<'a, str>,
    #[serde(borrow)]
    value: Cow<'a, str>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Signature<'a> {
    #[serde(borrow)]
    content: Cow<'a, str>,
    #[serde(borrow)]
    public_key: PublicKey<'a>,
}

#[derive(Deserialize)]
struct PublicKey<'a> {
    #[serde(borrow)]
    content: Cow<'a, str>,
}

/// Check every log entry of `bundle` against the bundle. Call only when [`applies`], and only
/// after sigstore-verify accepted the bundle (it proves the message digest is the artifact's).
/// `not_before`/`not_after` are the leaf's validity as sigstore-verify parsed it.
pub(crate) fn verify(bundle: &Bundle, not_before: jiff::Timestamp, not_after: jiff::Timestamp) -> Result<()> {
    let SignatureContent::MessageSignature(sig) = &bundle.content else {
        return Err(fail(VerifyStep::LogEntry, "log-entry consistency: bundle is not a message signature"));
    };
    let digest = sig
        .message_digest
        .as_ref()
        .filter(|d| d.algorithm == HashAlgorithm::Sha2256)
        .ok_or_else(|| fail(VerifyStep::LogEntry, "log-entry consistency: bundle has no SHA-256 message digest"))?;
    let leaf = bundle
        .signing_certificate()
        .ok_or_else(|| fail(VerifyStep::LogEntry, "log-entry consistency: bundle has no signing certificate"))?;
    for (i, entry) in bundle.verification_material.tlog_entries.iter().enumerate() {
        if entry.kind_version != KindVersion::HashedRekordV001 {
            return Err(fail(VerifyStep::LogEntry, format!("tlog entry {i} is not a hashedrekord 0.0.1 entry")));
        }
        check_body(
            entry.canonicalized_body.as_bytes(),
            digest.digest.as_bytes(),
            sig.signature.as_bytes(),
            leaf.as_bytes(),
        )
        .map_err(|why| fail(VerifyStep::LogEntry, format!("tlog entry {i}: {why}")))?;
        if let Some(time) = entry.integrated_time
            && (time < not_before || time > not_after)
        {
            return Err(fail(
                VerifyStep::Timestamp,
                format!(
                    "tlog entry {i}: integrated time {time} is outside the certificate's validity {not_before} .. {not_after}"
                ),
            ));
        }
    }
    Ok(())
}

/// The body describes this artifact digest, signature and certificate; else why not.
fn check_body(body: &[u8], digest: &[u8], signature: &[u8], leaf_der: &[u8]) -> std::result::Result<(), String> {
    let body: Body<'_> =
        serde_json::from_slice(body).map_err(|e| format!("entry body is not a hashedrekord 0.0.1 body: {e}"))?;
    if body.kind != "hashedrekord" || body.api_version != "0.0.1" {
        return Err(format!(
            "entry body is {}/{}, not hashedrekord/0.0.1 as its kindVersion says",
            body.kind, body.api_version
        ));
    }
    let hash = &body.spec.data.hash;
    if hash.algorithm != "sha256" {
        return Err(format!("entry logs a {} digest, not sha256", hash.algorithm));
    }
    let logged = hex::decode(hash.value.as_bytes()).map_err(|e| format!("entry digest is not hex: {e}"))?;
    if logged.len() != 32 {
        return Err("entry digest is not 32 bytes".into());
    }
    if logged != digest {
        return Err("artifact hash mismatch: the entry logs another artifact digest".into());
    }
    let logged_sig = decode_b64(&body.spec.signature.content).map_err(|e| format!("entry signature: {e}"))?;
    if logged_sig != signature {
        return Err("signature in bundle does not match signature in Rekor entry".into());
    }
    let pem = decode_b64(&body.spec.signature.public_key.content).map_err(|e| format!("entry certificate: {e}"))?;
    let logged_cert = certificate_der(&pem)?;
    if logged_cert != leaf_der {
        return Err("certificate in bundle does not match certificate in Rekor entry".into());
    }
    Ok(())
}

/// Base64 as sigstore-types decodes protojson bytes (standard or URL-safe, padding optional).
fn decode_b64(s: &str) -> std::result::Result<Vec<u8>, String> {
    match B64_INDIFFERENT.decode(s) {
        Ok(bytes) => Ok(bytes),
        Err(_) => SignatureBytes::from_base64(s).map(SignatureBytes::into_bytes).map_err(|e| e.to_string()),
    }
}

const BEGIN: &[u8] = b"-----BEGIN CERTIFICATE-----\n";
const END: &[u8] = b"-----END CERTIFICATE-----";

/// The DER of the one PEM `CERTIFICATE` block in `pem`: canonical PEM (LF line ends, nothing
/// around the block but one final newline) is read here; anything else by sigstore-types'
/// `DerCertificate::from_pem`, which is what sigstore-verify uses.
fn certificate_der(pem: &[u8]) -> std::result::Result<Vec<u8>, String> {
    if let Some(der) = canonical_pem(pem) {
        return Ok(der);
    }
    let text = std::str::from_utf8(pem).map_err(|e| format!("entry certificate PEM is not UTF-8: {e}"))?;
    DerCertificate::from_pem(text).map(DerCertificate::into_bytes).map_err(|e| format!("entry certificate: {e}"))
}

/// `-----BEGIN CERTIFICATE-----\n`, base64 lines of at most 64 characters each ending in `\n`,
/// `-----END CERTIFICATE-----` and an optional `\n`; `None` for anything else.
fn canonical_pem(pem: &[u8]) -> Option<Vec<u8>> {
    let rest = pem.strip_prefix(BEGIN)?;
    let rest = rest.strip_suffix(b"\n").unwrap_or(rest);
    let inner = rest.strip_suffix(END)?;
    let mut b64 = Vec::with_capacity(inner.len());
    for line in inner.split_inclusive(|&b| b == b'\n') {
        let line = line.strip_suffix(b"\n")?;
        if line.is_empty() || line.len() > 64 {
            return None;
        }
        b64.extend_from_slice(line);
    }
    if b64.is_empty() {
        return None;
    }
    // The pem crate decodes with the standard, padded alphabet.
    base64::engine::general_purpose::STANDARD.decode(&b64).ok()
}

#[cfg(test)]
mod tests;
