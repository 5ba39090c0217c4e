//! `chainseal verify IMAGE`: find every cosign signature of an image (OCI referrers, the
//! `sha256-<hex>` fallback index, the legacy `sha256-<hex>.sig` tag) and check each one with
//! **one** verifier, [`chainseal_sign::verify::BundleVerifier`], against a managed key or a
//! keyless identity, then that the signed payload names this exact manifest digest and carries
//! the required annotations.
//!
//! - v3 bundle referrers are verified as the bundles they are: signature, and every
//!   transparency-log entry, timestamp and certificate they carry.
//! - legacy `.sig` layers are first turned into the bundle their annotations amount to
//!   ([`chainseal_sign::bundle::legacy`]: leaf + intermediates, SET from the Rekor bundle
//!   annotation, RFC 3161 timestamp, message signature over the payload), then verified the same
//!   way, then the simple-signing payload must name this digest.
//!
//! A registry error is an error (exit 2), never "no signatures": the referrers listing and the
//! `.sig` lookup only count as empty on a definite "not found". Every refusal names the failed
//! step in one line.

use std::collections::BTreeMap;

use chainseal_oci::manifest::{Descriptor, Manifest};
use chainseal_oci::registry::RegistryConfig;
use chainseal_oci::{Digest, SourceSpec, media_type};
use chainseal_sign::bundle::legacy::{LegacyAnnotations, bundle_from_legacy};
use chainseal_sign::bundle::{BundleLimits, SignatureContent, parse_bundle};
use chainseal_sign::dsse::INTOTO_PAYLOAD_TYPE;
use chainseal_sign::intoto::{COSIGN_SIGN_PREDICATE_TYPE, Statement};
use chainseal_sign::keys::PublicKey;
use chainseal_sign::policy::{KeyPolicy, Policy};
use chainseal_sign::simple_signing::{self, SIMPLE_SIGNING_MEDIA_TYPE, SimpleSigning};
use chainseal_sign::trust::{TrustRoot, TrustSource};
use chainseal_sign::verify::{ArtifactInput, BundleVerifier, Signer, Verified};

use crate::error::{Error, Result};
use crate::sign_image::{Target, resolve, sha256_hex};
use crate::verify_blob::{IdentitySpec, checks_performed};

/// Largest signature blob (bundle or payload) read.
const MAX_SIGNATURE_BLOB: u64 = 16 * 1024 * 1024;

/// Who must have signed the image.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum ImageSigner {
    /// A managed key (`--key`). Log entries that signatures carry are verified; signatures
    /// without any are accepted on the key and the report says so.
    Key(PublicKey),
    /// A keyless identity (`--certificate-identity[-regexp]`, `--certificate-oidc-issuer[-regexp]`,
    /// optional Fulcio extension claims): certificate chain, SCT, verified time and log entry.
    Identity(IdentitySpec),
}

/// Options of [`verify_image`].
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct VerifyImageOptions {
    /// `-a key=value` pairs every accepted signature must carry.
    pub annotations: BTreeMap<String, String>,
    /// Registry settings.
    pub registry: RegistryConfig,
    /// Trusted root for log entries, timestamps and certificates; `None` is the embedded
    /// production root (never the network).
    pub trust: Option<TrustSource>,
}

/// A signature that verified.
#[derive(Debug, Clone, serde::Serialize)]
#[non_exhaustive]
pub struct VerifiedSignature {
    /// `bundle` (cosign v3 referrer) or `simple-signing` (legacy `.sig` layer).
    pub kind: &'static str,
    /// Where it was found: referrer manifest digest, or `<tag>#<layer digest>`.
    pub found_at: String,
    /// The verified payload (in-toto Statement or simple-signing JSON), parsed.
    pub payload: serde_json::Value,
    /// `key`, or the certificate identity (SAN) that matched.
    pub signer: String,
    /// Transparency-log entries verified for this signature (0: key-signed, not logged).
    pub tlog_entries: usize,
}

