//! Private keys held by aws-lc-rs.

use aws_lc_rs::encoding::{AsDer, Pkcs8V1Der, PublicKeyX509Der};
use aws_lc_rs::rsa::KeySize;
use aws_lc_rs::signature::{self as sig, KeyPair as _};
use zeroize::Zeroizing;

use super::{GenerateAlgorithm, KeyAlgorithm, PublicKey};
use crate::error::{Error, Result};

/// Smallest RSA modulus chainseal accepts (cosign's minimum, `cryptoutils.ValidatePubKey`).
pub(crate) const MIN_RSA_BITS: usize = 2048;

/// A private signing key.
///
/// The key material lives inside aws-lc-rs, which clears it when the key is dropped; exports
/// ([`SigningKey::to_pkcs8_der`]) come back in [`Zeroizing`] buffers. `Debug` shows only the
/// algorithm and the public key hint.
pub struct SigningKey {
    inner: Inner,
    public: PublicKey,
}

enum Inner {
    Ecdsa(sig::EcdsaKeyPair, KeyAlgorithm),
    Ed25519(sig::Ed25519KeyPair),
    Rsa(sig::RsaKeyPair),
}

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SigningKey")
            .field("algorithm", &self.algorithm())
            .field("public_key_hint", &self.public.hint())
            .finish_non_exhaustive()
    }
}

fn ecdsa_alg(alg: KeyAlgorithm) -> Option<&'static sig::EcdsaSigningAlgorithm> {
    match alg {
        KeyAlgorithm::EcdsaP256Sha256 => Some(&sig::ECDSA_P256_SHA256_ASN1_SIGNING),
        KeyAlgorithm::EcdsaP384Sha384 => Some(&sig::ECDSA_P384_SHA384_ASN1_SIGNING),
        KeyAlgorithm::EcdsaP521Sha512 => Some(&sig::ECDSA_P521_SHA512_ASN1_SIGNING),
        _ => None,
    }
}

const ECDSA_ALGS: [KeyAlgorithm; 3] =
    [KeyAlgorithm::EcdsaP256Sha256, KeyAlgorithm::EcdsaP384Sha384, KeyAlgorithm::EcdsaP521Sha512];

/// Seed the system random generator now. aws-lc seeds it from CPU jitter entropy on first use
/// (tens of milliseconds); calling this on another thread while a key file is being decrypted
/// (scrypt) takes that wait off the path to the first signature. Harmless to call again.
pub fn warm_up_rng() {
    use aws_lc_rs::rand::SecureRandom as _;
    let mut byte = [0u8; 1];
    // A failure here would recur, and be reported, at signing time.
    let _ = aws_lc_rs::rand::SystemRandom::new().fill(&mut byte);
}

impl SigningKey {
    /// Generate a fresh key.
    pub fn generate(alg: GenerateAlgorithm) -> Result<Self> {
        let inner = match alg {
            GenerateAlgorithm::EcdsaP256 => ecdsa_generate(KeyAlgorithm::EcdsaP256Sha256)?,
            GenerateAlgorithm::EcdsaP384 => ecdsa_generate(KeyAlgorithm::EcdsaP384Sha384)?,
            GenerateAlgorithm::EcdsaP521 => ecdsa_generate(KeyAlgorithm::EcdsaP521Sha512)?,
            GenerateAlgorithm::Ed25519 => {
                Inner::Ed25519(sig::Ed25519KeyPair::generate().map_err(|_| Error::Crypto("Ed25519 key generation"))?)
            }
        };
        Self::from_inner(inner)
    }

    /// Generate an RSA key of `bits` (2048, 3072, 4096 or 8192).
    pub fn generate_rsa(bits: usize) -> Result<Self> {
        let size = match bits {
            2048 => KeySize::Rsa2048,
            3072 => KeySize::Rsa3072,
            4096 => KeySize::Rsa4096,
            8192 => KeySize::Rsa8192,
            other => {
                return Err(Error::Key(format!("RSA key size {other} is not supported; use 2048, 3072, 4096 or 8192")));
            }
        };
        let kp = sig::RsaKeyPair::generate(size).map_err(|_| Error::Crypto("RSA key generation"))?;
        Self::from_inner(Inner::Rsa(kp))
    }

    /// Parse an unencrypted PKCS#8 DER private key (v1, or v2 for Ed25519), trying each
    /// supported algorithm. SEC1 and PKCS#1 are refused here, as cosign refuses them inside its
    /// encrypted envelope; see [`super::import`] for those.
    pub fn from_pkcs8_der(der: &[u8]) -> Result<Self> {
        for alg in ECDSA_ALGS {
            if let Some(a) = ecdsa_alg(alg)
                && let Ok(kp) = sig::EcdsaKeyPair::from_pkcs8(a, der)
            {
                return Self::from_inner(Inner::Ecdsa(kp, alg));
            }
        }
        if let Ok(kp) = sig::Ed25519KeyPair::from_pkcs8_maybe_unchecked(der) {
            return Self::from_inner(Inner::Ed25519(kp));
        }
        if let Ok(kp) = sig::RsaKeyPair::from_pkcs8(der) {
            return Self::from_inner(Inner::Rsa(kp));
        }
        Err(Error::Key(
            "not a PKCS#8 private key of a supported type (ECDSA P-256/P-384/P-521, Ed25519, \
             RSA >= 2048 bits)"
                .into(),
        ))
    }

