//! Where image content comes from and goes to.
//!
//! A [`ContentSource`] hands out manifests and blobs (a registry, an OCI layout, an
//! oci-archive, a docker-archive); a [`ContentSink`] stores them (a registry or an OCI
//! layout). Everything above this line — platform selection, layer walking, copying,
//! attaching signatures — is written once against these two traits.

use std::pin::Pin;

use tokio::io::AsyncRead;

use crate::digest::Digest;
use crate::error::Result;
use crate::manifest::{Descriptor, ImageIndex, RawManifest};

/// A stream of blob bytes. Not yet verified: wrap it in a digest-checking reader before use.
pub type BlobStream = Pin<Box<dyn AsyncRead + Send>>;

/// A blocking reader over blob bytes in a local file. Not yet verified either.
pub type BlobFile = Box<dyn std::io::Read + Send>;

/// Read access to manifests and blobs of one repository (or one layout / archive).
#[async_trait::async_trait]
pub trait ContentSource: Send + Sync {
    /// Fetch a manifest by tag or digest string (what follows `/manifests/`). When `selector`
    /// is a digest, implementations verify the bytes against it.
    async fn manifest(&self, selector: &str) -> Result<RawManifest>;

    /// Open a blob for streaming. The caller checks the digest while reading.
    async fn blob(&self, descriptor: &Descriptor) -> Result<BlobStream>;

    /// The same blob as a blocking reader of a local file, when the source keeps blobs in
    /// files (OCI layouts and archives): the layer walk then reads it on its own threads,
    /// without a trip through the async runtime per chunk. `None`: use [`ContentSource::blob`].
    fn blob_file(&self, descriptor: &Descriptor) -> Option<Result<BlobFile>> {
        let _ = descriptor;
        None
    }

    /// Read a small blob (config, signature payload) whole, verifying its digest, refusing
    /// anything larger than `max_bytes`.
    async fn blob_bytes(&self, descriptor: &Descriptor, max_bytes: u64) -> Result<Vec<u8>>;

    /// The referrers of `subject`, optionally filtered by artifact type. Sources that cannot
    /// hold referrers return an empty index; a registry failure is an error, never "none".
    async fn referrers(&self, subject: &Digest, artifact_type: Option<&str>) -> Result<ImageIndex>;

    /// The tags of this repository (or layout), for cosign tag-scheme discovery.
    async fn tags(&self) -> Result<Vec<String>>;

    /// A short human description (`registry 127.0.0.1:5000/test/app`, `oci-dir ./img`).
    fn describe(&self) -> String;
}

/// Write access to one repository (or one OCI layout).
#[async_trait::async_trait]
pub trait ContentSink: Send + Sync {
    /// Does the sink already hold this blob?
    async fn has_blob(&self, descriptor: &Descriptor) -> Result<bool>;

    /// Store a blob from a stream; the sink verifies the digest of what it received.
    async fn put_blob(&self, descriptor: &Descriptor, content: BlobStream) -> Result<()>;

    /// Store a small blob from memory.
    async fn put_blob_bytes(&self, descriptor: &Descriptor, content: &[u8]) -> Result<()>;

    /// Store manifest bytes exactly as given, by digest, and under `tag` if one is given.
    /// Returns what the sink learned: whether it handles referrers natively for a manifest
    /// with a `subject` (`OCI-Subject` seen).
    async fn put_manifest(&self, manifest: &RawManifest, tag: Option<&str>) -> Result<PutManifestOutcome>;

    /// A short human description.
    fn describe(&self) -> String;
}

/// What a manifest PUT told us.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct PutManifestOutcome {
    /// The sink answered with `OCI-Subject` (native referrers support), so no fallback index
    /// needs maintaining.
    pub subject_acknowledged: bool,
}
