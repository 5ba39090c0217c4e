//! Blob downloads that survive dropped connections: a body that breaks off (connection reset,
//! read timeout, a server that closes early) is resumed with `Range: bytes=<read>-` from the
//! byte already delivered, a bounded number of times ([`super::RetryPolicy::max_attempts`]).
//!
//! The consumer sees one continuous byte stream and verifies its size and digest as before
//! (the digest covers the whole blob, whichever responses it came from). A registry that
//! ignores `Range` (200 instead of 206) is read again from the start and the bytes already
//! delivered are skipped, so the stream stays the same; a 206 that starts anywhere else is
//! refused. A `416 Range Not Satisfiable` ends the stream, leaving the size check to report
//! a blob shorter than its descriptor.

use std::pin::Pin;

use bytes::Bytes;
use futures_util::{Stream, StreamExt};
use reqwest::header::RANGE;
use reqwest::{Method, StatusCode};

use super::client::{RegistryClient, Req, status_error};
use crate::error::{Error, Result};
use crate::source::BlobStream;

type Body = Pin<Box<dyn Stream<Item = reqwest::Result<Bytes>> + Send>>;

/// How to (re)request one blob.
pub(crate) struct BlobGet {
    pub(crate) client: RegistryClient,
    pub(crate) host: String,
    /// `/v2/<name>/blobs/<digest>`.
    pub(crate) target: String,
    pub(crate) scope: String,
    /// `GET blob repo@digest`, for messages.
    pub(crate) what: String,
    /// The size the descriptor states.
    pub(crate) size: u64,
}

/// What a (ranged) request gave.
enum Opened {
    /// A body; skip this many leading bytes (the registry ignored `Range`).
    Body(Body, u64),
    /// 416: nothing at or after the offset.
    Nothing,
}

impl BlobGet {
    /// Open the blob: the first request, then a stream that resumes itself.
    pub(crate) async fn open(self) -> Result<BlobStream> {
        let body = match self.request(0).await? {
            Opened::Body(body, _) => body,
            // Only possible for a ranged request; treat as an empty body.
            Opened::Nothing => Box::pin(futures_util::stream::empty()) as Body,
        };
        let state = Resuming { get: self, body, offset: 0, skip: 0, failures: 0, done: false };
        let stream = futures_util::stream::unfold(state, |mut st| async move {
            let item = st.next_chunk().await?;
            Some((item, st))
        });
        Ok(Box::pin(tokio_util::io::StreamReader::new(stream)))
    }

    /// `GET` the blob from `offset` on.
    async fn request(&self, offset: u64) -> Result<Opened> {
        let mut req = Req::new(Method::GET, &self.host, self.target.clone(), self.scope.clone(), self.what.clone());
        if offset > 0 {
            req = req.header(RANGE, format!("bytes={offset}-"));
        }
        let response = self.client.send(req).await?;
        let status = response.status();
        let skip = match status {
            StatusCode::OK => offset,
            StatusCode::PARTIAL_CONTENT if offset > 0 => {
                let range = response.headers().get("content-range").and_then(|v| v.to_str().ok()).unwrap_or("");
                match content_range_start(range) {
                    Some(start) if start == offset => 0,
                    _ => {
                        return Err(Error::Registry(format!(
                            "{}: asked to resume at byte {offset}, the registry answered the range {range:?}; run \
                             the command again",
                            self.what
                        )));
                    }
                }
            }
            StatusCode::RANGE_NOT_SATISFIABLE if offset > 0 => return Ok(Opened::Nothing),
            _ => return Err(status_error(&self.what, response).await),
        };
        Ok(Opened::Body(Box::pin(response.bytes_stream()), skip))
    }
}

/// The start of `bytes START-END/TOTAL`.
fn content_range_start(value: &str) -> Option<u64> {
    let rest = value.trim().strip_prefix("bytes")?.trim_start();
    let (start, _) = rest.split_once('-')?;
    start.trim().parse().ok()
}

struct Resuming {
    get: BlobGet,
    body: Body,
    /// Bytes handed to the consumer.
    offset: u64,
    /// Leading bytes of `body` the consumer already has.
    skip: u64,
    /// Broken bodies so far.
    failures: u32,
    done: bool,
}

impl Resuming {
    async fn next_chunk(&mut self) -> Option<std::io::Result<Bytes>> {
        loop {
            if self.done {
                return None;
            }
            let failure = match self.body.next().await {
                Some(Ok(mut chunk)) => {
                    if self.skip > 0 {
                        let k = (self.skip.min(chunk.len() as u64)) as usize;
                        chunk = chunk.slice(k..);
                        self.skip -= k as u64;
                    }
                    if chunk.is_empty() {
                        continue;
                    }
                    self.offset += chunk.len() as u64;
                    return Some(Ok(chunk));
                }
                Some(Err(e)) => super::transport::describe_error(&e),
                None if self.skip == 0 && self.offset >= self.get.size => {
                    self.done = true;
                    return None;
                }
                None => format!("the connection ended after {} of {} bytes", self.offset, self.get.size),
            };
            if self.skip == 0 && self.offset >= self.get.size {
                // Everything the descriptor promises has arrived; the digest check decides.
                tracing::debug!(what = %self.get.what, "blob complete before the connection failed: {failure}");
                self.done = true;
                return None;
            }
            self.failures += 1;
            let policy = self.get.client.retry_policy();
            if self.failures >= policy.max_attempts {
                self.done = true;
                return Some(Err(std::io::Error::other(Error::Network(format!(
                    "{}: {failure} ({} attempts; each resumed where the last stopped)",
                    self.get.what, self.failures
                )))));
            }
            let wait = policy.backoff(self.failures);
            tracing::warn!(what = %self.get.what, offset = self.offset, ?wait, "blob download broke off, resuming: {failure}");
            tokio::time::sleep(wait).await;
            match self.get.request(self.offset).await {
                Ok(Opened::Body(body, skip)) => {
                    self.body = body;
                    self.skip = skip;
                }
                Ok(Opened::Nothing) => {
                    self.done = true;
                    return None;
                }
                Err(e) => {
                    self.done = true;
                    return Some(Err(std::io::Error::other(e)));
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_range_starts() {
        assert_eq!(content_range_start("bytes 100-199/200"), Some(100));
        assert_eq!(content_range_start("bytes 0-4/16"), Some(0));
        assert_eq!(content_range_start("bytes */200"), None);
        assert_eq!(content_range_start("items 1-2/3"), None);
        assert_eq!(content_range_start(""), None);
    }
}
