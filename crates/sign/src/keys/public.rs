//! Public keys: DER SubjectPublicKeyInfo, PEM `PUBLIC KEY` (`cosign.pub`), verification.

use aws_lc_rs::signature as sig;
use base64::Engine as _;
use spki::der::Decode as _;
use spki::der::asn1::ObjectIdentifier;

use super::KeyAlgorithm;
use super::private::MIN_RSA_BITS;
use crate::error::{Error, Result};

const OID_EC_PUBLIC_KEY: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.2.1");
const OID_P256: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.3.1.7");
const OID_P384: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.132.0.34");
const OID_P521: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.132.0.35");
const OID_ED25519: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.101.112");
const OID_RSA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.1");

/// Largest PEM/DER public key accepted (an RSA-16384 SPKI is ~2.1 KB).
const MAX_KEY_FILE: usize = 64 * 1024;

/// A public key: its DER SubjectPublicKeyInfo plus the algorithm it verifies with.
#[derive(Clone, PartialEq, Eq)]
pub struct PublicKey {
    spki_der: Vec<u8>,
    /// The raw key bits aws-lc-rs verifies with (EC point, PKCS#1 RSAPublicKey, Ed25519 bytes).
    raw: Vec<u8>,
    algorithm: KeyAlgorithm,
}

impl std::fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PublicKey").field("algorithm", &self.algorithm).field("hint", &self.hint()).finish()
    }
}

impl PublicKey {
    /// Parse a DER SubjectPublicKeyInfo.
    pub fn from_spki_der(der: &[u8]) -> Result<Self> {
        let bad = |why: &str| Error::Key(format!("not a usable public key: {why}"));
        let spki = spki::SubjectPublicKeyInfoRef::from_der(der)
            .map_err(|e| bad(&format!("SubjectPublicKeyInfo does not parse ({e})")))?;
        let raw =
            spki.subject_public_key.as_bytes().ok_or_else(|| bad("public key bit string has unused bits"))?.to_vec();
        let oid = spki.algorithm.oid;
        let algorithm = if oid == OID_EC_PUBLIC_KEY {
            let curve = spki.algorithm.parameters_oid().map_err(|_| bad("EC key without a named curve"))?;
            match curve {
                c if c == OID_P256 => KeyAlgorithm::EcdsaP256Sha256,
                c if c == OID_P384 => KeyAlgorithm::EcdsaP384Sha384,
                c if c == OID_P521 => KeyAlgorithm::EcdsaP521Sha512,
                c => return Err(bad(&format!("unsupported EC curve {c}"))),
            }
        } else if oid == OID_ED25519 {
            if raw.len() != 32 {
                return Err(bad("Ed25519 key is not 32 bytes"));
            }
            KeyAlgorithm::Ed25519
        } else if oid == OID_RSA {
            let bits = sig::RsaParameters::public_modulus_len(&raw).map_err(|_| bad("RSA public key does not parse"))?
                as usize;
            if bits < MIN_RSA_BITS {
                return Err(bad(&format!("RSA key of {bits} bits; at least {MIN_RSA_BITS} needed")));
            }
            KeyAlgorithm::RsaPkcs1Sha256(bits)
        } else {
            return Err(bad(&format!("unsupported key algorithm {oid}")));
        };
        let key = Self { spki_der: der.to_vec(), raw, algorithm };
        // Make aws-lc-rs parse the key now so a bad point fails here, not at verify time.
        key.unparsed().parse().map_err(|_| bad("the key bytes are not a valid point/modulus"))?;
        Ok(key)
    }

    /// Parse PEM: `PUBLIC KEY` (SPKI) or `RSA PUBLIC KEY` (PKCS#1). The first PEM block is used.
    pub fn from_pem(pem_text: &[u8]) -> Result<Self> {
        if pem_text.len() > MAX_KEY_FILE {
            return Err(Error::Key(format!("public key file larger than {MAX_KEY_FILE} bytes")));
        }
        let block = pem::parse(pem_text).map_err(|e| Error::Key(format!("public key is not PEM ({e})")))?;
        match block.tag() {
            "PUBLIC KEY" => Self::from_spki_der(block.contents()),
            "RSA PUBLIC KEY" => Self::from_spki_der(&rsa_pkcs1_to_spki(block.contents())),
            other => Err(Error::Key(format!("PEM block `{other}` is not a public key; expected `PUBLIC KEY`"))),
        }
    }

    /// The DER SubjectPublicKeyInfo.
    pub fn spki_der(&self) -> &[u8] {
        &self.spki_der
    }

    /// PEM `PUBLIC KEY`, 64-character lines, LF line endings (as Go's `pem.Encode`).
    pub fn to_pem(&self) -> String {
        pem_encode("PUBLIC KEY", &self.spki_der)
    }

    /// The key's algorithm.
    pub fn algorithm(&self) -> KeyAlgorithm {
        self.algorithm
    }

