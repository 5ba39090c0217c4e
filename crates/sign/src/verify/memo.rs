//! A [`CryptoProvider`] for sigstore-crypto that removes repeated work without skipping checks.
//!
//! Written here because sigstore-verify 0.15.1 has no hook for either saving, and both are
//! measurable (`benches/verify_bundle.rs`):
//!
//! 1. **Per-verification memo.** Within one [`BundleVerifier::verify`] call the same signature is
//!    checked more than once: sigstore-verify verifies a Rekor v1 SET once to authenticate the
//!    integrated time and again in the log-inclusion step, and chainseal's checkpoint-signer
//!    check ([`super::extra`]) verifies the same note signature sigstore-verify checks. While a
//!    [`Scope`] is open on the current thread, a successful verification is remembered keyed on
//!    the *full bytes* of (scheme, public key, message or digest, signature); an identical later
//!    call returns the same answer. ECDSA/Ed25519/RSA verification is a pure function of those
//!    bytes, so this changes no outcome. Failures are never remembered, entries are bounded in
//!    number and size, and the memo is dropped when the scope closes: nothing survives from one
//!    bundle to the next, so every bundle pays for every one of its own checks.
//! 2. **Trust-root keys parsed once.** Public keys of the trusted root (Rekor and CT log keys,
//!    Fulcio and TSA certificate keys) are parsed into aws-lc-rs [`ParsedPublicKey`]s when a
//!    verifier is built and looked up by their full key bytes. Keys from bundles (leaf
//!    certificates) are parsed on every call as before.
//!
//! Everything else is delegated to sigstore-crypto's own aws-lc-rs provider.
//!
//! [`BundleVerifier::verify`]: super::BundleVerifier::verify

use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::{OnceLock, RwLock};

use aws_lc_rs::signature::{self as sig, ParsedPublicKey, VerificationAlgorithm};
use sigstore_crypto::{CryptoProvider, HashContext, KeyAlgorithm, SigningKeyPair, SigningScheme};
use sigstore_types::HashAlgorithm;

/// Most successful verifications remembered in one scope (a bundle needs about six).
const MAX_MEMO_ENTRIES: usize = 32;
/// Largest message (or digest) remembered; larger ones are simply verified every time.
const MAX_MEMO_MESSAGE_BYTES: usize = 64 * 1024;
/// Most trust-root keys kept parsed, over all verifiers built by the process.
const MAX_PARSED_KEYS: usize = 1024;

/// Whether the message is the data itself or a precomputed digest.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Input {
    Raw,
    Prehashed,
}

/// One remembered successful verification: every input byte is kept and compared.
struct Entry {
    scheme: SigningScheme,
    input: Input,
    key: Box<[u8]>,
    message: Box<[u8]>,
    signature: Box<[u8]>,
}

impl Entry {
    fn matches(&self, scheme: SigningScheme, input: Input, key: &[u8], message: &[u8], signature: &[u8]) -> bool {
        self.scheme == scheme
            && self.input == input
            && *self.key == *key
            && *self.message == *message
            && *self.signature == *signature
    }
}

thread_local! {
    /// `Some` while a [`Scope`] is open on this thread.
    static MEMO: RefCell<Option<Vec<Entry>>> = const { RefCell::new(None) };
}

/// While alive, identical successful verifications on this thread are done once.
/// Dropping it forgets everything. Nested scopes share the outermost one's memo.
pub(crate) struct Scope {
    outermost: bool,
}

impl Scope {
    /// Open a scope on the current thread (and make sure the provider is installed).
    pub(crate) fn enter() -> Self {
        install();
        let outermost = MEMO.with(|m| {
            let mut m = m.borrow_mut();
            if m.is_none() {
                *m = Some(Vec::new());
                true
            } else {
                false
            }
        });
        Self { outermost }
    }
}

impl Drop for Scope {
    fn drop(&mut self) {
        if self.outermost {
            MEMO.with(|m| *m.borrow_mut() = None);
        }
    }
}

fn memo_hit(scheme: SigningScheme, input: Input, key: &[u8], message: &[u8], signature: &[u8]) -> bool {
    MEMO.with(|m| {
        m.borrow()
            .as_ref()
            .is_some_and(|entries| entries.iter().any(|e| e.matches(scheme, input, key, message, signature)))
    })
}

fn memo_store(scheme: SigningScheme, input: Input, key: &[u8], message: &[u8], signature: &[u8]) {
    if message.len() > MAX_MEMO_MESSAGE_BYTES {
        return;
    }
    MEMO.with(|m| {
        if let Some(entries) = m.borrow_mut().as_mut()
            && entries.len() < MAX_MEMO_ENTRIES
        {
            entries.push(Entry {
                scheme,
                input,
                key: key.into(),
                message: message.into(),
                signature: signature.into(),
            });
        }
    });
}