/// A signature that was found and refused.
#[derive(Debug, Clone, serde::Serialize)]
#[non_exhaustive]
pub struct RejectedSignature {
    /// Where it was found.
    pub found_at: String,
    /// Why it was refused (one line, naming the failed step).
    pub reason: String,
}

/// The outcome of [`verify_image`].
#[derive(Debug, Clone, Default, serde::Serialize)]
#[non_exhaustive]
pub struct VerifyImageReport {
    /// The manifest digest verified.
    pub digest: String,
    /// Signatures that verified.
    pub verified: Vec<VerifiedSignature>,
    /// Signatures found and refused, with the reason.
    pub rejected: Vec<RejectedSignature>,
    /// What was looked at and checked, for stderr.
    pub checks: Vec<String>,
    /// Warnings for stderr.
    pub warnings: Vec<String>,
}

/// Verify an image's signatures with `key` (blocking).
pub fn verify_image(input: &str, key: &PublicKey, options: &VerifyImageOptions) -> Result<VerifyImageReport> {
    verify_image_as(input, &ImageSigner::Key(key.clone()), options)
}

/// Verify an image's signatures with `key`. `Ok` with an empty `verified` list means no
/// signature verified (exit 1); `Err` means the lookup itself failed (exit 2).
pub async fn verify_image_async(
    input: &str,
    key: &PublicKey,
    options: &VerifyImageOptions,
) -> Result<VerifyImageReport> {
    verify_image_as_async(input, &ImageSigner::Key(key.clone()), options).await
}

/// Verify an image's signatures against `signer` (a key or a keyless identity), blocking.
pub fn verify_image_as(input: &str, signer: &ImageSigner, options: &VerifyImageOptions) -> Result<VerifyImageReport> {
    crate::sign::runtime()?.block_on(verify_image_as_async(input, signer, options))
}

/// Build the one verifier used for every signature of an image.
pub fn image_verifier(signer: &ImageSigner, trust: Option<&TrustSource>) -> Result<BundleVerifier> {
    let policy = match signer {
        ImageSigner::Key(key) => Policy::Key(KeyPolicy::from_der(key.spki_der())?),
        ImageSigner::Identity(spec) => Policy::Identity(spec.to_policy()?),
    };
    let root = TrustRoot::load(trust.unwrap_or(&TrustSource::Production))?;
    Ok(BundleVerifier::builder().trust_root(root).policy(policy).build()?)
}

/// Verify an image's signatures against `signer`. `Ok` with an empty `verified` list means no
/// signature verified (exit 1); `Err` means the lookup itself (or the trust setup) failed
/// (exit 2).
pub async fn verify_image_as_async(
    input: &str,
    signer: &ImageSigner,
    options: &VerifyImageOptions,
) -> Result<VerifyImageReport> {
    let verifier = image_verifier(signer, options.trust.as_ref())?;
    let spec = SourceSpec::parse(input)?;
    let target = Target::open(&spec, &options.registry).await?;
    verify_target(input, &spec, &target, &verifier, signer_key(signer), options).await
}

fn signer_key(signer: &ImageSigner) -> Option<&PublicKey> {
    match signer {
        ImageSigner::Key(k) => Some(k),
        ImageSigner::Identity(_) => None,
    }
}

/// How many images [`verify_images`] checks at once unless told otherwise.
pub const DEFAULT_IMAGE_PARALLELISM: usize = 16;

/// The outcome for one image of [`verify_images`].
#[derive(Debug)]
#[non_exhaustive]
pub struct ImageOutcome {
    /// The image as given.
    pub image: String,
    /// The report (`verified` empty: no signature verified), or why the image could not be
    /// checked (lookup or registry failure, bad reference).
    pub result: Result<VerifyImageReport>,
}

