//! Chunked blob uploads for large blobs: `POST` → `PATCH` chunks with `Content-Range` →
//! `PUT ?digest=`, so an interrupted upload resumes where the registry says it is instead of
//! starting over (oci.md §1.3).
//!
//! Blobs up to [`RegistryConfig::chunked_upload_threshold`](super::RegistryConfig) stay
//! monolithic (one `PUT`, restarted from a fresh `POST` on failure). Larger blobs are read one
//! chunk ([`RegistryConfig::upload_chunk_bytes`](super::RegistryConfig), raised to the
//! registry's `OCI-Chunk-Min-Length`) at a time, so memory stays at one chunk per blob. A
//! `PATCH` is never replayed blindly (distribution 2.8.2 appends a replayed chunk whatever its
//! `Content-Range` says): after a failure the client asks the registry for the upload's status
//! (`GET <Location>` → `204` + `Range: 0-<end>`) and sends again from the byte after `end`.
//! When the registry has lost the session (2.8.2 refuses a stale `Location` whose chunk landed
//! but whose answer was lost), the upload fails with [`Error::Network`] and the caller reopens
//! its source. After a lost answer to the final `PUT`, a `HEAD` tells whether the blob landed.

use bytes::{Bytes, BytesMut};
use reqwest::header::{CONTENT_LENGTH, CONTENT_TYPE, HeaderMap};
use reqwest::{Method, StatusCode, Url};
use tokio::io::AsyncReadExt;

use super::client::{ReqBody, status_error};
use super::repository::{Repository, header_str};
use crate::error::{Error, Result};
use crate::manifest::Descriptor;
use crate::source::BlobStream;

/// The end of `Range: 0-<end>` (or `bytes=0-<end>`) as the number of bytes the registry holds.
/// distribution answers `0-0` for an empty upload too, so `0-0` counts as nothing.
pub(crate) fn range_len(headers: &HeaderMap) -> Option<u64> {
    let v = header_str(headers, "range")?.trim();
    let v = v.strip_prefix("bytes=").unwrap_or(v);
    let (start, end) = v.split_once('-')?;
    let (start, end): (u64, u64) = (start.trim().parse().ok()?, end.trim().parse().ok()?);
    if start != 0 || end == 0 { Some(0) } else { Some(end + 1) }
}

/// Largest chunk held in memory, whatever `OCI-Chunk-Min-Length` asks for.
const MAX_CHUNK: u64 = 64 * 1024 * 1024;

/// One upload session.
struct Session {
    location: Url,
    chunk: usize,
}

impl Repository {
    /// Push a large blob from `content` in chunks; see the module docs.
    pub(crate) async fn push_blob_chunked(&self, descriptor: &Descriptor, mut content: BlobStream) -> Result<()> {
        let what = format!("upload blob {} to {} (chunked)", descriptor.digest, self.reference.name());
        let policy = self.client.retry_policy();
        let mut session = self.start_session(&what).await?;
        // The registry holds bytes [0, sent); `buf` holds [buf_start, buf_start + buf.len()).
        let (mut sent, mut buf_start) = (0u64, 0u64);
        let mut buf = BytesMut::new();
        let mut failures = 0u32;
        loop {
            if sent == buf_start + buf.len() as u64 {
                buf_start = sent;
                buf = read_chunk(&mut content, session.chunk, &descriptor.digest.to_string()).await?;
                if buf.is_empty() {
                    break;
                }
                if buf_start + buf.len() as u64 > descriptor.size {
                    return Err(Error::SizeMismatch {
                        what: format!("blob {} to upload", descriptor.digest),
                        expected: descriptor.size,
                        actual: buf_start + buf.len() as u64,
                    });
                }
            }
            let body = Bytes::copy_from_slice(&buf[(sent - buf_start) as usize..]);
            let end = sent + body.len() as u64 - 1;
            let mut req = self
                .req(Method::PATCH, session.location.to_string(), true, what.clone())
                .header(CONTENT_TYPE, "application/octet-stream")
                .header(CONTENT_LENGTH, body.len().to_string())
                .header(reqwest::header::CONTENT_RANGE, format!("{sent}-{end}"));
            req.body = ReqBody::Bytes(body);
            req.retry = false;
            let failure = match self.client.send(req).await {
                Ok(r) if r.status() == StatusCode::ACCEPTED => {
                    if let Some(loc) = header_str(r.headers(), "location") {
                        session.location = self.location_url(loc).await?;
                    }
                    let now = range_len(r.headers()).unwrap_or(end + 1);
                    if now != end + 1 {
                        // The registry kept less (or more) than sent: continue from what it has.
                        tracing::warn!(%what, sent = end + 1, kept = now, "registry kept part of a chunk");
                    }
                    sent = now;
                    if sent < buf_start || sent > buf_start + buf.len() as u64 {
                        return Err(Error::Network(format!(
                            "{what}: the registry reports {sent} bytes, outside the chunk in hand; run the command \
                             again"
                        )));
                    }
                    continue;
                }
                Ok(r) if super::retry::is_retryable_status(r.status()) => {
                    let status = r.status();
                    format!("{status}")
                }
                Ok(r) => return Err(status_error(&what, r).await),
                Err(e @ Error::Network(_)) => e.to_string(),
                Err(e) => return Err(e),
            };
            failures += 1;
            if failures >= policy.max_attempts {
                return Err(Error::Network(format!("{what}: {failure} ({failures} attempts)")));
            }
            tokio::time::sleep(policy.backoff(failures)).await;
            let now = self.upload_status(&mut session, &what).await?;
            tracing::warn!(%what, offset = now, "chunk upload interrupted ({failure}); resuming where the registry is");
            if now < buf_start || now > buf_start + buf.len() as u64 {
                return Err(Error::Network(format!(
                    "{what}: interrupted, and the registry holds {now} bytes, outside the chunk in hand; run the \
                     command again"
                )));
            }
            sent = now;
        }
        if sent != descriptor.size {
            return Err(Error::SizeMismatch {
                what: format!("blob {} to upload", descriptor.digest),
                expected: descriptor.size,
                actual: sent,
            });
        }
        self.finish_chunked(&session, descriptor, &what).await
    }

