//! Copy an image — one manifest, or an index with all its children — from any
//! [`ContentSource`] to any [`ContentSink`], keeping every digest: manifests are copied as
//! their exact bytes, blobs are streamed and verified on the way.
//!
//! With [`CopyOptions::with_attachments`] the image's signatures, attestations and SBOMs come
//! along: OCI 1.1 referrers of the image and of every child manifest (recursively: referrers
//! of referrers), and cosign's `sha256-<hex>.sig` / `.att` / `.sbom` tags. A registry sink
//! without the referrers API gets the `sha256-<hex>` fallback index maintained for it.
//!
//! Order: blobs first, then child manifests, then the top manifest (and its tag), then the
//! attachments — an interrupted copy never leaves a manifest pointing at a missing blob.

use std::collections::HashSet;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use futures_util::StreamExt;
use tokio::io::{AsyncRead, ReadBuf};

use crate::digest::{Digest, DigestHasher};
use crate::error::{Error, Result};
use crate::manifest::{Descriptor, Manifest, Platform, RawManifest};
use crate::media_type;
use crate::registry::CosignAttachment;
use crate::source::{BlobStream, ContentSink, ContentSource};

/// A progress callback; called from the copying tasks, so keep it cheap.
pub type ProgressFn = Arc<dyn Fn(&CopyProgress) + Send + Sync>;

/// What a copy is doing, for progress displays.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum CopyProgress {
    /// Everything to copy is known.
    Planned {
        /// Manifests to push (image, children, attachments).
        manifests: usize,
        /// Distinct blobs.
        blobs: usize,
        /// Their total size.
        bytes: u64,
    },
    /// The destination already had this blob.
    BlobSkipped {
        /// The blob.
        digest: Digest,
        /// Its size (counts as done).
        size: u64,
    },
    /// Bytes of a blob were transferred (a delta, not a total).
    BlobBytes {
        /// The blob.
        digest: Digest,
        /// Bytes since the last event for this blob.
        bytes: u64,
    },
    /// A manifest was pushed.
    ManifestPushed {
        /// Its digest.
        digest: Digest,
    },
}

/// How to copy.
#[derive(Clone, Default)]
#[non_exhaustive]
pub struct CopyOptions {
    /// Also copy referrers (recursively) and cosign `.sig` / `.att` / `.sbom` tags.
    pub with_attachments: bool,
    /// Tag for the top manifest at the destination (`None`: pushed by digest only).
    pub dest_tag: Option<String>,
    /// How deep to follow referrers of referrers (default 4 when 0).
    pub max_attachment_depth: usize,
    /// Blobs copied at the same time (default 4 when 0).
    pub concurrency: usize,
    /// Progress callback.
    pub progress: Option<ProgressFn>,
    /// Copy only this platform's image manifest out of an index (its digest unchanged); a
    /// single-platform image must be this platform. `None`: the whole index.
    pub platform: Option<Platform>,
}

impl std::fmt::Debug for CopyOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CopyOptions")
            .field("with_attachments", &self.with_attachments)
            .field("dest_tag", &self.dest_tag)
            .field("max_attachment_depth", &self.max_attachment_depth)
            .field("concurrency", &self.concurrency)
            .field("platform", &self.platform)
            .finish_non_exhaustive()
    }
}

/// What was copied.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[non_exhaustive]
pub struct CopyReport {
    /// Digest of the top manifest (same at source and destination).
    pub digest: Digest,
    /// Its media type.
    pub media_type: String,
    /// Manifests pushed (image, children, attachments).
    pub manifests: usize,
    /// Blobs transferred.
    pub blobs_copied: usize,
    /// Blobs the destination already had.
    pub blobs_skipped: usize,
    /// Bytes transferred.
    pub bytes_copied: u64,
    /// Referrer manifests copied.
    pub referrers: Vec<Digest>,
    /// cosign tags copied.
    pub cosign_tags: Vec<String>,
}

/// Largest number of manifests one copy will handle (guards against cyclic or hostile graphs).
const MAX_MANIFESTS: usize = 10_000;

