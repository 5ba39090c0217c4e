//! DSSE envelopes (secure-systems-lab/dsse v1.0.2): PAE, signing and verification.
//!
//! ```text
//! SIGNATURE = Sign(PAE(UTF8(PAYLOAD_TYPE), SERIALIZED_BODY))
//! PAE(type, body) = "DSSEv1" SP LEN(type) SP type SP LEN(body) SP body
//! ```
//! Verification hands back the payload bytes that were verified, never a re-parsed copy.

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::keys::PublicKey;
use crate::signer::Signer;

/// `payloadType` of in-toto Statements.
pub const INTOTO_PAYLOAD_TYPE: &str = "application/vnd.in-toto+json";

/// Largest DSSE envelope JSON accepted (cosign's attachment limit).
pub const MAX_ENVELOPE_BYTES: usize = 128 * 1024 * 1024;

/// The pre-authentication encoding of `payload_type` and `payload`.
pub fn pae(payload_type: &str, payload: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(payload_type.len() + payload.len() + 32);
    out.extend_from_slice(b"DSSEv1 ");
    out.extend_from_slice(payload_type.len().to_string().as_bytes());
    out.push(b' ');
    out.extend_from_slice(payload_type.as_bytes());
    out.push(b' ');
    out.extend_from_slice(payload.len().to_string().as_bytes());
    out.push(b' ');
    out.extend_from_slice(payload);
    out
}

/// One signature in an envelope.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Signature {
    /// Optional, unauthenticated key id.
    pub keyid: String,
    /// The signature bytes.
    pub sig: Vec<u8>,
}

/// A DSSE envelope. Any number of signatures (a Sigstore bundle allows exactly one; see
/// [`Envelope::to_bundle_envelope`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Envelope {
    /// The payload type, e.g. [`INTOTO_PAYLOAD_TYPE`].
    pub payload_type: String,
    /// The serialized body.
    pub payload: Vec<u8>,
    /// The signatures.
    pub signatures: Vec<Signature>,
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Wire {
    payload: String,
    payload_type: String,
    signatures: Vec<WireSig>,
}

#[derive(Serialize, Deserialize)]
struct WireSig {
    #[serde(default, skip_serializing_if = "String::is_empty")]
    keyid: String,
    sig: String,
}

/// Decode standard or URL-safe base64, with or without padding (DSSE allows both alphabets).
pub(crate) fn decode_b64(s: &str) -> Option<Vec<u8>> {
    let trimmed = s.trim_end_matches('=');
    let std_nopad = base64::engine::GeneralPurpose::new(
        &base64::alphabet::STANDARD,
        base64::engine::GeneralPurposeConfig::new()
            .with_decode_padding_mode(base64::engine::DecodePaddingMode::Indifferent),
    );
    let url_nopad = base64::engine::GeneralPurpose::new(
        &base64::alphabet::URL_SAFE,
        base64::engine::GeneralPurposeConfig::new()
            .with_decode_padding_mode(base64::engine::DecodePaddingMode::Indifferent),
    );
    std_nopad
        .decode(s)
        .or_else(|_| url_nopad.decode(s))
        .or_else(|_| STANDARD.decode(trimmed))
        .or_else(|_| URL_SAFE.decode(trimmed))
        .ok()
}

impl Envelope {
    /// Sign `payload` of `payload_type` with `signer`; one signature, no key id.
    pub fn sign(signer: &dyn Signer, payload_type: &str, payload: Vec<u8>) -> Result<Self> {
        let sig = signer.sign(&pae(payload_type, &payload))?;
        Ok(Self {
            payload_type: payload_type.to_owned(),
            payload,
            signatures: vec![Signature { keyid: String::new(), sig }],
        })
    }

