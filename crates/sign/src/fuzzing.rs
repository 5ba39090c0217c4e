//! Fuzzing harness bodies (`fuzz/fuzz_targets/*.rs` call these; so does the corpus replay test
//! `crates/chainseal/tests/fuzz_corpus.rs`). Not a stable API.
//!
//! Every function takes arbitrary bytes and must never panic. Parsers with printers are checked
//! to round-trip; the verifier harnesses check that nothing verifies against a key whose private
//! half nobody has (any success there is a forgery).

use std::sync::OnceLock;

use crate::bundle::{BundleLimits, parse_bundle, shape};
use crate::dsse::Envelope;
use crate::intoto::Statement;
use crate::keys::{PublicKey, encrypted, files, import};
use crate::policy::{IdentityPolicy, KeyPolicy, Matcher};
use crate::simple_signing::SimpleSigning;
use crate::trust::TrustRoot;
use crate::verify::{ArtifactInput, BundleVerifier};

/// A P-256 public key whose private key was discarded right after generation: nothing may ever
/// verify against it.
pub const ORPHAN_PUBLIC_KEY: &str = "-----BEGIN PUBLIC KEY-----
MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEdNFRLnp15d3eTwGamb2IbvEGSrl0
bbo3Lrb4yNdknTCIxO65oWGSnXWEqwU0C9JWjls0Gq9yDIiqxmKLFGLh0w==
-----END PUBLIC KEY-----
";

/// The artifact the verifier harnesses check bundles against.
pub const FUZZ_ARTIFACT: &[u8] = b"chainseal fuzz artifact\n";

/// Key files and PEM: classification, import of unencrypted keys, public keys, key policies.
/// Encrypted keys are only recognised, never decrypted (scrypt would make each run seconds).
pub fn key_file(data: &[u8]) {
    let _ = encrypted::is_encrypted_key(data);
    let _ = files::classify_key_file(data.to_vec());
    if let Ok(key) = import::import_pem(data) {
        let pem = key.public_key().to_pem();
        let again = PublicKey::from_pem(pem.as_bytes()).ok();
        assert_eq!(again.as_ref().map(|k| k.spki_der()), Some(key.public_key().spki_der()), "public key round trip");
    }
    if let Ok(public) = PublicKey::from_pem(data) {
        let again = PublicKey::from_pem(public.to_pem().as_bytes()).ok();
        assert_eq!(again.as_ref().map(|k| k.spki_der()), Some(public.spki_der()), "public key PEM round trip");
        let _ = public.hint();
        assert!(public.verify(FUZZ_ARTIFACT, &[0u8; 64]).is_err(), "a zero signature verified");
    }
    let _ = PublicKey::from_spki_der(data);
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = KeyPolicy::from_pem(text);
    }
}

/// DSSE envelopes: parse, print, parse again to the same envelope; never verify under the
/// orphan key.
pub fn dsse(data: &[u8]) {
    let Ok(env) = Envelope::from_json(data) else { return };
    let printed = env.to_json();
    match Envelope::from_json(&printed) {
        Ok(again) => assert_eq!(env, again, "DSSE round trip changed the envelope"),
        Err(e) => panic!("a parsed DSSE envelope printed to JSON that does not parse: {e}"),
    }
    let _ = env.pae();
    if let Ok(key) = PublicKey::from_pem(ORPHAN_PUBLIC_KEY.as_bytes()) {
        assert!(env.verify(&key).is_err(), "forgery: a DSSE envelope verified under the orphan key");
    }
    let _ = env.to_bundle_envelope();
}

/// in-toto Statements: parse, print, parse again to the same statement.
pub fn intoto(data: &[u8]) {
    let Ok(st) = Statement::parse(data) else { return };
    match Statement::parse(&st.to_json()) {
        Ok(again) => assert_eq!(st, again, "in-toto round trip changed the statement"),
        Err(e) => panic!("a parsed statement printed to JSON that does not parse: {e}"),
    }
    let _ = st.subjects_matching("sha256", "00").count();
}

/// cosign simple-signing payloads: parse, print, parse again.
pub fn simple_signing(data: &[u8]) {
    let Ok(p) = SimpleSigning::parse(data) else { return };
    match SimpleSigning::parse(&p.to_bytes()) {
        Ok(again) => assert_eq!(p, again, "simple-signing round trip changed the payload"),
        Err(e) => panic!("a parsed simple-signing payload printed to bytes that do not parse: {e}"),
    }
    let _ = p.check("sha256:00", &Default::default());
}

fn orphan_key_verifier() -> Option<&'static BundleVerifier> {
    static V: OnceLock<Option<BundleVerifier>> = OnceLock::new();
    V.get_or_init(|| {
        let root = TrustRoot::production().ok()?;
        let key = KeyPolicy::from_pem(ORPHAN_PUBLIC_KEY).ok()?;
        BundleVerifier::builder().trust_root(root).key(key).build().ok()
    })
    .as_ref()
}

fn identity_verifier() -> Option<&'static BundleVerifier> {
    static V: OnceLock<Option<BundleVerifier>> = OnceLock::new();
    V.get_or_init(|| {
        let root = TrustRoot::production().ok()?;
        // No certificate for this identity was ever issued by the public-good Fulcio.
        let id = IdentityPolicy::new(
            Matcher::exact("nobody@chainseal-fuzz.invalid"),
            Matcher::exact("https://issuer.chainseal-fuzz.invalid"),
        );
        BundleVerifier::builder().trust_root(root).identity(id).build().ok()
    })
    .as_ref()
}

/// Sigstore bundles: parse, shape-check, and verify against the orphan key and an identity
/// nobody holds; both must always fail.
pub fn bundle(data: &[u8]) {
    let Ok(b) = parse_bundle(data, &BundleLimits::default()) else { return };
    let _ = shape::check(&b);
    if let Some(v) = orphan_key_verifier() {
        assert!(
            v.verify(ArtifactInput::Bytes(FUZZ_ARTIFACT), &b).is_err(),
            "forgery: bundle verified under the orphan key"
        );
        assert!(
            v.verify(ArtifactInput::Sha256([0u8; 32]), &b).is_err(),
            "forgery: bundle verified under the orphan key"
        );
    }
    if let Some(v) = identity_verifier() {
        assert!(
            v.verify(ArtifactInput::Bytes(FUZZ_ARTIFACT), &b).is_err(),
            "forgery: bundle verified for a fake identity"
        );
    }
}

/// Sigstore trusted roots (`trusted_root.json`).
pub fn trusted_root(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else { return };
    if let Ok(root) = TrustRoot::from_json(text) {
        let _ = root.origin();
        if let Ok(key) = KeyPolicy::from_pem(ORPHAN_PUBLIC_KEY) {
            let _ = BundleVerifier::builder().trust_root(root).key(key).build();
        }
    }
}

/// All the harnesses of this crate by target name.
pub const TARGETS: &[(&str, fn(&[u8]))] = &[
    ("key_file", key_file),
    ("dsse", dsse),
    ("intoto", intoto),
    ("simple_signing", simple_signing),
    ("bundle", bundle),
    ("trusted_root", trusted_root),
];
