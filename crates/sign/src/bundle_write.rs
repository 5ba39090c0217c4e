//! Writing Sigstore bundles v0.3 for key-signed content, as cosign v3 writes them without a
//! transparency log (`cosign sign-blob --key … --bundle`, sigstore-go `pkg/sign`):
//!
//! ```json
//! {"mediaType":"application/vnd.dev.sigstore.bundle.v0.3+json",
//!  "verificationMaterial":{"publicKey":{"hint":"<base64 sha256(DER SPKI)>"}},
//!  "messageSignature":{"messageDigest":{"algorithm":"SHA2_256","digest":"<b64>"},"signature":"<b64>"}}
//! ```
//! Images and attestations carry a `dsseEnvelope` instead of `messageSignature`. The bundle model
//! is sigstore-types' (shared with the verifier); empty `tlogEntries` and
//! `timestampVerificationData` are left out, as protojson leaves them out.

use sigstore_types::{
    Bundle, DigestBytes, HashAlgorithm, MediaType, MessageDigest, MessageSignature, PublicKeyIdentifier,
    SignatureBytes, SignatureContent, VerificationMaterial, VerificationMaterialContent,
};

use crate::dsse::Envelope;
use crate::error::{Error, Result};
use crate::keys::{MessageHash, PublicKey};
use crate::signer::Signer;

/// Media type of the bundles chainseal writes.
pub const BUNDLE_V03_MEDIA_TYPE: &str = "application/vnd.dev.sigstore.bundle.v0.3+json";

fn hash_algorithm(h: MessageHash) -> HashAlgorithm {
    match h {
        MessageHash::Sha256 => HashAlgorithm::Sha2256,
        MessageHash::Sha384 => HashAlgorithm::Sha2384,
        MessageHash::Sha512 => HashAlgorithm::Sha2512,
    }
}

fn key_material(key: &PublicKey) -> VerificationMaterial {
    VerificationMaterial::new(VerificationMaterialContent::PublicKey(PublicKeyIdentifier::new(key.hint())))
}

/// Sign `artifact` and wrap the signature in a v0.3 message-signature bundle.
pub fn blob_bundle(signer: &dyn Signer, artifact: &[u8]) -> Result<Bundle> {
    let hash = signer.algorithm().message_hash();
    let digest = hash.digest(artifact);
    let signature = signer.sign(artifact)?;
    Ok(message_bundle(signer.public_key(), hash, digest, signature))
}

/// Sign an artifact known only by its digest (`sha256:<hex>` input). The digest algorithm must
/// be the key's message hash (SHA-256 for P-256 and RSA keys).
pub fn digest_bundle(signer: &dyn Signer, hash: MessageHash, digest: &[u8]) -> Result<Bundle> {
    let want = signer.algorithm().message_hash();
    if hash != want {
        return Err(Error::Key(format!(
            "this key signs {} digests, but a {} digest was given",
            want.sigstore_name(),
            hash.sigstore_name()
        )));
    }
    let signature = signer.sign_digest(digest)?;
    Ok(message_bundle(signer.public_key(), hash, digest.to_vec(), signature))
}

fn message_bundle(key: &PublicKey, hash: MessageHash, digest: Vec<u8>, sig: Vec<u8>) -> Bundle {
    let content = SignatureContent::MessageSignature(
        MessageSignature::new(SignatureBytes::new(sig))
            .with_message_digest(MessageDigest::new(hash_algorithm(hash), DigestBytes::new(digest))),
    );
    Bundle::new(MediaType::Bundle0_3, key_material(key), content)
}

/// Wrap a signed DSSE envelope (exactly one signature) in a v0.3 bundle for `key`.
pub fn dsse_bundle(envelope: &Envelope, key: &PublicKey) -> Result<Bundle> {
    let content = SignatureContent::DsseEnvelope(envelope.to_bundle_envelope()?);
    Ok(Bundle::new(MediaType::Bundle0_3, key_material(key), content))
}

