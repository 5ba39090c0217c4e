//! The signing certificate's embedded SCT (RFC 6962 §3.2–3.3), checked here instead of inside
//! sigstore-verify when the leaf's issuer is unambiguous.
//!
//! Why it is here: sigstore-verify 0.15.1 decodes the whole leaf with x509-cert, clones its
//! TBSCertificate and re-encodes it without the SCT extension to rebuild the precertificate:
//! about 20 µs of a ~520 µs keyless verification (`benches/verify_bundle.rs`). Here the
//! precertificate TBS is cut out of the leaf's own DER bytes (the SCT extension's bytes removed
//! and the three enclosing lengths re-encoded), which is the RFC's definition of it.
//!
//! The checks are sigstore-verify's, in the same order: exactly one SCT extension holding
//! exactly one v1 SCT; its signature algorithm maps to a supported scheme; the CT log is found by
//! the SCT's log ID among the trusted root's CT logs whose key was valid at the SCT's timestamp
//! (the same [`Keyring`]s sigstore-verify builds); the signature verifies over the RFC 6962
//! `digitally-signed` precertificate entry bound to the SHA-256 of the issuer's
//! SubjectPublicKeyInfo.
//!
//! The issuer: sigstore-verify takes it from the path webpki verified. Here it is the one
//! certificate (of the trusted root's Fulcio chains and the bundle's own intermediates) whose
//! subject is the leaf's issuer name byte for byte (webpki links a certificate to its issuer
//! by exactly that comparison). When several such certificates carry different keys, the
//! issuer is ambiguous and [`SctChecker::prepare`] returns `None`: the caller then leaves the
//! SCT to sigstore-verify.

use super::cert_walk::{CertWalk, Tlv, tag};
use super::{VerifyStep, fail};
use crate::bundle::Bundle;
use crate::{Error, Result};
use sigstore_crypto::{Keyring, SigningScheme};
use sigstore_trust_root::TrustedRoot;
use sigstore_types::bundle::VerificationMaterialContent;
use sigstore_types::{Sha256Hash, SignatureBytes};

/// DER contents of the OID 1.3.6.1.4.1.11129.2.4.2 (embedded SCT list).
const SCT_LIST_OID: [u8; 10] = [0x2b, 0x06, 0x01, 0x04, 0x01, 0xd6, 0x79, 0x02, 0x04, 0x02];

/// What the SCT check needs from the trusted root, prepared once per verifier.
pub(crate) struct SctChecker {
    /// CT log keyrings by SCT signature scheme (as sigstore-verify builds them).
    ct_keys: Vec<(SigningScheme, Keyring)>,
    /// (subject Name DER, SHA-256 of the SubjectPublicKeyInfo DER) of every Fulcio CA certificate.
    fulcio: Vec<(Vec<u8>, [u8; 32])>,
}

/// A leaf ready for [`SctChecker::verify`]: its issuer's key hash is known.
pub(crate) struct PreparedSct<'w, 'a> {
    leaf: &'w CertWalk<'a>,
    issuer_key_hash: [u8; 32],
}

impl SctChecker {
    /// Prepare the CT keys and Fulcio issuers of `root`.
    pub(crate) fn new(root: &TrustedRoot) -> Result<Self> {
        let schemes = [
            SigningScheme::EcdsaP256Sha256,
            SigningScheme::EcdsaP384Sha384,
            SigningScheme::RsaPkcs1Sha256,
            SigningScheme::RsaPkcs1Sha384,
            SigningScheme::RsaPkcs1Sha512,
        ];
        let mut ct_keys = Vec::new();
        for scheme in schemes {
            let ring = root.ctfe_keys(scheme).map_err(|e| Error::TrustRoot(format!("CT log keys: {e}")))?;
            ct_keys.push((scheme, ring));
        }
        let mut fulcio = Vec::new();
        for ca in &root.certificate_authorities {
            for cert in &ca.cert_chain.certificates {
                // An unreadable CA certificate is refused by sigstore-verify's own setup; here it
                // simply is no candidate issuer.
                if let Ok(c) = CertWalk::parse(cert.raw_bytes.as_bytes()) {
                    fulcio.push((c.subject.to_vec(), sha256(c.spki)));
                }
            }
        }
        Ok(Self { ct_keys, fulcio })
    }