impl ImageOutcome {
    /// At least one signature of this image verified.
    pub fn is_verified(&self) -> bool {
        self.result.as_ref().is_ok_and(|r| !r.verified.is_empty())
    }
}

/// Verify several images against one `signer` (blocking); see [`verify_images_async`].
pub fn verify_images(
    inputs: &[String],
    signer: &ImageSigner,
    options: &VerifyImageOptions,
    parallelism: usize,
) -> Result<Vec<ImageOutcome>> {
    crate::sign::runtime()?.block_on(verify_images_async(inputs, signer, options, parallelism))
}

/// Verify several images against one `signer`: one verifier (trusted root loaded once), one
/// registry client shared by all (connections and tokens reused), at most `parallelism` images
/// in flight (0 means [`DEFAULT_IMAGE_PARALLELISM`]). Outcomes come back in input order, one
/// per image; one image's failure does not stop the others. `Err` only when the verifier
/// itself cannot be built (trust root, key).
pub async fn verify_images_async(
    inputs: &[String],
    signer: &ImageSigner,
    options: &VerifyImageOptions,
    parallelism: usize,
) -> Result<Vec<ImageOutcome>> {
    use futures_util::StreamExt as _;
    let verifier = image_verifier(signer, options.trust.as_ref())?;
    let client = chainseal_oci::registry::RegistryClient::new(options.registry.clone())?;
    let limit = if parallelism == 0 { DEFAULT_IMAGE_PARALLELISM } else { parallelism };
    let (verifier, client) = (&verifier, &client);
    let outcomes = futures_util::stream::iter(inputs.iter().map(|input| async move {
        let result = async {
            let spec = SourceSpec::parse(input)?;
            let target = Target::open_shared(&spec, client).await?;
            verify_target(input, &spec, &target, verifier, signer_key(signer), options).await
        }
        .await;
        ImageOutcome { image: input.clone(), result }
    }))
    .buffered(limit)
    .collect::<Vec<_>>()
    .await;
    Ok(outcomes)
}

