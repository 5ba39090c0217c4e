//! `chainseal sign --key K IMAGE`: key-based image signatures stored the way cosign stores them.
//!
//! - [`SignFormat::Bundle`] (default, cosign v3): DSSE over an in-toto Statement v1
//!   (`https://sigstore.dev/cosign/sign/v1`) in a Sigstore bundle v0.3, pushed as an OCI 1.1
//!   referrer of the signed manifest (the registry layer keeps the `sha256-<hex>` fallback index
//!   where there is no referrers API).
//! - [`SignFormat::Legacy`] (cosign v2): the simple-signing payload as one layer of the
//!   `sha256-<hex>.sig` image, signature in `dev.cosignproject.cosign/signature`;
//!   read-modify-write with de-duplication, and a re-read after each write so a concurrent
//!   writer that dropped our layer is noticed and the write retried.
//!
//! Payloads are built by chainseal-sign; storage is here (chainseal-sign never knows about OCI).

use std::collections::BTreeMap;

use base64::Engine as _;
use chainseal_oci::manifest::{Descriptor, ImageManifest, Manifest, RawManifest};
use chainseal_oci::media_type;
use chainseal_oci::registry::{self, RegistryConfig};
use chainseal_oci::source::{ContentSink, ContentSource};
use chainseal_oci::{Digest, OciLayout, SourceSpec};
use chainseal_sign::bundle_write;
use chainseal_sign::dsse::{Envelope, INTOTO_PAYLOAD_TYPE};
use chainseal_sign::intoto::{COSIGN_SIGN_PREDICATE_TYPE, Statement};
use chainseal_sign::keys::SigningKey;
use chainseal_sign::simple_signing::{SIMPLE_SIGNING_MEDIA_TYPE, SimpleSigning};

use crate::error::{Error, Result};

/// Most layers a legacy `.sig` image may hold (cosign's limit).
pub(crate) const MAX_SIG_LAYERS: usize = 1000;
/// Attempts of the legacy read-modify-write when another writer replaces the tag.
pub(crate) const LEGACY_WRITE_ATTEMPTS: u32 = 8;

/// Where signatures go.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum SignFormat {
    /// cosign v3: bundle v0.3 (DSSE + in-toto) as an OCI referrer.
    #[default]
    Bundle,
    /// cosign v2: simple signing in the `sha256-<hex>.sig` tag.
    Legacy,
}

/// Options of [`sign_image`].
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct SignImageOptions {
    /// Storage format.
    pub format: SignFormat,
    /// `-a key=value` annotations (Statement subject annotations, or simple-signing `optional`).
    pub annotations: BTreeMap<String, String>,
    /// Also sign every manifest an index lists.
    pub recursive: bool,
    /// Registry settings.
    pub registry: RegistryConfig,
}

/// One signature written.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[non_exhaustive]
pub struct SignedManifest {
    /// The signed manifest digest.
    pub digest: String,
    /// Where the signature went: the referrer manifest digest, or the `.sig` tag.
    pub stored_at: String,
    /// False when an identical legacy signature was already there (nothing written).
    pub written: bool,
}

/// What [`sign_image`] did.
#[derive(Debug, Clone, Default, serde::Serialize)]
#[non_exhaustive]
pub struct SignImageReport {
    /// Signatures, top manifest first.
    pub signed: Vec<SignedManifest>,
    /// Warnings for stderr (tag resolved to a digest, …).
    pub warnings: Vec<String>,
}

/// A signing/verification target: something that is both a source and a sink.
pub(crate) enum Target {
    Registry(registry::Repository),
    Layout(OciLayout),
}

impl Target {
    pub(crate) async fn open(spec: &SourceSpec, config: &RegistryConfig) -> Result<Target> {
        match spec {
            SourceSpec::Registry(r) => Ok(Target::Registry(registry::open(r, config)?)),
            SourceSpec::OciDir { path, .. } => Ok(Target::Layout(OciLayout::open(path.clone()).await?)),
            _ => {
                Err(Error::InvalidInput("only registry references and oci-dir:PATH layouts can hold signatures".into()))
            }
        }
    }

