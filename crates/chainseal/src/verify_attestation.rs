//! `chainseal verify-attestation`: find an image's attestations (bundle referrers, legacy
//! in-toto referrers, the `sha256-<hex>.att` tag), verify each signature, and keep only the
//! Statements that name **this** image's digest and, with a type, whose `predicateType`
//! matches (versioned spellings included). An optional [`AttestationPolicy`] then requires
//! predicate types, signers and predicate field assertions.
//!
//! Signers: managed keys and keyless identities. Every attestation goes through
//! [`chainseal_sign::verify::BundleVerifier`] with the trusted root, as `chainseal verify` does,
//! in both layouts: v3 bundle referrers as they are, legacy `.att` layers (a DSSE envelope blob
//! with certificate, chain, Rekor bundle and timestamp annotations) as the bundle their
//! annotations amount to ([`bundle_from_legacy_dsse`]).
//! - keyless: certificate chain to a trusted CA, SCT, identity, and a verified log entry (SET or
//!   inclusion proof) or timestamp are all required;
//! - managed key: transparency-log entries and timestamps, when present, are fully verified (a
//!   forged entry or SET refuses the attestation); one with none is accepted on the key and the
//!   check line says so (`chainseal verify`'s rule; cosign would demand
//!   `--insecure-ignore-tlog`).
//!
//! A registry failure is an error (exit 2), never "no attestations".

use chainseal_oci::SourceSpec;
use chainseal_oci::media_type;
use chainseal_oci::registry::RegistryConfig;
use chainseal_sign::attest_policy::{AttestationPolicy, PolicyFailure, PolicyInput, SignerKind};
use chainseal_sign::bundle::legacy::{LegacyAnnotations, bundle_from_legacy_dsse};
use chainseal_sign::bundle::{Bundle, BundleLimits, parse_bundle};
use chainseal_sign::dsse::INTOTO_PAYLOAD_TYPE;
use chainseal_sign::intoto::{COSIGN_SIGN_PREDICATE_TYPE, Statement};
use chainseal_sign::keys::PublicKey;
use chainseal_sign::policy::{IdentityPolicy, KeyPolicy, Policy};
use chainseal_sign::predicate::PredicateType;
use chainseal_sign::trust::{TrustRoot, TrustSource};
use chainseal_sign::verify::{ArtifactInput, BundleVerifier};
use sigstore_types::{SignatureContent, VerificationMaterialContent};

use crate::error::{Error, Result};
use crate::sign_image::{Target, resolve, sha256_hex};
use crate::tree::{AttachedItem, ItemKind, discover};
use crate::verify_blob::checks_performed;

/// Largest attestation blob (bundle or envelope) read.
pub const MAX_ATTESTATION_BLOB: u64 = 64 * 1024 * 1024;

/// Options of [`verify_attestation`].
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct VerifyAttestationOptions {
    /// Managed keys trusted (`--key`).
    pub keys: Vec<PublicKey>,
    /// Keyless identity trusted (`--certificate-identity` + `--certificate-oidc-issuer`).
    pub identity: Option<IdentityPolicy>,
    /// Trust root for certificates, log entries and timestamps, keyless and key-signed alike
    /// (default: the embedded production root; never the network).
    pub trust: Option<TrustSource>,
    /// Keep only Statements of this type.
    pub predicate_type: Option<PredicateType>,
    /// Policy to enforce over the verified Statements.
    pub policy: Option<AttestationPolicy>,
    /// Registry settings.
    pub registry: RegistryConfig,
}

/// A Statement that verified.
#[derive(Debug, Clone, serde::Serialize)]
#[non_exhaustive]
pub struct VerifiedAttestation {
    /// Where it was found (referrer digest, or `<tag>#<layer digest>`).
    pub found_at: String,
    /// Who signed (`key <hint>`, `identity <san> (<issuer>)`).
    pub signer: String,
    /// The Statement's predicateType.
    pub predicate_type: String,
    /// The verified Statement.
    pub statement: serde_json::Value,
    #[serde(skip)]
    policy_signers: Vec<usize>,
}

/// An attestation found and refused or left out.
#[derive(Debug, Clone, serde::Serialize)]
#[non_exhaustive]
pub struct Refused {
    /// Where it was found.
    pub found_at: String,
    /// Why.
    pub reason: String,
}

