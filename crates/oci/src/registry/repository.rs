//! [`Repository`]: manifests, blobs and tags of one repository on one registry.

use std::sync::Mutex;

use bytes::Bytes;
use reqwest::header::{ACCEPT, CONTENT_LENGTH, CONTENT_TYPE, HeaderMap};
use reqwest::{Method, StatusCode, Url};
use tokio::io::AsyncReadExt;

use super::auth::repository_scope;
use super::client::{RegistryClient, Req, ReqBody, read_capped, status_error};
use super::referrers::ReferrersSupport;
use crate::digest::Digest;
use crate::error::{Error, Result};
use crate::manifest::{Descriptor, Manifest, RawManifest};
use crate::media_type;
use crate::reference::Reference;
use crate::source::BlobStream;

/// One repository (`registry/name`) on a registry, opened from a [`RegistryClient`].
///
/// Implements [`crate::source::ContentSource`] and [`crate::source::ContentSink`].
pub struct Repository {
    pub(crate) client: RegistryClient,
    pub(crate) reference: Reference,
    pub(crate) referrers_support: Mutex<Option<ReferrersSupport>>,
}

impl std::fmt::Debug for Repository {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Repository({})", self.reference.name())
    }
}

/// What a manifest push did.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct PushedManifest {
    /// Digest of the pushed bytes (confirmed by the registry when it said).
    pub digest: Digest,
    /// The registry answered with `OCI-Subject`: it indexes referrers itself.
    pub subject_acknowledged: bool,
    /// chainseal added the manifest to the `sha256-<hex>` fallback index of its subject.
    pub fallback_index_updated: bool,
}

/// The header registries use to name a manifest's digest.
const DOCKER_CONTENT_DIGEST: &str = "docker-content-digest";

impl Repository {
    pub(crate) fn new(client: RegistryClient, reference: Reference) -> Repository {
        Repository { client, reference, referrers_support: Mutex::new(None) }
    }

    /// The reference this repository was opened with.
    pub fn reference(&self) -> &Reference {
        &self.reference
    }

    /// The client this repository uses.
    pub fn client(&self) -> &RegistryClient {
        &self.client
    }

    pub(crate) fn host(&self) -> &str {
        self.reference.api_host()
    }

    pub(crate) fn name(&self) -> &str {
        self.reference.repository()
    }

    pub(crate) fn pull_scope(&self) -> String {
        repository_scope(self.name(), false)
    }

    pub(crate) fn push_scope(&self) -> String {
        repository_scope(self.name(), true)
    }

    pub(crate) fn req(&self, method: Method, target: String, push: bool, what: String) -> Req {
        let scope = if push { self.push_scope() } else { self.pull_scope() };
        Req::new(method, self.host(), target, scope, what)
    }

    fn what(&self, verb: &str, thing: &str, selector: &str) -> String {
        let sep = if selector.contains(':') && selector.starts_with("sha") { "@" } else { ":" };
        format!("{verb} {thing} {}{sep}{selector}", self.reference.name())
    }

    // ----- manifests -------------------------------------------------------------------------

    /// Resolve a tag (or digest) to the descriptor of the manifest it names, with `HEAD` and
    /// the full Accept list, falling back to `GET` when the registry does not name the digest.
    /// A digest selector is checked against what the registry reports.
    pub async fn resolve(&self, selector: &str) -> Result<Descriptor> {
        validate_selector(selector)?;
        let what = self.what("HEAD", "manifest", selector);
        let req = self
            .req(Method::HEAD, format!("/v2/{}/manifests/{selector}", self.name()), false, what.clone())
            .header(ACCEPT, media_type::MANIFEST_ACCEPT.join(", "));
        let mut req = req;
        req.timeout = Some(self.client.small_timeout());
        let response = self.client.send(req).await?;
        let status = response.status();
        if status == StatusCode::NOT_FOUND {
            return Err(Error::NotFound(format!("{what}: manifest unknown (check the tag or digest)")));
        }
        if status.is_success() {
            let headers = response.headers();
            let digest = header_str(headers, DOCKER_CONTENT_DIGEST).and_then(|d| d.parse::<Digest>().ok());
            let content_type =
                header_str(headers, "content-type").map(|c| c.split(';').next().unwrap_or(c).trim().to_string());
            let size = header_str(headers, "content-length").and_then(|l| l.parse::<u64>().ok());
            if let (Some(digest), Some(media_type), Some(size)) = (digest, content_type, size) {
                if media_type::is_image_manifest(&media_type) || media_type::is_index(&media_type) {
                    if let Ok(wanted) = selector.parse::<Digest>() {
                        if wanted != digest {
                            return Err(Error::DigestMismatch {
                                what: what.clone(),
                                expected: wanted.to_string(),
                                actual: digest.to_string(),
                            });
                        }
                    }
                    return Ok(descriptor(media_type, digest, size));
                }
            }
        } else if status != StatusCode::METHOD_NOT_ALLOWED {
            return Err(status_error(&what, response).await);
        }
        // The HEAD did not tell us enough: fetch and hash.
        Ok(self.manifest(selector).await?.descriptor())
    }

