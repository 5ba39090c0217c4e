//! Refusal tests on a synthetic Sigstore world built here: a managed signing key, a private
//! "Rekor" log key in a custom trusted root, a real Merkle tree with an inclusion proof, a signed
//! checkpoint and a SET. Each test forges one piece and checks the verifier refuses it at the
//! right step.

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use serde_json::{Value, json};
use sigstore_crypto::KeyPair;

use super::*;
use crate::policy::{IdentityPolicy, KeyPolicy, Matcher};

const ARTIFACT: &[u8] = b"chainseal synthetic artifact\n";
const LOG_HOST: &str = "test.rekor.local";

fn sha256(data: &[u8]) -> [u8; 32] {
    *sigstore_crypto::sha256(data).as_bytes()
}

fn leaf(data: &[u8]) -> [u8; 32] {
    sha256(&[&[0u8][..], data].concat())
}

fn node(l: &[u8; 32], r: &[u8; 32]) -> [u8; 32] {
    sha256(&[&[1u8][..], l, r].concat())
}

fn sign(k: &KeyPair, data: &[u8]) -> Vec<u8> {
    k.sign(data).expect("sign").as_bytes().to_vec()
}

/// Everything a test needs to forge variants.
struct World {
    signer: KeyPair,
    log: KeyPair,
    body: Vec<u8>,
    root_hash: [u8; 32],
    bundle: Value,
    trusted_root: Value,
}

fn checkpoint(log: &KeyPair, root_hash: &[u8; 32], size: u64) -> String {
    let spki = log.public_key_der().expect("spki");
    let hint = &sha256(spki.as_bytes())[..4];
    let body = format!("{LOG_HOST} - 42\n{size}\n{}\n", B64.encode(root_hash));
    let sig = sign(log, body.as_bytes());
    format!("{body}\n\u{2014} {LOG_HOST} {}\n", B64.encode([hint, &sig[..]].concat()))
}

fn set(log: &KeyPair, body: &[u8], time: i64, log_id: &[u8; 32], index: u64) -> String {
    let payload = format!(
        r#"{{"body":"{}","integratedTime":{time},"logID":"{}","logIndex":{index}}}"#,
        B64.encode(body),
        hex::encode(log_id)
    );
    B64.encode(sign(log, payload.as_bytes()))
}

fn world() -> World {
    let signer = KeyPair::generate_ecdsa_p256().expect("key");
    let log = KeyPair::generate_ecdsa_p256().expect("log key");
    let signer_pub = signer.public_key_der().expect("spki");
    let log_pub = log.public_key_der().expect("spki");
    let log_id = sha256(log_pub.as_bytes());
    let sig = sign(&signer, ARTIFACT);
    let body = format!(
        r#"{{"apiVersion":"0.0.1","kind":"hashedrekord","spec":{{"data":{{"hash":{{"algorithm":"sha256","value":"{}"}}}},"signature":{{"content":"{}","publicKey":{{"content":"{}"}}}}}}}}"#,
        hex::encode(sha256(ARTIFACT)),
        B64.encode(&sig),
        B64.encode(signer_pub.to_pem())
    )
    .into_bytes();
    let (h0, h1, h2, h3) = (leaf(b"other-0"), leaf(&body), leaf(b"other-2"), leaf(b"other-3"));
    let h23 = node(&h2, &h3);
    let root_hash = node(&node(&h0, &h1), &h23);
    let time = jiff::Timestamp::now().as_second() - 60;
    let bundle = json!({
        "mediaType": "application/vnd.dev.sigstore.bundle.v0.3+json",
        "verificationMaterial": {
            "publicKey": {"hint": B64.encode(sha256(signer_pub.as_bytes()))},
            "tlogEntries": [{
                "logIndex": "1",
                "logId": {"keyId": B64.encode(log_id)},
                "kindVersion": {"kind": "hashedrekord", "version": "0.0.1"},
                "integratedTime": time.to_string(),
                "inclusionPromise": {"signedEntryTimestamp": set(&log, &body, time, &log_id, 1)},
                "inclusionProof": {
                    "logIndex": "1",
                    "rootHash": B64.encode(root_hash),
                    "treeSize": "4",
                    "hashes": [B64.encode(h0), B64.encode(h23)],
                    "checkpoint": {"envelope": checkpoint(&log, &root_hash, 4)}
                },
                "canonicalizedBody": B64.encode(&body)
            }]
        },
        "messageSignature": {
            "messageDigest": {"algorithm": "SHA2_256", "digest": B64.encode(sha256(ARTIFACT))},
            "signature": B64.encode(&sig)
        }
    });
    let trusted_root = json!({
        "mediaType": "application/vnd.dev.sigstore.trustedroot+json;version=0.1",
        "tlogs": [{
            "baseUrl": format!("https://{LOG_HOST}"),
            "hashAlgorithm": "SHA2_256",
            "publicKey": {
                "rawBytes": B64.encode(log_pub.as_bytes()),
                "keyDetails": "PKIX_ECDSA_P256_SHA_256",
                "validFor": {"start": "2020-01-01T00:00:00Z"}
            },
            "logId": {"keyId": B64.encode(log_id)}
        }],
        "certificateAuthorities": [],
        "ctlogs": [],
        "timestampAuthorities": []
    });
    World { signer, log, body, root_hash, bundle, trusted_root }
}