    /// The bundle `publicKey.hint` sigstore-go writes: base64(SHA-256(DER SPKI)). Unauthenticated.
    pub fn hint(&self) -> String {
        use sha2::Digest as _;
        base64::engine::general_purpose::STANDARD.encode(sha2::Sha256::digest(&self.spki_der))
    }

    fn verification_alg(&self) -> &'static dyn sig::VerificationAlgorithm {
        match self.algorithm {
            KeyAlgorithm::EcdsaP256Sha256 => &sig::ECDSA_P256_SHA256_ASN1,
            KeyAlgorithm::EcdsaP384Sha384 => &sig::ECDSA_P384_SHA384_ASN1,
            KeyAlgorithm::EcdsaP521Sha512 => &sig::ECDSA_P521_SHA512_ASN1,
            KeyAlgorithm::Ed25519 => &sig::ED25519,
            KeyAlgorithm::RsaPkcs1Sha256(_) => &sig::RSA_PKCS1_2048_8192_SHA256,
        }
    }

    fn unparsed(&self) -> sig::UnparsedPublicKey<&[u8]> {
        sig::UnparsedPublicKey::new(self.verification_alg(), &self.raw)
    }

    /// Verify `signature` over `message` (ECDSA: ASN.1 DER over the curve's hash of `message`).
    ///
    /// An Ed25519 key accepts pure Ed25519 and also Ed25519ph (RFC 8032 HashEdDSA: SHA-512 of
    /// the message, empty context), because cosign signs with Ed25519ph (sigstore/sigstore
    /// `GetDefaultLoadOptions`) while chainseal signs, and cosign verifies, pure Ed25519. The two
    /// schemes are domain-separated (`dom2` prefix), so a signature of one is never a signature
    /// of the other for another message.
    pub fn verify(&self, message: &[u8], signature: &[u8]) -> Result<()> {
        let bad = || Error::BadSignature { what: "message" };
        match self.unparsed().verify(message, signature) {
            Ok(()) => Ok(()),
            Err(_) if self.algorithm == KeyAlgorithm::Ed25519 => verify_ed25519ph(&self.raw, message, signature),
            Err(_) => Err(bad()),
        }
    }
}

impl PublicKey {
    /// Verify `signature` over a precomputed message digest (the algorithm's message hash).
    /// Ed25519 cannot verify a digest and is refused.
    pub fn verify_digest(&self, digest: &[u8], signature: &[u8]) -> Result<()> {
        use aws_lc_rs::digest as d;
        let bad = || Error::BadSignature { what: "message digest" };
        let alg = match self.algorithm.message_hash() {
            super::MessageHash::Sha256 => &d::SHA256,
            super::MessageHash::Sha384 => &d::SHA384,
            super::MessageHash::Sha512 => &d::SHA512,
        };
        if self.algorithm == KeyAlgorithm::Ed25519 {
            return Err(Error::Key("Ed25519 signatures are verified over the message, not a digest".into()));
        }
        let digest = d::Digest::import_less_safe(digest, alg).map_err(|_| bad())?;
        self.unparsed().verify_digest(&digest, signature).map_err(|_| bad())
    }
}

/// Ed25519ph (RFC 8032 §5.1, `phflag` 1, empty context) over SHA-512(`message`), strict
/// (rejects small-order keys and non-canonical signatures). aws-lc-rs has no Ed25519ph, so
/// ed25519-dalek does this one check.
fn verify_ed25519ph(raw_key: &[u8], message: &[u8], signature: &[u8]) -> Result<()> {
    use sha2::Digest as _;
    let bad = || Error::BadSignature { what: "message" };
    let key_bytes: [u8; 32] = raw_key.try_into().map_err(|_| bad())?;
    let key = ed25519_dalek::VerifyingKey::from_bytes(&key_bytes).map_err(|_| bad())?;
    let signature = ed25519_dalek::Signature::from_slice(signature).map_err(|_| bad())?;
    let mut prehash = sha2::Sha512::new();
    prehash.update(message);
    key.verify_prehashed_strict(prehash, None, &signature).map_err(|_| bad())
}

/// PEM-encode like Go's `pem.EncodeToMemory`: 64-character lines, LF.
pub(crate) fn pem_encode(tag: &str, der: &[u8]) -> String {
    let block = pem::Pem::new(tag, der.to_vec());
    pem::encode_config(&block, pem::EncodeConfig::new().set_line_ending(pem::LineEnding::LF))
}

/// Wrap a PKCS#1 RSAPublicKey in a SubjectPublicKeyInfo (rsaEncryption, NULL parameters).
fn rsa_pkcs1_to_spki(pkcs1: &[u8]) -> Vec<u8> {
    // AlgorithmIdentifier { rsaEncryption, NULL }, written out because it is constant.
    const ALG: [u8; 15] = [0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01, 0x05, 0x00];
    let mut bitstring = vec![0u8];
    bitstring.extend_from_slice(pkcs1);
    let mut body = ALG.to_vec();
    body.extend(der_tlv(0x03, &bitstring));
    der_tlv(0x30, &body)
}

