//! [`Repository`] as a [`ContentSource`] and a [`ContentSink`].

use bytes::Bytes;

use super::repository::Repository;
use crate::digest::Digest;
use crate::error::Result;
use crate::manifest::{Descriptor, ImageIndex, RawManifest};
use crate::source::{BlobStream, ContentSink, ContentSource, PutManifestOutcome};

#[async_trait::async_trait]
impl ContentSource for Repository {
    async fn manifest(&self, selector: &str) -> Result<RawManifest> {
        Repository::manifest(self, selector).await
    }

    async fn blob(&self, descriptor: &Descriptor) -> Result<BlobStream> {
        self.blob_stream(descriptor).await
    }

    async fn blob_bytes(&self, descriptor: &Descriptor, max_bytes: u64) -> Result<Vec<u8>> {
        Repository::blob_bytes(self, descriptor, max_bytes).await
    }

    async fn referrers(&self, subject: &Digest, artifact_type: Option<&str>) -> Result<ImageIndex> {
        Repository::referrers(self, subject, artifact_type).await
    }

    async fn tags(&self) -> Result<Vec<String>> {
        Repository::tags(self).await
    }

    fn describe(&self) -> String {
        format!("registry {}", self.reference().name())
    }
}

#[async_trait::async_trait]
impl ContentSink for Repository {
    async fn has_blob(&self, descriptor: &Descriptor) -> Result<bool> {
        Repository::has_blob(self, descriptor).await
    }

    async fn put_blob(&self, descriptor: &Descriptor, content: BlobStream) -> Result<()> {
        self.push_blob_stream(descriptor, content).await
    }

    async fn put_blob_bytes(&self, descriptor: &Descriptor, content: &[u8]) -> Result<()> {
        self.push_blob_bytes(descriptor, Bytes::copy_from_slice(content)).await
    }

    /// Pushes the exact bytes (by tag when given, else by digest) after checking that every
    /// blob the manifest needs is present. A manifest with a `subject` on a registry without
    /// the referrers API is also added to the `sha256-<hex>` fallback index, so callers need
    /// not do anything more whatever `subject_acknowledged` says.
    async fn put_manifest(&self, manifest: &RawManifest, tag: Option<&str>) -> Result<PutManifestOutcome> {
        let pushed = self.push_manifest(manifest, tag).await?;
        Ok(PutManifestOutcome { subject_acknowledged: pushed.subject_acknowledged })
    }

    fn describe(&self) -> String {
        format!("registry {}", self.reference().name())
    }
}