    /// Find the issuer's key of `leaf` (the walked signing certificate of `bundle`); `None`
    /// when this module cannot decide it alone (no or several candidate issuer keys, an
    /// unreadable intermediate).
    pub(crate) fn prepare<'w, 'a>(&self, leaf: &'w CertWalk<'a>, bundle: &Bundle) -> Option<PreparedSct<'w, 'a>> {
        let intermediates = match &bundle.verification_material.content {
            VerificationMaterialContent::Certificate(_) => &[][..],
            VerificationMaterialContent::X509CertificateChain { certificates } => certificates.get(1..)?,
            _ => return None,
        };
        let mut found: Option<[u8; 32]> = None;
        let mut consider = |subject: &[u8], key_hash: [u8; 32]| -> bool {
            if subject != leaf.issuer {
                return true;
            }
            match found {
                Some(h) if h != key_hash => false,
                _ => {
                    found = Some(key_hash);
                    true
                }
            }
        };
        for (subject, key_hash) in &self.fulcio {
            if !consider(subject, *key_hash) {
                return None;
            }
        }
        for cert in intermediates {
            let c = CertWalk::parse(cert.raw_bytes.as_bytes()).ok()?;
            if !consider(c.subject, sha256(c.spki)) {
                return None;
            }
        }
        Some(PreparedSct { issuer_key_hash: found?, leaf })
    }

    /// Verify the prepared leaf's embedded SCT. Errors are at step [`VerifyStep::Sct`].
    pub(crate) fn verify(&self, prepared: &PreparedSct<'_, '_>) -> Result<()> {
        let leaf = prepared.leaf;
        let sct_fail = |why: &str| fail(VerifyStep::Sct, why.to_owned());
        let mut lists = leaf.extensions.iter().filter(|e| e.oid == SCT_LIST_OID);
        let ext = lists.next().ok_or_else(|| sct_fail("certificate has no embedded SCT list extension"))?;
        if lists.next().is_some() {
            return Err(sct_fail("certificate has more than one SCT list extension"));
        }
        let sct = Sct::parse_single(ext.value)?;
        let scheme = match sct.signature_algorithm {
            0x0403 => SigningScheme::EcdsaP256Sha256,
            0x0503 => SigningScheme::EcdsaP384Sha384,
            0x0401 => SigningScheme::RsaPkcs1Sha256,
            0x0501 => SigningScheme::RsaPkcs1Sha384,
            0x0601 => SigningScheme::RsaPkcs1Sha512,
            other => return Err(fail(VerifyStep::Sct, format!("unsupported SCT signature algorithm 0x{other:04x}"))),
        };
        let ring = &self
            .ct_keys
            .iter()
            .find(|(s, _)| *s == scheme)
            .ok_or_else(|| sct_fail("unsupported SCT signing scheme"))?
            .1;
        if ring.is_empty() {
            return Err(fail(VerifyStep::TrustRoot, "the trusted root has no CT log key for this SCT's algorithm"));
        }
        let precert = leaf
            .tbs_without(ext)
            .map_err(|e| fail(VerifyStep::Sct, format!("cannot rebuild the precertificate: {e}")))?;
        let signed = signed_entry(&sct, &prepared.issuer_key_hash, &precert)?;
        let millis = i64::try_from(sct.timestamp).map_err(|_| sct_fail("SCT timestamp is out of range"))?;
        let issued_at = jiff::Timestamp::from_millisecond(millis)
            .map_err(|e| fail(VerifyStep::Sct, format!("invalid SCT timestamp: {e}")))?;
        ring.verify_with_key_id_at(
            &Sha256Hash::new(sct.log_id),
            issued_at,
            &signed,
            &SignatureBytes::new(sct.signature.to_vec()),
        )
        .map_err(|e| fail(VerifyStep::Sct, format!("SCT signature verification failed: {e}")))
    }
}

fn sha256(data: &[u8]) -> [u8; 32] {
    *sigstore_crypto::sha256(data).as_bytes()
}

