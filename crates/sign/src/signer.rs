//! The [`Signer`] trait: what every signing key (file, and later KMS or hardware) offers.

use crate::error::Result;
use crate::keys::{KeyAlgorithm, PublicKey, SigningKey};

/// Something that signs messages. ECDSA signers return ASN.1 DER signatures over the curve's
/// hash of the message (P-256: SHA-256, cosign's default); RSA returns PKCS#1 v1.5 SHA-256;
/// Ed25519 signs the message itself.
pub trait Signer: Send + Sync {
    /// Sign `message`.
    fn sign(&self, message: &[u8]) -> Result<Vec<u8>>;
    /// Sign a precomputed digest (the algorithm's message hash) of the message.
    fn sign_digest(&self, digest: &[u8]) -> Result<Vec<u8>>;
    /// The public key that verifies this signer's signatures.
    fn public_key(&self) -> &PublicKey;
    /// The signing algorithm.
    fn algorithm(&self) -> KeyAlgorithm {
        self.public_key().algorithm()
    }
}

impl Signer for SigningKey {
    fn sign(&self, message: &[u8]) -> Result<Vec<u8>> {
        SigningKey::sign(self, message)
    }

    fn sign_digest(&self, digest: &[u8]) -> Result<Vec<u8>> {
        SigningKey::sign_digest(self, digest)
    }

    fn public_key(&self) -> &PublicKey {
        SigningKey::public_key(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keys::GenerateAlgorithm;

    #[test]
    fn default_is_ecdsa_p256_der() {
        let key = SigningKey::generate(GenerateAlgorithm::default()).unwrap();
        let s: &dyn Signer = &key;
        assert_eq!(s.algorithm(), KeyAlgorithm::EcdsaP256Sha256);
        let sig = s.sign(b"x").unwrap();
        // ASN.1 DER SEQUENCE of two INTEGERs.
        assert_eq!(sig[0], 0x30);
        assert_eq!(sig[1] as usize, sig.len() - 2);
        s.public_key().verify(b"x", &sig).unwrap();
    }
}