    /// `POST` a new upload session.
    async fn start_session(&self, what: &str) -> Result<Session> {
        let (location, headers) = self.start_upload_with_headers().await?;
        let min = header_str(&headers, "oci-chunk-min-length").and_then(|v| v.trim().parse::<u64>().ok()).unwrap_or(0);
        let configured = self.client.config().upload_chunk_bytes.max(1);
        // Bounded memory: a registry asking for chunks above 64 MiB gets 64 MiB chunks (and
        // may refuse them, which is an error, not an allocation of its choosing).
        let chunk = configured.max(min).min(MAX_CHUNK) as usize;
        tracing::debug!(what, chunk, "chunked upload started");
        Ok(Session { location, chunk })
    }

    /// `GET <Location>`: how many bytes the registry holds; refreshes the Location.
    async fn upload_status(&self, session: &mut Session, what: &str) -> Result<u64> {
        let mut req = self.req(Method::GET, session.location.to_string(), true, format!("{what}: status"));
        req.timeout = Some(self.client.small_timeout());
        let r = self.client.send(req).await?;
        if r.status() != StatusCode::NO_CONTENT && !r.status().is_success() {
            let err = status_error(&format!("{what}: upload status"), r).await;
            return Err(Error::Network(format!("{err}; the registry lost the upload session, run the command again")));
        }
        if let Some(loc) = header_str(r.headers(), "location") {
            session.location = self.location_url(loc).await?;
        }
        range_len(r.headers()).ok_or_else(|| {
            Error::Network(format!("{what}: the registry's upload status has no Range; run the command again"))
        })
    }

    /// The closing `PUT ?digest=` (no body); a lost answer is settled with a `HEAD`.
    async fn finish_chunked(&self, session: &Session, descriptor: &Descriptor, what: &str) -> Result<()> {
        let policy = self.client.retry_policy();
        let mut attempt = 0;
        loop {
            attempt += 1;
            match self.finish_upload(&session.location, descriptor, ReqBody::Empty, Some(0)).await {
                Ok(()) => return Ok(()),
                Err(super::repository::UploadError::Transient(e)) if attempt < policy.max_attempts => {
                    tokio::time::sleep(policy.backoff(attempt)).await;
                    if self.has_blob(descriptor).await? {
                        return Ok(());
                    }
                    tracing::warn!(what, "closing PUT failed, trying again: {e}");
                }
                Err(super::repository::UploadError::Transient(e) | super::repository::UploadError::Fatal(e)) => {
                    return Err(e);
                }
            }
        }
    }
}

/// Read up to `chunk` bytes (fewer only at the end of the stream).
async fn read_chunk(content: &mut BlobStream, chunk: usize, digest: &str) -> Result<BytesMut> {
    let mut buf = BytesMut::with_capacity(chunk);
    while buf.len() < chunk {
        let n = (&mut *content)
            .take((chunk - buf.len()) as u64)
            .read_buf(&mut buf)
            .await
            .map_err(|e| crate::blob::from_io(&format!("reading blob {digest} to upload"), e))?;
        if n == 0 {
            break;
        }
    }
    Ok(buf)
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    #[test]
    fn ranges() {
        let h = |v: &'static str| {
            let mut m = HeaderMap::new();
            m.insert("range", HeaderValue::from_static(v));
            m
        };
        assert_eq!(range_len(&h("0-15")), Some(16));
        assert_eq!(range_len(&h("bytes=0-99")), Some(100));
        assert_eq!(range_len(&h("0-0")), Some(0));
        assert_eq!(range_len(&h("5-9")), Some(0));
        assert_eq!(range_len(&h("garbage")), None);
        assert_eq!(range_len(&HeaderMap::new()), None);
    }
}