    /// Like [`Target::open`], but registry references share `client` (its connections, tokens
    /// and settings) instead of each building its own.
    pub(crate) async fn open_shared(spec: &SourceSpec, client: &registry::RegistryClient) -> Result<Target> {
        match spec {
            SourceSpec::Registry(r) => Ok(Target::Registry(client.repository(r))),
            _ => Target::open(spec, client.config()).await,
        }
    }

    pub(crate) fn source(&self) -> &dyn ContentSource {
        match self {
            Target::Registry(r) => r,
            Target::Layout(l) => l,
        }
    }

    pub(crate) fn sink(&self) -> &dyn ContentSink {
        match self {
            Target::Registry(r) => r,
            Target::Layout(l) => l,
        }
    }
}

/// The signed manifest and how we got to it.
pub(crate) struct Resolved {
    pub(crate) top: RawManifest,
    pub(crate) warning: Option<String>,
    pub(crate) docker_reference: String,
}

pub(crate) async fn resolve(spec: &SourceSpec, target: &Target, input: &str) -> Result<Resolved> {
    let selector = spec.selector();
    let top = target.source().manifest(&selector).await?;
    let by_digest = selector.parse::<Digest>().is_ok();
    let warning = (!by_digest).then(|| {
        format!(
            "{input} names a tag; using its current digest {} (name the digest to be sure what \
             you sign or verify)",
            top.digest
        )
    });
    let docker_reference = match spec {
        SourceSpec::Registry(r) => r.cosign_name(),
        SourceSpec::OciDir { path, .. } => path.display().to_string(),
        _ => String::new(),
    };
    Ok(Resolved { top, warning, docker_reference })
}

fn subject_of(raw: &RawManifest) -> Descriptor {
    raw.descriptor()
}

/// Sign an image (blocking).
pub fn sign_image(target: &str, key: &SigningKey, options: &SignImageOptions) -> Result<SignImageReport> {
    crate::sign::runtime()?.block_on(sign_image_async(target, key, options))
}

/// Sign an image.
pub async fn sign_image_async(input: &str, key: &SigningKey, options: &SignImageOptions) -> Result<SignImageReport> {
    let prepared = prepare(input, options).await?;
    sign_prepared(prepared, key, options).await
}

/// Sign an image with the key `load_key` returns, loading it on its own thread while the image
/// is resolved and the registry connection prepared (blocking). Decrypting a cosign key file
/// (scrypt) is the slowest step of signing; this overlaps it with the network round trips that
/// do not need the key. The thread starts before the async runtime, so the decryption starts
/// first. A key error is reported as soon as it happens, before (and instead of) any registry
/// error: the registry work still under way is dropped (an upload session it had opened is
/// left for the registry to expire).
pub fn sign_image_loading_key<F>(input: &str, load_key: F, options: &SignImageOptions) -> Result<SignImageReport>
where
    F: FnOnce() -> Result<SigningKey> + Send + 'static,
{
    let (send_key, mut key_loaded) = tokio::sync::oneshot::channel();
    std::thread::Builder::new()
        .name("load-key".into())
        .spawn(move || {
            // The receiver is gone only if signing already failed; the key is dropped then.
            let _ = send_key.send(load_key());
        })
        .map_err(|e| Error::InvalidInput(format!("could not start a thread to load the signing key: {e}")))?;
    let loaded = |received: std::result::Result<Result<SigningKey>, tokio::sync::oneshot::error::RecvError>| {
        received.map_err(|_| Error::InvalidInput("loading the signing key stopped unexpectedly".into()))?
    };
    crate::sign::runtime()?.block_on(async {
        let preparing = prepare(input, options);
        tokio::pin!(preparing);
        let (prepared, key) = tokio::select! {
            prepared = &mut preparing => match loaded(key_loaded.await) {
                Ok(key) => (prepared?, key),
                Err(e) => {
                    if let Ok(p) = prepared {
                        p.abandon().await;
                    }
                    return Err(e);
                }
            },
            key = &mut key_loaded => {
                let key = loaded(key)?;
                (preparing.await?, key)
            }
        };
        sign_prepared(prepared, &key, options).await
    })
}

