//! Pushing and pulling against real registries (Debian's distribution 2.8.2 and
//! ferro-oci-server), and digest parity with skopeo and crane.
#![allow(clippy::unwrap_used, clippy::panic)]

mod registry_common;

use chainseal_oci::Digest;
use chainseal_oci::registry::RegistryClient;
use registry_common::*;
use sha2::Digest as _;
use tokio::io::AsyncReadExt;

async fn roundtrip(host: &str) {
    let client = RegistryClient::new(anonymous_config()).unwrap();
    let name = unique_repo("roundtrip");
    let repo = repo(&client, host, &name);
    let image = tiny_image(&name);
    push_tiny(&repo, &image, Some("v1")).await;
    // Pushing again skips existing blobs and stores the same bytes.
    push_tiny(&repo, &image, Some("v1")).await;

    let resolved = repo.resolve("v1").await.unwrap();
    assert_eq!(resolved.digest, image.manifest.digest);
    assert_eq!(resolved.size, image.manifest.bytes.len() as u64);
    let by_digest = repo.manifest(&image.manifest.digest.to_string()).await.unwrap();
    assert_eq!(by_digest.bytes, image.manifest.bytes, "the registry must store the exact bytes");
    let by_tag = repo.manifest("v1").await.unwrap();
    assert_eq!(by_tag.digest, image.manifest.digest);

    let layer = repo.blob_bytes(&image.layer.0, 1024).await.unwrap();
    assert_eq!(layer, image.layer.1.as_ref());
    let mut stream = repo.blob_stream(&image.config.0).await.unwrap();
    let mut all = Vec::new();
    stream.read_to_end(&mut all).await.unwrap();
    assert_eq!(all, image.config.1.as_ref());
    // A size limit below the blob size is refused before reading.
    assert!(repo.blob_bytes(&image.layer.0, 3).await.is_err());

    assert!(repo.tags().await.unwrap().contains(&"v1".to_string()));
    assert!(repo.has_blob(&image.layer.0).await.unwrap());
    let missing = chainseal_oci::manifest::Descriptor::for_bytes("x", b"never pushed");
    assert!(!repo.has_blob(&missing).await.unwrap());
    let err = repo.manifest("nosuchtag").await.unwrap_err();
    assert!(matches!(err, chainseal_oci::Error::NotFound(_)), "{err}");
}

#[tokio::test]
async fn roundtrip_on_distribution() {
    let Some(host) = registry("CHAINSEAL_TEST_REGISTRY_PLAIN") else { return };
    roundtrip(&host).await;
}

#[tokio::test]
async fn roundtrip_on_ferro_with_relative_locations() {
    let Some(host) = registry("CHAINSEAL_TEST_REGISTRY_REFERRERS") else { return };
    roundtrip(&host).await;
}

#[tokio::test]
async fn manifest_with_missing_blob_is_refused_and_nothing_written() {
    let Some(host) = registry("CHAINSEAL_TEST_REGISTRY_PLAIN") else { return };
    let client = RegistryClient::new(anonymous_config()).unwrap();
    let repo = repo(&client, &host, &unique_repo("missing"));
    let image = tiny_image("missing-blob");
    repo.push_blob_bytes(&image.config.0, image.config.1.clone()).await.unwrap();
    // The layer is never pushed: an interrupted copy.
    let err = repo.push_manifest(&image.manifest, Some("v1")).await.unwrap_err();
    assert!(err.to_string().contains("not in the repository"), "{err}");
    assert!(repo.manifest_if_exists("v1").await.unwrap().is_none());
    assert!(repo.manifest_if_exists(&image.manifest.digest.to_string()).await.unwrap().is_none());
}