    /// Fetch a manifest by tag or digest with the full Accept list. The bytes are verified
    /// against a digest selector, and against `Docker-Content-Digest` when the registry sends it.
    pub async fn manifest(&self, selector: &str) -> Result<RawManifest> {
        match self.manifest_if_exists(selector).await? {
            Some(m) => Ok(m),
            None => Err(Error::NotFound(format!(
                "{}: manifest unknown (check the tag or digest)",
                self.what("GET", "manifest", selector)
            ))),
        }
    }

    /// Like [`Repository::manifest`], but a 404 is `Ok(None)`. Any other failure is an error.
    pub async fn manifest_if_exists(&self, selector: &str) -> Result<Option<RawManifest>> {
        validate_selector(selector)?;
        let what = self.what("GET", "manifest", selector);
        let policy = self.client.retry_policy();
        let mut attempt = 0;
        // A body that breaks off is fetched again (manifests are small), a bounded number of times.
        let (headers, bytes) = loop {
            attempt += 1;
            let mut req = self
                .req(Method::GET, format!("/v2/{}/manifests/{selector}", self.name()), false, what.clone())
                .header(ACCEPT, media_type::MANIFEST_ACCEPT.join(", "));
            req.timeout = Some(self.client.small_timeout());
            let response = self.client.send(req).await?;
            if response.status() == StatusCode::NOT_FOUND {
                return Ok(None);
            }
            if !response.status().is_success() {
                return Err(status_error(&what, response).await);
            }
            let headers = response.headers().clone();
            let max = self.client.max_manifest_bytes();
            match read_capped(response, max as usize).await {
                Ok(bytes) => {
                    // A body cut short yet framed as complete shows as a digest mismatch: fetch
                    // again. Mismatched bytes are never accepted (checked again below).
                    let expected = selector
                        .parse::<Digest>()
                        .ok()
                        .or_else(|| header_str(&headers, DOCKER_CONTENT_DIGEST).and_then(|d| d.parse::<Digest>().ok()));
                    let intact = expected.as_ref().is_none_or(|d| d.same_algorithm_of(&bytes) == *d);
                    if intact || attempt >= policy.max_attempts {
                        break (headers, bytes);
                    }
                    tracing::warn!(%what, attempt, "manifest bytes do not match their digest, fetching again");
                    tokio::time::sleep(policy.backoff(attempt)).await;
                }
                Err(Error::LimitExceeded { limit, unit, .. }) => {
                    return Err(Error::LimitExceeded { what: what.clone(), limit, unit });
                }
                Err(Error::Network(e)) if attempt < policy.max_attempts => {
                    tracing::warn!(%what, attempt, "manifest download broke off, fetching again: {e}");
                    tokio::time::sleep(policy.backoff(attempt)).await;
                }
                Err(Error::Network(e)) => {
                    return Err(Error::Network(format!("{what}: {e} ({attempt} attempts)")));
                }
                Err(e) => return Err(e),
            }
        };
        let content_type = header_str(&headers, "content-type").map(str::to_string);
        let raw = match selector.parse::<Digest>() {
            Ok(d) => RawManifest::from_bytes_verified(bytes, content_type.as_deref(), &d)?,
            Err(_) => RawManifest::from_bytes(bytes, content_type.as_deref())?,
        };
        if let Some(claimed) = header_str(&headers, DOCKER_CONTENT_DIGEST).and_then(|d| d.parse::<Digest>().ok()) {
            let ours = claimed.same_algorithm_of(&raw.bytes);
            if ours != claimed {
                return Err(Error::DigestMismatch { what, expected: claimed.to_string(), actual: ours.to_string() });
            }
        }
        Ok(Some(raw))
    }

