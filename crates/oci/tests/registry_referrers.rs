//! Referrers against real registries: the `sha256-<hex>` fallback index on distribution
//! 2.8.2 (no referrers API) and the native API on ferro-oci-server.
#![allow(clippy::unwrap_used, clippy::panic)]

mod registry_common;

use chainseal_oci::manifest::{Descriptor, ImageIndex};
use chainseal_oci::media_type;
use chainseal_oci::registry::{ReferrersSupport, RegistryClient, RetryPolicy};
use registry_common::*;

const SBOM: &str = "application/spdx+json";
const BUNDLE: &str = "application/vnd.dev.sigstore.bundle.v0.3+json";

#[tokio::test]
async fn fallback_index_on_distribution() {
    let Some(host) = registry("CHAINSEAL_TEST_REGISTRY_PLAIN") else { return };
    let client = RegistryClient::new(anonymous_config()).unwrap();
    let repo = repo(&client, &host, &unique_repo("fallback"));
    let image = tiny_image("fallback");
    push_tiny(&repo, &image, Some("v1")).await;
    let subject = &image.manifest.digest;
    assert_eq!(repo.referrers_support(subject).await.unwrap(), ReferrersSupport::TagFallback);
    assert!(repo.referrers(subject, None).await.unwrap().manifests.is_empty(), "no tag yet: none");

    let (a, layer, payload) = artifact(
        &image.manifest,
        SBOM,
        b"{\"spdx\":1}",
        &[("org.opencontainers.image.created", "2026-01-01T00:00:00Z")],
    );
    let pushed = push_artifact(&repo, &a, &layer, payload.clone()).await;
    assert!(!pushed.subject_acknowledged, "2.8.2 sends no OCI-Subject");
    assert!(pushed.fallback_index_updated);
    // Pushing the same referrer again adds no duplicate.
    push_artifact(&repo, &a, &layer, payload).await;

    let (index, raw) = repo.fallback_index(subject).await.unwrap();
    let raw = raw.expect("the fallback tag exists");
    assert_eq!(raw.media_type, media_type::OCI_INDEX);
    assert_eq!(index.media_type.as_deref(), Some(media_type::OCI_INDEX));
    assert_eq!(index.manifests.len(), 1, "{index:?}");
    let entry = &index.manifests[0];
    assert_eq!(entry.digest, a.digest);
    assert_eq!(entry.size, a.bytes.len() as u64);
    assert_eq!(entry.artifact_type.as_deref(), Some(SBOM));
    assert_eq!(entry.annotation("org.opencontainers.image.created"), Some("2026-01-01T00:00:00Z"));
    assert!(repo.tags().await.unwrap().contains(&subject.referrers_fallback_tag()));

    let (b, layer_b, payload_b) = artifact(&image.manifest, BUNDLE, b"{\"bundle\":1}", &[]);
    push_artifact(&repo, &b, &layer_b, payload_b).await;
    let all = repo.referrers(subject, None).await.unwrap();
    assert_eq!(all.manifests.len(), 2);
    let sboms = repo.referrers(subject, Some(SBOM)).await.unwrap();
    assert_eq!(sboms.manifests.iter().map(|d| d.digest.clone()).collect::<Vec<_>>(), vec![a.digest.clone()]);
    assert!(repo.referrers(subject, Some("application/x-none")).await.unwrap().manifests.is_empty());

    // Independent reader: crane sees the same index under the tag.
    let out = run(
        &tool("crane"),
        &["manifest", "--insecure", &format!("{}:{}", repo.reference().name(), subject.referrers_fallback_tag())],
    );
    let theirs: ImageIndex = serde_json::from_str(&out).unwrap();
    assert_eq!(theirs.manifests.len(), 2);
}

#[tokio::test]
async fn concurrent_writers_keep_every_entry() {
    let Some(host) = registry("CHAINSEAL_TEST_REGISTRY_PLAIN") else { return };
    let name = unique_repo("concurrent");
    let setup = RegistryClient::new(anonymous_config()).unwrap();
    let base = repo(&setup, &host, &name);
    let image = tiny_image("concurrent");
    push_tiny(&base, &image, Some("v1")).await;
    let mut tasks = Vec::new();
    for i in 0..6 {
        // Separate clients: nothing in-process serialises them, as with separate processes.
        let client = RegistryClient::new(anonymous_config()).unwrap();
        let repo = repo(&client, &host, &name);
        let subject = image.manifest.clone();
        tasks.push(tokio::spawn(async move {
            let (a, layer, payload) =
                artifact(&subject, SBOM, format!("payload {i}").as_bytes(), &[("n", &i.to_string())]);
            push_artifact(&repo, &a, &layer, payload).await;
            a.digest
        }));
    }
    let mut expected = Vec::new();
    for t in tasks {
        expected.push(t.await.unwrap());
    }
    let (index, _) = base.fallback_index(&image.manifest.digest).await.unwrap();
    for d in &expected {
        assert_eq!(
            index.manifests.iter().filter(|e| &e.digest == d).count(),
            1,
            "{d} missing or duplicated: {index:?}"
        );
    }
    assert_eq!(index.manifests.len(), expected.len());
}