    /// Parse a SEC1 (`EC PRIVATE KEY`) DER private key.
    pub fn from_sec1_der(der: &[u8]) -> Result<Self> {
        for alg in ECDSA_ALGS {
            if let Some(a) = ecdsa_alg(alg)
                && let Ok(kp) = sig::EcdsaKeyPair::from_private_key_der(a, der)
            {
                return Self::from_inner(Inner::Ecdsa(kp, alg));
            }
        }
        Err(Error::Key("not a SEC1 EC private key on P-256, P-384 or P-521".into()))
    }

    /// Parse a PKCS#1 (`RSA PRIVATE KEY`) DER private key.
    pub fn from_pkcs1_der(der: &[u8]) -> Result<Self> {
        let kp = sig::RsaKeyPair::from_der(der).map_err(|_| Error::Key("not a PKCS#1 RSA private key".into()))?;
        Self::from_inner(Inner::Rsa(kp))
    }

    fn from_inner(inner: Inner) -> Result<Self> {
        let (spki, alg) = match &inner {
            Inner::Ecdsa(kp, alg) => (
                AsDer::<PublicKeyX509Der>::as_der(kp.public_key()).map_err(|_| Error::Crypto("public key encoding"))?,
                *alg,
            ),
            Inner::Ed25519(kp) => (
                AsDer::<PublicKeyX509Der>::as_der(kp.public_key()).map_err(|_| Error::Crypto("public key encoding"))?,
                KeyAlgorithm::Ed25519,
            ),
            Inner::Rsa(kp) => {
                let bits = kp.public_modulus_len() * 8;
                if bits < MIN_RSA_BITS {
                    return Err(Error::Key(format!(
                        "RSA key of {bits} bits is too small; use at least {MIN_RSA_BITS}"
                    )));
                }
                (
                    AsDer::<PublicKeyX509Der>::as_der(kp.public_key())
                        .map_err(|_| Error::Crypto("public key encoding"))?,
                    KeyAlgorithm::RsaPkcs1Sha256(bits),
                )
            }
        };
        let public = PublicKey::from_spki_der(spki.as_ref())?;
        if public.algorithm() != alg {
            return Err(Error::Crypto("public key algorithm does not match the private key"));
        }
        Ok(Self { inner, public })
    }

    /// The key's algorithm.
    pub fn algorithm(&self) -> KeyAlgorithm {
        self.public.algorithm()
    }

    /// The matching public key.
    pub fn public_key(&self) -> &PublicKey {
        &self.public
    }

    /// Export as PKCS#8 v1 DER (what cosign encrypts). The buffer is zeroized on drop.
    pub fn to_pkcs8_der(&self) -> Result<Zeroizing<Vec<u8>>> {
        let err = |_| Error::Crypto("PKCS#8 encoding");
        let der = match &self.inner {
            Inner::Ecdsa(kp, _) => kp.to_pkcs8v1().map_err(err)?.as_ref().to_vec(),
            Inner::Ed25519(kp) => AsDer::<Pkcs8V1Der>::as_der(kp).map_err(err)?.as_ref().to_vec(),
            Inner::Rsa(kp) => AsDer::<Pkcs8V1Der>::as_der(kp).map_err(err)?.as_ref().to_vec(),
        };
        Ok(Zeroizing::new(der))
    }

    /// Sign `message` with the key's algorithm (ECDSA: ASN.1 DER over the hash of `message`).
    pub fn sign(&self, message: &[u8]) -> Result<Vec<u8>> {
        let rng = aws_lc_rs::rand::SystemRandom::new();
        match &self.inner {
            Inner::Ecdsa(kp, _) => {
                kp.sign(&rng, message).map(|s| s.as_ref().to_vec()).map_err(|_| Error::Crypto("ECDSA signing"))
            }
            Inner::Ed25519(kp) => {
                kp.try_sign(message).map(|s| s.as_ref().to_vec()).map_err(|_| Error::Crypto("Ed25519 signing"))
            }
            Inner::Rsa(kp) => {
                let mut out = vec![0u8; kp.public_modulus_len()];
                kp.sign(&sig::RSA_PKCS1_SHA256, &rng, message, &mut out).map_err(|_| Error::Crypto("RSA signing"))?;
                Ok(out)
            }
        }
    }
}