/// Serialize a bundle as compact JSON the way cosign writes it (protojson field names; empty
/// `tlogEntries` and `timestampVerificationData` omitted).
pub fn to_json(bundle: &Bundle) -> Result<Vec<u8>> {
    let mut v = serde_json::to_value(bundle)
        .map_err(|e| Error::Invalid { what: "bundle", reason: format!("cannot serialize: {e}") })?;
    if let Some(vm) = v.get_mut("verificationMaterial").and_then(|m| m.as_object_mut()) {
        if vm.get("tlogEntries").and_then(|t| t.as_array()).is_some_and(Vec::is_empty) {
            vm.remove("tlogEntries");
        }
        let empty_tsa = vm.get("timestampVerificationData").is_some_and(|t| {
            t.as_object().is_some_and(|o| o.values().all(|x| x.is_null() || x.as_array().is_some_and(Vec::is_empty)))
        });
        if empty_tsa {
            vm.remove("timestampVerificationData");
        }
    }
    serde_json::to_vec(&v).map_err(|e| Error::Invalid { what: "bundle", reason: e.to_string() })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dsse::INTOTO_PAYLOAD_TYPE;
    use crate::keys::{GenerateAlgorithm, SigningKey};
    use base64::Engine as _;

    #[test]
    fn blob_bundle_shape_is_cosigns() {
        let key = SigningKey::generate(GenerateAlgorithm::EcdsaP256).unwrap();
        let b = blob_bundle(&key, b"hello\n").unwrap();
        let json: serde_json::Value = serde_json::from_slice(&to_json(&b).unwrap()).unwrap();
        assert_eq!(json["mediaType"], BUNDLE_V03_MEDIA_TYPE);
        assert_eq!(json["verificationMaterial"], serde_json::json!({"publicKey": {"hint": key.public_key().hint()}}));
        let ms = &json["messageSignature"];
        assert_eq!(ms["messageDigest"]["algorithm"], "SHA2_256");
        // sha256("hello\n"), as in the cosign-made bundle.
        assert_eq!(ms["messageDigest"]["digest"], "WJG1tSLV3whtD/CxEPvZ0hu0/HFjrzTQgoai6Eb2vgM=");
        let sig = base64::engine::general_purpose::STANDARD.decode(ms["signature"].as_str().unwrap()).unwrap();
        key.public_key().verify(b"hello\n", &sig).unwrap();
        // And the shared model parses it back.
        let back = Bundle::from_json(std::str::from_utf8(&to_json(&b).unwrap()).unwrap()).unwrap();
        assert_eq!(back, b);
    }

    #[test]
    fn digest_bundle_equals_blob_bundle_digest() {
        let key = SigningKey::generate(GenerateAlgorithm::EcdsaP256).unwrap();
        let d = MessageHash::Sha256.digest(b"data");
        let b = digest_bundle(&key, MessageHash::Sha256, &d).unwrap();
        let SignatureContent::MessageSignature(ms) = &b.content else { panic!("not a message") };
        key.public_key().verify(b"data", ms.signature.as_bytes()).unwrap();
        assert!(digest_bundle(&key, MessageHash::Sha512, &[0; 64]).is_err());
    }

    #[test]
    fn dsse_bundle_round_trips() {
        let key = SigningKey::generate(GenerateAlgorithm::EcdsaP256).unwrap();
        let env = Envelope::sign(&key, INTOTO_PAYLOAD_TYPE, b"{}".to_vec()).unwrap();
        let b = dsse_bundle(&env, key.public_key()).unwrap();
        let json = to_json(&b).unwrap();
        let v: serde_json::Value = serde_json::from_slice(&json).unwrap();
        assert_eq!(v["dsseEnvelope"]["payloadType"], INTOTO_PAYLOAD_TYPE);
        assert_eq!(v["dsseEnvelope"]["signatures"].as_array().unwrap().len(), 1);
        assert!(Bundle::from_json(std::str::from_utf8(&json).unwrap()).is_ok());
    }
}