/// The outcome of [`verify_attestation`].
#[derive(Debug, Clone, Default, serde::Serialize)]
#[non_exhaustive]
pub struct VerifyAttestationReport {
    /// The manifest digest verified.
    pub digest: String,
    /// Statements that verified, name this image and match the type.
    pub verified: Vec<VerifiedAttestation>,
    /// Attestations refused (bad signature, another image, malformed).
    pub rejected: Vec<Refused>,
    /// Verified attestations left out because their predicate type differs.
    pub skipped: Vec<Refused>,
    /// Policy rules that failed (named).
    pub policy_failures: Vec<PolicyFailure>,
    /// What was checked, for stderr.
    pub checks: Vec<String>,
    /// Warnings for stderr.
    pub warnings: Vec<String>,
}

impl VerifyAttestationReport {
    /// At least one Statement verified and no policy rule failed.
    pub fn passed(&self) -> bool {
        !self.verified.is_empty() && self.policy_failures.is_empty()
    }
}

/// One way a signature may verify.
enum Trusted {
    /// `verifier` (a [`KeyPolicy`] for `key`) checks bundles; `key` alone legacy envelopes.
    Key {
        key: PublicKey,
        verifier: Box<BundleVerifier>,
        label: String,
    },
    Keyless {
        verifier: Box<BundleVerifier>,
        label: String,
    },
}

struct TrustSet {
    entries: Vec<(Trusted, Option<usize>)>,
}

impl TrustSet {
    fn build(options: &VerifyAttestationOptions) -> Result<Self> {
        let policy_signers = options.policy.as_ref().map(|p| p.signers.as_slice()).unwrap_or_default();
        let mut root: Option<TrustRoot> = None;
        let load_root = |root: &mut Option<TrustRoot>| -> Result<TrustRoot> {
            if let Some(r) = root {
                return Ok(r.clone());
            }
            let r = TrustRoot::load(options.trust.as_ref().unwrap_or(&TrustSource::Production))?;
            *root = Some(r.clone());
            Ok(r)
        };
        let key_entry = |root: &mut Option<TrustRoot>, key: &PublicKey, label: String| -> Result<Trusted> {
            let verifier = BundleVerifier::builder()
                .trust_root(load_root(root)?)
                .policy(Policy::Key(KeyPolicy::from_der(key.spki_der())?))
                .build()?;
            Ok(Trusted::Key { key: key.clone(), verifier: Box::new(verifier), label })
        };
        let mut entries = Vec::new();
        for key in &options.keys {
            let idx = policy_signers.iter().position(|s| matches!(&s.kind, SignerKind::Key(k) if k == key));
            entries.push((key_entry(&mut root, key, format!("key {}", key.hint()))?, idx));
        }
        if let Some(identity) = &options.identity {
            let verifier =
                BundleVerifier::builder().trust_root(load_root(&mut root)?).identity(identity.clone()).build()?;
            // A command-line identity counts for the policy only through the policy's own
            // identity entries (checked below on the certificate).
            entries.push((
                Trusted::Keyless { verifier: Box::new(verifier), label: "identity (command line)".into() },
                None,
            ));
        }
        let cli_given = !entries.is_empty();
        for (i, s) in policy_signers.iter().enumerate() {
            match &s.kind {
                SignerKind::Key(k) => {
                    if let Some(e) = entries.iter_mut().find(|(t, _)| matches!(t, Trusted::Key { key, .. } if key == k))
                    {
                        e.1 = Some(i);
                    } else if !cli_given {
                        entries.push((key_entry(&mut root, k, s.label.clone())?, Some(i)));
                    }
                }
                SignerKind::Identity(id) => {
                    // Keyless policy signers are verified with their own identity policy; with a
                    // command-line signer too, both must accept (checked in `signed_by`).
                    let verifier =
                        BundleVerifier::builder().trust_root(load_root(&mut root)?).identity(id.clone()).build()?;
                    entries.push((Trusted::Keyless { verifier: Box::new(verifier), label: s.label.clone() }, Some(i)));
                }
                _ => {}
            }
        }
        if entries.is_empty() {
            return Err(Error::InvalidInput(
                "nothing to verify with: give --key, --certificate-identity and --certificate-oidc-issuer, or a \
                 policy that lists signers"
                    .into(),
            ));
        }
        Ok(Self { entries })
    }
}

/// Verify an image's attestations (blocking).
pub fn verify_attestation(input: &str, options: &VerifyAttestationOptions) -> Result<VerifyAttestationReport> {
    crate::sign::runtime()?.block_on(verify_attestation_async(input, options))
}