/// Everything to push, in push order.
#[derive(Default)]
struct Plan {
    /// (manifest, tag) in push order: children before parents.
    manifests: Vec<(RawManifest, Option<String>)>,
    seen_manifests: HashSet<(Digest, Option<String>)>,
    blobs: Vec<Descriptor>,
    seen_blobs: HashSet<Digest>,
    referrers: Vec<Digest>,
    cosign_tags: Vec<String>,
}

impl Plan {
    fn add_blob(&mut self, d: &Descriptor) {
        let foreign =
            d.media_type == media_type::DOCKER_FOREIGN_LAYER || d.urls.as_ref().is_some_and(|u| !u.is_empty());
        if !foreign && self.seen_blobs.insert(d.digest.clone()) {
            self.blobs.push(d.clone());
        }
    }
}

/// Add `raw` and everything it points at to the plan (children first).
async fn plan_tree(source: &dyn ContentSource, raw: RawManifest, tag: Option<String>, plan: &mut Plan) -> Result<()> {
    if !plan.seen_manifests.insert((raw.digest.clone(), tag.clone())) {
        return Ok(());
    }
    if plan.seen_manifests.len() > MAX_MANIFESTS {
        return Err(Error::LimitExceeded {
            what: "manifests in one copy".into(),
            limit: MAX_MANIFESTS as u64,
            unit: "manifests",
        });
    }
    match raw.parse()? {
        Manifest::Image(m) => {
            plan.add_blob(&m.config);
            for l in &m.layers {
                plan.add_blob(l);
            }
        }
        Manifest::Index(i) => {
            for child in &i.manifests {
                let child_raw = source.manifest(&child.digest.to_string()).await?;
                if child_raw.digest != child.digest {
                    return Err(Error::DigestMismatch {
                        what: "child manifest".into(),
                        expected: child.digest.to_string(),
                        actual: child_raw.digest.to_string(),
                    });
                }
                Box::pin(plan_tree(source, child_raw, None, plan)).await?;
            }
        }
    }
    plan.manifests.push((raw, tag));
    Ok(())
}

/// The digests of `raw` and of every manifest below it.
fn tree_digests(raw: &RawManifest, plan: &Plan) -> Vec<Digest> {
    let mut out = vec![raw.digest.clone()];
    if let Ok(Manifest::Index(i)) = raw.parse() {
        for child in &i.manifests {
            if plan.seen_manifests.contains(&(child.digest.clone(), None)) {
                out.push(child.digest.clone());
            }
        }
    }
    out
}

/// Add the attachments of `subjects` (and of the attachments, up to `depth`) to the plan.
async fn plan_attachments(
    source: &dyn ContentSource,
    subjects: Vec<Digest>,
    tags: &[String],
    depth: usize,
    plan: &mut Plan,
) -> Result<()> {
    let mut frontier = subjects;
    let mut visited: HashSet<Digest> = HashSet::new();
    for _level in 0..depth {
        let mut next = Vec::new();
        for subject in frontier {
            if !visited.insert(subject.clone()) {
                continue;
            }
            let index = source.referrers(&subject, None).await?;
            for entry in index.manifests {
                let raw = source.manifest(&entry.digest.to_string()).await?;
                let digests = tree_digests(&raw, plan);
                if !plan.seen_manifests.contains(&(raw.digest.clone(), None)) {
                    plan.referrers.push(raw.digest.clone());
                }
                Box::pin(plan_tree(source, raw.clone(), None, plan)).await?;
                next.extend(digests);
            }
            for kind in CosignAttachment::ALL {
                let tag = kind.tag_for(&subject);
                if tags.iter().any(|t| t == &tag) {
                    let raw = source.manifest(&tag).await?;
                    plan.cosign_tags.push(tag.clone());
                    next.push(raw.digest.clone());
                    Box::pin(plan_tree(source, raw, Some(tag), plan)).await?;
                }
            }
        }
        if next.is_empty() {
            break;
        }
        frontier = next;
    }
    Ok(())
}

