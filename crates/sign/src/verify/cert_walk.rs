//! A certificate read as slices of its own DER: the TBSCertificate's fields, the issuer and
//! subject names, the SubjectPublicKeyInfo and the extensions, without decoding names, OIDs or
//! values.
//!
//! Written here because a full `x509_cert::Certificate` decode (which validates every name and
//! OID, and allocates for each) costs about 10 µs per certificate and a keyless verification
//! needs the leaf's SANs and its SCT extension after sigstore-verify has already decoded and
//! checked the whole certificate; der's generic reader was a further 4 µs per walk. The walk
//! still refuses anything that is not well-formed DER of the X.509 shape (RFC 5280 §4.1):
//! definite minimal lengths, the expected tags, nothing trailing at any level.

/// DER tags used here.
pub(crate) mod tag {
    /// BOOLEAN.
    pub(crate) const BOOLEAN: u8 = 0x01;
    /// BIT STRING.
    pub(crate) const BIT_STRING: u8 = 0x03;
    /// OCTET STRING.
    pub(crate) const OCTET_STRING: u8 = 0x04;
    /// OBJECT IDENTIFIER.
    pub(crate) const OID: u8 = 0x06;
    /// SEQUENCE (constructed).
    pub(crate) const SEQUENCE: u8 = 0x30;
    /// `[0]` constructed (the explicit version).
    pub(crate) const VERSION: u8 = 0xa0;
    /// `[1]` primitive (issuerUniqueID).
    pub(crate) const ISSUER_UID: u8 = 0x81;
    /// `[2]` primitive (subjectUniqueID).
    pub(crate) const SUBJECT_UID: u8 = 0x82;
    /// `[3]` constructed (the explicit extensions).
    pub(crate) const EXTENSIONS: u8 = 0xa3;
}

/// Why a walk failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct WalkError(pub(crate) &'static str);

impl std::fmt::Display for WalkError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.0)
    }
}

type Result<T> = std::result::Result<T, WalkError>;

/// One DER element: its tag byte, its whole encoding and its contents.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Tlv<'a> {
    /// The identifier octet (low-tag-number form only).
    pub(crate) tag: u8,
    /// Header and contents.
    pub(crate) full: &'a [u8],
    /// Contents.
    pub(crate) value: &'a [u8],
}

impl<'a> Tlv<'a> {
    /// The element at the start of `bytes`, and what follows it.
    fn read(bytes: &'a [u8]) -> Result<(Self, &'a [u8])> {
        let (&tag, rest) = bytes.split_first().ok_or(WalkError("truncated DER element"))?;
        if tag & 0x1f == 0x1f {
            return Err(WalkError("high tag numbers do not occur in certificates"));
        }
        let (&first, rest) = rest.split_first().ok_or(WalkError("truncated DER length"))?;
        let (len, rest) = if first < 0x80 {
            (usize::from(first), rest)
        } else {
            let n = usize::from(first & 0x7f);
            if n == 0 || n > 4 {
                return Err(WalkError("indefinite or oversized DER length"));
            }
            let (digits, rest) = rest.split_at_checked(n).ok_or(WalkError("truncated DER length"))?;
            if digits.first() == Some(&0) {
                return Err(WalkError("non-minimal DER length"));
            }
            let len = digits.iter().fold(0usize, |acc, d| (acc << 8) | usize::from(*d));
            if len < 0x80 {
                return Err(WalkError("non-minimal DER length"));
            }
            (len, rest)
        };
        let (value, after) = rest.split_at_checked(len).ok_or(WalkError("DER element runs past its container"))?;
        let header = bytes.len() - rest.len();
        let full = bytes.get(..header + len).ok_or(WalkError("DER element runs past its container"))?;
        Ok((Self { tag, full, value }, after))
    }

    /// Exactly one element filling `bytes`.
    pub(crate) fn read_one(bytes: &'a [u8]) -> Result<Self> {
        let (tlv, rest) = Self::read(bytes)?;
        if !rest.is_empty() {
            return Err(WalkError("bytes after a DER element"));
        }
        Ok(tlv)
    }

    /// This element, if its tag is `tag`.
    pub(crate) fn expect_tag(self, tag: u8) -> Result<Self> {
        if self.tag == tag { Ok(self) } else { Err(WalkError("unexpected DER tag")) }
    }

    /// The elements of this (constructed) element, in order.
    pub(crate) fn children(self) -> Children<'a> {
        Children { rest: self.value, failed: false }
    }
}