/// Trust-root keys, parsed once, by (scheme, full key bytes as the provider receives them).
type ParsedKeys = RwLock<HashMap<(SigningScheme, Box<[u8]>), ParsedPublicKey>>;

fn parsed_keys() -> &'static ParsedKeys {
    static KEYS: OnceLock<ParsedKeys> = OnceLock::new();
    KEYS.get_or_init(|| RwLock::new(HashMap::new()))
}

/// The aws-lc-rs algorithm sigstore-crypto uses for `scheme`, for the schemes worth caching.
fn algorithm(scheme: SigningScheme) -> Option<&'static dyn VerificationAlgorithm> {
    Some(match scheme {
        SigningScheme::EcdsaP256Sha256 => &sig::ECDSA_P256_SHA256_ASN1,
        SigningScheme::EcdsaP256Sha384 => &sig::ECDSA_P256_SHA384_ASN1,
        SigningScheme::EcdsaP384Sha256 => &sig::ECDSA_P384_SHA256_ASN1,
        SigningScheme::EcdsaP384Sha384 => &sig::ECDSA_P384_SHA384_ASN1,
        SigningScheme::Ed25519 => &sig::ED25519,
        _ => return None,
    })
}

const CACHED_SCHEMES: [SigningScheme; 5] = [
    SigningScheme::EcdsaP256Sha256,
    SigningScheme::EcdsaP256Sha384,
    SigningScheme::EcdsaP384Sha256,
    SigningScheme::EcdsaP384Sha384,
    SigningScheme::Ed25519,
];

/// Parse a trusted key (the raw `subjectPublicKey` bytes) for every cached scheme it fits.
pub(crate) fn register_trusted_key(raw: &[u8]) {
    let Ok(mut map) = parsed_keys().write() else { return };
    for scheme in CACHED_SCHEMES {
        if map.len() >= MAX_PARSED_KEYS {
            return;
        }
        let Some(alg) = algorithm(scheme) else { continue };
        let id = (scheme, Box::<[u8]>::from(raw));
        if map.contains_key(&id) {
            continue;
        }
        if let Ok(parsed) = ParsedPublicKey::new(alg, raw) {
            map.insert(id, parsed);
        }
    }
}

/// Verify with the parsed trust-root key if there is one; `None` when the key is not cached.
fn verify_cached(scheme: SigningScheme, key: &[u8], data: &[u8], signature: &[u8]) -> Option<bool> {
    let map = parsed_keys().read().ok()?;
    let parsed = map.get(&(scheme, Box::<[u8]>::from(key)))?;
    Some(parsed.verify_sig(data, signature).is_ok())
}

/// Answer from the memo, or run `check` and remember a success.
fn memoised(
    scheme: SigningScheme,
    input: Input,
    key: &[u8],
    message: &[u8],
    signature: &[u8],
    check: impl FnOnce() -> sigstore_crypto::Result<()>,
) -> sigstore_crypto::Result<()> {
    if memo_hit(scheme, input, key, message, signature) {
        return Ok(());
    }
    check()?;
    memo_store(scheme, input, key, message, signature);
    Ok(())
}

/// sigstore-crypto's aws-lc-rs provider plus the memo and the parsed trust-root keys.
#[derive(Debug)]
struct MemoProvider;

static PROVIDER: MemoProvider = MemoProvider;

/// Install [`MemoProvider`] as sigstore-crypto's process-wide provider, once. If another
/// provider was installed first it stays (the savings are then simply not made).
pub(crate) fn install() {
    static ONCE: OnceLock<()> = OnceLock::new();
    ONCE.get_or_init(|| {
        let _ = sigstore_crypto::install_default_provider(&PROVIDER);
    });
}

fn inner() -> &'static dyn CryptoProvider {
    sigstore_crypto::aws_lc_provider()
}

impl CryptoProvider for MemoProvider {
    fn hash(&self, algorithm: HashAlgorithm) -> sigstore_crypto::Result<Box<dyn HashContext>> {
        inner().hash(algorithm)
    }

    fn sha256(&self, data: &[u8]) -> [u8; 32] {
        inner().sha256(data)
    }

    fn sha384(&self, data: &[u8]) -> [u8; 48] {
        inner().sha384(data)
    }

    fn sha512(&self, data: &[u8]) -> [u8; 64] {
        inner().sha512(data)
    }

    fn verify_raw(
        &self,
        scheme: SigningScheme,
        key: &[u8],
        data: &[u8],
        signature: &[u8],
    ) -> sigstore_crypto::Result<()> {
        memoised(scheme, Input::Raw, key, data, signature, || match verify_cached(scheme, key, data, signature) {
            Some(true) => Ok(()),
            Some(false) => Err(sigstore_crypto::Error::Verification(format!("{} signature invalid", scheme.name()))),
            None => inner().verify_raw(scheme, key, data, signature),
        })
    }

