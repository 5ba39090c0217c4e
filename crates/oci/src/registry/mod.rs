//! The registry client: OCI distribution-spec v1.1 over HTTP(S).
//!
//! Written on `reqwest` rather than on `oci-client` because what chainseal must do lives in
//! what that crate hides (see `oci.md` §2.4): response headers (`OCI-Subject`,
//! `Docker-Content-Digest`, `Retry-After`, `OCI-Filters-Applied`, `Link`), retries with
//! backoff, token-server errors (it drops them), referrers errors (its fallback maps any
//! error to "no referrers"), the fallback-index write side, mount answers of 202, and
//! manifests pushed as the exact bytes given (its `push_manifest` re-serialises). What is left
//! of the protocol is small: a dozen endpoints.
//!
//! - [`RegistryConfig`]: credentials, insecure hosts, extra CAs, [`RetryPolicy`], [`Timeouts`].
//! - [`RegistryClient`]: one per configuration; opens [`Repository`] handles.
//! - [`Repository`]: resolve / fetch / push manifests and blobs, tags, referrers (API and
//!   fallback index), cosign attachment tags. It is a [`crate::source::ContentSource`] and a
//!   [`crate::source::ContentSink`].
//!
//! Transport: HTTPS with the system roots plus `--ca` files; plain HTTP only for hosts named
//! with `--insecure-registry`, and for loopback hosts that do not speak TLS (HTTPS is tried
//! first; see [`transport`](self) rules in `transport.rs`).

pub(crate) mod auth;
mod blob_get;
mod client;
mod config;
mod content;
pub(crate) mod credentials;
mod prepared;
mod referrers;
mod repository;
mod retry;
mod tls;
mod transport;
mod upload;

pub use client::RegistryClient;
pub use config::{Credential, CredentialSource, DockerConfigLocation, RegistryConfig, Secret, Timeouts};
pub use prepared::BlobUpload;
pub use referrers::{CosignAttachment, ReferrersSupport, fallback_entry};
pub use repository::{PushedManifest, Repository};
pub use retry::RetryPolicy;

use crate::error::Result;
use crate::reference::Reference;

/// Open the repository `reference` names with a fresh client built from `config`
/// (what the SOURCE-string parser calls for `registry:REF` and bare references).
pub fn open(reference: &Reference, config: &RegistryConfig) -> Result<Repository> {
    Ok(RegistryClient::new(config.clone())?.repository(reference))
}