/// Iterator over the elements of a constructed DER value; ends after the first error.
pub(crate) struct Children<'a> {
    rest: &'a [u8],
    failed: bool,
}

impl<'a> Children<'a> {
    /// The next element, which must exist.
    pub(crate) fn expect(&mut self) -> Result<Tlv<'a>> {
        self.next().unwrap_or(Err(WalkError("missing DER element")))
    }

    /// Refuse anything left.
    pub(crate) fn end(mut self) -> Result<()> {
        match self.next() {
            None => Ok(()),
            Some(_) => Err(WalkError("unexpected extra DER element")),
        }
    }
}

impl<'a> Iterator for Children<'a> {
    type Item = Result<Tlv<'a>>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.failed || self.rest.is_empty() {
            return None;
        }
        match Tlv::read(self.rest) {
            Ok((tlv, rest)) => {
                self.rest = rest;
                Some(Ok(tlv))
            }
            Err(e) => {
                self.failed = true;
                Some(Err(e))
            }
        }
    }
}

/// One extension of a certificate.
pub(crate) struct Extension<'a> {
    /// The extnID's contents (the OID's DER body).
    pub(crate) oid: &'a [u8],
    /// The whole Extension SEQUENCE.
    pub(crate) full: &'a [u8],
    /// The extnValue OCTET STRING's contents.
    pub(crate) value: &'a [u8],
}

/// A certificate's parts as slices of its DER.
pub(crate) struct CertWalk<'a> {
    /// The TBSCertificate's elements, in order.
    tbs: Vec<Tlv<'a>>,
    /// Index in `tbs` of the `[3]` extensions wrapper, if any.
    extensions_at: Option<usize>,
    /// The extensions, in order.
    pub(crate) extensions: Vec<Extension<'a>>,
    /// The issuer Name (whole SEQUENCE).
    pub(crate) issuer: &'a [u8],
    /// The subject Name (whole SEQUENCE).
    pub(crate) subject: &'a [u8],
    /// The SubjectPublicKeyInfo (whole SEQUENCE).
    pub(crate) spki: &'a [u8],
}

