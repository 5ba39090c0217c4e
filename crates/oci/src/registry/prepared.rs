//! Pushes split around content that is not ready yet, for writers that know more than a
//! generic copy does (signing: the signature exists only once the key is decrypted).
//!
//! - [`BlobUpload`]: an upload session opened ahead of its content, closed later with one
//!   `PUT` (one round trip instead of `HEAD` + `POST` + `PUT` once the bytes exist).
//! - [`Repository::push_manifest_after_blobs`]: a manifest push without the `HEAD` of each
//!   blob (the caller has just pushed them and the registry confirmed each), whose fallback
//!   index is read while the manifest is being pushed.
//!
//! Nothing here is checked less than in [`Repository::push_blob_bytes`] and
//! [`Repository::push_manifest`]: bytes are checked against their descriptor, the registry's
//! digests against ours, and the fallback index is updated under the same locks with the same
//! re-read after writing.

use bytes::Bytes;
use reqwest::{Method, Url};

use super::client::ReqBody;
use super::referrers::ReferrersSupport;
use super::repository::{Repository, UploadError, checked_parse, manifest_subject, verify_bytes};
use crate::error::Result;
use crate::manifest::{Descriptor, RawManifest};

/// An upload session opened before its content exists (`POST /v2/<name>/blobs/uploads/`),
/// good for one blob of this repository. Close it with [`Repository::push_blob_bytes_via`], or
/// give it up with [`Repository::cancel_upload`] (registries also expire abandoned sessions).
#[derive(Debug)]
pub struct BlobUpload {
    location: Url,
}

impl Repository {
    /// Open an upload session now, for a blob whose bytes come later.
    pub async fn open_upload(&self) -> Result<BlobUpload> {
        Ok(BlobUpload { location: self.start_upload_with_headers().await?.0 })
    }

    /// Push `content` through `upload` with one `PUT ?digest=`. There is no `HEAD` first: the
    /// caller uses this for content that is new (a fresh signature), where the check would
    /// cost a round trip and find nothing (a blob that does exist is simply stored again). The
    /// bytes are checked against `descriptor` first, and the registry's `Docker-Content-Digest`
    /// against ours. When the session is gone or the `PUT` fails in a way worth retrying, the
    /// blob goes up the ordinary way ([`Repository::push_blob_bytes`], which looks first in
    /// case the lost `PUT` did land); blobs above the chunked-upload threshold go up in chunks.
    pub async fn push_blob_bytes_via(
        &self,
        upload: BlobUpload,
        descriptor: &Descriptor,
        content: impl Into<Bytes>,
    ) -> Result<()> {
        let content: Bytes = content.into();
        verify_bytes(descriptor, &content)?;
        if descriptor.size > self.client.config().chunked_upload_threshold {
            self.cancel_upload(upload).await;
            return self.push_blob_bytes(descriptor, content).await;
        }
        let length = content.len() as u64;
        match self.finish_upload(&upload.location, descriptor, ReqBody::Bytes(content.clone()), Some(length)).await {
            Ok(()) => Ok(()),
            Err(UploadError::Transient(e)) => {
                tracing::debug!(digest = %descriptor.digest, "upload through the early session failed ({e}); uploading again");
                self.push_blob_bytes(descriptor, content).await
            }
            Err(UploadError::Fatal(e)) => Err(e),
        }
    }

    /// Give up an upload session (best effort: `DELETE`; registries also expire sessions).
    pub async fn cancel_upload(&self, upload: BlobUpload) {
        let mut req = self.req(Method::DELETE, upload.location.to_string(), true, "cancel blob upload".into());
        req.retry = false;
        req.timeout = Some(self.client.small_timeout());
        if let Err(e) = self.client.send(req).await {
            tracing::debug!("could not cancel an unused upload session: {e}");
        }
    }

    /// Like [`Repository::push_manifest`], for a manifest whose blobs the caller has just
    /// pushed to this repository itself (the registry confirmed each): skips the `HEAD` of
    /// each blob (a registry refuses a manifest whose blobs it lacks anyway). For a manifest
    /// with a `subject` on a registry without the referrers API, the subject's fallback index
    /// is locked and read while the manifest is being pushed, then updated exactly as
    /// [`Repository::add_to_fallback_index`] does (the index is written only after the
    /// manifest push succeeded).
    pub async fn push_manifest_after_blobs(
        &self,
        raw: &RawManifest,
        tag: Option<&str>,
    ) -> Result<super::PushedManifest> {
        let parsed = checked_parse(raw)?;
        let subject = manifest_subject(&parsed);
        let early_index = async {
            let Some(subject) = &subject else { return Ok(None) };
            if self.referrers_support(&subject.digest).await? != ReferrersSupport::TagFallback {
                return Ok(None);
            }
            let locked = self.lock_fallback_index(&subject.digest).await;
            let (base, _) = self.fallback_index(&subject.digest).await?;
            Ok(Some((locked, base)))
        };
        let (subject_acknowledged, early_index) = tokio::try_join!(self.put_manifest_bytes(raw, tag), early_index)?;
        let mut pushed =
            super::PushedManifest { digest: raw.digest.clone(), subject_acknowledged, fallback_index_updated: false };
        if let (Some(subject), Some((locked, base)), false) = (subject, early_index, subject_acknowledged) {
            self.add_to_locked_fallback_index(&locked, &subject.digest, raw, &parsed, base).await?;
            pushed.fallback_index_updated = true;
        }
        Ok(pushed)
    }
}