    fn verify_prehashed(
        &self,
        scheme: SigningScheme,
        key: &[u8],
        digest: &[u8],
        signature: &[u8],
    ) -> sigstore_crypto::Result<()> {
        memoised(scheme, Input::Prehashed, key, digest, signature, || {
            inner().verify_prehashed(scheme, key, digest, signature)
        })
    }

    fn generate_key_pair(&self, algorithm: KeyAlgorithm) -> sigstore_crypto::Result<Box<dyn SigningKeyPair>> {
        inner().generate_key_pair(algorithm)
    }

    fn key_pair_from_pkcs8_der(&self, pkcs8: &[u8]) -> sigstore_crypto::Result<Box<dyn SigningKeyPair>> {
        inner().key_pair_from_pkcs8_der(pkcs8)
    }
}

/// Register every public key of `root` (log keys, CA and TSA certificate keys).
pub(crate) fn register_trust_root(root: &sigstore_trust_root::TrustedRoot) {
    use x509_cert::der::Decode;
    install();
    let logs = root.tlogs.iter().map(|l| &l.public_key).chain(root.ctlogs.iter().map(|l| &l.public_key));
    for key in logs {
        if let Ok(spki) = spki::SubjectPublicKeyInfoRef::from_der(key.raw_bytes.as_bytes()) {
            register_trusted_key(spki.subject_public_key.raw_bytes());
        }
    }
    let chains = root
        .certificate_authorities
        .iter()
        .map(|ca| &ca.cert_chain)
        .chain(root.timestamp_authorities.iter().map(|tsa| &tsa.cert_chain));
    for chain in chains {
        for cert in &chain.certificates {
            if let Ok(c) = x509_cert::Certificate::from_der(cert.raw_bytes.as_bytes()) {
                register_trusted_key(c.tbs_certificate.subject_public_key_info.subject_public_key.raw_bytes());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_lc_rs::rand::SystemRandom;
    use aws_lc_rs::signature::{ECDSA_P256_SHA256_ASN1_SIGNING, EcdsaKeyPair, KeyPair};

    fn key_and_sig(msg: &[u8]) -> (Vec<u8>, Vec<u8>) {
        let rng = SystemRandom::new();
        let pkcs8 = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_ASN1_SIGNING, &rng).expect("gen");
        let kp = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_ASN1_SIGNING, pkcs8.as_ref()).expect("kp");
        let s = kp.sign(&rng, msg).expect("sign");
        (kp.public_key().as_ref().to_vec(), s.as_ref().to_vec())
    }

    const P256: SigningScheme = SigningScheme::EcdsaP256Sha256;

    #[test]
    fn memo_only_answers_for_identical_bytes_and_only_inside_a_scope() {
        let (key, s) = key_and_sig(b"note");
        let scope = Scope::enter();
        assert!(PROVIDER.verify_raw(P256, &key, b"note", &s).is_ok());
        assert!(memo_hit(P256, Input::Raw, &key, b"note", &s));
        // One byte different anywhere: not a hit, and the real check refuses.
        assert!(!memo_hit(P256, Input::Raw, &key, b"notE", &s));
        assert!(PROVIDER.verify_raw(P256, &key, b"notE", &s).is_err());
        let mut bad = s.clone();
        let last = bad.len() - 1;
        bad[last] ^= 1;
        assert!(PROVIDER.verify_raw(P256, &key, b"note", &bad).is_err());
        // The same bytes as a digest are a different question.
        assert!(!memo_hit(P256, Input::Prehashed, &key, b"note", &s));
        drop(scope);
        assert!(!memo_hit(P256, Input::Raw, &key, b"note", &s), "memo must not outlive its scope");
    }

    #[test]
    fn failures_are_not_remembered() {
        let (key, s) = key_and_sig(b"a");
        let _scope = Scope::enter();
        assert!(PROVIDER.verify_raw(P256, &key, b"b", &s).is_err());
        assert!(!memo_hit(P256, Input::Raw, &key, b"b", &s));
        assert!(PROVIDER.verify_raw(P256, &key, b"b", &s).is_err());
    }

    #[test]
    fn parsed_trusted_keys_give_the_same_answers() {
        let (key, s) = key_and_sig(b"set");
        register_trusted_key(&key);
        assert_eq!(verify_cached(P256, &key, b"set", &s), Some(true));
        assert_eq!(verify_cached(P256, &key, b"seT", &s), Some(false));
        // Registered only for the schemes its curve fits.
        assert_eq!(verify_cached(SigningScheme::EcdsaP384Sha384, &key, b"set", &s), None);
        let (other, _) = key_and_sig(b"x");
        assert_eq!(verify_cached(P256, &other, b"set", &s), None);
    }
}