    /// Push manifest bytes exactly as given: by tag when `tag` is given, else by digest, with
    /// the manifest's media type as Content-Type. Refuses to push a manifest whose blobs (or
    /// child manifests) are not in the repository, so an interrupted copy never leaves a
    /// manifest pointing at nothing. A manifest with a `subject` on a registry without the
    /// referrers API is added to the subject's `sha256-<hex>` fallback index.
    pub async fn push_manifest(&self, raw: &RawManifest, tag: Option<&str>) -> Result<PushedManifest> {
        let parsed = checked_parse(raw)?;
        self.check_dependencies_present(&parsed).await?;
        let subject_acknowledged = self.put_manifest_bytes(raw, tag).await?;
        let mut pushed =
            PushedManifest { digest: raw.digest.clone(), subject_acknowledged, fallback_index_updated: false };
        if let (Some(subject), false) = (manifest_subject(&parsed), subject_acknowledged) {
            if self.referrers_support(&subject.digest).await? == ReferrersSupport::TagFallback {
                self.add_to_fallback_index(&subject.digest, raw, &parsed).await?;
                pushed.fallback_index_updated = true;
            }
        }
        Ok(pushed)
    }

    /// `PUT` the manifest bytes (by tag when given, else by digest) with the manifest's media
    /// type as Content-Type; checks the registry's `Docker-Content-Digest`. True when the
    /// registry answered with `OCI-Subject`.
    pub(super) async fn put_manifest_bytes(&self, raw: &RawManifest, tag: Option<&str>) -> Result<bool> {
        let selector = match tag {
            Some(t) => {
                validate_selector(t)?;
                t.to_string()
            }
            None => raw.digest.to_string(),
        };
        let what = self.what("PUT", "manifest", &selector);
        let mut req = self
            .req(Method::PUT, format!("/v2/{}/manifests/{selector}", self.name()), true, what.clone())
            .header(CONTENT_TYPE, raw.media_type.clone());
        req.body = ReqBody::Bytes(Bytes::from(raw.bytes.clone()));
        req.timeout = Some(self.client.small_timeout());
        let response = self.client.send(req).await?;
        if !response.status().is_success() {
            return Err(status_error(&what, response).await);
        }
        let headers = response.headers();
        if let Some(claimed) = header_str(headers, DOCKER_CONTENT_DIGEST).and_then(|d| d.parse::<Digest>().ok()) {
            if claimed != raw.digest {
                return Err(Error::DigestMismatch {
                    what: format!("{what} (the registry stored other bytes than sent)"),
                    expected: raw.digest.to_string(),
                    actual: claimed.to_string(),
                });
            }
        }
        Ok(header_str(headers, "oci-subject").is_some())
    }

    /// Check that every blob (or child manifest) `manifest` points at is in the repository.
    async fn check_dependencies_present(&self, manifest: &Manifest) -> Result<()> {
        match manifest {
            Manifest::Image(m) => {
                let wanted: Vec<&Descriptor> = std::iter::once(&m.config)
                    .chain(m.layers.iter())
                    .filter(|d| {
                        d.media_type != media_type::DOCKER_FOREIGN_LAYER && d.urls.as_ref().is_none_or(|u| u.is_empty())
                    })
                    .collect();
                let mut results: Vec<(Digest, Result<bool>)> = Vec::with_capacity(wanted.len());
                for chunk in wanted.chunks(8) {
                    let checks = chunk.iter().map(|d| self.has_blob(d));
                    let answers = futures_util::future::join_all(checks).await;
                    results.extend(chunk.iter().map(|d| d.digest.clone()).zip(answers));
                }
                for (digest, present) in results {
                    if !present? {
                        return Err(Error::Registry(format!(
                            "refusing to push a manifest into {}: blob {digest} is not in the repository (push blobs \
                             first; nothing was written)",
                            self.reference.name()
                        )));
                    }
                }
            }
            Manifest::Index(i) => {
                for child in &i.manifests {
                    if !self.has_manifest(&child.digest).await? {
                        return Err(Error::Registry(format!(
                            "refusing to push an index into {}: child manifest {} is not in the repository (push \
                             the children first; nothing was written)",
                            self.reference.name(),
                            child.digest
                        )));
                    }
                }
            }
        }
        Ok(())
    }

