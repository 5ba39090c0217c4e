//! Pushes prepared ahead of their content (`open_upload` → `push_blob_bytes_via` →
//! `push_manifest_after_blobs`, what `chainseal sign` does) against real registries: the same
//! result as the ordinary pushes, the fallback index kept under concurrent writers, and
//! nothing accepted that the ordinary path would refuse.
#![allow(clippy::unwrap_used, clippy::panic)]

mod registry_common;

use bytes::Bytes;
use chainseal_oci::manifest::{Descriptor, RawManifest};
use chainseal_oci::media_type;
use chainseal_oci::registry::{ReferrersSupport, RegistryClient, Repository};
use registry_common::*;

const BUNDLE: &str = "application/vnd.dev.sigstore.bundle.v0.3+json";

/// The empty config, pushed the ordinary way (as `chainseal sign` does before the key is ready).
async fn push_empty_config(repo: &Repository) {
    repo.push_blob_bytes(&Descriptor::for_bytes(media_type::OCI_EMPTY, b"{}"), Bytes::from_static(b"{}"))
        .await
        .unwrap();
}

/// A referrer of `subject` pushed the prepared way; returns the manifest and what the push said.
async fn push_prepared(
    repo: &Repository,
    subject: &RawManifest,
    payload: &[u8],
) -> (RawManifest, chainseal_oci::registry::PushedManifest) {
    let upload = repo.open_upload().await.unwrap();
    push_empty_config(repo).await;
    let (raw, layer, bytes) = artifact(subject, BUNDLE, payload, &[("n", "1")]);
    repo.push_blob_bytes_via(upload, &layer, bytes).await.unwrap();
    let pushed = repo.push_manifest_after_blobs(&raw, None).await.unwrap();
    (raw, pushed)
}

/// A fresh repository on the registry `var` names holding one tiny image, or `None` when the
/// test registries are not running.
async fn repo_with_image(var: &str, prefix: &str) -> Option<(Repository, TinyImage)> {
    let host = registry(var)?;
    let client = RegistryClient::new(anonymous_config()).unwrap();
    let repo = repo(&client, &host, &unique_repo(prefix));
    let image = tiny_image(prefix);
    push_tiny(&repo, &image, Some("v1")).await;
    Some((repo, image))
}

#[tokio::test]
async fn prepared_push_on_distribution_updates_the_fallback_index() {
    let Some((repo, image)) = repo_with_image("CHAINSEAL_TEST_REGISTRY_PLAIN", "prepared").await else { return };
    let subject = &image.manifest.digest;
    assert_eq!(repo.referrers_support(subject).await.unwrap(), ReferrersSupport::TagFallback);

    let (raw, pushed) = push_prepared(&repo, &image.manifest, b"{\"bundle\":1}").await;
    assert_eq!(pushed.digest, raw.digest);
    assert!(!pushed.subject_acknowledged, "2.8.2 sends no OCI-Subject");
    assert!(pushed.fallback_index_updated);
    // The blob went up whole and is served back as sent.
    let layer = Descriptor::for_bytes(BUNDLE, b"{\"bundle\":1}");
    assert_eq!(repo.blob_bytes(&layer, 1024).await.unwrap(), b"{\"bundle\":1}");
    assert_eq!(repo.manifest(&raw.digest.to_string()).await.unwrap().bytes, raw.bytes);
    let (index, _) = repo.fallback_index(subject).await.unwrap();
    assert_eq!(index.manifests.len(), 1, "{index:?}");
    assert_eq!(index.manifests[0].digest, raw.digest);
    assert_eq!(index.manifests[0].artifact_type.as_deref(), Some(BUNDLE));
    assert_eq!(index.manifests[0].annotation("n"), Some("1"));

    // A second referrer joins the first; the same one again adds no duplicate.
    let (second, _) = push_prepared(&repo, &image.manifest, b"{\"bundle\":2}").await;
    repo.push_manifest_after_blobs(&second, None).await.unwrap();
    let (index, _) = repo.fallback_index(subject).await.unwrap();
    let digests: Vec<_> = index.manifests.iter().map(|d| d.digest.clone()).collect();
    assert_eq!(digests, vec![raw.digest.clone(), second.digest.clone()]);
}