/// What signing needs before the key: the opened target and the resolved manifest, and on a
/// registry (bundle format) what can be pushed before the signature exists.
struct Prepared {
    target: Target,
    resolved: Resolved,
    /// An upload session for the first bundle blob, opened while the key was being loaded.
    upload: Option<registry::BlobUpload>,
}

impl Prepared {
    /// Give up what was opened for a signature that will not be made.
    async fn abandon(self) {
        if let (Target::Registry(repo), Some(upload)) = (&self.target, self.upload) {
            repo.cancel_upload(upload).await;
        }
    }
}

/// Open and resolve the target. On a registry (bundle format), also do the key-independent
/// part of the push now, so that only what needs the signature waits for the key: ask once
/// whether the registry has the referrers API (cached on the repository), push the empty
/// config blob every bundle referrer shares, and open the upload session of the bundle blob.
async fn prepare(input: &str, options: &SignImageOptions) -> Result<Prepared> {
    let spec = SourceSpec::parse(input)?;
    let target = Target::open(&spec, &options.registry).await?;
    let resolved = resolve(&spec, &target, input).await?;
    let mut upload = None;
    if let (Target::Registry(repo), SignFormat::Bundle) = (&target, options.format) {
        let config = bundle_config();
        let (_, (), opened) = tokio::try_join!(
            repo.referrers_support(&resolved.top.digest),
            ContentSink::put_blob_bytes(repo, &config, media_type::OCI_EMPTY_DATA),
            repo.open_upload(),
        )?;
        upload = Some(opened);
    }
    Ok(Prepared { target, resolved, upload })
}

async fn sign_prepared(prepared: Prepared, key: &SigningKey, options: &SignImageOptions) -> Result<SignImageReport> {
    let Prepared { target, resolved, mut upload } = prepared;
    let mut report = SignImageReport::default();
    report.warnings.extend(resolved.warning.clone());
    let mut subjects = vec![subject_of(&resolved.top)];
    if options.recursive {
        if let Manifest::Index(index) = resolved.top.parse()? {
            for child in index.manifests {
                let mut d = child.clone();
                d.platform = None;
                d.annotations = None;
                d.artifact_type = None;
                subjects.push(d);
            }
        }
    }
    for subject in subjects {
        let signed = match options.format {
            SignFormat::Bundle => sign_bundle(&target, key, &subject, &options.annotations, upload.take()).await,
            SignFormat::Legacy => {
                sign_legacy(&target, key, &subject, &resolved.docker_reference, &options.annotations).await
            }
        };
        let signed = match signed {
            Ok(s) => s,
            Err(e) => {
                if let (Target::Registry(repo), Some(u)) = (&target, upload.take()) {
                    repo.cancel_upload(u).await;
                }
                return Err(e);
            }
        };
        report.signed.push(signed);
    }
    Ok(report)
}

pub(crate) fn now_rfc3339() -> String {
    // SOURCE_DATE_EPOCH makes the referrer manifest reproducible.
    let ts = std::env::var("SOURCE_DATE_EPOCH")
        .ok()
        .and_then(|s| s.parse::<i64>().ok())
        .and_then(|s| jiff::Timestamp::from_second(s).ok())
        .unwrap_or_else(jiff::Timestamp::now);
    ts.strftime("%Y-%m-%dT%H:%M:%SZ").to_string()
}

async fn sign_bundle(
    target: &Target,
    key: &SigningKey,
    subject: &Descriptor,
    annotations: &BTreeMap<String, String>,
    upload: Option<registry::BlobUpload>,
) -> Result<SignedManifest> {
    let hex = sha256_hex(&subject.digest)?;
    let statement = Statement::cosign_image_signature(hex, annotations);
    let envelope = Envelope::sign(key, INTOTO_PAYLOAD_TYPE, statement.to_json())?;
    let bundle = bundle_write::to_json(&bundle_write::dsse_bundle(&envelope, key.public_key())?)?;
    let stored = match (target, upload) {
        (Target::Registry(repo), Some(upload)) => {
            push_prepared_bundle_referrer(repo, upload, subject, bundle, COSIGN_SIGN_PREDICATE_TYPE).await?
        }
        _ => push_bundle_referrer(target, subject, &bundle, COSIGN_SIGN_PREDICATE_TYPE).await?,
    };
    Ok(SignedManifest { digest: subject.digest.to_string(), stored_at: stored.to_string(), written: true })
}