fn key_verifier(w: &World, key: &KeyPair) -> BundleVerifier {
    let root = TrustRoot::from_json(&w.trusted_root.to_string()).expect("root");
    let pem = key.public_key_der().expect("spki").to_pem();
    BundleVerifier::builder().trust_root(root).key(KeyPolicy::from_pem(&pem).expect("key")).build().expect("verifier")
}

fn verify(w: &World, v: &BundleVerifier, bundle: &Value, artifact: &[u8]) -> Result<Verified> {
    let _ = w;
    v.verify_json(ArtifactInput::Bytes(artifact), bundle.to_string().as_bytes())
}

fn refused_at(r: Result<Verified>) -> VerifyStep {
    match r {
        Err(Error::Verification { step, .. }) => step,
        other => panic!("expected a refusal, got {other:?}"),
    }
}

#[test]
fn synthetic_key_bundle_verifies() {
    let w = world();
    let v = key_verifier(&w, &w.signer);
    let ok = verify(&w, &v, &w.bundle, ARTIFACT).expect("valid bundle must verify");
    assert!(ok.tlog_verified);
    assert_eq!(ok.signer, Signer::Key);
    // Also by digest.
    let d = ArtifactInput::Sha256(sha256(ARTIFACT));
    v.verify_json(d, w.bundle.to_string().as_bytes()).expect("digest input");
}

#[test]
fn tampered_signature_is_refused() {
    let w = world();
    let v = key_verifier(&w, &w.signer);
    let mut b = w.bundle.clone();
    let mut sig = B64.decode(b["messageSignature"]["signature"].as_str().unwrap_or_default()).expect("b64");
    let last = sig.len() - 3;
    sig[last] ^= 1;
    b["messageSignature"]["signature"] = B64.encode(&sig).into();
    let step = refused_at(verify(&w, &v, &b, ARTIFACT));
    assert!(matches!(step, VerifyStep::Signature | VerifyStep::LogEntry), "{step}");
}

#[test]
fn wrong_artifact_is_refused() {
    let w = world();
    let v = key_verifier(&w, &w.signer);
    assert_eq!(refused_at(verify(&w, &v, &w.bundle, b"another artifact")), VerifyStep::Artifact);
    let d = ArtifactInput::Sha256(sha256(b"another artifact"));
    assert_eq!(refused_at(v.verify_json(d, w.bundle.to_string().as_bytes())), VerifyStep::Artifact);
}

#[test]
fn key_mismatch_is_refused() {
    let w = world();
    let other = KeyPair::generate_ecdsa_p256().expect("key");
    let v = key_verifier(&w, &other);
    let step = refused_at(verify(&w, &v, &w.bundle, ARTIFACT));
    assert!(matches!(step, VerifyStep::Signature | VerifyStep::LogEntry), "{step}");
}

#[test]
fn set_signed_by_another_key_is_refused() {
    let w = world();
    let v = key_verifier(&w, &w.signer);
    let mut b = w.bundle.clone();
    let other = KeyPair::generate_ecdsa_p256().expect("key");
    let log_id = sha256(w.log.public_key_der().expect("spki").as_bytes());
    let t: i64 = b["verificationMaterial"]["tlogEntries"][0]["integratedTime"]
        .as_str()
        .and_then(|s| s.parse().ok())
        .unwrap_or_default();
    b["verificationMaterial"]["tlogEntries"][0]["inclusionPromise"]["signedEntryTimestamp"] =
        set(&other, &w.body, t, &log_id, 1).into();
    assert_eq!(refused_at(verify(&w, &v, &b, ARTIFACT)), VerifyStep::Set);
}