/// Copy the image `selector` names in `source` to `dest`; see the module docs.
pub async fn copy_image(
    source: &dyn ContentSource,
    selector: &str,
    dest: &dyn ContentSink,
    options: &CopyOptions,
) -> Result<CopyReport> {
    let top = match &options.platform {
        // The platform's manifest (digest-checked against the index entry), exact bytes.
        Some(p) => crate::image::resolve_image(source, selector, Some(p), &crate::Limits::default()).await?.manifest,
        None => source.manifest(selector).await?,
    };
    let mut plan = Plan::default();
    plan_tree(source, top.clone(), options.dest_tag.clone(), &mut plan).await?;
    let image_manifests = plan.manifests.len();
    if options.with_attachments {
        let subjects: Vec<Digest> = plan.manifests.iter().map(|(m, _)| m.digest.clone()).collect();
        let tags = source.tags().await?;
        let depth = if options.max_attachment_depth == 0 { 4 } else { options.max_attachment_depth };
        plan_attachments(source, subjects, &tags, depth, &mut plan).await?;
    }
    let progress = options.progress.clone();
    let emit = |p: CopyProgress| {
        if let Some(f) = &progress {
            f(&p);
        }
    };
    emit(CopyProgress::Planned {
        manifests: plan.manifests.len(),
        blobs: plan.blobs.len(),
        bytes: plan.blobs.iter().map(|b| b.size).sum(),
    });

    // Blobs first.
    let concurrency = if options.concurrency == 0 { 4 } else { options.concurrency };
    let results: Vec<Result<(bool, u64)>> = futures_util::stream::iter(plan.blobs.clone())
        .map(|blob| copy_blob(source, dest, blob, progress.clone()))
        .buffer_unordered(concurrency)
        .collect()
        .await;
    let (mut copied, mut skipped, mut bytes) = (0usize, 0usize, 0u64);
    for r in results {
        let (was_copied, size) = r?;
        if was_copied {
            copied += 1;
            bytes += size;
        } else {
            skipped += 1;
        }
    }

    // Then manifests, children before parents; the image before its attachments.
    let (image_part, attachment_part) = plan.manifests.split_at(image_manifests);
    for (raw, tag) in image_part.iter().chain(attachment_part.iter()) {
        dest.put_manifest(raw, tag.as_deref()).await?;
        emit(CopyProgress::ManifestPushed { digest: raw.digest.clone() });
    }
    Ok(CopyReport {
        digest: top.digest.clone(),
        media_type: top.media_type.clone(),
        manifests: plan.manifests.len(),
        blobs_copied: copied,
        blobs_skipped: skipped,
        bytes_copied: bytes,
        referrers: plan.referrers,
        cosign_tags: plan.cosign_tags,
    })
}

/// Copy one blob unless the sink has it; `Ok((copied, size))`. An interrupted transfer is
/// restarted from a freshly opened source stream (twice at most).
async fn copy_blob(
    source: &dyn ContentSource,
    dest: &dyn ContentSink,
    blob: Descriptor,
    progress: Option<ProgressFn>,
) -> Result<(bool, u64)> {
    if dest.has_blob(&blob).await? {
        if let Some(f) = &progress {
            f(&CopyProgress::BlobSkipped { digest: blob.digest.clone(), size: blob.size });
        }
        return Ok((false, blob.size));
    }
    let mut attempt = 0;
    loop {
        attempt += 1;
        let stream = source.blob(&blob).await?;
        let reader: BlobStream = Box::pin(VerifyingProgressReader::new(stream, &blob, progress.clone()));
        match dest.put_blob(&blob, reader).await {
            Ok(()) => return Ok((true, blob.size)),
            Err(Error::Network(msg)) if attempt < 3 => {
                tracing::warn!(digest = %blob.digest, "blob transfer interrupted, starting over: {msg}");
            }
            Err(e) => return Err(e),
        }
    }
}