#[tokio::test]
async fn concurrent_prepared_writers_keep_every_entry() {
    let Some((base, image)) = repo_with_image("CHAINSEAL_TEST_REGISTRY_PLAIN", "prepared-concurrent").await else {
        return;
    };
    // Separate clients: nothing in-process serialises the writers, as with separate processes.
    let writers = (0..6).map(|i| {
        let repo = RegistryClient::new(anonymous_config()).unwrap().repository(base.reference());
        let subject = image.manifest.clone();
        tokio::spawn(async move { push_prepared(&repo, &subject, format!("bundle {i}").as_bytes()).await.0.digest })
    });
    let mut written: Vec<_> = futures_util::future::join_all(writers).await.into_iter().map(Result::unwrap).collect();
    let (index, _) = base.fallback_index(&image.manifest.digest).await.unwrap();
    let mut listed: Vec<_> = index.manifests.iter().map(|d| d.digest.clone()).collect();
    written.sort_by_key(ToString::to_string);
    listed.sort_by_key(ToString::to_string);
    assert_eq!(listed, written, "every writer's entry exactly once");
}

#[tokio::test]
async fn prepared_push_on_ferro_uses_the_referrers_api() {
    let Some((repo, image)) = repo_with_image("CHAINSEAL_TEST_REGISTRY_REFERRERS", "prepared-native").await else {
        return;
    };
    let subject = &image.manifest.digest;
    let (raw, pushed) = push_prepared(&repo, &image.manifest, b"{\"bundle\":3}").await;
    assert!(pushed.subject_acknowledged, "ferro answers with OCI-Subject");
    assert!(!pushed.fallback_index_updated);
    assert!(repo.manifest_if_exists(&subject.referrers_fallback_tag()).await.unwrap().is_none());
    let found = repo.referrers(subject, Some(BUNDLE)).await.unwrap();
    assert_eq!(found.manifests.iter().map(|d| d.digest.clone()).collect::<Vec<_>>(), vec![raw.digest]);
}

#[tokio::test]
async fn prepared_pushes_refuse_what_the_ordinary_ones_refuse() {
    let Some((repo, image)) = repo_with_image("CHAINSEAL_TEST_REGISTRY_PLAIN", "prepared-refusals").await else {
        return;
    };

    // Bytes that do not match their descriptor are refused before anything is sent.
    let upload = repo.open_upload().await.unwrap();
    let claimed = Descriptor::for_bytes(BUNDLE, b"what was signed");
    let err = repo.push_blob_bytes_via(upload, &claimed, Bytes::from_static(b"something else")).await.unwrap_err();
    assert!(err.to_string().to_lowercase().contains("digest") || err.to_string().contains("size"), "{err}");
    assert!(!repo.has_blob(&claimed).await.unwrap());

    // Skipping our HEADs does not let a manifest whose layer is missing in: the registry
    // refuses it, and no fallback-index entry is written for it.
    push_empty_config(&repo).await;
    let (raw, _layer, _) = artifact(&image.manifest, BUNDLE, b"never pushed", &[]);
    assert!(repo.push_manifest_after_blobs(&raw, None).await.is_err());
    let (index, _) = repo.fallback_index(&image.manifest.digest).await.unwrap();
    assert!(index.manifests.iter().all(|d| d.digest != raw.digest), "{index:?}");

    // Manifest bytes that do not match their digest are refused before the PUT.
    let mut forged = raw.clone();
    forged.bytes.push(b' ');
    assert!(repo.push_manifest_after_blobs(&forged, None).await.is_err());

    // An unused session can be given up.
    let upload = repo.open_upload().await.unwrap();
    repo.cancel_upload(upload).await;
}
