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

use sigstore_crypto::{Keyring, SigningScheme};
use sigstore_trust_root::TrustedRoot;
use sigstore_types::bundle::VerificationMaterialContent;
use sigstore_types::{Sha256Hash, SignatureBytes};
use x509_cert::der::{Encode, Header, Length, Reader, SliceReader, Tag, TagNumber};

use super::{VerifyStep, fail};
use crate::bundle::Bundle;
use crate::{Error, Result};

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
pub(crate) struct PreparedSct<'a> {
    leaf: Leaf<'a>,
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
                if let Ok(c) = Leaf::parse(cert.raw_bytes.as_bytes()) {
                    fulcio.push((c.subject.to_vec(), sha256(c.spki)));
                }
            }
        }
        Ok(Self { ct_keys, fulcio })
    }

    /// Parse the bundle's leaf and find its issuer's key; `None` when this module cannot
    /// decide it alone (no certificate, an unreadable one, no or several candidate issuer keys).
    pub(crate) fn prepare<'a>(&self, bundle: &'a Bundle) -> Option<PreparedSct<'a>> {
        let (leaf_der, intermediates) = match &bundle.verification_material.content {
            VerificationMaterialContent::Certificate(c) => (c.raw_bytes.as_bytes(), &[][..]),
            VerificationMaterialContent::X509CertificateChain { certificates } => {
                let (leaf, rest) = certificates.split_first()?;
                (leaf.raw_bytes.as_bytes(), rest)
            }
            _ => return None,
        };
        let leaf = Leaf::parse(leaf_der).ok()?;
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
            let c = Leaf::parse(cert.raw_bytes.as_bytes()).ok()?;
            if !consider(c.subject, sha256(c.spki)) {
                return None;
            }
        }
        Some(PreparedSct { issuer_key_hash: found?, leaf })
    }

    /// Verify the prepared leaf's embedded SCT. Errors are at step [`VerifyStep::Sct`].
    pub(crate) fn verify(&self, prepared: &PreparedSct<'_>) -> Result<()> {
        let leaf = &prepared.leaf;
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
            .precertificate_tbs(ext.full)
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
        let octets = Tlv::read_one(ext_value).map_err(|e| malformed(&e.to_string()))?;
        if octets.tag != Tag::OctetString {
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

/// One DER element: its tag, its whole encoding and its contents.
#[derive(Clone, Copy)]
struct Tlv<'a> {
    tag: Tag,
    full: &'a [u8],
    value: &'a [u8],
}

impl<'a> Tlv<'a> {
    fn read(reader: &mut SliceReader<'a>) -> x509_cert::der::Result<Self> {
        let header = reader.peek_header()?;
        let full = reader.tlv_bytes()?;
        let len = usize::try_from(header.length)?;
        // `tlv_bytes` returns the header and the `len` content bytes, so this always succeeds.
        let value = full.len().checked_sub(len).and_then(|start| full.get(start..)).ok_or_else(|| {
            x509_cert::der::Error::new(x509_cert::der::ErrorKind::Length { tag: header.tag }, header.length)
        })?;
        Ok(Self { tag: header.tag, full, value })
    }

    /// Exactly one element filling `bytes`.
    fn read_one(bytes: &'a [u8]) -> x509_cert::der::Result<Self> {
        let mut reader = SliceReader::new(bytes)?;
        let tlv = Self::read(&mut reader)?;
        reader.finish(tlv)
    }

    /// The elements of a constructed value.
    fn children(self) -> x509_cert::der::Result<Vec<Tlv<'a>>> {
        let mut reader = SliceReader::new(self.value)?;
        let mut out = Vec::new();
        while !reader.is_finished() {
            out.push(Self::read(&mut reader)?);
        }
        Ok(out)
    }
}

/// One extension of a certificate.
struct Extension<'a> {
    oid: &'a [u8],
    full: &'a [u8],
    value: &'a [u8],
}

/// The parts of a certificate this module reads, as slices of its DER.
struct Leaf<'a> {
    /// The TBSCertificate's elements, in order.
    tbs: Vec<Tlv<'a>>,
    /// Index in `tbs` of the `[3]` extensions wrapper, if any.
    extensions_at: Option<usize>,
    extensions: Vec<Extension<'a>>,
    issuer: &'a [u8],
    subject: &'a [u8],
    spki: &'a [u8],
}