/// Verify an image's attestations. `Ok` with [`VerifyAttestationReport::passed`] false is a
/// verification or policy failure (exit 1); `Err` means the lookup itself failed (exit 2).
pub async fn verify_attestation_async(
    input: &str,
    options: &VerifyAttestationOptions,
) -> Result<VerifyAttestationReport> {
    let trust = TrustSet::build(options)?;
    let spec = SourceSpec::parse(input)?;
    let target = Target::open(&spec, &options.registry).await?;
    let resolved = resolve(&spec, &target, input).await?;
    let digest = resolved.top.digest.clone();
    let hex = sha256_hex(&digest)?.to_owned();
    let mut digest_bytes = [0u8; 32];
    hex::decode_to_slice(&hex, &mut digest_bytes)
        .map_err(|_| Error::InvalidInput(format!("{digest} is not a sha256 digest")))?;
    let source = target.source();
    let attached = discover(source, &digest).await?;
    let mut report = VerifyAttestationReport { digest: digest.to_string(), ..Default::default() };
    report.warnings.extend(resolved.warning);
    report.warnings.extend(attached.warnings.clone());
    report.checks.extend(attached.checks.clone());

    let candidates = attached.items.iter().filter(|i| {
        i.kind == ItemKind::Attestation
            || (i.via == "referrer" && i.kind == ItemKind::Signature && i.predicate_type.is_none() && bundle_layer(i))
    });
    for item in candidates {
        let found_at =
            if item.via == "tag" { format!("{}#{}", item.location, item.digest) } else { item.location.clone() };
        let bytes = source.blob_bytes(&item.layer, MAX_ATTESTATION_BLOB).await?;
        let (payload, signers, notes) = match check_signature(item, &bytes, &trust, digest_bytes) {
            Ok(v) => v,
            Err(reason) => {
                report.rejected.push(Refused { found_at, reason });
                continue;
            }
        };
        let statement = match Statement::parse(&payload) {
            Ok(s) => s,
            Err(e) => {
                report.rejected.push(Refused { found_at, reason: e.to_string() });
                continue;
            }
        };
        if let Some(reason) = about_another_image(&statement, &hex) {
            report.rejected.push(Refused { found_at, reason });
            continue;
        }
        if statement.predicate_type == COSIGN_SIGN_PREDICATE_TYPE {
            report.checks.push(format!("{found_at}: an image signature, not an attestation; skipped"));
            continue;
        }
        if let Some(want) = options.predicate_type.as_ref().filter(|w| !w.matches(&statement.predicate_type)) {
            report.skipped.push(Refused {
                found_at,
                reason: format!("predicate type {} does not match {want}", statement.predicate_type),
            });
            continue;
        }
        let value: serde_json::Value =
            serde_json::from_slice(&payload).map_err(|e| Error::InvalidInput(e.to_string()))?;
        let labels: Vec<&str> = signers.iter().map(|&i| label(&trust.entries[i].0)).collect();
        let policy_signers: Vec<usize> = signers.iter().filter_map(|&i| trust.entries[i].1).collect();
        let notes: String = notes.iter().map(|n| format!("; {n}")).collect();
        report.checks.push(format!(
            "{found_at}: signature verified ({}){notes}; Statement names {digest}; predicateType {}",
            labels.join(", "),
            statement.predicate_type
        ));
        report.verified.push(VerifiedAttestation {
            found_at,
            signer: labels.join(", "),
            predicate_type: statement.predicate_type.clone(),
            statement: value,
            policy_signers,
        });
    }
    if let Some(policy) = &options.policy {
        let inputs: Vec<PolicyInput<'_>> = report
            .verified
            .iter()
            .map(|v| PolicyInput {
                predicate_type: &v.predicate_type,
                predicate: v.statement.get("predicate").unwrap_or(&serde_json::Value::Null),
                signed_by: &v.policy_signers,
            })
            .collect();
        report.policy_failures = policy.evaluate(&inputs);
        if report.policy_failures.is_empty() {
            report.checks.push(format!(
                "policy: {} required type(s), {} signer(s), {} rule(s) passed",
                policy.predicate_types.len(),
                policy.signers.len(),
                policy.rules.len()
            ));
        }
    }
    Ok(report)
}

fn bundle_layer(i: &AttachedItem) -> bool {
    i.layer.media_type.starts_with("application/vnd.dev.sigstore.bundle")
}

fn label(t: &Trusted) -> &str {
    match t {
        Trusted::Key { label, .. } | Trusted::Keyless { label, .. } => label,
    }
}

