//! Keys and key files, compatible with cosign.
//!
//! - [`SigningKey`]: a private key (ECDSA P-256/P-384/P-521, Ed25519, RSA) held in aws-lc-rs;
//!   its PKCS#8 export is zeroized on drop and `Debug` never prints key material.
//! - [`PublicKey`]: a DER SubjectPublicKeyInfo that verifies signatures (`cosign.pub`).
//! - [`encrypted`]: the `cosign.key` format (`ENCRYPTED SIGSTORE PRIVATE KEY`: scrypt +
//!   NaCl secretbox around PKCS#8), read and written.
//! - [`import`]: unencrypted PEM private keys (PKCS#8, SEC1, PKCS#1) for `import-key-pair`.
//! - [`files`]: writing `cosign.key` (mode 0600) and `cosign.pub` without clobbering.

pub mod encrypted;
pub mod files;
pub mod import;
mod private;
mod public;

pub use private::{SigningKey, warm_up_rng};
pub use public::PublicKey;

/// The key algorithms chainseal signs and verifies with, named as in the Sigstore protobuf
/// `PublicKeyDetails` enum.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum KeyAlgorithm {
    /// ECDSA on P-256 with SHA-256, ASN.1 DER signatures (cosign's default).
    EcdsaP256Sha256,
    /// ECDSA on P-384 with SHA-384.
    EcdsaP384Sha384,
    /// ECDSA on P-521 with SHA-512.
    EcdsaP521Sha512,
    /// Ed25519 (pure, not pre-hashed).
    Ed25519,
    /// RSA PKCS#1 v1.5 with SHA-256; the modulus size in bits.
    RsaPkcs1Sha256(usize),
}

impl KeyAlgorithm {
    /// The Sigstore `PublicKeyDetails` name (`PKIX_ECDSA_P256_SHA_256`, …).
    pub fn key_details(self) -> &'static str {
        match self {
            KeyAlgorithm::EcdsaP256Sha256 => "PKIX_ECDSA_P256_SHA_256",
            KeyAlgorithm::EcdsaP384Sha384 => "PKIX_ECDSA_P384_SHA_384",
            KeyAlgorithm::EcdsaP521Sha512 => "PKIX_ECDSA_P521_SHA_512",
            KeyAlgorithm::Ed25519 => "PKIX_ED25519",
            KeyAlgorithm::RsaPkcs1Sha256(bits) if bits <= 2048 => "PKIX_RSA_PKCS1V15_2048_SHA256",
            KeyAlgorithm::RsaPkcs1Sha256(bits) if bits <= 3072 => "PKIX_RSA_PKCS1V15_3072_SHA256",
            KeyAlgorithm::RsaPkcs1Sha256(_) => "PKIX_RSA_PKCS1V15_4096_SHA256",
        }
    }

    /// The hash the algorithm applies to a message, which is also the hash a bundle's
    /// `messageDigest` carries.
    pub fn message_hash(self) -> MessageHash {
        match self {
            KeyAlgorithm::EcdsaP384Sha384 => MessageHash::Sha384,
            KeyAlgorithm::EcdsaP521Sha512 | KeyAlgorithm::Ed25519 => MessageHash::Sha512,
            KeyAlgorithm::EcdsaP256Sha256 | KeyAlgorithm::RsaPkcs1Sha256(_) => MessageHash::Sha256,
        }
    }
}

/// A message hash algorithm.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum MessageHash {
    /// SHA-256.
    Sha256,
    /// SHA-384.
    Sha384,
    /// SHA-512.
    Sha512,
}

impl MessageHash {
    /// Hash `data`.
    pub fn digest(self, data: &[u8]) -> Vec<u8> {
        use sha2::Digest as _;
        match self {
            MessageHash::Sha256 => sha2::Sha256::digest(data).to_vec(),
            MessageHash::Sha384 => sha2::Sha384::digest(data).to_vec(),
            MessageHash::Sha512 => sha2::Sha512::digest(data).to_vec(),
        }
    }

    /// The Sigstore `HashAlgorithm` name (`SHA2_256`, …).
    pub fn sigstore_name(self) -> &'static str {
        match self {
            MessageHash::Sha256 => "SHA2_256",
            MessageHash::Sha384 => "SHA2_384",
            MessageHash::Sha512 => "SHA2_512",
        }
    }
}

/// Which key algorithm `generate-key-pair` creates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum GenerateAlgorithm {
    /// ECDSA P-256 (cosign's default).
    #[default]
    EcdsaP256,
    /// ECDSA P-384.
    EcdsaP384,
    /// ECDSA P-521.
    EcdsaP521,
    /// Ed25519.
    Ed25519,
}