impl SigningKey {
    /// Sign a precomputed digest of the message (for `sign-blob sha256:<hex>`). The digest must
    /// be the key algorithm's message hash ([`KeyAlgorithm::message_hash`]); Ed25519 cannot sign
    /// a digest (it hashes the message itself) and is refused.
    pub fn sign_digest(&self, digest: &[u8]) -> Result<Vec<u8>> {
        use aws_lc_rs::digest as d;
        let alg = match self.algorithm().message_hash() {
            super::MessageHash::Sha256 => &d::SHA256,
            super::MessageHash::Sha384 => &d::SHA384,
            super::MessageHash::Sha512 => &d::SHA512,
        };
        let wrong_len = || {
            Error::Key(format!(
                "a {} digest is needed to sign with this {:?} key",
                self.algorithm().message_hash().sigstore_name(),
                self.algorithm()
            ))
        };
        let digest = d::Digest::import_less_safe(digest, alg).map_err(|_| wrong_len())?;
        match &self.inner {
            Inner::Ecdsa(kp, _) => {
                kp.sign_digest(&digest).map(|s| s.as_ref().to_vec()).map_err(|_| Error::Crypto("ECDSA signing"))
            }
            Inner::Ed25519(_) => {
                Err(Error::Key("Ed25519 keys sign the whole message; give the file, not its digest".into()))
            }
            Inner::Rsa(kp) => {
                let mut out = vec![0u8; kp.public_modulus_len()];
                kp.sign_digest(&sig::RSA_PKCS1_SHA256, &digest, &mut out).map_err(|_| Error::Crypto("RSA signing"))?;
                Ok(out)
            }
        }
    }
}

fn ecdsa_generate(alg: KeyAlgorithm) -> Result<Inner> {
    let a = ecdsa_alg(alg).ok_or(Error::Crypto("not an ECDSA algorithm"))?;
    let kp = sig::EcdsaKeyPair::generate(a).map_err(|_| Error::Crypto("ECDSA key generation"))?;
    Ok(Inner::Ecdsa(kp, alg))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generate_sign_verify_every_algorithm() {
        for alg in [
            GenerateAlgorithm::EcdsaP256,
            GenerateAlgorithm::EcdsaP384,
            GenerateAlgorithm::EcdsaP521,
            GenerateAlgorithm::Ed25519,
        ] {
            let key = SigningKey::generate(alg).unwrap();
            let sig = key.sign(b"hello").unwrap();
            key.public_key().verify(b"hello", &sig).unwrap();
            assert!(key.public_key().verify(b"hellO", &sig).is_err(), "{alg:?}");
            // Round trip through PKCS#8.
            let der = key.to_pkcs8_der().unwrap();
            let back = SigningKey::from_pkcs8_der(&der).unwrap();
            assert_eq!(back.public_key(), key.public_key());
        }
    }

    #[test]
    fn digest_signing_matches_message_signing() {
        let key = SigningKey::generate(GenerateAlgorithm::EcdsaP256).unwrap();
        let digest = super::super::MessageHash::Sha256.digest(b"blob");
        let sig = key.sign_digest(&digest).unwrap();
        key.public_key().verify(b"blob", &sig).unwrap();
        key.public_key().verify_digest(&digest, &sig).unwrap();
        assert!(key.sign_digest(&digest[..31]).is_err());
        let ed = SigningKey::generate(GenerateAlgorithm::Ed25519).unwrap();
        assert!(ed.sign_digest(&[0u8; 64]).is_err());
    }

    #[test]
    fn rsa_sign_verify() {
        let key = SigningKey::generate_rsa(2048).unwrap();
        assert_eq!(key.algorithm(), KeyAlgorithm::RsaPkcs1Sha256(2048));
        let sig = key.sign(b"m").unwrap();
        key.public_key().verify(b"m", &sig).unwrap();
        assert!(key.public_key().verify(b"n", &sig).is_err());
        let back = SigningKey::from_pkcs8_der(&key.to_pkcs8_der().unwrap()).unwrap();
        assert_eq!(back.public_key(), key.public_key());
    }

    #[test]
    fn debug_prints_no_key_material() {
        let key = SigningKey::generate(GenerateAlgorithm::EcdsaP256).unwrap();
        let dbg = format!("{key:?}");
        let der = key.to_pkcs8_der().unwrap();
        // The private scalar is the 32 bytes after the OCTET STRING header in PKCS#8; check
        // that no 8-byte window of the DER (hex or base64) appears in Debug output.
        for w in der.windows(8) {
            assert!(!dbg.contains(&hex::encode(w)));
        }
        assert!(dbg.contains("EcdsaP256Sha256"));
    }

    #[test]
    fn garbage_is_refused() {
        assert!(SigningKey::from_pkcs8_der(b"not a key").is_err());
        assert!(SigningKey::from_sec1_der(&[0x30, 0x03, 0x02, 0x01, 0x01]).is_err());
        assert!(SigningKey::from_pkcs1_der(&[]).is_err());
    }
}