/// Why `statement` does not apply to the image with SHA-256 `hex`, or `None` when it names it.
fn about_another_image(statement: &Statement, hex: &str) -> Option<String> {
    if statement.subjects_matching("sha256", hex).next().is_some() {
        return None;
    }
    let names: Vec<String> = statement
        .subject
        .iter()
        .map(|s| s.digest.get("sha256").map(|d| format!("sha256:{d}")).unwrap_or_else(|| "(no sha256)".into()))
        .collect();
    Some(format!("the Statement is about another image: it names {}, not sha256:{hex}", names.join(", ")))
}

/// A verified payload, the indexes of the signers that verified it, and what was checked
/// (for the check line).
type Checked = (Vec<u8>, Vec<usize>, Vec<String>);

/// Verify the signature on one attestation blob with every trusted signer; returns the verified
/// payload, the indexes of the signers that verified it and what was checked. The error is the
/// reason shown.
///
/// A bundle referrer is verified as the bundle it is. A legacy `.att` layer (a DSSE envelope
/// blob) is first turned into the bundle its annotations amount to
/// ([`bundle_from_legacy_dsse`]: certificate + chain, the Rekor bundle annotation as a log entry
/// with its SET, the RFC 3161 timestamp) and then goes through the same verifier: keyless ones
/// need the chain, SCT and a verified log entry; key-signed ones have their SET verified when
/// present and are accepted on the key alone otherwise (as `chainseal verify` does for `.sig`).
fn check_signature(
    item: &AttachedItem,
    bytes: &[u8],
    trust: &TrustSet,
    subject: [u8; 32],
) -> std::result::Result<Checked, String> {
    let bundle = if bundle_layer(item) {
        parse_bundle(bytes, &BundleLimits::default()).map_err(|e| format!("bundle does not parse: {e}"))?
    } else if item.layer.media_type == media_type::DSSE_ENVELOPE {
        let layer = &item.layer;
        let mut ann = LegacyAnnotations::new("");
        ann.certificate = layer.annotation(media_type::ANNOTATION_COSIGN_CERTIFICATE);
        ann.chain = layer.annotation(media_type::ANNOTATION_COSIGN_CHAIN);
        ann.rekor_bundle = layer.annotation(media_type::ANNOTATION_COSIGN_BUNDLE);
        ann.rfc3161_timestamp = layer.annotation(media_type::ANNOTATION_COSIGN_RFC3161);
        bundle_from_legacy_dsse(bytes, &ann).map_err(|e| e.to_string())?
    } else {
        return Err(format!("layer media type {} is not a bundle or DSSE envelope", item.layer.media_type));
    };
    check_bundle(&bundle, trust, subject)
}

/// Verify one Sigstore bundle with every trusted signer through its [`BundleVerifier`]:
/// signature, the in-toto subject naming `subject`, and every transparency-log entry and
/// timestamp the bundle carries (certificate chain, SCT and identity too, keylessly).
fn check_bundle(bundle: &Bundle, trust: &TrustSet, subject: [u8; 32]) -> std::result::Result<Checked, String> {
    let SignatureContent::DsseEnvelope(env) = &bundle.content else {
        return Err("bundle holds a message signature, not a DSSE attestation".into());
    };
    if env.payload_type != INTOTO_PAYLOAD_TYPE {
        return Err(format!("DSSE payloadType is {}, not {INTOTO_PAYLOAD_TYPE}", env.payload_type));
    }
    // Refusing early on the (not yet verified) Statement only makes the reason clearer; the
    // verifier checks the subject again on the verified payload.
    if let Some(reason) = Statement::parse(env.payload.as_bytes())
        .ok()
        .and_then(|statement| about_another_image(&statement, &hex::encode(subject)))
    {
        return Err(reason);
    }
    let keyed = matches!(bundle.verification_material.content, VerificationMaterialContent::PublicKey(_));
    let mut signers = Vec::new();
    let mut reasons = Vec::new();
    let mut notes: Vec<String> = Vec::new();
    for (i, (t, _)) in trust.entries.iter().enumerate() {
        match (t, keyed) {
            (Trusted::Key { verifier, label, .. }, true) | (Trusted::Keyless { verifier, label }, false) => {
                match verifier.verify(ArtifactInput::Sha256(subject), bundle) {
                    Ok(v) => {
                        for line in checks_performed(&v) {
                            if !notes.contains(&line) {
                                notes.push(line);
                            }
                        }
                        signers.push(i);
                    }
                    Err(e) => reasons.push(format!("{label}: {e}")),
                }
            }
            (Trusted::Key { label, .. }, false) => {
                reasons.push(format!("{label}: the attestation is certificate-based (keyless), not key-signed"))
            }
            (Trusted::Keyless { label, .. }, true) => {
                reasons.push(format!("{label}: the attestation is signed by a managed key, not keylessly"))
            }
        }
    }
    if signers.is_empty() {
        return Err(format!("no trusted signer verified it: {}", reasons.join("; ")));
    }
    Ok((env.payload.as_bytes().to_vec(), signers, notes))
}