impl<'a> CertWalk<'a> {
    /// Walk `Certificate ::= SEQUENCE { tbsCertificate, signatureAlgorithm, signature }` and
    /// `TBSCertificate ::= SEQUENCE { [0] version OPTIONAL, serial, signature, issuer, validity,
    /// subject, spki, [1] OPTIONAL, [2] OPTIONAL, [3] extensions OPTIONAL }`.
    pub(crate) fn parse(der: &'a [u8]) -> Result<Self> {
        let mut parts = Tlv::read_one(der)?.expect_tag(tag::SEQUENCE)?.children();
        let tbs = parts.expect()?.expect_tag(tag::SEQUENCE)?;
        parts.expect()?.expect_tag(tag::SEQUENCE)?;
        parts.expect()?.expect_tag(tag::BIT_STRING)?;
        parts.end()?;
        let fields = tbs.children().collect::<Result<Vec<_>>>()?;
        let version = usize::from(fields.first().is_some_and(|f| f.tag == tag::VERSION));
        // serial, signature, issuer, validity, subject, subjectPublicKeyInfo
        let [_, _, issuer, _, subject, spki] = fields
            .get(version..version + 6)
            .and_then(|f| <[Tlv<'a>; 6]>::try_from(f).ok())
            .ok_or(WalkError("TBSCertificate is missing fields"))?;
        let (issuer, subject, spki) =
            (issuer.expect_tag(tag::SEQUENCE)?, subject.expect_tag(tag::SEQUENCE)?, spki.expect_tag(tag::SEQUENCE)?);
        let mut extensions_at = None;
        let mut extensions = Vec::new();
        let mut next_allowed = 0;
        for (i, field) in fields.iter().enumerate().skip(version + 6) {
            // The optional fields may each appear once, in this order.
            let rank = match field.tag {
                tag::ISSUER_UID => 1,
                tag::SUBJECT_UID => 2,
                tag::EXTENSIONS => 3,
                _ => return Err(WalkError("unexpected field in TBSCertificate")),
            };
            if rank <= next_allowed {
                return Err(WalkError("TBSCertificate fields out of order"));
            }
            next_allowed = rank;
            if field.tag != tag::EXTENSIONS {
                continue;
            }
            extensions_at = Some(i);
            for ext in Tlv::read_one(field.value)?.expect_tag(tag::SEQUENCE)?.children() {
                let ext = ext?.expect_tag(tag::SEQUENCE)?;
                let mut parts = ext.children();
                let oid = parts.expect()?.expect_tag(tag::OID)?;
                let mut value = parts.expect()?;
                if value.tag == tag::BOOLEAN {
                    value = parts.expect()?; // after `critical`
                }
                let value = value.expect_tag(tag::OCTET_STRING)?;
                parts.end()?;
                extensions.push(Extension { oid: oid.value, full: ext.full, value: value.value });
            }
        }
        Ok(Self { tbs: fields, extensions_at, extensions, issuer: issuer.full, subject: subject.full, spki: spki.full })
    }

    /// The `extnValue` contents of every extension with OID body `oid`.
    pub(crate) fn extension_values<'s>(&'s self, oid: &'s [u8]) -> impl Iterator<Item = &'a [u8]> + 's {
        self.extensions.iter().filter(move |e| e.oid == oid).map(|e| e.value)
    }

    /// The TBSCertificate with the extension `remove` (one of [`Self::extensions`]) taken out,
    /// the enclosing lengths re-encoded.
    pub(crate) fn tbs_without(&self, remove: &Extension<'_>) -> Result<Vec<u8>> {
        let at = self.extensions_at.ok_or(WalkError("certificate has no extensions"))?;
        let kept: Vec<&[u8]> =
            self.extensions.iter().filter(|e| !std::ptr::eq(e.full, remove.full)).map(|e| e.full).collect();
        let list = wrap(tag::SEQUENCE, &kept)?;
        let wrapper = wrap(tag::EXTENSIONS, &[&list])?;
        let fields: Vec<&[u8]> =
            self.tbs.iter().enumerate().map(|(i, f)| if i == at { wrapper.as_slice() } else { f.full }).collect();
        wrap(tag::SEQUENCE, &fields)
    }
}

/// `tag` with `parts` concatenated as its contents (definite, minimal length).
fn wrap(tag: u8, parts: &[&[u8]]) -> Result<Vec<u8>> {
    let len: usize = parts.iter().map(|p| p.len()).sum();
    let len32 = u32::try_from(len).map_err(|_| WalkError("DER element too long"))?;
    let mut out = Vec::with_capacity(len + 6);
    out.push(tag);
    if len < 0x80 {
        out.push(len32 as u8);
    } else {
        let digits = len32.to_be_bytes();
        let skip = digits.iter().take_while(|d| **d == 0).count();
        out.push(0x80 | (4 - skip) as u8);
        out.extend_from_slice(digits.get(skip..).unwrap_or_default());
    }
    for p in parts {
        out.extend_from_slice(p);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lengths_must_be_definite_minimal_and_in_bounds() {
        assert!(Tlv::read_one(&[0x04, 0x01, 0xaa]).is_ok());
        assert!(Tlv::read_one(&[0x04, 0x81, 0x01, 0xaa]).is_err(), "long form for a short length");
        assert!(Tlv::read_one(&[0x04, 0x82, 0x00, 0x81]).is_err(), "leading zero length octet");
        assert!(Tlv::read_one(&[0x30, 0x80, 0x00, 0x00]).is_err(), "indefinite length");
        assert!(Tlv::read_one(&[0x04, 0x85, 1, 0, 0, 0, 0]).is_err(), "five length octets");
        assert!(Tlv::read_one(&[0x04, 0x02, 0xaa]).is_err(), "runs past the end");
        assert!(Tlv::read_one(&[0x04, 0x00, 0x00]).is_err(), "trailing byte");
        assert!(Tlv::read_one(&[0x1f, 0x01, 0x00]).is_err(), "high tag number");
        let mut long = vec![0x04, 0x81, 0x80];
        long.extend_from_slice(&[7; 0x80]);
        let t = Tlv::read_one(&long).expect("long form");
        assert_eq!((t.value.len(), t.full.len()), (0x80, 0x83));
    }

    #[test]
    fn wrap_encodes_what_read_reads() {
        for len in [0usize, 1, 0x7f, 0x80, 0xff, 0x100, 0x10000] {
            let body = vec![0x5a; len];
            let der = wrap(tag::SEQUENCE, &[&body]).expect("wrap");
            let t = Tlv::read_one(&der).expect("read");
            assert_eq!((t.tag, t.value.len(), t.full.len()), (tag::SEQUENCE, len, der.len()));
        }
    }
}