/// The empty config of a bundle referrer (`{}`, artifact type the bundle's).
fn bundle_config() -> Descriptor {
    let mut config = Descriptor::for_bytes(media_type::OCI_EMPTY, media_type::OCI_EMPTY_DATA);
    config.artifact_type = Some(media_type::SIGSTORE_BUNDLE_V03.to_string());
    config
}

/// The referrer manifest cosign v3 writes for a DSSE bundle stored as `layer`.
fn bundle_referrer_manifest(subject: &Descriptor, layer: Descriptor, predicate_type: &str) -> Result<RawManifest> {
    let manifest = ImageManifest {
        schema_version: 2,
        media_type: Some(media_type::OCI_MANIFEST.to_string()),
        artifact_type: Some(media_type::SIGSTORE_BUNDLE_V03.to_string()),
        config: bundle_config(),
        layers: vec![layer],
        subject: Some(subject.clone()),
        annotations: Some(BTreeMap::from([
            (media_type::ANNOTATION_CREATED.to_string(), now_rfc3339()),
            (media_type::ANNOTATION_BUNDLE_CONTENT.to_string(), "dsse-envelope".to_string()),
            (media_type::ANNOTATION_BUNDLE_PREDICATE_TYPE.to_string(), predicate_type.to_string()),
        ])),
    };
    Ok(RawManifest::from_serializable(&manifest, media_type::OCI_MANIFEST)?)
}

/// Store a DSSE bundle as cosign v3 does: bundle blob, empty config, and a referrer manifest
/// of `subject` annotated with the bundle content and `predicate_type`. Returns the referrer
/// manifest's digest.
pub(crate) async fn push_bundle_referrer(
    target: &Target,
    subject: &Descriptor,
    bundle: &[u8],
    predicate_type: &str,
) -> Result<Digest> {
    let layer = Descriptor::for_bytes(media_type::SIGSTORE_BUNDLE_V03, bundle);
    let config = bundle_config();
    let sink = target.sink();
    // Both blobs at once: one round trip's wait instead of two.
    tokio::try_join!(sink.put_blob_bytes(&layer, bundle), sink.put_blob_bytes(&config, media_type::OCI_EMPTY_DATA))?;
    let raw = bundle_referrer_manifest(subject, layer, predicate_type)?;
    sink.put_manifest(&raw, None).await?;
    Ok(raw.digest)
}

/// [`push_bundle_referrer`] after [`prepare`]: the empty config is already in the repository
/// and `upload` is open, so the bundle blob takes one `PUT`, and the manifest goes up without
/// looking for the blobs again (the registry has just confirmed both), its fallback index
/// read meanwhile.
async fn push_prepared_bundle_referrer(
    repo: &registry::Repository,
    upload: registry::BlobUpload,
    subject: &Descriptor,
    bundle: Vec<u8>,
    predicate_type: &str,
) -> Result<Digest> {
    let layer = Descriptor::for_bytes(media_type::SIGSTORE_BUNDLE_V03, &bundle);
    repo.push_blob_bytes_via(upload, &layer, bundle).await?;
    let raw = bundle_referrer_manifest(subject, layer, predicate_type)?;
    repo.push_manifest_after_blobs(&raw, None).await?;
    Ok(raw.digest)
}

pub(crate) fn sha256_hex(d: &Digest) -> Result<&str> {
    if d.algorithm() != chainseal_oci::DigestAlgorithm::Sha256 {
        return Err(Error::InvalidInput(format!(
            "{d}: cosign signatures name sha256 digests; this manifest uses another algorithm"
        )));
    }
    Ok(d.hex())
}