#[cfg(test)]
mod tests {
    //! Key-signed attestation bundles go through the bundle verifier: log entries that are
    //! present are verified (forged ones refuse the bundle), absent ones are reported. Legacy
    //! `.att` layers go through the same verifier: key-signed with and without a SET, keyless
    //! with certificate, chain and SET, and each forgery refused.

    use std::collections::BTreeMap;

    use base64::Engine as _;
    use base64::engine::general_purpose::STANDARD as B64;
    use chainseal_sign::keys::{GenerateAlgorithm, SigningKey};
    use chainseal_sign::testkit::{self, TestLog};
    use serde_json::{Value, json};
    use sha2::Digest as _;

    use super::*;

    const SUBJECT: [u8; 32] = [7u8; 32];

    struct World {
        key: SigningKey,
        log: TestLog,
        statement: String,
        bundle: Value,
        _dir: tempfile::TempDir,
        root: std::path::PathBuf,
    }

    /// A cosign-v3-style key-signed attestation bundle over `SUBJECT`, logged by a test log that
    /// the written trusted root trusts.
    fn world() -> World {
        let key = SigningKey::generate(GenerateAlgorithm::EcdsaP256).expect("key");
        let log = TestLog::new("test.rekor.local");
        let statement = json!({
            "_type": "https://in-toto.io/Statement/v1",
            "subject": [{"name": "img", "digest": {"sha256": hex::encode(SUBJECT)}}],
            "predicateType": "https://cyclonedx.org/bom",
            "predicate": {"bomFormat": "CycloneDX"}
        })
        .to_string();
        let sig = key.sign(&chainseal_sign::dsse::pae(INTOTO_PAYLOAD_TYPE, statement.as_bytes())).expect("sign");
        let envelope = json!({
            "payload": B64.encode(&statement),
            "payloadType": INTOTO_PAYLOAD_TYPE,
            "signatures": [{"sig": B64.encode(&sig)}]
        });
        let pem = key.public_key().to_pem();
        let body = testkit::dsse_body(envelope.to_string().as_bytes(), statement.as_bytes(), &sig, &pem);
        let time = jiff::Timestamp::now().as_second() - 60;
        let bundle = json!({
            "mediaType": "application/vnd.dev.sigstore.bundle.v0.3+json",
            "verificationMaterial": {
                "publicKey": {"hint": B64.encode(sha2::Sha256::digest(key.public_key().spki_der()))},
                "tlogEntries": [log.entry("dsse", "0.0.1", &body, time)]
            },
            "dsseEnvelope": envelope
        });
        let dir = tempfile::tempdir().expect("tempdir");
        let root = dir.path().join("trusted_root.json");
        std::fs::write(&root, testkit::trusted_root(&[&log], &[], &[]).to_string()).expect("write root");
        World { key, log, statement, bundle, _dir: dir, root }
    }

    fn trust(w: &World, key: &PublicKey) -> TrustSet {
        let options = VerifyAttestationOptions {
            keys: vec![key.clone()],
            trust: Some(TrustSource::File(w.root.clone())),
            ..Default::default()
        };
        TrustSet::build(&options).expect("trust set")
    }

    fn check(w: &World, bundle: &Value) -> std::result::Result<Checked, String> {
        check_json(bundle, &trust(w, w.key.public_key()), SUBJECT)
    }

    fn check_json(bundle: &Value, trust: &TrustSet, subject: [u8; 32]) -> std::result::Result<Checked, String> {
        let parsed =
            parse_bundle(bundle.to_string().as_bytes(), &BundleLimits::default()).map_err(|e| e.to_string())?;
        check_bundle(&parsed, trust, subject)
    }

    #[test]
    fn key_bundle_with_a_valid_log_entry_verifies_and_says_so() {
        let w = world();
        let (payload, signers, notes) = check(&w, &w.bundle).expect("verifies");
        assert_eq!(signers, vec![0]);
        assert!(Statement::parse(&payload).is_ok());
        assert!(notes.iter().any(|n| n.starts_with("transparency log: 1 entry verified")), "{notes:?}");
    }

    #[test]
    fn key_bundle_without_log_entries_is_accepted_and_reported() {
        let w = world();
        let mut b = w.bundle.clone();
        b["verificationMaterial"]["tlogEntries"] = json!([]);
        let (_, _, notes) = check(&w, &b).expect("accepted on the key");
        assert!(notes.iter().any(|n| n.starts_with("transparency log: none in the bundle")), "{notes:?}");
    }