/// Verify the signatures of the image `input` (parsed as `spec`, opened as `target`).
async fn verify_target(
    input: &str,
    spec: &SourceSpec,
    target: &Target,
    verifier: &BundleVerifier,
    key: Option<&PublicKey>,
    options: &VerifyImageOptions,
) -> Result<VerifyImageReport> {
    // A digest names what is verified; like cosign, do not fetch its manifest (a mirror may
    // carry only the signatures). A tag is resolved first, with a warning.
    let (digest, warning) = match spec.selector().parse::<Digest>() {
        Ok(digest) => (digest, None),
        Err(_) => {
            let resolved = resolve(spec, target, input).await?;
            (resolved.top.digest, resolved.warning)
        }
    };
    let hex = sha256_hex(&digest)?.to_owned();
    let mut raw_digest = [0u8; 32];
    hex::decode_to_slice(&hex, &mut raw_digest)
        .map_err(|_| Error::InvalidInput(format!("{digest} is not a SHA-256 digest")))?;
    let mut report = VerifyImageReport { digest: digest.to_string(), ..Default::default() };
    report.warnings.extend(warning);
    report.checks.push(format!("trusted root: {}", verifier.trust_root().origin()));
    let source = target.source();

    // 1. OCI referrers (native API or fallback index; the registry layer decides).
    let referrers = source.referrers(&digest, None).await?;
    report.checks.push(format!("referrers of {digest}: {} found ({})", referrers.manifests.len(), source.describe()));
    for entry in &referrers.manifests {
        // Decide from the manifest itself, never from the listing's artifactType/annotations.
        let raw = source.manifest(&entry.digest.to_string()).await?;
        let Manifest::Image(m) = raw.parse()? else { continue };
        if m.subject.as_ref().is_none_or(|s| s.digest != digest) {
            report.rejected.push(RejectedSignature {
                found_at: entry.digest.to_string(),
                reason: "listed as a referrer but its subject is another manifest".into(),
            });
            continue;
        }
        let Some(layer) = m.layers.first() else { continue };
        if !layer.media_type.starts_with("application/vnd.dev.sigstore.bundle") {
            report
                .checks
                .push(format!("referrer {}: not a Sigstore bundle ({}), skipped", entry.digest, layer.media_type));
            continue;
        }
        let found_at = entry.digest.to_string();
        let bytes = source.blob_bytes(layer, MAX_SIGNATURE_BLOB).await?;
        match check_bundle(verifier, &bytes, raw_digest, &hex, &options.annotations) {
            Ok((verified, payload)) => {
                let mut lines = checks_performed(&verified);
                lines.push(format!(
                    "Statement names sha256:{hex}; predicateType {COSIGN_SIGN_PREDICATE_TYPE}; {} required \
                     annotation(s) present",
                    options.annotations.len()
                ));
                report.checks.push(format!("referrer {found_at}: {}", lines.join("; ")));
                report.verified.push(signature("bundle", found_at, payload, &verified));
            }
            Err(reason) => report.rejected.push(RejectedSignature { found_at, reason }),
        }
    }

    // 2. The legacy `.sig` tag.
    let tag = digest.cosign_tag("sig");
    match source.manifest(&tag).await {
        Ok(raw) => {
            let Manifest::Image(m) = raw.parse()? else {
                return Err(Error::InvalidInput(format!("{tag} is an index, not a signature image")));
            };
            report.checks.push(format!("tag {tag}: {} layer(s)", m.layers.len()));
            for layer in &m.layers {
                let found_at = format!("{tag}#{}", layer.digest);
                if layer.media_type != SIMPLE_SIGNING_MEDIA_TYPE {
                    report.rejected.push(RejectedSignature {
                        found_at,
                        reason: format!("layer media type {} is not simple signing", layer.media_type),
                    });
                    continue;
                }
                let payload = source.blob_bytes(layer, MAX_SIGNATURE_BLOB).await?;
                match check_simple_signing(verifier, key, layer, &payload, &digest, &options.annotations) {
                    Ok((verified, value)) => {
                        let mut lines = checks_performed(&verified);
                        if key.is_some() && layer.annotation(media_type::ANNOTATION_COSIGN_CERTIFICATE).is_some() {
                            lines.push(
                                "layer carries a certificate: it holds the given key and is valid now; its log \
                                 entry/timestamp were not checked (signature checked with the key)"
                                    .into(),
                            );
                        }
                        lines.push(format!(
                            "payload names {digest}; {} required annotation(s) present",
                            options.annotations.len()
                        ));
                        report.checks.push(format!("{found_at}: {}", lines.join("; ")));
                        report.verified.push(signature("simple-signing", found_at, value, &verified));
                    }
                    Err(reason) => report.rejected.push(RejectedSignature { found_at, reason }),
                }
            }
        }
        Err(chainseal_oci::Error::NotFound(_)) => report.checks.push(format!("tag {tag}: none")),
        Err(e) => return Err(e.into()),
    }
    Ok(report)
}

fn signature(kind: &'static str, found_at: String, payload: serde_json::Value, v: &Verified) -> VerifiedSignature {
    let signer = match &v.signer {
        Signer::Certificate(id) => id.san.clone(),
        _ => "key".to_owned(),
    };
    VerifiedSignature { kind, found_at, payload, signer, tlog_entries: v.tlog_entries }
}