/// go-containerregistry's config for an appended image (what cosign's `.sig` images carry).
pub(crate) fn legacy_config(layers: &[Descriptor]) -> Vec<u8> {
    let zero = "0001-01-01T00:00:00Z";
    let config = serde_json::json!({
        "architecture": "",
        "created": zero,
        "history": layers.iter().map(|_| serde_json::json!({"created": zero})).collect::<Vec<_>>(),
        "os": "",
        "rootfs": {
            "type": "layers",
            "diff_ids": layers.iter().map(|l| l.digest.to_string()).collect::<Vec<_>>(),
        },
        "config": {},
    });
    serde_json::to_vec(&config).unwrap_or_default()
}

/// Store a cosign `.sig`/`.att`-style image holding `layers` under `tag`: its config blob, then
/// the manifest.
pub(crate) async fn put_legacy_image(sink: &dyn ContentSink, tag: &str, layers: Vec<Descriptor>) -> Result<()> {
    let config_bytes = legacy_config(&layers);
    let config = Descriptor::for_bytes(media_type::OCI_CONFIG, &config_bytes);
    sink.put_blob_bytes(&config, &config_bytes).await?;
    let manifest = ImageManifest {
        schema_version: 2,
        media_type: Some(media_type::OCI_MANIFEST.to_string()),
        artifact_type: None,
        config,
        layers,
        subject: None,
        annotations: None,
    };
    let raw = RawManifest::from_serializable(&manifest, media_type::OCI_MANIFEST)?;
    sink.put_manifest(&raw, Some(tag)).await?;
    Ok(())
}

pub(crate) async fn read_sig_image(source: &dyn ContentSource, tag: &str) -> Result<Option<ImageManifest>> {
    match source.manifest(tag).await {
        Ok(raw) => match raw.parse()? {
            Manifest::Image(m) => Ok(Some(m)),
            Manifest::Index(_) => Err(Error::InvalidInput(format!(
                "{tag} holds an index, not a cosign signature image; refusing to overwrite it"
            ))),
        },
        Err(chainseal_oci::Error::NotFound(_)) => Ok(None),
        Err(e) => Err(e.into()),
    }
}

/// Is `layer` already an equivalent signature of `payload` by `key`? (cosign
/// `dedupeAndReplace`: same digest and media type, same non-signature annotations, and the
/// existing signature verifies with our key.)
fn equivalent(existing: &Descriptor, ours: &Descriptor, payload: &[u8], key: &SigningKey) -> bool {
    if existing.digest != ours.digest || existing.media_type != ours.media_type {
        return false;
    }
    let strip = |d: &Descriptor| {
        let mut a = d.annotations.clone().unwrap_or_default();
        a.remove(media_type::ANNOTATION_COSIGN_SIGNATURE);
        a
    };
    if strip(existing) != strip(ours) {
        return false;
    }
    existing
        .annotation(media_type::ANNOTATION_COSIGN_SIGNATURE)
        .and_then(|s| base64::engine::general_purpose::STANDARD.decode(s).ok())
        .is_some_and(|sig| key.public_key().verify(payload, &sig).is_ok())
}

/// Wait a little (with jitter) and check that our layer is still in the `.sig` image. Only used
/// when a writer outside the tag lock was seen changing the image.
async fn legacy_layer_survives_pause(
    source: &dyn ContentSource,
    tag: &str,
    layer: &Descriptor,
    payload: &[u8],
    key: &SigningKey,
) -> Result<bool> {
    let jitter = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| u64::from(d.subsec_nanos()) % 250)
        .unwrap_or(0);
    tokio::time::sleep(std::time::Duration::from_millis(150 + jitter)).await;
    Ok(matches!(read_sig_image(source, tag).await?,
        Some(m) if m.layers.iter().any(|l| equivalent(l, layer, payload, key))))
}