    #[test]
    fn key_bundle_with_a_tampered_inclusion_proof_is_refused() {
        let w = world();
        let mut b = w.bundle.clone();
        let proof = &mut b["verificationMaterial"]["tlogEntries"][0]["inclusionProof"];
        let mut h = B64.decode(proof["hashes"][0].as_str().expect("hash")).expect("b64");
        h[0] ^= 1;
        proof["hashes"][0] = B64.encode(&h).into();
        let reason = check(&w, &b).expect_err("forged inclusion proof must be refused");
        assert!(reason.starts_with("no trusted signer verified it"), "{reason}");
    }

    #[test]
    fn key_bundle_with_an_entry_from_an_untrusted_log_is_refused() {
        let w = world();
        let forger = TestLog::new("test.rekor.local");
        let mut b = w.bundle.clone();
        let entry = &b["verificationMaterial"]["tlogEntries"][0];
        let body = B64.decode(entry["canonicalizedBody"].as_str().expect("body")).expect("b64");
        let time: i64 = entry["integratedTime"].as_str().expect("time").parse().expect("int");
        b["verificationMaterial"]["tlogEntries"][0] = forger.entry("dsse", "0.0.1", &body, time);
        check(&w, &b).expect_err("an entry from a log the root does not trust must be refused");
        // The genuine log's entry still verifies.
        assert!(check(&w, &w.bundle).is_ok());
    }

    #[test]
    fn key_bundle_signed_by_another_key_or_about_another_subject_is_refused() {
        let w = world();
        let other = SigningKey::generate(GenerateAlgorithm::EcdsaP256).expect("key");
        let reason =
            check_json(&w.bundle, &trust(&w, other.public_key()), SUBJECT).expect_err("another key must be refused");
        assert!(reason.starts_with("no trusted signer verified it"), "{reason}");
        check_json(&w.bundle, &trust(&w, w.key.public_key()), [8u8; 32]).expect_err("another subject must be refused");
    }

    /// A legacy `.att` layer item (DSSE envelope blob) with `annotations`.
    fn att_item(envelope: &[u8], annotations: BTreeMap<String, String>) -> AttachedItem {
        let mut layer = chainseal_oci::manifest::Descriptor::for_bytes(media_type::DSSE_ENVELOPE, envelope);
        layer.annotations = Some(annotations);
        AttachedItem {
            kind: ItemKind::Attestation,
            via: "tag",
            location: "sha256-0707.att".into(),
            digest: layer.digest.to_string(),
            artifact_type: None,
            predicate_type: None,
            layer,
        }
    }

    /// The world's statement as a key-signed legacy `.att` envelope, and annotations carrying a
    /// Rekor bundle (SET) by `log` for its `dsse` entry.
    fn key_att(w: &World, log: &TestLog) -> (Vec<u8>, BTreeMap<String, String>) {
        let envelope = w.bundle["dsseEnvelope"].to_string().into_bytes();
        let sig = B64.decode(w.bundle["dsseEnvelope"]["signatures"][0]["sig"].as_str().expect("sig")).expect("b64");
        let body = testkit::dsse_body(&envelope, w.statement.as_bytes(), &sig, &w.key.public_key().to_pem());
        let time = jiff::Timestamp::now().as_second() - 60;
        let ann = BTreeMap::from([
            ("dev.cosignproject.cosign/signature".to_owned(), String::new()),
            ("dev.sigstore.cosign/bundle".to_owned(), log.rekor_bundle_annotation(&body, time)),
            ("predicateType".to_owned(), "https://cyclonedx.org/bom".to_owned()),
        ]);
        (envelope, ann)
    }

    #[test]
    fn legacy_key_att_with_a_set_verifies_it_and_without_one_is_reported() {
        let w = world();
        let t = trust(&w, w.key.public_key());
        let (env, ann) = key_att(&w, &w.log);
        let (payload, signers, notes) = check_signature(&att_item(&env, ann.clone()), &env, &t, SUBJECT).expect("ok");
        assert_eq!(payload, w.statement.as_bytes());
        assert_eq!(signers, vec![0]);
        assert!(notes.iter().any(|n| n.starts_with("transparency log: 1 entry verified")), "{notes:?}");

        let mut bare = ann.clone();
        bare.remove("dev.sigstore.cosign/bundle");
        let (_, _, notes) = check_signature(&att_item(&env, bare), &env, &t, SUBJECT).expect("accepted on the key");
        assert!(notes.iter().any(|n| n.starts_with("transparency log: none in the bundle")), "{notes:?}");

        // Another subject, another key.
        check_signature(&att_item(&env, ann.clone()), &env, &t, [8u8; 32]).expect_err("another image");
        let other = SigningKey::generate(GenerateAlgorithm::EcdsaP256).expect("key");
        check_signature(&att_item(&env, ann), &env, &trust(&w, other.public_key()), SUBJECT).expect_err("another key");
    }

