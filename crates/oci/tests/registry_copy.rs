//! `copy_image` between registries and OCI layouts: digests kept, attachments (referrers,
//! referrers of referrers, cosign `.sig` tags) carried along.
#![allow(clippy::unwrap_used, clippy::panic)]

mod registry_common;

use bytes::Bytes;
use chainseal_oci::OciLayout;
use chainseal_oci::copy::{CopyOptions, copy_image};
use chainseal_oci::manifest::{Descriptor, RawManifest};
use chainseal_oci::media_type;
use chainseal_oci::registry::{CosignAttachment, RegistryClient};
use chainseal_oci::source::ContentSource;
use registry_common::*;

const MULTIARCH_INDEX: &str = "sha256:f2b70c094573f9af3ee4ff368beedef79dd3b69a4235470b46002ce7e67dffad";

#[tokio::test]
async fn registry_to_layout_to_registry_keeps_digests() {
    let (Some(plain), Some(ferro)) =
        (registry("CHAINSEAL_TEST_REGISTRY_PLAIN"), registry("CHAINSEAL_TEST_REGISTRY_REFERRERS"))
    else {
        return;
    };
    let client = RegistryClient::new(anonymous_config()).unwrap();
    let fixture = OciLayout::open(workspace().join("testdata/images/multiarch")).await.unwrap();
    let a = repo(&client, &plain, &unique_repo("copy-a"));
    let mut opts = CopyOptions::default();
    opts.dest_tag = Some("v1".into());
    let report = copy_image(&fixture, "latest", &a, &opts).await.unwrap();
    assert_eq!(report.digest.to_string(), MULTIARCH_INDEX);
    assert_eq!(report.manifests, 3);

    let dir = tempfile::tempdir().unwrap();
    let layout = OciLayout::create(dir.path().join("copy")).await.unwrap();
    copy_image(&a, "v1", &layout, &opts).await.unwrap();
    let b = repo(&client, &ferro, &unique_repo("copy-b"));
    let again = copy_image(&layout, "v1", &b, &opts).await.unwrap();
    assert_eq!(again.digest.to_string(), MULTIARCH_INDEX);
    let there = b.manifest("v1").await.unwrap();
    assert_eq!(there.bytes, fixture.manifest("latest").await.unwrap().bytes, "exact bytes survive both hops");
    // A second copy transfers nothing.
    let third = copy_image(&layout, "v1", &b, &opts).await.unwrap();
    assert_eq!(third.blobs_copied, 0);
    assert_eq!(third.blobs_skipped, 4);
}

/// A cosign-style `.sig` image: one simple-signing layer with a signature annotation.
async fn push_sig(repo: &chainseal_oci::registry::Repository, subject: &RawManifest) -> RawManifest {
    let payload = format!(
        r#"{{"critical":{{"identity":{{"docker-reference":"{}"}},"image":{{"docker-manifest-digest":"{}"}},"type":"cosign container image signature"}},"optional":null}}"#,
        repo.reference().name(),
        subject.digest
    );
    let config = br#"{"architecture":"","os":"","config":{},"rootfs":{"type":"layers","diff_ids":[]}}"#;
    let layer = Descriptor::for_bytes(media_type::COSIGN_SIMPLESIGNING, payload.as_bytes());
    let cd = Descriptor::for_bytes(media_type::OCI_CONFIG, config);
    repo.push_blob_bytes(&layer, Bytes::from(payload.clone())).await.unwrap();
    repo.push_blob_bytes(&cd, Bytes::from_static(config)).await.unwrap();
    let doc = serde_json::json!({"schemaVersion":2,"mediaType":media_type::OCI_MANIFEST,
        "config":{"mediaType":cd.media_type,"digest":cd.digest,"size":cd.size},
        "layers":[{"mediaType":layer.media_type,"digest":layer.digest,"size":layer.size,
                   "annotations":{"dev.cosignproject.cosign/signature":"MEUCIQDtest"}}]});
    let raw = RawManifest::from_bytes(serde_json::to_vec(&doc).unwrap(), None).unwrap();
    repo.push_manifest(&raw, Some(&CosignAttachment::Signature.tag_for(&subject.digest))).await.unwrap();
    raw
}