async fn sign_legacy(
    target: &Target,
    key: &SigningKey,
    subject: &Descriptor,
    docker_reference: &str,
    annotations: &BTreeMap<String, String>,
) -> Result<SignedManifest> {
    sha256_hex(&subject.digest)?;
    let payload = SimpleSigning::new(docker_reference, subject.digest.to_string(), annotations).to_bytes();
    let signature = base64::engine::general_purpose::STANDARD.encode(key.sign(&payload)?);
    let mut layer = Descriptor::for_bytes(SIMPLE_SIGNING_MEDIA_TYPE, &payload);
    layer.annotations = Some(BTreeMap::from([(media_type::ANNOTATION_COSIGN_SIGNATURE.to_string(), signature)]));
    let tag = subject.digest.cosign_tag("sig");
    let (source, sink) = (target.source(), target.sink());
    sink.put_blob_bytes(&layer, &payload).await?;
    // chainseal processes on this machine take turns rewriting the tag, so an immediate re-read
    // after our write shows whether it stuck. A writer that does not take the lock (another
    // machine, cosign) shows itself as an image that changed under us: only then is the layer
    // checked again after a pause (16 concurrent signers: tests/concurrency_secrets.rs).
    let _tag_lock = chainseal_oci::tag_lock::lock_tag(&format!("{}:{tag}", sink.describe())).await;
    for attempt in 1..=LEGACY_WRITE_ATTEMPTS {
        let existing = read_sig_image(source, &tag).await?;
        let mut layers = existing.map(|m| m.layers).unwrap_or_default();
        if layers.iter().any(|l| equivalent(l, &layer, &payload, key)) {
            return Ok(SignedManifest { digest: subject.digest.to_string(), stored_at: tag, written: attempt > 1 });
        }
        if layers.len() >= MAX_SIG_LAYERS {
            return Err(Error::InvalidInput(format!(
                "{tag} already holds {MAX_SIG_LAYERS} signatures; cosign's limit"
            )));
        }
        layers.push(layer.clone());
        put_legacy_image(sink, &tag, layers.clone()).await?;
        match read_sig_image(source, &tag).await? {
            Some(m) if m.layers == layers => {
                return Ok(SignedManifest { digest: subject.digest.to_string(), stored_at: tag, written: true });
            }
            Some(m) if m.layers.iter().any(|l| equivalent(l, &layer, &payload, key)) => {
                let kept = legacy_layer_survives_pause(source, &tag, &layer, &payload, key).await?;
                if kept {
                    return Ok(SignedManifest { digest: subject.digest.to_string(), stored_at: tag, written: true });
                }
            }
            // Gone: a concurrent writer replaced the image; add our layer again.
            _ => {}
        }
    }
    match read_sig_image(source, &tag).await? {
        Some(m) if m.layers.iter().any(|l| equivalent(l, &layer, &payload, key)) => {
            Ok(SignedManifest { digest: subject.digest.to_string(), stored_at: tag, written: true })
        }
        _ => Err(Error::InvalidInput(format!(
            "other writers kept replacing {tag}; the signature was not kept, try again"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A key that fails to load is reported at once, not after the registry work (here: a
    /// registry that refuses connections, retried with backoff for seconds).
    #[test]
    fn a_key_error_does_not_wait_for_the_registry() {
        let started = std::time::Instant::now();
        let image = format!("127.0.0.1:1/unreachable@sha256:{}", "0".repeat(64));
        let err = sign_image_loading_key(
            &image,
            || Err(Error::InvalidInput("no such key file".into())),
            &SignImageOptions::default(),
        )
        .unwrap_err();
        assert!(err.to_string().contains("no such key file"), "{err}");
        assert!(started.elapsed() < std::time::Duration::from_secs(2), "took {:?}", started.elapsed());
    }

    /// A registry error is still reported when the key loads.
    #[test]
    fn a_registry_error_is_reported_when_the_key_loads() {
        let mut options = SignImageOptions::default();
        options.registry.retry = chainseal_oci::registry::RetryPolicy::none();
        let image = format!("127.0.0.1:1/unreachable@sha256:{}", "0".repeat(64));
        let load = || Ok(SigningKey::generate(chainseal_sign::keys::GenerateAlgorithm::EcdsaP256)?);
        let err = sign_image_loading_key(&image, load, &options).unwrap_err();
        assert!(err.to_string().contains("127.0.0.1:1"), "{err}");
    }
}