/// The RFC 6962 §3.2 `digitally-signed` struct of a v1 precertificate SCT.
fn signed_entry(sct: &Sct<'_>, issuer_key_hash: &[u8; 32], tbs: &[u8]) -> Result<Vec<u8>> {
    let too_long = |what: &str| fail(VerifyStep::Sct, format!("{what} is too long for the SCT encoding"));
    let tbs_len = u32::try_from(tbs.len()).ok().filter(|n| *n < 1 << 24).ok_or_else(|| too_long("certificate"))?;
    let ext_len = u16::try_from(sct.extensions.len()).map_err(|_| too_long("SCT extensions"))?;
    let mut out = Vec::with_capacity(52 + tbs.len() + sct.extensions.len());
    out.push(0); // sct_version v1
    out.push(0); // signature_type certificate_timestamp
    out.extend_from_slice(&sct.timestamp.to_be_bytes());
    out.extend_from_slice(&1u16.to_be_bytes()); // entry_type precert_entry
    out.extend_from_slice(issuer_key_hash);
    out.extend_from_slice(&tbs_len.to_be_bytes()[1..]);
    out.extend_from_slice(tbs);
    out.extend_from_slice(&ext_len.to_be_bytes());
    out.extend_from_slice(sct.extensions);
    Ok(out)
}

/// One SCT (RFC 6962 §3.2, TLS encoding).
struct Sct<'a> {
    log_id: [u8; 32],
    timestamp: u64,
    extensions: &'a [u8],
    signature_algorithm: u16,
    signature: &'a [u8],
}

impl<'a> Sct<'a> {
    /// The single SCT of an SCT list extension value (a DER OCTET STRING holding the TLS
    /// `SignedCertificateTimestampList`).
    fn parse_single(ext_value: &'a [u8]) -> Result<Self> {
        let malformed = |why: &str| fail(VerifyStep::Sct, format!("malformed SCT list: {why}"));
        let octets = Tlv::read_one(ext_value).map_err(|e| malformed(e.0))?;
        if octets.tag != tag::OCTET_STRING {
            return Err(malformed("not an OCTET STRING"));
        }
        let mut list = Tls(octets.value);
        let mut items = Tls(list.vec16().ok_or_else(|| malformed("truncated list"))?);
        if !list.0.is_empty() {
            return Err(malformed("bytes after the list"));
        }
        if items.0.is_empty() {
            return Err(fail(VerifyStep::Sct, "no SCTs found in certificate"));
        }
        let item = items.vec16().ok_or_else(|| malformed("truncated SCT"))?;
        if !items.0.is_empty() {
            return Err(fail(VerifyStep::Sct, "certificate contains multiple SCTs, expected exactly one"));
        }
        let mut t = Tls(item);
        let version = t.u8().ok_or_else(|| malformed("truncated SCT"))?;
        if version != 0 {
            return Err(fail(VerifyStep::Sct, format!("unsupported SCT version {version}")));
        }
        let log_id: [u8; 32] =
            t.take(32).and_then(|b| b.try_into().ok()).ok_or_else(|| malformed("truncated log ID"))?;
        let timestamp = t
            .take(8)
            .and_then(|b| b.try_into().ok())
            .map(u64::from_be_bytes)
            .ok_or_else(|| malformed("truncated timestamp"))?;
        let extensions = t.vec16().ok_or_else(|| malformed("truncated extensions"))?;
        let signature_algorithm = t
            .take(2)
            .and_then(|b| b.try_into().ok())
            .map(u16::from_be_bytes)
            .ok_or_else(|| malformed("truncated signature"))?;
        let signature = t.vec16().ok_or_else(|| malformed("truncated signature"))?;
        if !t.0.is_empty() {
            return Err(malformed("bytes after the SCT"));
        }
        Ok(Self { log_id, timestamp, extensions, signature_algorithm, signature })
    }
}

/// A cursor over TLS-encoded bytes.
struct Tls<'a>(&'a [u8]);

impl<'a> Tls<'a> {
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        let (head, rest) = self.0.split_at_checked(n)?;
        self.0 = rest;
        Some(head)
    }

    fn u8(&mut self) -> Option<u8> {
        self.take(1)?.first().copied()
    }

    /// An opaque vector with a 16-bit length prefix.
    fn vec16(&mut self) -> Option<&'a [u8]> {
        let len = u16::from_be_bytes(self.take(2)?.try_into().ok()?);
        self.take(usize::from(len))
    }
}

#[cfg(test)]
pub(super) mod tests;