fn der_tlv(tag: u8, content: &[u8]) -> Vec<u8> {
    let mut out = vec![tag];
    let len = content.len();
    if len < 0x80 {
        out.push(len as u8);
    } else {
        let bytes: Vec<u8> = len.to_be_bytes().iter().copied().skip_while(|b| *b == 0).collect();
        out.push(0x80 | bytes.len() as u8);
        out.extend(bytes);
    }
    out.extend_from_slice(content);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keys::{GenerateAlgorithm, SigningKey};

    /// An Ed25519 key from a fixed seed (ed25519-dalek) and its `PublicKey`.
    fn dalek_key() -> (ed25519_dalek::SigningKey, PublicKey) {
        let sk = ed25519_dalek::SigningKey::from_bytes(&[9u8; 32]);
        let mut spki = vec![0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00];
        spki.extend_from_slice(sk.verifying_key().as_bytes());
        (sk, PublicKey::from_spki_der(&spki).unwrap())
    }

    #[test]
    fn ed25519_accepts_pure_and_prehashed_signatures_of_the_message_only() {
        use ed25519_dalek::Signer as _;
        use sha2::Digest as _;
        let (sk, pk) = dalek_key();
        let msg = b"payload";
        let pure = sk.sign(msg).to_bytes();
        pk.verify(msg, &pure).unwrap();
        let mut h = sha2::Sha512::new();
        h.update(msg);
        let ph = sk.sign_prehashed(h, None).unwrap().to_bytes();
        pk.verify(msg, &ph).expect("cosign's Ed25519ph signatures verify");
        // Each refused over another message, and a prehashed signature with a context is not ours.
        assert!(pk.verify(b"other", &pure).is_err());
        assert!(pk.verify(b"other", &ph).is_err());
        let mut h = sha2::Sha512::new();
        h.update(msg);
        let ctx = sk.sign_prehashed(h, Some(b"ctx")).unwrap().to_bytes();
        assert!(pk.verify(msg, &ctx).is_err());
        let mut tampered = ph;
        tampered[5] ^= 1;
        assert!(pk.verify(msg, &tampered).is_err());
        // Another key's prehashed signature is refused.
        let other = ed25519_dalek::SigningKey::from_bytes(&[8u8; 32]);
        let mut h = sha2::Sha512::new();
        h.update(msg);
        assert!(pk.verify(msg, &other.sign_prehashed(h, None).unwrap().to_bytes()).is_err());
        // Prehash fallback is Ed25519-only: an ECDSA key does not try it.
        let ec = SigningKey::generate(GenerateAlgorithm::EcdsaP256).unwrap();
        assert!(ec.public_key().verify(msg, &ph).is_err());
    }

    #[test]
    fn pem_round_trip_and_hint() {
        let key = SigningKey::generate(GenerateAlgorithm::EcdsaP256).unwrap();
        let pem = key.public_key().to_pem();
        assert!(pem.starts_with("-----BEGIN PUBLIC KEY-----\n"));
        assert!(!pem.contains('\r'));
        let back = PublicKey::from_pem(pem.as_bytes()).unwrap();
        assert_eq!(&back, key.public_key());
        assert_eq!(back.hint().len(), 44);
    }

    #[test]
    fn rsa_pkcs1_public_key_is_accepted() {
        let key = SigningKey::generate_rsa(2048).unwrap();
        let spki = spki::SubjectPublicKeyInfoRef::from_der(key.public_key().spki_der()).unwrap();
        let pkcs1 = spki.subject_public_key.as_bytes().unwrap();
        let pem = pem_encode("RSA PUBLIC KEY", pkcs1);
        let back = PublicKey::from_pem(pem.as_bytes()).unwrap();
        assert_eq!(back.spki_der(), key.public_key().spki_der());
    }

    #[test]
    fn malformed_keys_are_refused() {
        assert!(PublicKey::from_pem(b"garbage").is_err());
        assert!(PublicKey::from_spki_der(&[0x30, 0x00]).is_err());
        let priv_pem = pem_encode("PRIVATE KEY", &[1, 2, 3]);
        assert!(PublicKey::from_pem(priv_pem.as_bytes()).is_err());
        // Truncated SPKI.
        let key = SigningKey::generate(GenerateAlgorithm::EcdsaP256).unwrap();
        let der = key.public_key().spki_der();
        assert!(PublicKey::from_spki_der(&der[..der.len() - 1]).is_err());
        // A point that is not on the curve.
        let mut bad = der.to_vec();
        let n = bad.len();
        bad[n - 1] ^= 1;
        assert!(PublicKey::from_spki_der(&bad).is_err());
    }
}
