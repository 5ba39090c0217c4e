//! Shape rules checked right after parsing, before any cryptography (signing.md §11 step 0).
//!
//! sigstore-types already refuses unknown media types, bad base64, negative log indexes and DSSE
//! envelopes without exactly one signature; sigstore-bundle enforces the per-version tlog rules
//! at verification. Added here because the crates do not do it:
//! - an empty `x509CertificateChain` is named as such (the crates only report "no certificate");
//! - a self-issued (root) certificate inside the bundle's chain is refused: roots come from the
//!   trusted root only, never from the bundle;
//! - a v0.1 bundle must carry an inclusion promise on every entry, and v0.2+ bundles must carry
//!   an inclusion proof on every entry (the crates check "any entry", not "every entry").

use x509_cert::Certificate;
use x509_cert::der::Decode;

use super::{Bundle, MediaType, VerificationMaterialContent};
use crate::Result;
use crate::verify::{VerifyStep, fail};

/// Check the structural rules a bundle must meet before verification.
pub fn check(bundle: &Bundle) -> Result<()> {
    if let VerificationMaterialContent::X509CertificateChain { certificates } = &bundle.verification_material.content {
        if certificates.is_empty() {
            return Err(fail(VerifyStep::Bundle, "x509CertificateChain is empty"));
        }
        for (i, c) in certificates.iter().enumerate() {
            if is_self_issued(c.raw_bytes.as_bytes())? {
                return Err(fail(
                    VerifyStep::Bundle,
                    format!(
                        "certificate {i} of the bundle's chain is a self-issued root; roots must come from the trusted root, not the bundle"
                    ),
                ));
            }
        }
    }
    for (i, entry) in bundle.verification_material.tlog_entries.iter().enumerate() {
        match bundle.media_type {
            MediaType::Bundle0_1 => {
                if entry.inclusion_promise.is_none() {
                    return Err(fail(
                        VerifyStep::Set,
                        format!("v0.1 bundle: tlog entry {i} has no inclusion promise (SET)"),
                    ));
                }
            }
            _ => {
                if entry.inclusion_proof.is_none() {
                    return Err(fail(
                        VerifyStep::InclusionProof,
                        format!(
                            "{} bundle: tlog entry {i} has no inclusion proof; it is never fetched online",
                            bundle.media_type
                        ),
                    ));
                }
            }
        }
    }
    Ok(())
}

/// Whether a DER certificate's subject equals its issuer.
fn is_self_issued(der: &[u8]) -> Result<bool> {
    let cert = Certificate::from_der(der)
        .map_err(|e| fail(VerifyStep::Bundle, format!("certificate in the bundle is not valid DER X.509: {e}")))?;
    Ok(cert.tbs_certificate.subject == cert.tbs_certificate.issuer)
}