    /// Does the repository hold a manifest with this digest?
    pub async fn has_manifest(&self, digest: &Digest) -> Result<bool> {
        match self.resolve(&digest.to_string()).await {
            Ok(_) => Ok(true),
            Err(Error::NotFound(_)) => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// Delete a manifest by digest (used to undo test pushes; registries may refuse).
    pub async fn delete_manifest(&self, digest: &Digest) -> Result<()> {
        let what = self.what("DELETE", "manifest", &digest.to_string());
        let req = self.req(Method::DELETE, format!("/v2/{}/manifests/{digest}", self.name()), true, what.clone());
        let response = self.client.send(req).await?;
        if response.status().is_success() { Ok(()) } else { Err(status_error(&what, response).await) }
    }

    // ----- blobs -----------------------------------------------------------------------------

    /// Does the repository hold this blob (`HEAD`)?
    pub async fn has_blob(&self, descriptor: &Descriptor) -> Result<bool> {
        let what = self.what("HEAD", "blob", &descriptor.digest.to_string());
        let mut req =
            self.req(Method::HEAD, format!("/v2/{}/blobs/{}", self.name(), descriptor.digest), false, what.clone());
        req.timeout = Some(self.client.small_timeout());
        let response = self.client.send(req).await?;
        match response.status() {
            s if s.is_success() => Ok(true),
            StatusCode::NOT_FOUND => Ok(false),
            _ => Err(status_error(&what, response).await),
        }
    }

    /// Open a blob for streaming. Unverified: the caller checks the digest while reading.
    /// A download that breaks off is resumed with a `Range` request (see `blob_get.rs`).
    pub async fn blob_stream(&self, descriptor: &Descriptor) -> Result<BlobStream> {
        super::blob_get::BlobGet {
            client: self.client.clone(),
            host: self.host().to_string(),
            target: format!("/v2/{}/blobs/{}", self.name(), descriptor.digest),
            scope: self.pull_scope(),
            what: self.what("GET", "blob", &descriptor.digest.to_string()),
            size: descriptor.size,
        }
        .open()
        .await
    }

    /// Read a small blob whole, verifying size and digest, refusing more than `max_bytes`.
    pub async fn blob_bytes(&self, descriptor: &Descriptor, max_bytes: u64) -> Result<Vec<u8>> {
        if descriptor.size > max_bytes {
            return Err(Error::LimitExceeded {
                what: format!("blob {}", descriptor.digest),
                limit: max_bytes,
                unit: "bytes",
            });
        }
        let mut stream = self.blob_stream(descriptor).await?;
        let mut out = Vec::with_capacity(descriptor.size.min(1 << 20) as usize);
        (&mut stream)
            .take(descriptor.size + 1)
            .read_to_end(&mut out)
            .await
            .map_err(|e| Error::Network(format!("reading blob {}: {e}", descriptor.digest)))?;
        verify_bytes(descriptor, &out)?;
        Ok(out)
    }

    /// Push a blob held in memory (skipped when the repository already has it). The bytes
    /// are checked against the descriptor first. Transient failures restart the upload from
    /// a fresh `POST`; blobs above the chunked-upload threshold go up in chunks instead.
    pub async fn push_blob_bytes(&self, descriptor: &Descriptor, content: Bytes) -> Result<()> {
        verify_bytes(descriptor, &content)?;
        if self.has_blob(descriptor).await? {
            return Ok(());
        }
        if descriptor.size > self.client.config().chunked_upload_threshold {
            return self.push_blob_chunked(descriptor, Box::pin(std::io::Cursor::new(content))).await;
        }
        let policy = self.client.retry_policy();
        let mut attempt = 0;
        loop {
            attempt += 1;
            let location = self.start_upload().await?;
            match self
                .finish_upload(&location, descriptor, ReqBody::Bytes(content.clone()), Some(content.len() as u64))
                .await
            {
                Ok(()) => return Ok(()),
                Err(UploadError::Transient(e)) if attempt < policy.max_attempts => {
                    tracing::warn!(digest = %descriptor.digest, attempt, "blob upload interrupted, restarting: {e}");
                    tokio::time::sleep(policy.backoff(attempt)).await;
                }
                Err(UploadError::Transient(e) | UploadError::Fatal(e)) => return Err(e),
            }
        }
    }

    /// Push a blob from a stream. Blobs up to
    /// [`RegistryConfig::chunked_upload_threshold`](super::RegistryConfig) are read into memory
    /// and pushed whole (restarted on failure); larger ones go up in chunks that resume where
    /// the registry says it is (see `upload.rs`). When even that cannot continue, the upload
    /// fails with [`Error::Network`] and the caller reopens the source.
    pub async fn push_blob_stream(&self, descriptor: &Descriptor, mut content: BlobStream) -> Result<()> {
        if self.has_blob(descriptor).await? {
            return Ok(());
        }
        if descriptor.size > self.client.config().chunked_upload_threshold {
            return self.push_blob_chunked(descriptor, content).await;
        }
        let mut buf = Vec::with_capacity(descriptor.size as usize);
        (&mut content)
            .take(descriptor.size + 1)
            .read_to_end(&mut buf)
            .await
            .map_err(|e| crate::blob::from_io(&format!("reading blob {} to upload", descriptor.digest), e))?;
        self.push_blob_bytes(descriptor, Bytes::from(buf)).await
    }

    /// Try to mount `descriptor` from repository `from` on the same registry. `Ok(true)` when
    /// mounted; `Ok(false)` when the registry declined for any reason (upload instead).
    pub async fn mount_blob(&self, descriptor: &Descriptor, from: &str) -> Result<bool> {
        if from == self.name() {
            return Ok(false);
        }
        let what = format!("mount blob {} from {from} into {}", descriptor.digest, self.reference.name());
        let mut url = Url::parse("http://localhost/").map_err(|e| Error::Registry(e.to_string()))?;
        url.query_pairs_mut().append_pair("mount", &descriptor.digest.to_string()).append_pair("from", from);
        let query = url.query().unwrap_or_default().to_string();
        let mut req = self.req(Method::POST, format!("/v2/{}/blobs/uploads/?{query}", self.name()), true, what);
        req.scope = format!("{} {}", self.push_scope(), repository_scope(from, false));
        req.retry = false;
        req.headers.push((CONTENT_LENGTH, "0".into()));
        let response = match self.client.send(req).await {
            Ok(r) => r,
            Err(e) => {
                tracing::debug!("cross-repository mount declined, uploading instead: {e}");
                return Ok(false);
            }
        };
        match response.status() {
            StatusCode::CREATED => Ok(true),
            StatusCode::ACCEPTED => {
                // An upload session was opened instead: abandon it.
                if let Some(loc) = header_str(response.headers(), "location").map(str::to_string) {
                    if let Ok(url) = self.location_url(&loc).await {
                        let mut del = self.req(Method::DELETE, url.to_string(), true, "cancel upload".into());
                        del.retry = false;
                        let _ = self.client.send(del).await;
                    }
                }
                Ok(false)
            }
            _ => Ok(false),
        }
    }

    /// `POST /blobs/uploads/` → the absolute upload URL.
    async fn start_upload(&self) -> Result<Url> {
        Ok(self.start_upload_with_headers().await?.0)
    }

    /// `POST /blobs/uploads/` → the absolute upload URL and the response headers.
    pub(super) async fn start_upload_with_headers(&self) -> Result<(Url, HeaderMap)> {
        let what = format!("start blob upload to {}", self.reference.name());
        let mut req = self
            .req(Method::POST, format!("/v2/{}/blobs/uploads/", self.name()), true, what.clone())
            .header(CONTENT_LENGTH, "0");
        req.timeout = Some(self.client.small_timeout());
        let response = self.client.send(req).await?;
        if response.status() != StatusCode::ACCEPTED {
            return Err(status_error(&what, response).await);
        }
        let location = header_str(response.headers(), "location")
            .ok_or_else(|| Error::Registry(format!("{what}: the registry gave no Location for the upload")))?
            .to_string();
        Ok((self.location_url(&location).await?, response.headers().clone()))
    }

    /// Resolve a (possibly relative) `Location` against the registry's base URL.
    pub(super) async fn location_url(&self, location: &str) -> Result<Url> {
        let base = format!("{}://{}/", self.client.scheme(self.host()).await, self.host());
        let base = Url::parse(&base).map_err(|e| Error::Registry(format!("bad registry URL {base}: {e}")))?;
        base.join(location).map_err(|e| Error::Registry(format!("the registry sent an unusable upload Location: {e}")))
    }

    /// `PUT <location>&digest=…` with the whole blob (or nothing, closing a chunked upload).
    pub(super) async fn finish_upload(
        &self,
        location: &Url,
        descriptor: &Descriptor,
        body: ReqBody,
        length: Option<u64>,
    ) -> std::result::Result<(), UploadError> {
        let mut url = location.clone();
        url.query_pairs_mut().append_pair("digest", &descriptor.digest.to_string());
        let what = format!("upload blob {} to {}", descriptor.digest, self.reference.name());
        let mut req =
            self.req(Method::PUT, url.to_string(), true, what.clone()).header(CONTENT_TYPE, "application/octet-stream");
        if let Some(len) = length {
            req.headers.push((CONTENT_LENGTH, len.to_string()));
        }
        req.body = body;
        req.retry = false;
        let response = match self.client.send(req).await {
            Ok(r) => r,
            Err(e @ Error::Network(_)) => return Err(UploadError::Transient(e)),
            Err(e) => return Err(UploadError::Fatal(e)),
        };
        let status = response.status();
        if status == StatusCode::CREATED || status.is_success() {
            if let Some(claimed) =
                header_str(response.headers(), DOCKER_CONTENT_DIGEST).and_then(|d| d.parse::<Digest>().ok())
            {
                if claimed != descriptor.digest {
                    return Err(UploadError::Fatal(Error::DigestMismatch {
                        what,
                        expected: descriptor.digest.to_string(),
                        actual: claimed.to_string(),
                    }));
                }
            }
            return Ok(());
        }
        let transient = super::retry::is_retryable_status(status) || status == StatusCode::NOT_FOUND;
        let err = status_error(&what, response).await;
        Err(if transient { UploadError::Transient(err) } else { UploadError::Fatal(err) })
    }

    // ----- tags ------------------------------------------------------------------------------

    /// Every tag of the repository (following `Link` pagination). A repository the registry
    /// does not know has no tags.
    pub async fn tags(&self) -> Result<Vec<String>> {
        #[derive(serde::Deserialize)]
        struct TagList {
            #[serde(default)]
            tags: Option<Vec<String>>,
        }
        let mut out = Vec::new();
        let mut target = format!("/v2/{}/tags/list?n=1000", self.name());
        for _page in 0..1000 {
            let what = format!("list tags of {}", self.reference.name());
            let mut req = self.req(Method::GET, target.clone(), false, what.clone());
            req.timeout = Some(self.client.small_timeout());
            let response = self.client.send(req).await?;
            if response.status() == StatusCode::NOT_FOUND {
                return Ok(out);
            }
            if !response.status().is_success() {
                return Err(status_error(&what, response).await);
            }
            let next = next_link(response.headers());
            let body = read_capped(response, 16 * 1024 * 1024).await?;
            let list: TagList = serde_json::from_slice(&body)
                .map_err(|e| Error::Registry(format!("{what}: unreadable tag list: {e}")))?;
            out.extend(list.tags.unwrap_or_default());
            match next {
                Some(n) => target = n,
                None => return Ok(out),
            }
        }
        Err(Error::LimitExceeded { what: "tag list pages".into(), limit: 1000, unit: "pages" })
    }
}

pub(super) enum UploadError {
    Transient(Error),
    Fatal(Error),
}

/// Parse manifest bytes about to be pushed, refusing bytes that do not match their digest.
pub(super) fn checked_parse(raw: &RawManifest) -> Result<Manifest> {
    let computed = raw.digest.same_algorithm_of(&raw.bytes);
    if computed != raw.digest {
        return Err(Error::DigestMismatch {
            what: "manifest to push".into(),
            expected: raw.digest.to_string(),
            actual: computed.to_string(),
        });
    }
    raw.parse()
}

/// The `subject` of an image manifest or index.
pub(super) fn manifest_subject(parsed: &Manifest) -> Option<Descriptor> {
    match parsed {
        Manifest::Image(m) => m.subject.clone(),
        Manifest::Index(i) => i.subject.clone(),
    }
}

fn descriptor(media_type: String, digest: Digest, size: u64) -> Descriptor {
    Descriptor { media_type, digest, size, artifact_type: None, annotations: None, platform: None, urls: None }
}

/// Check `bytes` against a descriptor's size and digest.
pub(crate) fn verify_bytes(descriptor: &Descriptor, bytes: &[u8]) -> Result<()> {
    if bytes.len() as u64 != descriptor.size {
        return Err(Error::DigestMismatch {
            what: format!("blob {} (size {} expected, {} received)", descriptor.digest, descriptor.size, bytes.len()),
            expected: descriptor.digest.to_string(),
            actual: descriptor.digest.same_algorithm_of(bytes).to_string(),
        });
    }
    let actual = descriptor.digest.same_algorithm_of(bytes);
    if actual != descriptor.digest {
        return Err(Error::DigestMismatch {
            what: "blob".into(),
            expected: descriptor.digest.to_string(),
            actual: actual.to_string(),
        });
    }
    Ok(())
}

pub(crate) fn header_str<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

/// The `rel="next"` target of a `Link` header, as a path (+query) on the same registry.
pub(crate) fn next_link(headers: &HeaderMap) -> Option<String> {
    for value in headers.get_all("link").iter().filter_map(|v| v.to_str().ok()) {
        for part in value.split(',') {
            let part = part.trim();
            let (target, params) = part.split_once(';')?;
            let target = target.trim().strip_prefix('<')?.strip_suffix('>')?;
            if params.split(';').any(|p| {
                let p = p.trim().replace(' ', "");
                p == "rel=\"next\"" || p == "rel=next"
            }) {
                // Absolute links are reduced to their path: we never follow a link to another host.
                if let Ok(u) = Url::parse(target) {
                    let mut s = u.path().to_string();
                    if let Some(q) = u.query() {
                        s.push('?');
                        s.push_str(q);
                    }
                    return Some(s);
                }
                if target.starts_with('/') {
                    return Some(target.to_string());
                }
            }
        }
    }
    None
}

/// A tag or digest that is safe to put in a URL path.
fn validate_selector(selector: &str) -> Result<()> {
    if selector.parse::<Digest>().is_ok() {
        return Ok(());
    }
    let ok = !selector.is_empty()
        && selector.len() <= 128
        && selector.chars().next().is_some_and(|c| c.is_ascii_alphanumeric() || c == '_')
        && selector.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.' || c == '-');
    if ok {
        Ok(())
    } else {
        Err(Error::InvalidReference {
            input: selector.chars().take(80).collect(),
            reason: "not a valid tag or digest".into(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    #[test]
    fn link_headers() {
        let mut h = HeaderMap::new();
        h.insert("link", HeaderValue::from_static("</v2/test/hello/tags/list?last=b&n=1>; rel=\"next\""));
        assert_eq!(next_link(&h).as_deref(), Some("/v2/test/hello/tags/list?last=b&n=1"));
        let mut h = HeaderMap::new();
        h.insert("link", HeaderValue::from_static("<https://evil.example/v2/x/referrers/y?n=2>; rel=\"next\""));
        assert_eq!(next_link(&h).as_deref(), Some("/v2/x/referrers/y?n=2"));
        let mut h = HeaderMap::new();
        h.insert("link", HeaderValue::from_static("</a>; rel=\"prev\""));
        assert_eq!(next_link(&h), None);
        let mut h = HeaderMap::new();
        h.insert("link", HeaderValue::from_static("garbage"));
        assert_eq!(next_link(&h), None);
    }

    #[test]
    fn selectors_are_validated() {
        assert!(validate_selector("v1.0_rc-1").is_ok());
        assert!(validate_selector("sha256-abc.sig").is_ok());
        assert!(validate_selector("sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a").is_ok());
        for bad in ["", "../x", "a/b", "-x", "a?b", "x".repeat(129).as_str()] {
            assert!(validate_selector(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn blob_bytes_are_verified() {
        let d = Descriptor::for_bytes("x", b"hello");
        assert!(verify_bytes(&d, b"hello").is_ok());
        assert!(verify_bytes(&d, b"hellO").is_err());
        assert!(verify_bytes(&d, b"hello!").is_err());
    }
}
