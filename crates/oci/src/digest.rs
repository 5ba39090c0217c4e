//! Content digests (`sha256:<hex>`), parsed strictly and computed incrementally.

use std::fmt;
use std::str::FromStr;

use sha2::{Digest as _, Sha256, Sha512};

use crate::error::{Error, Result};

/// A hash algorithm that OCI content may be addressed by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum DigestAlgorithm {
    /// SHA-256, the algorithm every registry supports.
    Sha256,
    /// SHA-512, allowed by the OCI image spec.
    Sha512,
}

impl DigestAlgorithm {
    /// The name used in the digest string (`sha256`).
    pub fn as_str(self) -> &'static str {
        match self {
            DigestAlgorithm::Sha256 => "sha256",
            DigestAlgorithm::Sha512 => "sha512",
        }
    }

    /// Length of the hex-encoded value.
    pub fn hex_len(self) -> usize {
        match self {
            DigestAlgorithm::Sha256 => 64,
            DigestAlgorithm::Sha512 => 128,
        }
    }
}

/// A validated content digest such as `sha256:9f86d0…`.
///
/// Only `sha256` and `sha512` with lowercase hex of the right length are accepted, so a
/// `Digest` can be put into a URL or a tag name without further escaping.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Digest {
    algorithm: DigestAlgorithm,
    hex: String,
}

impl Digest {
    /// The SHA-256 digest of `bytes`.
    pub fn sha256_of(bytes: &[u8]) -> Digest {
        Digest { algorithm: DigestAlgorithm::Sha256, hex: hex::encode(Sha256::digest(bytes)) }
    }

    /// Build a SHA-256 digest from a raw 32-byte hash value.
    pub fn from_sha256_bytes(raw: [u8; 32]) -> Digest {
        Digest { algorithm: DigestAlgorithm::Sha256, hex: hex::encode(raw) }
    }

    /// The digest of `bytes` computed with the same algorithm as `self`.
    pub fn same_algorithm_of(&self, bytes: &[u8]) -> Digest {
        let mut hasher = DigestHasher::new(self.algorithm);
        hasher.update(bytes);
        hasher.finish()
    }

    /// The hash algorithm.
    pub fn algorithm(&self) -> DigestAlgorithm {
        self.algorithm
    }

    /// The lowercase hex value without the algorithm prefix.
    pub fn hex(&self) -> &str {
        &self.hex
    }

    /// The tag under which a registry without the referrers API keeps the referrers index
    /// of this digest (`sha256-<hex>`), per the OCI distribution spec's tag schema.
    pub fn referrers_fallback_tag(&self) -> String {
        format!("{}-{}", self.algorithm.as_str(), self.hex)
    }

    /// The cosign attachment tag for this digest: `sha256-<hex>.<suffix>` with `suffix`
    /// one of `sig`, `att`, `sbom`.
    pub fn cosign_tag(&self, suffix: &str) -> String {
        format!("{}-{}.{}", self.algorithm.as_str(), self.hex, suffix)
    }
}

impl FromStr for Digest {
    type Err = Error;

    fn from_str(s: &str) -> Result<Digest> {
        let bad = |why: &str| Error::InvalidDigest { input: truncate(s), reason: why.to_string() };
        let (alg, hex) = s.split_once(':').ok_or_else(|| bad("expected <algorithm>:<hex>"))?;
        let algorithm = match alg {
            "sha256" => DigestAlgorithm::Sha256,
            "sha512" => DigestAlgorithm::Sha512,
            _ => return Err(bad("only sha256 and sha512 digests are supported")),
        };
        if hex.len() != algorithm.hex_len() {
            return Err(bad(&format!("{} expects {} hex characters", alg, algorithm.hex_len())));
        }
        if !hex.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)) {
            return Err(bad("the value must be lowercase hexadecimal"));
        }
        Ok(Digest { algorithm, hex: hex.to_string() })
    }
}

impl fmt::Display for Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.algorithm.as_str(), self.hex)
    }
}

impl fmt::Debug for Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Digest({self})")
    }
}

impl serde::Serialize for Digest {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for Digest {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Digest, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

/// Incremental hasher producing a [`Digest`]; used to verify blobs while they stream.
#[derive(Clone)]
pub struct DigestHasher {
    inner: HasherInner,
}

#[derive(Clone)]
enum HasherInner {
    Sha256(Sha256),
    Sha512(Sha512),
}

impl DigestHasher {
    /// A new hasher for `algorithm`.
    pub fn new(algorithm: DigestAlgorithm) -> DigestHasher {
        let inner = match algorithm {
            DigestAlgorithm::Sha256 => HasherInner::Sha256(Sha256::new()),
            DigestAlgorithm::Sha512 => HasherInner::Sha512(Sha512::new()),
        };
        DigestHasher { inner }
    }

    /// Feed more bytes.
    pub fn update(&mut self, bytes: &[u8]) {
        match &mut self.inner {
            HasherInner::Sha256(h) => h.update(bytes),
            HasherInner::Sha512(h) => h.update(bytes),
        }
    }

    /// The digest of everything fed so far.
    pub fn finish(self) -> Digest {
        match self.inner {
            HasherInner::Sha256(h) => Digest { algorithm: DigestAlgorithm::Sha256, hex: hex::encode(h.finalize()) },
            HasherInner::Sha512(h) => Digest { algorithm: DigestAlgorithm::Sha512, hex: hex::encode(h.finalize()) },
        }
    }
}

/// Shorten untrusted input before it is echoed in an error message.
pub(crate) fn truncate(s: &str) -> String {
    const MAX: usize = 200;
    if s.len() <= MAX {
        return s.to_string();
    }
    let mut end = MAX;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &s[..end])
}

#[cfg(test)]
mod tests {
    use super::*;

    const EMPTY_JSON: &str = "sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a";

    #[test]
    fn computes_the_empty_config_digest() {
        assert_eq!(Digest::sha256_of(b"{}").to_string(), EMPTY_JSON);
    }

    #[test]
    fn round_trips_through_text() {
        let d: Digest = EMPTY_JSON.parse().unwrap();
        assert_eq!(d.to_string(), EMPTY_JSON);
        assert_eq!(d.referrers_fallback_tag(), EMPTY_JSON.replace(':', "-"));
        assert_eq!(d.cosign_tag("sig"), format!("{}.sig", EMPTY_JSON.replace(':', "-")));
    }

    #[test]
    fn refuses_malformed_digests() {
        for bad in [
            "",
            "sha256",
            "sha256:",
            "md5:d41d8cd98f00b204e9800998ecf8427e",
            "sha256:44136FA355B3678A1146AD16F7E8649E94FB4FC21FE77E8310C060F61CAAFF8A",
            "sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8",
            "sha256:../../../../etc/passwd00000000000000000000000000000000000000000",
        ] {
            assert!(bad.parse::<Digest>().is_err(), "accepted {bad:?}");
        }
    }

    #[test]
    fn incremental_hash_matches_one_shot() {
        let mut h = DigestHasher::new(DigestAlgorithm::Sha256);
        h.update(b"{");
        h.update(b"}");
        assert_eq!(h.finish().to_string(), EMPTY_JSON);
    }
}