#[test]
fn set_over_another_time_is_refused() {
    let w = world();
    let v = key_verifier(&w, &w.signer);
    let mut b = w.bundle.clone();
    b["verificationMaterial"]["tlogEntries"][0]["integratedTime"] = "1700000000".into();
    assert_eq!(refused_at(verify(&w, &v, &b, ARTIFACT)), VerifyStep::Set);
}

#[test]
fn proof_with_one_hash_flipped_is_refused() {
    let w = world();
    let v = key_verifier(&w, &w.signer);
    let mut b = w.bundle.clone();
    let p = &mut b["verificationMaterial"]["tlogEntries"][0]["inclusionProof"]["hashes"][1];
    let mut h = B64.decode(p.as_str().unwrap_or_default()).expect("b64");
    h[7] ^= 0x10;
    *p = B64.encode(&h).into();
    assert_eq!(refused_at(verify(&w, &v, &b, ARTIFACT)), VerifyStep::InclusionProof);
}

#[test]
fn checkpoint_signed_by_another_key_is_refused() {
    let w = world();
    let v = key_verifier(&w, &w.signer);
    let mut b = w.bundle.clone();
    let other = KeyPair::generate_ecdsa_p256().expect("key");
    b["verificationMaterial"]["tlogEntries"][0]["inclusionProof"]["checkpoint"]["envelope"] =
        checkpoint(&other, &w.root_hash, 4).into();
    assert_eq!(refused_at(verify(&w, &v, &b, ARTIFACT)), VerifyStep::Checkpoint);
}

#[test]
fn checkpoint_for_another_tree_size_is_refused() {
    let w = world();
    let v = key_verifier(&w, &w.signer);
    let mut b = w.bundle.clone();
    b["verificationMaterial"]["tlogEntries"][0]["inclusionProof"]["checkpoint"]["envelope"] =
        checkpoint(&w.log, &w.root_hash, 5).into();
    assert_eq!(refused_at(verify(&w, &v, &b, ARTIFACT)), VerifyStep::Checkpoint);
}

#[test]
fn missing_inclusion_proof_is_refused() {
    let w = world();
    let v = key_verifier(&w, &w.signer);
    let mut b = w.bundle.clone();
    if let Some(e) = b["verificationMaterial"]["tlogEntries"][0].as_object_mut() {
        e.remove("inclusionProof");
    }
    assert_eq!(refused_at(verify(&w, &v, &b, ARTIFACT)), VerifyStep::InclusionProof);
}

#[test]
fn log_not_in_trust_root_is_refused() {
    let mut w = world();
    let other = KeyPair::generate_ecdsa_p256().expect("key");
    let spki = other.public_key_der().expect("spki");
    w.trusted_root["tlogs"][0]["publicKey"]["rawBytes"] = B64.encode(spki.as_bytes()).into();
    w.trusted_root["tlogs"][0]["logId"]["keyId"] = B64.encode(sha256(spki.as_bytes())).into();
    let v = key_verifier(&w, &w.signer);
    let step = refused_at(verify(&w, &v, &w.bundle, ARTIFACT));
    assert!(matches!(step, VerifyStep::LogEntry | VerifyStep::Set), "{step}");
}

#[test]
fn key_bundle_with_identity_policy_is_refused() {
    let w = world();
    let root = TrustRoot::from_json(&w.trusted_root.to_string()).expect("root");
    let v = BundleVerifier::builder()
        .trust_root(root)
        .identity(IdentityPolicy::new(Matcher::exact("a@example.com"), Matcher::exact("https://issuer")))
        .build()
        .expect("verifier");
    assert_eq!(refused_at(verify(&w, &v, &w.bundle, ARTIFACT)), VerifyStep::Key);
}

#[test]
fn certificate_bundle_with_key_policy_is_refused() {
    let w = world();
    let v = key_verifier(&w, &w.signer);
    let mut b = w.bundle.clone();
    b["verificationMaterial"].as_object_mut().map(|m| m.remove("publicKey")).expect("material");
    b["verificationMaterial"]["certificate"] = json!({"rawBytes": B64.encode(b"not really DER")});
    assert_eq!(refused_at(verify(&w, &v, &b, ARTIFACT)), VerifyStep::Key);
}

#[test]
fn missing_media_type_is_refused() {
    let w = world();
    let v = key_verifier(&w, &w.signer);
    let mut b = w.bundle.clone();
    b.as_object_mut().map(|m| m.remove("mediaType")).expect("object");
    assert_eq!(refused_at(verify(&w, &v, &b, ARTIFACT)), VerifyStep::Bundle);
}