/// Hashes and counts what passes through; fails the read at EOF when size or digest differ
/// from the descriptor, so no sink ever stores unverified bytes under a digest.
struct VerifyingProgressReader {
    inner: BlobStream,
    hasher: Option<DigestHasher>,
    expected: Descriptor,
    read: u64,
    progress: Option<ProgressFn>,
}

impl VerifyingProgressReader {
    fn new(inner: BlobStream, expected: &Descriptor, progress: Option<ProgressFn>) -> VerifyingProgressReader {
        VerifyingProgressReader {
            inner,
            hasher: Some(DigestHasher::new(expected.digest.algorithm())),
            expected: expected.clone(),
            read: 0,
            progress,
        }
    }
}

impl AsyncRead for VerifyingProgressReader {
    fn poll_read(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<std::io::Result<()>> {
        let this = self.get_mut();
        let before = buf.filled().len();
        match this.inner.as_mut().poll_read(cx, buf) {
            Poll::Ready(Ok(())) => {
                let fail = |buf: &mut ReadBuf<'_>, msg: String| {
                    // Hand nothing of a failed read to the consumer.
                    buf.set_filled(before);
                    Poll::Ready(Err(std::io::Error::new(std::io::ErrorKind::InvalidData, msg)))
                };
                let new = &buf.filled()[before..];
                if new.is_empty() {
                    // EOF: verify.
                    if let Some(h) = this.hasher.take() {
                        if this.read != this.expected.size {
                            let msg = format!(
                                "blob {}: source sent {} bytes, the descriptor says {}",
                                this.expected.digest, this.read, this.expected.size
                            );
                            return fail(buf, msg);
                        }
                        let actual = h.finish();
                        if actual != this.expected.digest {
                            let msg = format!("blob {}: source content hashes to {actual}", this.expected.digest);
                            return fail(buf, msg);
                        }
                    }
                    return Poll::Ready(Ok(()));
                }
                let n = new.len() as u64;
                if this.read + n > this.expected.size {
                    let msg =
                        format!("blob {}: source sent more than {} bytes", this.expected.digest, this.expected.size);
                    return fail(buf, msg);
                }
                this.read += n;
                if let Some(h) = this.hasher.as_mut() {
                    h.update(new);
                }
                if let Some(f) = &this.progress {
                    f(&CopyProgress::BlobBytes { digest: this.expected.digest.clone(), bytes: n });
                }
                Poll::Ready(Ok(()))
            }
            other => other,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::AsyncReadExt;

    #[tokio::test]
    async fn verifying_reader_refuses_tampered_content() {
        let d = Descriptor::for_bytes("x", b"hello world");
        let ok: BlobStream = Box::pin(std::io::Cursor::new(b"hello world".to_vec()));
        let mut r = VerifyingProgressReader::new(ok, &d, None);
        let mut out = Vec::new();
        r.read_to_end(&mut out).await.unwrap();
        assert_eq!(out, b"hello world");

        for bad in [&b"hello World"[..], b"hello", b"hello world!"] {
            let s: BlobStream = Box::pin(std::io::Cursor::new(bad.to_vec()));
            let mut r = VerifyingProgressReader::new(s, &d, None);
            let mut out = Vec::new();
            assert!(r.read_to_end(&mut out).await.is_err(), "{bad:?}");
        }
    }

    #[tokio::test]
    async fn progress_counts_bytes() {
        let d = Descriptor::for_bytes("x", &[7u8; 100_000]);
        let total = Arc::new(std::sync::atomic::AtomicU64::new(0));
        let t = total.clone();
        let cb: ProgressFn = Arc::new(move |p| {
            if let CopyProgress::BlobBytes { bytes, .. } = p {
                t.fetch_add(*bytes, std::sync::atomic::Ordering::Relaxed);
            }
        });
        let s: BlobStream = Box::pin(std::io::Cursor::new(vec![7u8; 100_000]));
        let mut r = VerifyingProgressReader::new(s, &d, Some(cb));
        let mut out = Vec::new();
        r.read_to_end(&mut out).await.unwrap();
        assert_eq!(total.load(std::sync::atomic::Ordering::Relaxed), 100_000);
    }
}