    /// Parse envelope JSON. Unknown fields are ignored; `payload`, `payloadType`,
    /// `signatures` and each `sig` are required.
    pub fn from_json(json: &[u8]) -> Result<Self> {
        let bad = |why: String| Error::Invalid { what: "DSSE envelope", reason: why };
        if json.len() > MAX_ENVELOPE_BYTES {
            return Err(bad(format!("larger than {MAX_ENVELOPE_BYTES} bytes")));
        }
        let w: Wire = serde_json::from_slice(json).map_err(|e| bad(e.to_string()))?;
        let payload = decode_b64(&w.payload).ok_or_else(|| bad("payload is not base64".into()))?;
        let signatures = w
            .signatures
            .into_iter()
            .map(|s| {
                decode_b64(&s.sig)
                    .map(|sig| Signature { keyid: s.keyid, sig })
                    .ok_or_else(|| bad("a signature is not base64".into()))
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(Self { payload_type: w.payload_type, payload, signatures })
    }

    /// Serialize as compact JSON with standard base64 (`payload`, `payloadType`, `signatures`).
    pub fn to_json(&self) -> Vec<u8> {
        let w = Wire {
            payload: STANDARD.encode(&self.payload),
            payload_type: self.payload_type.clone(),
            signatures: self
                .signatures
                .iter()
                .map(|s| WireSig { keyid: s.keyid.clone(), sig: STANDARD.encode(&s.sig) })
                .collect(),
        };
        // Serializing plain strings cannot fail.
        serde_json::to_vec(&w).unwrap_or_default()
    }

    /// The bytes that were signed.
    pub fn pae(&self) -> Vec<u8> {
        pae(&self.payload_type, &self.payload)
    }

    /// Verify with `key`: succeeds when at least one signature verifies over the PAE, and
    /// returns the verified payload bytes.
    pub fn verify(&self, key: &PublicKey) -> Result<&[u8]> {
        if self.signatures.is_empty() {
            return Err(Error::BadSignature { what: "DSSE envelope (it has no signatures)" });
        }
        let pae = self.pae();
        if self.signatures.iter().any(|s| key.verify(&pae, &s.sig).is_ok()) {
            Ok(&self.payload)
        } else {
            Err(Error::BadSignature { what: "DSSE envelope" })
        }
    }

    /// Convert to the Sigstore bundle envelope type, which requires exactly one signature.
    pub fn to_bundle_envelope(&self) -> Result<sigstore_types::DsseEnvelope> {
        let [s] = self.signatures.as_slice() else {
            return Err(Error::Invalid {
                what: "DSSE envelope",
                reason: format!(
                    "a Sigstore bundle holds exactly one DSSE signature, this envelope has {}",
                    self.signatures.len()
                ),
            });
        };
        Ok(sigstore_types::DsseEnvelope::new(
            self.payload_type.clone(),
            sigstore_types::PayloadBytes::from_bytes(&self.payload),
            sigstore_types::DsseSignature::new(
                sigstore_types::SignatureBytes::new(s.sig.clone()),
                sigstore_types::KeyId::new(s.keyid.clone()),
            ),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keys::{GenerateAlgorithm, SigningKey};

    #[test]
    fn pae_vectors() {
        // secure-systems-lab/dsse protocol.md.
        assert_eq!(
            pae("http://example.com/HelloWorld", b"hello world"),
            b"DSSEv1 29 http://example.com/HelloWorld 11 hello world".to_vec()
        );
        assert_eq!(pae("", b""), b"DSSEv1 0  0 ".to_vec());
        // The in-toto vector from cosign's testdata: 316-byte payload.
        let payload = br#"{"_type":"https://in-toto.io/Statement/v0.1","predicateType":"https://cosign.sigstore.dev/attestation/v1","subject":[{"name":"127.0.0.1:60943/repo","digest":{"sha256":"7321a1e8e3e5a2ac6f9e8bd1a76fae7f3e3d1d7e7dbe8a7c7bc1a6c3e8d90aa4"}}],"predicate":{"Data":"{\"foo\": \"bar\"}\n","Timestamp":"2025-02-28T19:18:11Z"}}"#;
        let p = pae(INTOTO_PAYLOAD_TYPE, payload);
        let head = format!("DSSEv1 28 application/vnd.in-toto+json {} ", payload.len());
        assert!(p.starts_with(head.as_bytes()));
        assert!(p.ends_with(payload));
    }

    #[test]
    fn sign_verify_and_refuse_tampering() {
        let key = SigningKey::generate(GenerateAlgorithm::EcdsaP256).unwrap();
        let env = Envelope::sign(&key, INTOTO_PAYLOAD_TYPE, b"{\"a\":1}".to_vec()).unwrap();
        let back = Envelope::from_json(&env.to_json()).unwrap();
        assert_eq!(back, env);
        assert_eq!(back.verify(key.public_key()).unwrap(), b"{\"a\":1}");

        let mut tampered = env.clone();
        tampered.payload = b"{\"a\":2}".to_vec();
        assert!(tampered.verify(key.public_key()).is_err());

        let mut retyped = env.clone();
        retyped.payload_type = "text/plain".into();
        assert!(retyped.verify(key.public_key()).is_err());

        let other = SigningKey::generate(GenerateAlgorithm::EcdsaP256).unwrap();
        assert!(env.verify(other.public_key()).is_err());

        let mut unsigned = env.clone();
        unsigned.signatures.clear();
        assert!(unsigned.verify(key.public_key()).is_err());
    }

    #[test]
    fn reads_url_safe_and_unpadded_base64() {
        let json = br#"{"payload":"aGk_","payloadType":"t","signatures":[{"sig":"AQ"}],"extra":1}"#;
        let env = Envelope::from_json(json).unwrap();
        assert_eq!(env.payload, vec![b'h', b'i', 0x3f]);
        assert_eq!(env.signatures[0].sig, vec![1]);
    }

    #[test]
    fn malformed_envelopes_are_refused() {
        for j in [
            &br#"{"payloadType":"t","signatures":[]}"#[..],
            br#"{"payload":"!!","payloadType":"t","signatures":[]}"#,
            br#"{"payload":"aGk=","payloadType":"t","signatures":[{"keyid":"k"}]}"#,
            br#"[]"#,
            b"",
        ] {
            assert!(Envelope::from_json(j).is_err());
        }
    }

    #[test]
    fn bundle_envelope_needs_one_signature() {
        let key = SigningKey::generate(GenerateAlgorithm::EcdsaP256).unwrap();
        let mut env = Envelope::sign(&key, INTOTO_PAYLOAD_TYPE, b"{}".to_vec()).unwrap();
        assert!(env.to_bundle_envelope().is_ok());
        env.signatures.push(env.signatures[0].clone());
        assert!(env.to_bundle_envelope().is_err());
    }
}