#[tokio::test]
async fn copy_with_attachments_to_fallback_native_and_layout() {
    let (Some(plain), Some(ferro)) =
        (registry("CHAINSEAL_TEST_REGISTRY_PLAIN"), registry("CHAINSEAL_TEST_REGISTRY_REFERRERS"))
    else {
        return;
    };
    let client = RegistryClient::new(anonymous_config()).unwrap();
    let src = repo(&client, &plain, &unique_repo("att-src"));
    let image = tiny_image("attachments");
    push_tiny(&src, &image, Some("v1")).await;
    let (sbom, l1, p1) = artifact(&image.manifest, "application/spdx+json", b"{\"sbom\":true}", &[("k", "v")]);
    push_artifact(&src, &sbom, &l1, p1).await;
    let (sig_of_sbom, l2, p2) = artifact(&sbom, media_type::SIGSTORE_BUNDLE_V03, b"{\"bundle\":1}", &[]);
    push_artifact(&src, &sig_of_sbom, &l2, p2).await;
    let sig = push_sig(&src, &image.manifest).await;

    let mut opts = CopyOptions::default();
    opts.with_attachments = true;
    opts.dest_tag = Some("v1".into());

    // 1. To a registry without the referrers API: fallback indexes are written.
    let dst = repo(&client, &plain, &unique_repo("att-dst"));
    let report = copy_image(&src, "v1", &dst, &opts).await.unwrap();
    assert_eq!(report.digest, image.manifest.digest);
    assert_eq!(report.referrers.len(), 2, "{report:?}");
    assert_eq!(report.cosign_tags, vec![CosignAttachment::Signature.tag_for(&image.manifest.digest)]);
    let found = dst.referrers(&image.manifest.digest, None).await.unwrap();
    assert_eq!(found.manifests.iter().map(|d| &d.digest).collect::<Vec<_>>(), vec![&sbom.digest]);
    let nested = dst.referrers(&sbom.digest, None).await.unwrap();
    assert_eq!(nested.manifests.iter().map(|d| &d.digest).collect::<Vec<_>>(), vec![&sig_of_sbom.digest]);
    let sig_there = dst.cosign_attachment(&image.manifest.digest, CosignAttachment::Signature).await.unwrap().unwrap();
    assert_eq!(sig_there.bytes, sig.bytes);

    // 2. To a registry with the referrers API: no fallback tags.
    let native = repo(&client, &ferro, &unique_repo("att-native"));
    copy_image(&src, "v1", &native, &opts).await.unwrap();
    assert_eq!(
        native.referrers(&image.manifest.digest, Some("application/spdx+json")).await.unwrap().manifests.len(),
        1
    );
    assert!(native.manifest_if_exists(&image.manifest.digest.referrers_fallback_tag()).await.unwrap().is_none());
    assert!(native.cosign_attachment(&image.manifest.digest, CosignAttachment::Signature).await.unwrap().is_some());

    // 3. To an OCI layout, and back to a registry.
    let dir = tempfile::tempdir().unwrap();
    let layout = OciLayout::create(dir.path().join("att")).await.unwrap();
    copy_image(&src, "v1", &layout, &opts).await.unwrap();
    assert_eq!(layout.referrers(&image.manifest.digest, None).await.unwrap().manifests.len(), 1);
    assert!(layout.tags().await.unwrap().contains(&CosignAttachment::Signature.tag_for(&image.manifest.digest)));
    let back = repo(&client, &plain, &unique_repo("att-back"));
    let r = copy_image(&layout, "v1", &back, &opts).await.unwrap();
    assert_eq!(r.referrers.len(), 2);
    assert_eq!(back.referrers(&sbom.digest, None).await.unwrap().manifests.len(), 1);

    // Without --with-attachments nothing else comes along.
    let bare = repo(&client, &plain, &unique_repo("att-bare"));
    let mut plain_opts = CopyOptions::default();
    plain_opts.dest_tag = Some("v1".into());
    let r = copy_image(&src, "v1", &bare, &plain_opts).await.unwrap();
    assert!(r.referrers.is_empty() && r.cosign_tags.is_empty());
    assert!(bare.referrers(&image.manifest.digest, None).await.unwrap().manifests.is_empty());
}

#[tokio::test]
async fn copy_one_platform_out_of_an_index_keeps_its_digest() {
    let Some(plain) = registry("CHAINSEAL_TEST_REGISTRY_PLAIN") else { return };
    const ARM64: &str = "sha256:6afa7137b4bc1742f18eb0fb5a1fa99b625b118b5f0a392a45a9bb42eeee08b2";
    let client = RegistryClient::new(anonymous_config()).unwrap();
    let fixture = OciLayout::open(workspace().join("testdata/images/multiarch")).await.unwrap();
    let dest = repo(&client, &plain, &unique_repo("copy-platform"));
    let mut opts = CopyOptions::default();
    opts.dest_tag = Some("v1".into());
    opts.platform = Some(chainseal_oci::manifest::Platform::parse("linux/arm64/v8").unwrap());
    let report = copy_image(&fixture, "latest", &dest, &opts).await.unwrap();
    assert_eq!(report.digest.to_string(), ARM64);
    assert_eq!((report.manifests, report.blobs_copied), (1, 2), "the arm64 manifest, its config and layer");
    let there = dest.manifest("v1").await.unwrap();
    assert_eq!(there.digest.to_string(), ARM64);
    assert_eq!(there.bytes, fixture.manifest(ARM64).await.unwrap().bytes, "exact bytes");
    let index: chainseal_oci::Digest = MULTIARCH_INDEX.parse().unwrap();
    assert!(!dest.has_manifest(&index).await.unwrap(), "the index is not copied");
    let amd64: chainseal_oci::Digest =
        "sha256:f8991e501d8375fb8e6ea3fe0c9ecd0627a78f2e71fade189315cb3eae2ecaa9".parse().unwrap();
    assert!(!dest.has_manifest(&amd64).await.unwrap(), "nor the other platform");

    // Without a variant, linux/arm64 still matches; a platform not on offer is refused by name.
    opts.platform = Some(chainseal_oci::manifest::Platform::parse("linux/arm64").unwrap());
    assert_eq!(copy_image(&fixture, "latest", &dest, &opts).await.unwrap().digest.to_string(), ARM64);
    opts.platform = Some(chainseal_oci::manifest::Platform::parse("linux/s390x").unwrap());
    let err = copy_image(&fixture, "latest", &dest, &opts).await.unwrap_err();
    assert!(err.to_string().contains("linux/amd64, linux/arm64/v8"), "{err}");
}