/// Check one bundle referrer; the error is the one-line reason shown to the user.
fn check_bundle(
    verifier: &BundleVerifier,
    bytes: &[u8],
    raw_digest: [u8; 32],
    hex: &str,
    required: &BTreeMap<String, String>,
) -> std::result::Result<(Verified, serde_json::Value), String> {
    let bundle = parse_bundle(bytes, &BundleLimits::default()).map_err(|e| e.to_string())?;
    // Signature, certificate, SCT, times, log entries, and (DSSE) the in-toto subject binding.
    let verified = verifier.verify(ArtifactInput::Sha256(raw_digest), &bundle).map_err(|e| e.to_string())?;
    let SignatureContent::DsseEnvelope(env) = &bundle.content else {
        // A message signature over the manifest digest: verified, but it carries no payload and
        // so no annotations.
        if !required.is_empty() {
            return Err("a message-signature bundle carries no annotations; the required ones are missing".into());
        }
        return Ok((verified, serde_json::json!({"messageSignature": format!("sha256:{hex}")})));
    };
    if env.payload_type != INTOTO_PAYLOAD_TYPE {
        return Err(format!("DSSE payloadType is {}, not {INTOTO_PAYLOAD_TYPE}", env.payload_type));
    }
    let payload = env.payload.as_bytes();
    let statement = Statement::parse(payload).map_err(|e| e.to_string())?;
    if statement.predicate_type != COSIGN_SIGN_PREDICATE_TYPE {
        return Err(format!("predicateType is {} (an attestation, not a signature)", statement.predicate_type));
    }
    let subjects: Vec<_> = statement.subjects_matching("sha256", hex).collect();
    if subjects.is_empty() {
        return Err(format!("the signed Statement does not name sha256:{hex} (signature for another image)"));
    }
    if !subjects.iter().any(|s| simple_signing::check_annotations(s.annotations.as_ref(), required).is_ok()) {
        let first = subjects[0];
        return Err(simple_signing::check_annotations(first.annotations.as_ref(), required)
            .err()
            .map(|e| e.to_string())
            .unwrap_or_else(|| "required annotations missing".into()));
    }
    let value = serde_json::from_slice(payload).map_err(|e| e.to_string())?;
    Ok((verified, value))
}

/// Check one legacy `.sig` layer: its annotations as a bundle through the verifier, then the
/// simple-signing payload against this digest and the required annotations.
///
/// With a managed key (`key`), a layer that carries a certificate (keyless or certificate
/// signing) is checked as cosign `verify --key --insecure-ignore-tlog` checks it: the signature
/// with the given key, the certificate not validated against a CA but required to be valid now.
/// chainseal also requires the certificate to hold the given key, so a layer never verifies
/// under a key its certificate does not name. Its log entry is not checked (not needed for the
/// key decision; the report shows 0 log entries).
fn check_simple_signing(
    verifier: &BundleVerifier,
    key: Option<&PublicKey>,
    layer: &Descriptor,
    payload: &[u8],
    digest: &Digest,
    required: &BTreeMap<String, String>,
) -> std::result::Result<(Verified, serde_json::Value), String> {
    let sig = layer
        .annotation(media_type::ANNOTATION_COSIGN_SIGNATURE)
        .filter(|s| !s.is_empty())
        .ok_or_else(|| "layer has no dev.cosignproject.cosign/signature annotation".to_string())?;
    let mut ann = LegacyAnnotations::new(sig);
    ann.certificate = layer.annotation(media_type::ANNOTATION_COSIGN_CERTIFICATE).filter(|c| !c.trim().is_empty());
    ann.chain = layer.annotation(media_type::ANNOTATION_COSIGN_CHAIN);
    ann.rekor_bundle = layer.annotation(media_type::ANNOTATION_COSIGN_BUNDLE);
    ann.rfc3161_timestamp = layer.annotation(media_type::ANNOTATION_COSIGN_RFC3161);
    let certificate = match (key, ann.certificate) {
        (Some(key), Some(pem)) => {
            let cert = certificate_for_key(pem, key)?;
            // The layer's log entry and timestamp name the certificate, which sigstore-verify's
            // key path cannot read; they are not needed for the key decision and are left
            // unchecked (the check line says so), like cosign --insecure-ignore-tlog.
            ann.certificate = None;
            ann.chain = None;
            ann.rekor_bundle = None;
            ann.rfc3161_timestamp = None;
            Some(cert)
        }
        _ => None,
    };
    let bundle = bundle_from_legacy(payload, &ann).map_err(|e| e.to_string())?;
    let verified = verifier.verify(ArtifactInput::Bytes(payload), &bundle).map_err(|e| e.to_string())?;
    if let Some(cert) = certificate {
        check_validity(&cert, &verified.verified_times)?;
    }
    let parsed = SimpleSigning::parse(payload).map_err(|e| e.to_string())?;
    parsed.check(&digest.to_string(), required).map_err(|e| e.to_string())?;
    let value = serde_json::from_slice(payload).map_err(|e| e.to_string())?;
    Ok((verified, value))
}