#[tokio::test]
async fn tampered_blob_bytes_are_refused_before_upload() {
    let Some(host) = registry("CHAINSEAL_TEST_REGISTRY_PLAIN") else { return };
    let client = RegistryClient::new(anonymous_config()).unwrap();
    let repo = repo(&client, &host, &unique_repo("tamper"));
    let image = tiny_image("tamper");
    let err = repo.push_blob_bytes(&image.layer.0, bytes::Bytes::from_static(b"other bytes")).await.unwrap_err();
    assert!(matches!(err, chainseal_oci::Error::DigestMismatch { .. }), "{err}");
    assert!(!repo.has_blob(&image.layer.0).await.unwrap());
}

#[tokio::test]
async fn cross_repository_mount_and_fallback() {
    let Some(host) = registry("CHAINSEAL_TEST_REGISTRY_PLAIN") else { return };
    let client = RegistryClient::new(anonymous_config()).unwrap();
    let from_name = unique_repo("mount-from");
    let from = repo(&client, &host, &from_name);
    let image = tiny_image("mount");
    push_tiny(&from, &image, Some("v1")).await;
    let to = repo(&client, &host, &unique_repo("mount-to"));
    assert!(to.mount_blob(&image.layer.0, &from_name).await.unwrap(), "2.8.2 mounts a known blob (201)");
    assert!(to.has_blob(&image.layer.0).await.unwrap());
    let unknown = chainseal_oci::manifest::Descriptor::for_bytes("x", b"unknown to the registry");
    assert!(!to.mount_blob(&unknown, &from_name).await.unwrap(), "202 means: upload instead");
}

/// Digest parity: what chainseal resolves equals what skopeo and crane see, for an OCI
/// manifest, an OCI index, a Docker v2s2 manifest and a Docker manifest list.
#[tokio::test]
async fn tag_digests_match_skopeo_and_crane() {
    let Some(host) = registry("CHAINSEAL_TEST_REGISTRY_PLAIN") else { return };
    let images = workspace().join("testdata/images");
    let name = unique_repo("parity");
    let cases = [
        ("oci", "example", false, false),
        ("index", "multiarch", true, false),
        ("v2s2", "example", false, true),
        ("list", "multiarch", true, true),
    ];
    let client = RegistryClient::new(anonymous_config()).unwrap();
    let repo = repo(&client, &host, &name);
    for (tag, layout, all, docker) in cases {
        let src = format!("oci:{}:latest", images.join(layout).display());
        let dst = format!("docker://{host}/{name}:{tag}");
        let mut args = vec!["copy", "-q", "--dest-tls-verify=false"];
        if all {
            args.push("--all");
        }
        if docker {
            args.extend(["--format", "v2s2"]);
        }
        args.extend([src.as_str(), dst.as_str()]);
        run("skopeo", &args);

        let ours = repo.resolve(tag).await.unwrap();
        let raw = std::process::Command::new("skopeo")
            .args(["inspect", "--raw", "--tls-verify=false", &dst])
            .output()
            .unwrap()
            .stdout;
        let skopeo = format!("sha256:{}", hex::encode(sha2::Sha256::digest(&raw)));
        let crane = run(&tool("crane"), &["digest", "--insecure", &format!("{host}/{name}:{tag}")]);
        assert_eq!(ours.digest.to_string(), skopeo, "{tag}: chainseal vs skopeo");
        assert_eq!(ours.digest.to_string(), crane.trim(), "{tag}: chainseal vs crane");
        let fetched = repo.manifest(tag).await.unwrap();
        assert_eq!(fetched.bytes, raw, "{tag}: same bytes as skopeo --raw");
        let expected_type = match (all, docker) {
            (false, false) => chainseal_oci::media_type::OCI_MANIFEST,
            (true, false) => chainseal_oci::media_type::OCI_INDEX,
            (false, true) => chainseal_oci::media_type::DOCKER_MANIFEST,
            (true, true) => chainseal_oci::media_type::DOCKER_MANIFEST_LIST,
        };
        assert_eq!(ours.media_type, expected_type, "{tag}");
        let _: Digest = ours.digest;
    }
}
