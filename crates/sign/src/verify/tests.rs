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
    let signer_pub = signer.public_key_der().expect("spki");
    let pem = signer_pub.to_pem();
    let material = ("publicKey", json!({"hint": B64.encode(sha256(signer_pub.as_bytes()))}));
    build(signer, pem, material, jiff::Timestamp::now().as_second() - 60)
}

/// A bundle for `ARTIFACT` signed by `signer`, whose log entry names `material_pem` (a PEM key or
/// certificate), logged at `time`.
fn build(signer: KeyPair, material_pem: String, material: (&str, Value), time: i64) -> World {
    let log = KeyPair::generate_ecdsa_p256().expect("log key");
    let log_pub = log.public_key_der().expect("spki");
    let log_id = sha256(log_pub.as_bytes());
    let sig = sign(&signer, ARTIFACT);
    let body = format!(
        r#"{{"apiVersion":"0.0.1","kind":"hashedrekord","spec":{{"data":{{"hash":{{"algorithm":"sha256","value":"{}"}}}},"signature":{{"content":"{}","publicKey":{{"content":"{}"}}}}}}}}"#,
        hex::encode(sha256(ARTIFACT)),
        B64.encode(&sig),
        B64.encode(material_pem)
    )
    .into_bytes();
    let (h0, h1, h2, h3) = (leaf(b"other-0"), leaf(&body), leaf(b"other-2"), leaf(b"other-3"));
    let h23 = node(&h2, &h3);
    let root_hash = node(&node(&h0, &h1), &h23);
    let mut vm = serde_json::Map::new();
    vm.insert(material.0.to_owned(), material.1);
    vm.insert(
        "tlogEntries".to_owned(),
        json!([{
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
        }]),
    );
    let bundle = json!({
        "mediaType": "application/vnd.dev.sigstore.bundle.v0.3+json",
        "verificationMaterial": vm,
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

// ---- keyless: a Fulcio-like CA and leaf made with rcgen ----

const SAN: &str = "https://github.com/acme/app/.github/workflows/release.yml@refs/heads/main";
const ISSUER: &str = "https://token.actions.githubusercontent.com";

struct Ca {
    key: rcgen::KeyPair,
    params: rcgen::CertificateParams,
    der: Vec<u8>,
}

fn ca() -> Ca {
    let key = rcgen::KeyPair::generate().expect("ca key");
    let mut params = rcgen::CertificateParams::new(Vec::<String>::new()).expect("params");
    params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    params.distinguished_name.push(rcgen::DnType::CommonName, "chainseal test CA");
    let der = params.self_signed(&key).expect("ca").der().to_vec();
    Ca { key, params, der }
}

/// DER UTF8String, as Fulcio encodes extensions from `.1.8` on.
fn utf8(s: &str) -> Vec<u8> {
    let mut v = vec![0x0c, u8::try_from(s.len()).expect("short")];
    v.extend_from_slice(s.as_bytes());
    v
}

/// A leaf for `SAN`/`ISSUER` issued by `ca`, valid from `from` to `to` (default: very long).
fn leaf_cert(ca: &Ca, valid: Option<(i32, i32)>) -> (KeyPair, Vec<u8>) {
    leaf_cert_with_sct(ca, valid, None)
}

/// [`leaf_cert`], with an embedded SCT by `ct` (`(log key, damage its signature)`) if given.
fn leaf_cert_with_sct(ca: &Ca, valid: Option<(i32, i32)>, ct: Option<(&KeyPair, bool)>) -> (KeyPair, Vec<u8>) {
    let key = rcgen::KeyPair::generate().expect("leaf key");
    let mut params = rcgen::CertificateParams::new(Vec::<String>::new()).expect("params");
    params.subject_alt_names = vec![rcgen::SanType::URI(SAN.try_into().expect("uri"))];
    params.extended_key_usages = vec![rcgen::ExtendedKeyUsagePurpose::CodeSigning];
    params.custom_extensions = vec![
        rcgen::CustomExtension::from_oid_content(&[1, 3, 6, 1, 4, 1, 57264, 1, 8], utf8(ISSUER)),
        rcgen::CustomExtension::from_oid_content(
            &[1, 3, 6, 1, 4, 1, 57264, 1, 12],
            utf8("https://github.com/acme/app"),
        ),
    ];
    if let Some((from, to)) = valid {
        params.not_before = rcgen::date_time_ymd(from, 1, 1);
        params.not_after = rcgen::date_time_ymd(to, 1, 1);
    }
    let issuer = rcgen::Issuer::new(ca.params.clone(), &ca.key);
    if let Some((log, damaged)) = ct {
        use rcgen::PublicKeyData as _;
        let precert = params.signed_by(&key, &issuer).expect("precert").der().to_vec();
        let ext = super::sct::tests::sct_extension(log, &precert, &ca.key.subject_public_key_info(), damaged);
        params
            .custom_extensions
            .push(rcgen::CustomExtension::from_oid_content(&[1, 3, 6, 1, 4, 1, 11129, 2, 4, 2], ext));
    }
    let der = params.signed_by(&key, &issuer).expect("leaf").der().to_vec();
    let signer = KeyPair::from_pkcs8_der(&key.serialize_der()).expect("pkcs8");
    (signer, der)
}

fn keyless_world(ca_for_leaf: &Ca, valid: Option<(i32, i32)>) -> World {
    keyless_world_with_sct(ca_for_leaf, valid, None)
}

fn keyless_world_with_sct(ca_for_leaf: &Ca, valid: Option<(i32, i32)>, ct: Option<(&KeyPair, bool)>) -> World {
    let (signer, der) = leaf_cert_with_sct(ca_for_leaf, valid, ct);
    let pem = sigstore_types::DerCertificate::new(der.clone()).to_pem();
    let material = ("certificate", json!({"rawBytes": B64.encode(&der)}));
    build(signer, pem, material, jiff::Timestamp::now().as_second() - 60)
}

fn trust_ca(w: &mut World, ca: &Ca) {
    w.trusted_root["certificateAuthorities"] = json!([{
        "subject": {"organization": "test", "commonName": "chainseal test CA"},
        "uri": "https://fulcio.test",
        "certChain": {"certificates": [{"rawBytes": B64.encode(&ca.der)}]},
        "validFor": {"start": "2020-01-01T00:00:00Z"}
    }]);
}

fn identity_verifier(w: &World) -> BundleVerifier {
    let root = TrustRoot::from_json(&w.trusted_root.to_string()).expect("root");
    BundleVerifier::builder()
        .trust_root(root)
        .identity(IdentityPolicy::new(Matcher::exact(SAN), Matcher::exact(ISSUER)))
        .build()
        .expect("verifier")
}

#[test]
fn certificate_from_an_untrusted_ca_is_refused() {
    let (real, other) = (ca(), ca());
    let mut w = keyless_world(&other, None);
    trust_ca(&mut w, &real);
    let v = identity_verifier(&w);
    assert_eq!(refused_at(verify(&w, &v, &w.bundle, ARTIFACT)), VerifyStep::Chain);
}

#[test]
fn signing_time_outside_the_certificate_validity_is_refused() {
    let ca = ca();
    let mut w = keyless_world(&ca, Some((2021, 2022)));
    trust_ca(&mut w, &ca);
    let v = identity_verifier(&w);
    assert_eq!(refused_at(verify(&w, &v, &w.bundle, ARTIFACT)), VerifyStep::Chain);
}

#[test]
fn identity_policy_on_a_fulcio_like_certificate() {
    use crate::policy::FulcioClaim;
    let (_, der) = leaf_cert(&ca(), None);
    let ok = IdentityPolicy::new(Matcher::exact(SAN), Matcher::exact(ISSUER));
    let m = ok.check(&der).expect("exact identity matches");
    assert_eq!((m.san.as_str(), m.issuer.as_str()), (SAN, ISSUER));
    // One character off in the SAN, or in the issuer.
    let one_off = SAN.replace("main", "maim");
    let refuse = |p: IdentityPolicy| match p.check(&der) {
        Err(Error::Verification { step: VerifyStep::Identity, .. }) => {}
        other => panic!("expected identity refusal, got {other:?}"),
    };
    refuse(IdentityPolicy::new(Matcher::exact(&one_off), Matcher::exact(ISSUER)));
    refuse(IdentityPolicy::new(Matcher::exact(SAN), Matcher::exact("https://token.actions.githubusercontent.co")));
    // A regex that matches only if unanchored.
    refuse(IdentityPolicy::new(Matcher::regex("https://github.com/acme/").expect("re"), Matcher::exact(ISSUER)));
    refuse(IdentityPolicy::new(Matcher::exact(SAN), Matcher::regex("token").expect("re")));
    // The anchored form the user means.
    let re =
        IdentityPolicy::new(Matcher::regex(r"https://github\.com/acme/app/.*").expect("re"), Matcher::exact(ISSUER));
    assert!(re.check(&der).is_ok());
    // Fulcio extensions.
    let claim =
        ok.clone().require_claim(FulcioClaim::SourceRepositoryUri, Matcher::exact("https://github.com/acme/app"));
    assert!(claim.check(&der).is_ok());
    refuse(ok.clone().require_claim(FulcioClaim::SourceRepositoryUri, Matcher::exact("https://github.com/acme/ap")));
    refuse(ok.require_claim(FulcioClaim::GithubWorkflowRef, Matcher::exact("refs/heads/main")));
}

#[test]
fn issuer_from_deprecated_extension_when_v2_is_absent() {
    let ca = ca();
    let key = rcgen::KeyPair::generate().expect("key");
    let mut params = rcgen::CertificateParams::new(Vec::<String>::new()).expect("params");
    params.subject_alt_names = vec![rcgen::SanType::Rfc822Name("dev@example.com".try_into().expect("email"))];
    params.custom_extensions = vec![rcgen::CustomExtension::from_oid_content(
        &[1, 3, 6, 1, 4, 1, 57264, 1, 1],
        b"https://accounts.google.com".to_vec(),
    )];
    let der = params.signed_by(&key, &rcgen::Issuer::new(ca.params.clone(), &ca.key)).expect("leaf").der().to_vec();
    let p = IdentityPolicy::new(Matcher::exact("dev@example.com"), Matcher::exact("https://accounts.google.com"));
    assert!(p.check(&der).is_ok());
}

// ---- managed key, no transparency-log entry (the KeyPolicy rule) ----

fn without_tlog(b: &Value) -> Value {
    let mut b = b.clone();
    b["verificationMaterial"]["tlogEntries"] = json!([]);
    b
}

#[test]
fn key_bundle_without_tlog_is_accepted_and_says_so() {
    let w = world();
    let v = key_verifier(&w, &w.signer);
    let b = without_tlog(&w.bundle);
    let ok = verify(&w, &v, &b, ARTIFACT).expect("key bundle without tlog verifies on the key");
    assert_eq!((ok.tlog_entries, ok.tlog_verified), (0, false));
    let d = ArtifactInput::Sha256(sha256(ARTIFACT));
    v.verify_json(d, b.to_string().as_bytes()).expect("digest input");
    // With the log entry it is counted.
    assert_eq!(verify(&w, &v, &w.bundle, ARTIFACT).expect("with tlog").tlog_entries, 1);
}

#[test]
fn key_bundle_without_tlog_still_checks_signature_key_and_artifact() {
    let w = world();
    let b = without_tlog(&w.bundle);
    let v = key_verifier(&w, &w.signer);
    assert_eq!(refused_at(verify(&w, &v, &b, b"another artifact")), VerifyStep::Artifact);
    let d = ArtifactInput::Sha256(sha256(b"another artifact"));
    assert_eq!(refused_at(v.verify_json(d, b.to_string().as_bytes())), VerifyStep::Artifact);
    let other = KeyPair::generate_ecdsa_p256().expect("key");
    assert_eq!(refused_at(verify(&w, &key_verifier(&w, &other), &b, ARTIFACT)), VerifyStep::Signature);
    // Tampered signature, and a messageDigest that lies about the artifact.
    let mut t = b.clone();
    let mut sig = B64.decode(t["messageSignature"]["signature"].as_str().unwrap_or_default()).expect("b64");
    let last = sig.len() - 3;
    sig[last] ^= 1;
    t["messageSignature"]["signature"] = B64.encode(&sig).into();
    assert_eq!(refused_at(verify(&w, &v, &t, ARTIFACT)), VerifyStep::Signature);
    let mut t = b.clone();
    t["messageSignature"].as_object_mut().map(|m| m.remove("messageDigest")).expect("object");
    assert_eq!(refused_at(verify(&w, &v, &t, b"another artifact")), VerifyStep::Signature);
}

#[test]
fn key_bundle_with_a_bad_tlog_entry_is_refused_not_ignored() {
    // Present entries are always verified: a SET by a log the root does not trust refuses it.
    let mut w = world();
    let other = KeyPair::generate_ecdsa_p256().expect("key");
    let spki = other.public_key_der().expect("spki");
    w.trusted_root["tlogs"][0]["publicKey"]["rawBytes"] = B64.encode(spki.as_bytes()).into();
    w.trusted_root["tlogs"][0]["logId"]["keyId"] = B64.encode(sha256(spki.as_bytes())).into();
    let v = key_verifier(&w, &w.signer);
    assert!(verify(&w, &v, &w.bundle, ARTIFACT).is_err());
}

#[test]
fn keyless_bundle_without_tlog_is_refused() {
    let ca = ca();
    let mut w = keyless_world(&ca, None);
    trust_ca(&mut w, &ca);
    let v = identity_verifier(&w);
    let b = without_tlog(&w.bundle);
    let step = refused_at(verify(&w, &v, &b, ARTIFACT));
    assert!(matches!(step, VerifyStep::InclusionProof | VerifyStep::Timestamp), "{step}");
}

// ---- keyless end to end: chain, SCT (checked by `sct`), log, signature, identity ----

/// Trust `ca` and the CT log `ct` in `w`'s root.
fn trust_ca_and_ct(w: &mut World, ca: &Ca, ct: &KeyPair) {
    trust_ca(w, ca);
    let spki = ct.public_key_der().expect("spki");
    w.trusted_root["ctlogs"] = json!([{
        "baseUrl": "https://ct.test",
        "hashAlgorithm": "SHA2_256",
        "publicKey": {
            "rawBytes": B64.encode(spki.as_bytes()),
            "keyDetails": "PKIX_ECDSA_P256_SHA_256",
            "validFor": {"start": "2020-01-01T00:00:00Z"}
        },
        "logId": {"keyId": B64.encode(sha256(spki.as_bytes()))}
    }]);
}

#[test]
fn keyless_bundle_with_a_valid_sct_verifies() {
    let (ca, ct) = (ca(), KeyPair::generate_ecdsa_p256().expect("ct"));
    let mut w = keyless_world_with_sct(&ca, None, Some((&ct, false)));
    trust_ca_and_ct(&mut w, &ca, &ct);
    let v = identity_verifier(&w);
    let ok = verify(&w, &v, &w.bundle, ARTIFACT).expect("verifies");
    assert!(ok.sct_verified && ok.tlog_verified);
    assert!(matches!(ok.signer, Signer::Certificate(ref m) if m.san == SAN && m.issuer == ISSUER));
}

#[test]
fn keyless_bundle_with_a_forged_or_missing_sct_is_refused() {
    let (ca, ct) = (ca(), KeyPair::generate_ecdsa_p256().expect("ct"));
    let mut w = keyless_world_with_sct(&ca, None, Some((&ct, true)));
    trust_ca_and_ct(&mut w, &ca, &ct);
    assert_eq!(refused_at(verify(&w, &identity_verifier(&w), &w.bundle, ARTIFACT)), VerifyStep::Sct);
    let mut w = keyless_world(&ca, None);
    trust_ca_and_ct(&mut w, &ca, &ct);
    assert_eq!(refused_at(verify(&w, &identity_verifier(&w), &w.bundle, ARTIFACT)), VerifyStep::Sct);
    // A valid SCT by a CT log the root does not trust.
    let stranger = KeyPair::generate_ecdsa_p256().expect("ct");
    let mut w = keyless_world_with_sct(&ca, None, Some((&stranger, false)));
    trust_ca_and_ct(&mut w, &ca, &ct);
    assert_eq!(refused_at(verify(&w, &identity_verifier(&w), &w.bundle, ARTIFACT)), VerifyStep::Sct);
}

// ---- keyless log inclusion (checked by `tlog` for v0.2+ bundles) ----

/// A keyless world that verifies, and its verifier.
fn good_keyless() -> (World, BundleVerifier) {
    let (ca, ct) = (ca(), KeyPair::generate_ecdsa_p256().expect("ct"));
    let mut w = keyless_world_with_sct(&ca, None, Some((&ct, false)));
    trust_ca_and_ct(&mut w, &ca, &ct);
    let v = identity_verifier(&w);
    (w, v)
}

#[test]
fn keyless_log_inclusion_is_checked() {
    let (w, v) = good_keyless();
    let ok = verify(&w, &v, &w.bundle, ARTIFACT).expect("verifies");
    assert!(ok.tlog_verified);
    assert_eq!(ok.tlog_entries, 1);
    let bundle = parse_bundle(w.bundle.to_string().as_bytes(), &BundleLimits::default()).expect("bundle");
    assert!(tlog::TlogChecker::applies(&bundle), "this shape is checked by `tlog`");

    // One proof hash flipped.
    let mut b = w.bundle.clone();
    let p = &mut b["verificationMaterial"]["tlogEntries"][0]["inclusionProof"]["hashes"][1];
    let mut h = B64.decode(p.as_str().unwrap_or_default()).expect("b64");
    h[7] ^= 0x10;
    *p = B64.encode(&h).into();
    assert_eq!(refused_at(verify(&w, &v, &b, ARTIFACT)), VerifyStep::InclusionProof);

    // Another leaf position.
    let mut b = w.bundle.clone();
    b["verificationMaterial"]["tlogEntries"][0]["inclusionProof"]["logIndex"] = "2".into();
    assert_eq!(refused_at(verify(&w, &v, &b, ARTIFACT)), VerifyStep::InclusionProof);

    // Another root, consistently in the proof and a checkpoint the log really signed.
    let mut b = w.bundle.clone();
    let mut other_root = w.root_hash;
    other_root[0] ^= 1;
    let proof = &mut b["verificationMaterial"]["tlogEntries"][0]["inclusionProof"];
    proof["rootHash"] = B64.encode(other_root).into();
    proof["checkpoint"]["envelope"] = checkpoint(&w.log, &other_root, 4).into();
    assert_eq!(refused_at(verify(&w, &v, &b, ARTIFACT)), VerifyStep::InclusionProof);

    // A checkpoint signed by another key.
    let mut b = w.bundle.clone();
    let other = KeyPair::generate_ecdsa_p256().expect("key");
    b["verificationMaterial"]["tlogEntries"][0]["inclusionProof"]["checkpoint"]["envelope"] =
        checkpoint(&other, &w.root_hash, 4).into();
    assert_eq!(refused_at(verify(&w, &v, &b, ARTIFACT)), VerifyStep::Checkpoint);

    // A checkpoint whose root differs from the proof's.
    let mut b = w.bundle.clone();
    b["verificationMaterial"]["tlogEntries"][0]["inclusionProof"]["checkpoint"]["envelope"] =
        checkpoint(&w.log, &other_root, 4).into();
    assert_eq!(refused_at(verify(&w, &v, &b, ARTIFACT)), VerifyStep::Checkpoint);
}

/// `w.bundle` after `edit`, parsed.
fn edited(w: &World, edit: &dyn Fn(&mut Value)) -> Bundle {
    let mut b = w.bundle.clone();
    edit(&mut b);
    Bundle::from_json(&b.to_string()).expect("bundle")
}

#[test]
fn other_bundle_shapes_keep_sigstore_verify_log_inclusion() {
    let (w, _) = good_keyless();
    let shaped = |edit: &dyn Fn(&mut Value)| tlog::TlogChecker::applies(&edited(&w, edit));
    assert!(shaped(&|_| {}));
    assert!(!shaped(&|b| b["mediaType"] = "application/vnd.dev.sigstore.bundle+json;version=0.1".into()));
    assert!(!shaped(&|b| b["verificationMaterial"]["tlogEntries"] = json!([])));
    assert!(!shaped(&|b| {
        b["verificationMaterial"]["tlogEntries"][0].as_object_mut().map(|e| e.remove("inclusionProof"));
    }));
    assert!(!shaped(&|b| {
        b["verificationMaterial"]["tlogEntries"][0].as_object_mut().map(|e| e.remove("integratedTime"));
    }));
    assert!(!shaped(&|b| b["verificationMaterial"]["tlogEntries"][0]["kindVersion"]["version"] = "0.0.2".into()));
}

// ---- keyless log-entry consistency (checked by `consistency` for hashedrekord 0.0.1) ----

/// `w.bundle` whose log entry is `body`, properly logged: SET, inclusion proof and checkpoint
/// all verify, so only the consistency check can refuse it.
fn relogged(w: &World, body: &[u8]) -> Value {
    let log_id = sha256(w.log.public_key_der().expect("spki").as_bytes());
    let mut b = w.bundle.clone();
    let entry = &mut b["verificationMaterial"]["tlogEntries"][0];
    let time: i64 = entry["integratedTime"].as_str().and_then(|t| t.parse().ok()).expect("time");
    let (h0, h1, h2, h3) = (leaf(b"other-0"), leaf(body), leaf(b"other-2"), leaf(b"other-3"));
    let h23 = node(&h2, &h3);
    let root_hash = node(&node(&h0, &h1), &h23);
    entry["canonicalizedBody"] = B64.encode(body).into();
    entry["inclusionPromise"]["signedEntryTimestamp"] = set(&w.log, body, time, &log_id, 1).into();
    entry["inclusionProof"]["rootHash"] = B64.encode(root_hash).into();
    entry["inclusionProof"]["hashes"] = json!([B64.encode(h0), B64.encode(h23)]);
    entry["inclusionProof"]["checkpoint"]["envelope"] = checkpoint(&w.log, &root_hash, 4).into();
    b
}

/// `w.body` with the JSON string value `from` replaced by `to`.
fn body_replacing(w: &World, from: &str, to: &str) -> Vec<u8> {
    let text = String::from_utf8(w.body.clone()).expect("utf8");
    assert!(text.contains(from), "{from} not in the body");
    text.replacen(from, to, 1).into_bytes()
}

#[test]
fn keyless_log_entry_consistency_is_checked() {
    let (w, v) = good_keyless();
    let bundle = parse_bundle(w.bundle.to_string().as_bytes(), &BundleLimits::default()).expect("bundle");
    assert!(consistency::applies(&bundle), "this shape is checked by `consistency`");
    // Re-logging the same body changes nothing.
    verify(&w, &v, &relogged(&w, &w.body), ARTIFACT).expect("relogged original verifies");

    let body: Value = serde_json::from_slice(&w.body).expect("body");
    let spec = &body["spec"];
    let (digest, sig, pem) = (
        spec["data"]["hash"]["value"].as_str().expect("digest"),
        spec["signature"]["content"].as_str().expect("sig"),
        spec["signature"]["publicKey"]["content"].as_str().expect("pem"),
    );
    let other_leaf = leaf_cert(&ca(), None).1;
    let other_pem = B64.encode(sigstore_types::DerCertificate::new(other_leaf).to_pem());
    let other_sig = B64.encode(sign(&w.signer, b"another artifact"));
    let other_digest = hex::encode(sha256(b"another artifact"));
    let refused: [(&str, Vec<u8>); 8] = [
        ("another certificate", body_replacing(&w, pem, &other_pem)),
        ("another signature", body_replacing(&w, sig, &other_sig)),
        ("another digest", body_replacing(&w, digest, &other_digest)),
        ("another digest algorithm", body_replacing(&w, r#""algorithm":"sha256""#, r#""algorithm":"sha512""#)),
        ("another kind", body_replacing(&w, r#""kind":"hashedrekord""#, r#""kind":"rekord""#)),
        ("malformed JSON", body_replacing(&w, r#""spec":{"#, r#""spec":["#)),
        ("malformed base64 certificate", body_replacing(&w, pem, "%%%")),
        ("malformed PEM", body_replacing(&w, pem, &B64.encode("-----BEGIN CERTIFICATE-----\nAAAA\n"))),
    ];
    for (what, body) in refused {
        let step = refused_at(verify(&w, &v, &relogged(&w, &body), ARTIFACT));
        assert_eq!(step, VerifyStep::LogEntry, "{what}");
    }
}

#[test]
fn other_bundle_shapes_keep_sigstore_verify_consistency_check() {
    let (w, _) = good_keyless();
    let shaped = |edit: &dyn Fn(&mut Value)| consistency::applies(&edited(&w, edit));
    assert!(shaped(&|_| {}));
    assert!(!shaped(&|b| {
        b["messageSignature"].as_object_mut().map(|m| m.remove("messageDigest"));
    }));
    assert!(!shaped(&|b| b["messageSignature"]["messageDigest"]["algorithm"] = "SHA2_384".into()));
    assert!(!shaped(&|b| b["verificationMaterial"]["tlogEntries"] = json!([])));
    assert!(!shaped(&|b| b["verificationMaterial"]["tlogEntries"][0]["kindVersion"]["version"] = "0.0.2".into()));
}

#[test]
fn a_keyless_entry_of_another_kind_is_refused_by_sigstore_verify() {
    // The entry says dsse: `consistency` stands aside and sigstore-verify's step refuses it.
    let (w, v) = good_keyless();
    let mut b = relogged(&w, &w.body);
    b["verificationMaterial"]["tlogEntries"][0]["kindVersion"] = json!({"kind": "dsse", "version": "0.0.1"});
    let bundle = Bundle::from_json(&b.to_string()).expect("bundle");
    assert!(!consistency::applies(&bundle));
    assert!(verify(&w, &v, &b, ARTIFACT).is_err());
}