    #[test]
    fn legacy_key_att_with_an_intoto_entry_set_verifies() {
        // cosign `attest --rekor-entry-type intoto` (and cosign before 2.2) logs intoto 0.0.2.
        let w = world();
        let (env, mut ann) = key_att(&w, &w.log);
        let sig = B64.decode(w.bundle["dsseEnvelope"]["signatures"][0]["sig"].as_str().expect("sig")).expect("b64");
        let sha = |b: &[u8]| hex::encode(sha2::Sha256::digest(b));
        let body = json!({
            "apiVersion": "0.0.2",
            "kind": "intoto",
            "spec": {"content": {
                "envelope": {"payloadType": INTOTO_PAYLOAD_TYPE, "signatures": [{
                    "sig": B64.encode(B64.encode(&sig)),
                    "publicKey": B64.encode(w.key.public_key().to_pem())
                }]},
                "hash": {"algorithm": "sha256", "value": sha(&env)},
                "payloadHash": {"algorithm": "sha256", "value": sha(w.statement.as_bytes())}
            }}
        })
        .to_string();
        let time = jiff::Timestamp::now().as_second() - 60;
        ann.insert("dev.sigstore.cosign/bundle".into(), w.log.rekor_bundle_annotation(body.as_bytes(), time));
        let t = trust(&w, w.key.public_key());
        let (_, _, notes) = check_signature(&att_item(&env, ann.clone()), &env, &t, SUBJECT).expect("ok");
        assert!(notes.iter().any(|n| n.starts_with("transparency log: 1 entry verified")), "{notes:?}");
        // Another key is refused.
        let other = SigningKey::generate(GenerateAlgorithm::EcdsaP256).expect("key");
        check_signature(&att_item(&env, ann), &env, &trust(&w, other.public_key()), SUBJECT).expect_err("other key");
    }

    #[test]
    fn legacy_key_att_with_a_forged_set_is_refused() {
        let w = world();
        let t = trust(&w, w.key.public_key());
        // A SET by a log the trusted root does not know (same name).
        let (env, ann) = key_att(&w, &TestLog::new("test.rekor.local"));
        let reason = check_signature(&att_item(&env, ann), &env, &t, SUBJECT).expect_err("untrusted log");
        assert!(reason.starts_with("no trusted signer verified it"), "{reason}");
        // A SET whose signature is altered.
        let (env, mut ann) = key_att(&w, &w.log);
        let mut rb: Value = serde_json::from_str(&ann["dev.sigstore.cosign/bundle"]).expect("json");
        let mut set = B64.decode(rb["SignedEntryTimestamp"].as_str().expect("set")).expect("b64");
        let last = set.len() - 1;
        set[last] ^= 1;
        rb["SignedEntryTimestamp"] = B64.encode(&set).into();
        ann.insert("dev.sigstore.cosign/bundle".into(), rb.to_string());
        check_signature(&att_item(&env, ann.clone()), &env, &t, SUBJECT).expect_err("altered SET");
        // A different integrated time than the one the SET signed.
        let mut rb: Value = serde_json::from_str(&key_att(&w, &w.log).1["dev.sigstore.cosign/bundle"]).expect("json");
        rb["Payload"]["integratedTime"] = (rb["Payload"]["integratedTime"].as_i64().expect("time") - 10).into();
        ann.insert("dev.sigstore.cosign/bundle".into(), rb.to_string());
        check_signature(&att_item(&env, ann.clone()), &env, &t, SUBJECT).expect_err("altered entry time");
        // A logged entry for another statement (the log entry does not match the envelope).
        let mut other = w.bundle["dsseEnvelope"].clone();
        other["payload"] = B64.encode(format!("{} ", w.statement)).into();
        let (_, ann) = key_att(&w, &w.log);
        let stale = other.to_string().into_bytes();
        check_signature(&att_item(&stale, ann), &stale, &t, SUBJECT).expect_err("tampered payload");
        // An envelope with two signatures is not a valid bundle envelope.
        let (env, ann) = key_att(&w, &w.log);
        let mut two: Value = serde_json::from_slice(&env).expect("json");
        let first = two["signatures"][0].clone();
        two["signatures"].as_array_mut().expect("array").push(first);
        let two = two.to_string().into_bytes();
        let reason = check_signature(&att_item(&two, ann), &two, &t, SUBJECT).expect_err("two signatures");
        assert!(reason.contains("exactly one"), "{reason}");
    }