/// The layer's PEM leaf certificate, which must hold `key`.
fn certificate_for_key(pem: &str, key: &PublicKey) -> std::result::Result<x509_cert::Certificate, String> {
    use x509_cert::der::{Decode as _, Encode as _};
    let block = ::pem::parse(pem.trim()).map_err(|e| format!("dev.sigstore.cosign/certificate is not PEM ({e})"))?;
    let cert = x509_cert::Certificate::from_der(block.contents())
        .map_err(|e| format!("dev.sigstore.cosign/certificate does not parse ({e})"))?;
    let spki = cert
        .tbs_certificate
        .subject_public_key_info
        .to_der()
        .map_err(|e| format!("dev.sigstore.cosign/certificate: unreadable public key ({e})"))?;
    if spki != key.spki_der() {
        return Err("the layer's certificate holds another key than the one given with --key (signed by \
                    someone else; verify it with an identity instead)"
            .into());
    }
    Ok(cert)
}

/// cosign's `CheckExpiry`: the certificate must be valid at every verified signing time, or
/// now when there is none.
fn check_validity(cert: &x509_cert::Certificate, times: &[jiff::Timestamp]) -> std::result::Result<(), String> {
    let validity = &cert.tbs_certificate.validity;
    let secs = |t: x509_cert::time::Time| t.to_unix_duration().as_secs() as i64;
    let (not_before, not_after) = (secs(validity.not_before), secs(validity.not_after));
    let now = [jiff::Timestamp::now()];
    let (times, what) = if times.is_empty() { (&now[..], "now") } else { (times, "at the verified signing time") };
    for t in times {
        let t = t.as_second();
        if t < not_before || t > not_after {
            return Err(format!(
                "the layer's certificate is not valid {what} (valid {} to {}); cosign refuses it too",
                validity.not_before, validity.not_after
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    //! Legacy `.sig` layers that carry a certificate, verified with `--key` (cosign's rule):
    //! accepted when the certificate holds the given key and the signature verifies with it,
    //! refused otherwise.
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use chainseal_sign::testkit::{self, TestCa, TestCt, TestLeaf, TestLog};
    use x509_cert::der::{Decode as _, Encode as _};

    use super::*;

    const DIGEST: &str = "sha256:0101010101010101010101010101010101010101010101010101010101010101";

    struct World {
        leaf: TestLeaf,
        ca: TestCa,
        log: TestLog,
        payload: Vec<u8>,
        _dir: tempfile::TempDir,
        root: std::path::PathBuf,
    }

    fn world() -> World {
        let ca = TestCa::root("test fulcio");
        let ct = TestCt::new();
        let leaf = ca.issue_leaf(
            "https://github.com/acme/app/.github/workflows/release.yml@refs/heads/main",
            "https://token.actions.githubusercontent.com",
            &[],
            &ct,
        );
        let log = TestLog::new("test.rekor.local");
        let payload = SimpleSigning::new("registry.test/acme/app", DIGEST.to_string(), &BTreeMap::new()).to_bytes();
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("trusted_root.json");
        let root_doc = testkit::trusted_root(&[&log], &[TestCa::trusted_root_entry(&[&ca])], &[&ct]);
        std::fs::write(&root, root_doc.to_string()).unwrap();
        World { leaf, ca, log, payload, _dir: dir, root }
    }

    fn leaf_key(leaf: &TestLeaf) -> PublicKey {
        let cert = x509_cert::Certificate::from_der(&leaf.der).unwrap();
        PublicKey::from_spki_der(&cert.tbs_certificate.subject_public_key_info.to_der().unwrap()).unwrap()
    }

    fn layer(payload: &[u8], annotations: BTreeMap<String, String>) -> Descriptor {
        let mut d = Descriptor::for_bytes(SIMPLE_SIGNING_MEDIA_TYPE, payload);
        d.annotations = Some(annotations);
        d
    }

    fn check(w: &World, key: &PublicKey, layer: &Descriptor) -> std::result::Result<Verified, String> {
        let verifier =
            image_verifier(&ImageSigner::Key(key.clone()), Some(&TrustSource::File(w.root.clone()))).unwrap();
        let digest: Digest = DIGEST.parse().unwrap();
        check_simple_signing(&verifier, Some(key), layer, &w.payload, &digest, &BTreeMap::new()).map(|(v, _)| v)
    }

    #[test]
    fn keyless_layer_verifies_with_the_certificates_key() {
        let w = world();
        let ann = testkit::keyless_legacy_annotations(&w.leaf, &[w.ca.der()], &w.payload, &w.log);
        let v = check(&w, &leaf_key(&w.leaf), &layer(&w.payload, ann.clone())).expect("the certificate's key verifies");
        assert!(matches!(v.signer, Signer::Key));
        assert_eq!(v.tlog_entries, 0, "the entry names the certificate and is not part of the key decision");
        // Without the Rekor bundle (cosign --tlog-upload=false): checked against now.
        let mut no_log = ann;
        no_log.remove(media_type::ANNOTATION_COSIGN_BUNDLE);
        let v = check(&w, &leaf_key(&w.leaf), &layer(&w.payload, no_log)).expect("no log entry");
        assert_eq!(v.tlog_entries, 0);
    }

    #[test]
    fn keyless_layer_is_refused_with_another_key() {
        let w = world();
        let ann = testkit::keyless_legacy_annotations(&w.leaf, &[w.ca.der()], &w.payload, &w.log);
        let other =
            chainseal_sign::keys::SigningKey::generate(chainseal_sign::keys::GenerateAlgorithm::EcdsaP256).unwrap();
        let err = check(&w, other.public_key(), &layer(&w.payload, ann)).unwrap_err();
        assert!(err.contains("another key"), "{err}");
    }

    #[test]
    fn keyless_layer_with_a_foreign_signature_is_refused_even_with_the_certificates_key() {
        let w = world();
        let mut ann = testkit::keyless_legacy_annotations(&w.leaf, &[w.ca.der()], &w.payload, &w.log);
        ann.remove(media_type::ANNOTATION_COSIGN_BUNDLE);
        // The signature of another payload.
        let forged = testkit::sign(&w.leaf.signer, b"another payload");
        ann.insert(
            media_type::ANNOTATION_COSIGN_SIGNATURE.to_string(),
            base64::Engine::encode(&base64::engine::general_purpose::STANDARD, forged),
        );
        let err = check(&w, &leaf_key(&w.leaf), &layer(&w.payload, ann)).unwrap_err();
        assert!(err.contains("signature"), "{err}");
    }

    #[test]
    fn certificate_validity_is_checked_at_the_signing_time() {
        let w = world();
        let cert = x509_cert::Certificate::from_der(&w.leaf.der).unwrap();
        assert!(check_validity(&cert, &[]).is_ok());
        let long_ago = jiff::Timestamp::from_second(1_000_000_000).unwrap();
        let err = check_validity(&cert, &[long_ago]).unwrap_err();
        assert!(err.contains("not valid"), "{err}");
    }
}