impl<'a> Leaf<'a> {
    /// Walk `Certificate ::= SEQUENCE { tbsCertificate, signatureAlgorithm, signature }`.
    fn parse(der: &'a [u8]) -> x509_cert::der::Result<Self> {
        use x509_cert::der::ErrorKind;
        let bad = |kind| x509_cert::der::Error::new(kind, Length::ZERO);
        let cert = Tlv::read_one(der)?;
        cert.tag.assert_eq(Tag::Sequence)?;
        let parts = cert.children()?;
        let [tbs, alg, sig] = parts.as_slice() else { return Err(bad(ErrorKind::Length { tag: Tag::Sequence })) };
        tbs.tag.assert_eq(Tag::Sequence)?;
        alg.tag.assert_eq(Tag::Sequence)?;
        sig.tag.assert_eq(Tag::BitString)?;
        let fields = tbs.children()?;
        let version = usize::from(fields.first().is_some_and(|f| f.tag == context(TagNumber::N0)));
        // serial, signature, issuer, validity, subject, subjectPublicKeyInfo
        let fixed = fields.get(version..version + 6).ok_or_else(|| bad(ErrorKind::Length { tag: Tag::Sequence }))?;
        let (issuer, subject, spki) = (fixed[2], fixed[4], fixed[5]);
        issuer.tag.assert_eq(Tag::Sequence)?;
        subject.tag.assert_eq(Tag::Sequence)?;
        spki.tag.assert_eq(Tag::Sequence)?;
        let mut extensions_at = None;
        let mut extensions = Vec::new();
        for (i, field) in fields.iter().enumerate().skip(version + 6) {
            if field.tag != context(TagNumber::N3) {
                continue; // issuerUniqueID, subjectUniqueID
            }
            if extensions_at.replace(i).is_some() {
                return Err(bad(ErrorKind::TagUnexpected { expected: None, actual: field.tag }));
            }
            let list = Tlv::read_one(field.value)?;
            list.tag.assert_eq(Tag::Sequence)?;
            for ext in list.children()? {
                ext.tag.assert_eq(Tag::Sequence)?;
                let (oid, value) = match ext.children()?.as_slice() {
                    [oid, value] => (*oid, *value),
                    [oid, critical, value] if critical.tag == Tag::Boolean => (*oid, *value),
                    _ => return Err(bad(ErrorKind::Length { tag: Tag::Sequence })),
                };
                oid.tag.assert_eq(Tag::ObjectIdentifier)?;
                value.tag.assert_eq(Tag::OctetString)?;
                extensions.push(Extension { oid: oid.value, full: ext.full, value: value.value });
            }
        }
        Ok(Self { tbs: fields, extensions_at, extensions, issuer: issuer.full, subject: subject.full, spki: spki.full })
    }

    /// The TBSCertificate with the extension whose encoding is `remove` taken out (RFC 6962
    /// §3.2: the precertificate TBS is the certificate's TBS without the SCT list extension).
    fn precertificate_tbs(&self, remove: &[u8]) -> x509_cert::der::Result<Vec<u8>> {
        let at = self
            .extensions_at
            .ok_or_else(|| x509_cert::der::Error::new(x509_cert::der::ErrorKind::Failed, Length::ZERO))?;
        let kept: Vec<&[u8]> =
            self.extensions.iter().filter(|e| !std::ptr::eq(e.full, remove)).map(|e| e.full).collect();
        let list = wrap(Tag::Sequence, &kept)?;
        let wrapper = wrap(context(TagNumber::N3), &[&list])?;
        let fields: Vec<&[u8]> =
            self.tbs.iter().enumerate().map(|(i, f)| if i == at { wrapper.as_slice() } else { f.full }).collect();
        wrap(Tag::Sequence, &fields)
    }
}

/// A constructed context-specific tag.
fn context(number: TagNumber) -> Tag {
    Tag::ContextSpecific { constructed: true, number }
}

/// `tag` with `parts` concatenated as its contents.
fn wrap(tag: Tag, parts: &[&[u8]]) -> x509_cert::der::Result<Vec<u8>> {
    let len: usize = parts.iter().map(|p| p.len()).sum();
    let mut out = Vec::with_capacity(len + 6);
    Header::new(tag, Length::try_from(len)?)?.encode_to_vec(&mut out)?;
    for p in parts {
        out.extend_from_slice(p);
    }
    Ok(out)
}

#[cfg(test)]
pub(super) mod tests;