    #[test]
    fn legacy_keyless_att_verifies_with_certificate_and_set_and_forgeries_are_refused() {
        use chainseal_sign::policy::Matcher;
        use chainseal_sign::testkit::{TestCa, TestCt};
        const SAN: &str = "https://github.com/acme/app/.github/workflows/release.yml@refs/heads/main";
        const ISSUER: &str = "https://token.actions.githubusercontent.com";
        let (log, ct) = (TestLog::new("rekor.test"), TestCt::new());
        let root_ca = TestCa::root("test root");
        let inter = root_ca.intermediate("test intermediate");
        let leaf = inter.issue_leaf(SAN, ISSUER, &[], &ct);
        let statement = json!({
            "_type": "https://in-toto.io/Statement/v1",
            "subject": [{"name": "img", "digest": {"sha256": hex::encode(SUBJECT)}}],
            "predicateType": "https://slsa.dev/provenance/v1",
            "predicate": {"buildDefinition": {}}
        })
        .to_string();
        let chain: [&[u8]; 2] = [inter.der(), root_ca.der()];
        let (env, ann) = testkit::keyless_legacy_att(&leaf, &chain, statement.as_bytes(), &log);
        let dir = tempfile::tempdir().expect("tempdir");
        let write = |name: &str, v: Value| {
            let p = dir.path().join(name);
            std::fs::write(&p, v.to_string()).expect("write");
            TrustSource::File(p)
        };
        let good = write(
            "good.json",
            testkit::trusted_root(&[&log], &[TestCa::trusted_root_entry(&[&inter, &root_ca])], &[&ct]),
        );
        let keyless = |san: &str, issuer: &str, root: &TrustSource| {
            let options = VerifyAttestationOptions {
                identity: Some(IdentityPolicy::new(Matcher::exact(san), Matcher::exact(issuer))),
                trust: Some(root.clone()),
                ..Default::default()
            };
            TrustSet::build(&options).expect("trust set")
        };
        let item = att_item(&env, ann.clone());
        let (payload, _, notes) = check_signature(&item, &env, &keyless(SAN, ISSUER, &good), SUBJECT).expect("ok");
        assert_eq!(payload, statement.as_bytes());
        let notes = notes.join("; ");
        assert!(notes.contains("certificate chain to a trusted CA"), "{notes}");
        assert!(notes.contains("SCT verified"), "{notes}");
        assert!(notes.contains("transparency log: 1 entry verified"), "{notes}");

        let refused = |item: &AttachedItem, env: &[u8], t: &TrustSet| {
            check_signature(item, env, t, SUBJECT).expect_err("must be refused")
        };
        let r = refused(&item, &env, &keyless(&SAN.replace("main", "maim"), ISSUER, &good));
        assert!(r.contains("identity"), "{r}");
        refused(&item, &env, &keyless(SAN, "https://accounts.google.com", &good));
        let other_ca = TestCa::root("test root");
        let bad_ca =
            write("ca.json", testkit::trusted_root(&[&log], &[TestCa::trusted_root_entry(&[&other_ca])], &[&ct]));
        let r = refused(&item, &env, &keyless(SAN, ISSUER, &bad_ca));
        assert!(r.contains("certificate chain"), "{r}");
        let chain_entry = TestCa::trusted_root_entry(&[&inter, &root_ca]);
        let bad_log =
            write("log.json", testkit::trusted_root(&[&TestLog::new("rekor.test")], &[chain_entry.clone()], &[&ct]));
        refused(&item, &env, &keyless(SAN, ISSUER, &bad_log));
        let bad_ct = write("ct.json", testkit::trusted_root(&[&log], &[chain_entry], &[&TestCt::new()]));
        refused(&item, &env, &keyless(SAN, ISSUER, &bad_ct));
        // No SET: no verified time, keyless never skips the log.
        let mut no_set = ann.clone();
        no_set.remove("dev.sigstore.cosign/bundle");
        refused(&att_item(&env, no_set.clone()), &env, &keyless(SAN, ISSUER, &good));
        // A key where an identity is needed.
        let r = refused(&item, &env, &trust(&world(), world().key.public_key()));
        assert!(r.contains("keyless"), "{r}");
    }
}