#[tokio::test]
async fn entries_without_artifact_type_are_decided_from_the_manifest() {
    let Some(host) = registry("CHAINSEAL_TEST_REGISTRY_PLAIN") else { return };
    let client = RegistryClient::new(anonymous_config()).unwrap();
    let repo = repo(&client, &host, &unique_repo("olderwriter"));
    let image = tiny_image("olderwriter");
    push_tiny(&repo, &image, None).await;
    let (a, layer, payload) = artifact(&image.manifest, SBOM, b"sbom", &[]);
    // Push the blobs and the manifest by digest with a client that knows nothing of
    // referrers, then write the index the way older go-containerregistry did: no artifactType.
    repo.push_blob_bytes(&Descriptor::for_bytes(media_type::OCI_EMPTY, b"{}"), bytes::Bytes::from_static(b"{}"))
        .await
        .unwrap();
    repo.push_blob_bytes(&layer, payload).await.unwrap();
    let tag = image.manifest.digest.referrers_fallback_tag();
    let index = serde_json::json!({"schemaVersion":2,"mediaType":media_type::OCI_INDEX,"manifests":[{"mediaType":media_type::OCI_MANIFEST,"digest":a.digest,"size":a.bytes.len()}]});
    let manifest_url = format!("http://{host}/v2/{}/manifests/{}", repo.reference().repository(), a.digest);
    run(
        "curl",
        &[
            "-sSf",
            "-X",
            "PUT",
            "-H",
            &format!("Content-Type: {}", media_type::OCI_MANIFEST),
            "--data-binary",
            std::str::from_utf8(&a.bytes).unwrap(),
            &manifest_url,
        ],
    );
    let index_url = format!("http://{host}/v2/{}/manifests/{tag}", repo.reference().repository());
    run(
        "curl",
        &[
            "-sSf",
            "-X",
            "PUT",
            "-H",
            &format!("Content-Type: {}", media_type::OCI_INDEX),
            "--data-binary",
            &index.to_string(),
            &index_url,
        ],
    );

    let found = repo.referrers(&image.manifest.digest, Some(SBOM)).await.unwrap();
    assert_eq!(found.manifests.len(), 1);
    assert_eq!(found.manifests[0].artifact_type.as_deref(), Some(SBOM));
    assert!(repo.referrers(&image.manifest.digest, Some(BUNDLE)).await.unwrap().manifests.is_empty());
}

#[tokio::test]
async fn a_tag_that_is_not_an_index_is_an_error() {
    let Some(host) = registry("CHAINSEAL_TEST_REGISTRY_PLAIN") else { return };
    let client = RegistryClient::new(anonymous_config()).unwrap();
    let repo = repo(&client, &host, &unique_repo("notindex"));
    let image = tiny_image("notindex");
    push_tiny(&repo, &image, None).await;
    // Someone put an image manifest under the fallback tag.
    let other = tiny_image("squatter");
    push_tiny(&repo, &other, Some(&image.manifest.digest.referrers_fallback_tag())).await;
    let err = repo.referrers(&image.manifest.digest, None).await.unwrap_err();
    assert!(err.to_string().contains("should hold the OCI referrers index"), "{err}");
    let (a, layer, payload) = artifact(&image.manifest, SBOM, b"x", &[]);
    repo.push_blob_bytes(&Descriptor::for_bytes(media_type::OCI_EMPTY, b"{}"), bytes::Bytes::from_static(b"{}"))
        .await
        .unwrap();
    repo.push_blob_bytes(&layer, payload).await.unwrap();
    assert!(repo.push_manifest(&a, None).await.is_err(), "never overwrite a foreign tag");
}

#[tokio::test]
async fn registry_errors_are_never_no_referrers() {
    let Some(host) = registry("CHAINSEAL_TEST_REGISTRY_PLAIN") else { return };
    let proxy = FaultProxy::start(&host, "503,503,503,503");
    let mut config = anonymous_config();
    config.retry = RetryPolicy::new(2, std::time::Duration::from_millis(10), std::time::Duration::from_millis(20));
    let client = RegistryClient::new(config).unwrap();
    let repo = repo(&client, &proxy.addr, &unique_repo("errors"));
    let digest = tiny_image("errors").manifest.digest;
    let err = repo.referrers(&digest, None).await.unwrap_err();
    assert!(err.to_string().contains("503"), "{err}");
}

#[tokio::test]
async fn native_referrers_on_ferro() {
    let Some(host) = registry("CHAINSEAL_TEST_REGISTRY_REFERRERS") else { return };
    let client = RegistryClient::new(anonymous_config()).unwrap();
    let repo = repo(&client, &host, &unique_repo("native"));
    let image = tiny_image("native");
    push_tiny(&repo, &image, Some("v1")).await;
    let subject = &image.manifest.digest;
    let (a, layer, payload) = artifact(&image.manifest, SBOM, b"{\"spdx\":2}", &[("k", "v")]);
    let pushed = push_artifact(&repo, &a, &layer, payload).await;
    assert!(pushed.subject_acknowledged, "ferro answers with OCI-Subject");
    assert!(!pushed.fallback_index_updated);
    assert_eq!(repo.referrers_support(subject).await.unwrap(), ReferrersSupport::Native);
    assert!(
        repo.manifest_if_exists(&subject.referrers_fallback_tag()).await.unwrap().is_none(),
        "no fallback tag on a native registry"
    );
    let found = repo.referrers(subject, Some(SBOM)).await.unwrap();
    assert_eq!(found.manifests.len(), 1);
    assert_eq!(found.manifests[0].digest, a.digest);
    assert!(repo.referrers(subject, Some(BUNDLE)).await.unwrap().manifests.is_empty());
    assert_eq!(repo.referrers(subject, None).await.unwrap().manifests.len(), 1);
}
